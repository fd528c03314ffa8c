"""A password change or reset ends everything the old password opened: every API token and
every other browser session of that user; the browser that made the change stays signed in
and the user is told."""

import pytest
from django.test import Client
from django.urls import reverse

from courtyard.accounts import services
from courtyard.accounts.administration import services as admin_services
from courtyard.accounts.choices import CodePurpose, SecurityEventKind
from courtyard.accounts.models import OneTimeCode, SecurityEvent, User
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand#New2026"
ME = "/api/v1/me"


def api_token(username, password=PASSWORD):
    response = Client().post(
        "/api/v1/auth/login",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def signed_in(user):
    other = Client()
    other.force_login(user)
    return other


def test_changing_ones_own_password_revokes_tokens_and_other_sessions(client):
    user = make_user("clerk")
    token = api_token("clerk")
    elsewhere = signed_in(user)
    assert elsewhere.get(reverse("accounts:profile")).status_code == 200
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "1 API token(s) were revoked" in response.content.decode()
    assert Client().get(ME, **token).status_code == 401
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302  # to sign-in
    assert client.get(reverse("accounts:profile")).status_code == 200  # this browser stays
    event = SecurityEvent.objects.get(user=user, kind=SecurityEventKind.PASSWORD_CHANGED)
    assert "1 API token(s) revoked" in event.detail


def test_a_forgotten_password_reset_revokes_tokens_and_sessions(client):
    user = make_user("clerk", phone="13812345678")
    token = api_token("clerk")
    elsewhere = signed_in(user)
    services.request_password_reset(None, "clerk")
    record = OneTimeCode.objects.get(user=user, purpose=CodePurpose.PASSWORD_RESET)
    code = "000000"
    record.code_hash = services._code_hash(user, code)
    record.save()
    services.reset_password_with_code(None, "clerk", code, NEW_PASSWORD)
    assert Client().get(ME, **token).status_code == 401
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302


def test_an_administrators_reset_revokes_tokens_and_sessions():
    user = make_user("clerk")
    token = api_token("clerk")
    elsewhere = signed_in(user)
    admin_services.reset_password(make_user("boss", superuser=True), user, NEW_PASSWORD)
    assert Client().get(ME, **token).status_code == 401
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302


def test_sign_out_everywhere_ends_sessions_and_tokens_and_keeps_the_password():
    user = make_user("clerk")
    token = api_token("clerk")
    elsewhere = signed_in(user)
    boss = make_user("boss", superuser=True)
    admin = signed_in(boss)
    response = admin.post(reverse("accounts:user_sign_out", args=[user.pk]), follow=True)
    assert "signed out everywhere; 1 API token(s) revoked" in response.content.decode()
    assert Client().get(ME, **token).status_code == 401
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
    assert api_token("clerk")  # signing in again works
    assert SecurityEvent.objects.filter(
        user=user, kind=SecurityEventKind.SIGNED_OUT_EVERYWHERE, actor=boss
    ).exists()


def test_signing_oneself_out_everywhere_keeps_this_browser(client):
    boss = make_user("boss", superuser=True)
    elsewhere = signed_in(boss)
    client.force_login(boss)
    client.post(reverse("accounts:user_sign_out", args=[boss.pk]))
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_sessions_from_before_the_stamp_existed_stay_valid():
    """Deploying the session stamp signs nobody out: without one, the hash is Django's own."""
    from django.contrib.auth.base_user import AbstractBaseUser

    user = make_user("clerk")
    assert user.session_stamp == ""
    assert user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(user)
