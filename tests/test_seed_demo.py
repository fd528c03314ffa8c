import pytest
from django.core.management import call_command

from courtyard.accounts.models import User
from courtyard.core.scoping import restrict
from courtyard.estates.models import Estate, Unit

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_estates_units_and_one_account_per_role():
    call_command("seed_demo", verbosity=0)
    assert Estate.objects.count() == 2
    assert 250 <= Unit.objects.count() <= 400
    for username in ("admin", "service", "finance", "supervisor", "tech1", "inspector1"):
        user = User.objects.get(username=username)
        assert user.check_password("Courtyard#2026")
        assert not user.must_change_password
        assert user.groups.count() == 1


def test_seed_demo_is_idempotent():
    call_command("seed_demo", verbosity=0)
    counts = (Estate.objects.count(), Unit.objects.count(), User.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Estate.objects.count(), Unit.objects.count(), User.objects.count()) == counts


def test_service_account_sees_only_the_first_estate():
    call_command("seed_demo", verbosity=0)
    service = User.objects.get(username="service")
    visible = restrict(Estate.objects.all(), service, "view")
    assert list(visible.values_list("code", flat=True)) == ["CHTD"]
    units = restrict(Unit.objects.all(), service, "view")
    assert units.exists() and not units.exclude(estate__code="CHTD").exists()
