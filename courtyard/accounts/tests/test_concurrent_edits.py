"""Two administrators editing the same staff user (DESIGN §3, "Concurrent edits"): the second
save from a stale page is refused; a password, a deactivation or a sign-out everywhere is a
consequence, not an edit, and applies to the stored account whatever copy was read."""

import pytest
from django.urls import reverse

from courtyard.accounts import services
from courtyard.accounts.administration import services as admin_services
from courtyard.accounts.models import User
from tests.concurrent_edits import assert_refused_keeping_typed, save_twice
from tests.factories import make_user

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Initial#2026x"


@pytest.fixture
def boss(db):
    return make_user("boss", superuser=True)


def test_a_stale_user_form_keeps_what_was_typed(boss):
    tech = make_user("tech", full_name="刘师傅")
    url = reverse("accounts:user_edit", args=[tech.pk])
    stale = save_twice(boss, url, {"position": "电工"}, {"phone": "13700000000"})
    assert_refused_keeping_typed(stale, "13700000000")
    tech.refresh_from_db()
    assert tech.position == "电工" and tech.phone != "13700000000"


def test_account_actions_apply_whatever_copy_was_read(boss):
    tech = make_user("tech", full_name="刘师傅")
    read_before = User.objects.get(pk=tech.pk)
    admin_services.update_user(boss, tech, position="电工")
    admin_services.reset_password(boss, read_before, GOOD_PASSWORD)
    admin_services.deactivate_user(boss, read_before)
    services.end_sessions(read_before)
    tech.refresh_from_db()
    assert tech.position == "电工" and not tech.is_active and tech.check_password(GOOD_PASSWORD)


def test_the_user_detail_carries_an_etag(api, boss):
    tech = make_user("tech")
    read = api(boss).get(f"/users/{tech.pk}")
    assert read.status_code == 200 and read["ETag"] == f'"{tech.version}"'
