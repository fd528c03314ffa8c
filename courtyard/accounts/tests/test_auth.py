"""Sign-in, lockout, sign-out and the security events they leave behind."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from courtyard.accounts import security
from courtyard.accounts.choices import SecurityEventKind
from courtyard.accounts.models import SecurityEvent
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def fail_times(client, username, times):
    for _ in range(times):
        response = sign_in(client, username, "wrong-password")
    return response


def page_text(response, username):
    """The page without the per-request CSRF tokens and the username as typed."""
    text = re.sub(
        r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", response.content.decode()
    )
    return text.replace(username, "NAME")


def kinds(**filters):
    return list(SecurityEvent.objects.filter(**filters).values_list("kind", flat=True))


def test_sign_in_page_renders_with_a_forgot_password_link(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert reverse("accounts:password_reset") in response.content.decode()


def test_right_password_signs_in_and_goes_home(client):
    make_user("clerk")
    response = sign_in(client, "clerk")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" in client.session


def test_sign_in_follows_a_safe_next_but_not_an_outside_one(client):
    make_user("clerk")
    assert sign_in(client, "clerk", next="/accounts/profile/")["Location"] == "/accounts/profile/"
    client.logout()
    assert sign_in(client, "clerk", next="https://evil.example/")["Location"] == "/"


def test_signed_in_user_visiting_the_sign_in_page_is_sent_on(client):
    client.force_login(make_user("clerk"))
    assert client.get(LOGIN).status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_answer(client):
    make_user("clerk")
    wrong = sign_in(client, "clerk", "Nope#2026x")
    unknown = sign_in(client, "nobody", "Nope#2026x")
    assert wrong.status_code == unknown.status_code == 400
    assert "Wrong username or password." in wrong.content.decode()
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_inactive_account_gets_the_same_answer_as_a_wrong_password(client):
    make_user("gone", is_active=False)
    response = sign_in(client, "gone")
    assert response.status_code == 400
    assert "Wrong username or password." in response.content.decode()


def test_five_failures_lock_the_username_for_thirty_minutes(client):
    make_user("clerk")
    assert fail_times(client, "clerk", 4).status_code == 400
    locked = sign_in(client, "clerk", "still-wrong")
    assert locked.status_code == 403
    assert locked.context["locked"] is True
    assert locked.context["lockout_minutes"] == 30
    assert "This account is locked" in locked.content.decode()
    assert "30 minutes" in locked.content.decode()


def test_a_locked_username_is_refused_even_with_the_right_password(client):
    make_user("clerk")
    fail_times(client, "clerk", 5)
    response = sign_in(client, "clerk")
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_an_unknown_username_locks_exactly_like_a_real_one(client):
    make_user("clerk")
    real = fail_times(client, "clerk", 5)
    unknown = fail_times(client, "ghost", 5)
    assert real.status_code == unknown.status_code == 403
    assert page_text(real, "clerk") == page_text(unknown, "ghost")


def test_lockout_is_per_username(client):
    make_user("clerk")
    make_user("other")
    fail_times(client, "clerk", 5)
    assert sign_in(client, "other")["Location"] == "/"


def test_minutes_left_count_down_from_the_last_failure(client):
    make_user("clerk")
    fail_times(client, "clerk", 5)
    AccessAttempt.objects.filter(username="clerk").update(
        attempt_time=AccessAttempt.objects.get(username="clerk").attempt_time
        - timedelta(minutes=18, seconds=30)
    )
    assert security.lockout_minutes_left("clerk") == 12
    assert security.lockout_minutes_left("other") == 0


def test_lock_lapses_after_thirty_minutes(client):
    make_user("clerk")
    fail_times(client, "clerk", 5)
    AccessAttempt.objects.filter(username="clerk").update(
        attempt_time=AccessAttempt.objects.get(username="clerk").attempt_time
        - timedelta(minutes=31)
    )
    assert security.lockout_minutes_left("clerk") == 0
    assert sign_in(client, "clerk")["Location"] == "/"


def test_success_resets_the_failure_count(client):
    make_user("clerk")
    fail_times(client, "clerk", 4)
    sign_in(client, "clerk")
    client.logout()
    assert fail_times(client, "clerk", 4).status_code == 400


def test_sign_in_records_a_security_event(client):
    user = make_user("clerk")
    sign_in(client, "clerk")
    event = SecurityEvent.objects.get(kind=SecurityEventKind.LOGIN)
    assert event.user == user
    assert event.ip_address == "127.0.0.1"
    assert event.source == "web"


def test_failures_record_the_typed_username_whether_or_not_it_exists(client):
    make_user("clerk")
    sign_in(client, "clerk", "bad")
    sign_in(client, "ghost", "bad")
    failed = SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED)
    assert sorted(failed.values_list("username", flat=True)) == ["clerk", "ghost"]
    assert not failed.filter(user__isnull=False).exists()


def test_lockout_records_a_security_event(client):
    make_user("clerk")
    fail_times(client, "clerk", 5)
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKED, username="clerk").exists()


def test_sign_out_records_an_event_and_ends_the_session(client):
    user = make_user("clerk")
    client.force_login(user)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert kinds(user=user) == [SecurityEventKind.LOGOUT, SecurityEventKind.LOGIN]


def test_sign_out_needs_a_post(client):
    client.force_login(make_user("clerk"))
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session


def test_forged_csrf_token_is_refused_with_a_clear_page_and_no_sign_in():
    make_user("clerk")
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    response = client.post(
        LOGIN, {"username": "clerk", "password": PASSWORD, "csrfmiddlewaretoken": "forged" * 8}
    )
    assert response.status_code == 403
    assert "could not be verified" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN).exists()


def test_real_csrf_token_signs_in():
    make_user("clerk")
    client = Client(enforce_csrf_checks=True)
    token = client.get(LOGIN).context["csrf_token"]
    response = client.post(
        LOGIN, {"username": "clerk", "password": PASSWORD, "csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 302


def test_forged_csrf_on_password_change_changes_nothing():
    user = make_user("clerk")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Fresh#Pass9",
            "new_password2": "Fresh#Pass9",
            "csrfmiddlewaretoken": "x" * 64,
        },
    )
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
