"""API sign-in with bearer tokens: /auth/login, /auth/logout, /me; every error as JSON with a
code."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from courtyard.accounts.choices import SecurityEventKind
from courtyard.accounts.models import ApiToken, SecurityEvent
from tests.factories import PASSWORD, EstateFactory, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"


def api_login(client, username="clerk", password=PASSWORD, **extra):
    payload = {"username": username, "password": password, **extra}
    return client.post(LOGIN, payload, content_type="application/json")


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["detail"]


def test_login_answers_a_token_and_its_expiry(client):
    user = make_user("clerk")
    response = api_login(client)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    token = ApiToken.objects.get(user=user)
    assert token.key_hash != body["token"]  # only the hash is stored
    assert token.expires_at > timezone.now()
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.API_LOGIN).exists()
    assert client.get(ME, **bearer(body["token"])).status_code == 200


def test_wrong_password_and_unknown_user_are_the_same_401(client):
    make_user("clerk")
    wrong = api_login(client, password="Nope#2026")
    unknown = api_login(client, username="ghost", password="Nope#2026")
    assert_error(wrong, 401, "invalid_credentials")
    assert_error(unknown, 401, "invalid_credentials")
    assert wrong.json() == unknown.json()


def test_five_failures_lock_the_api_sign_in_too(client):
    make_user("clerk")
    for _ in range(4):
        assert_error(api_login(client, password="bad"), 401, "invalid_credentials")
    assert_error(api_login(client, password="bad"), 403, "account_locked")
    locked = api_login(client)
    assert_error(locked, 403, "account_locked")
    assert "30 minutes" in locked.json()["detail"]
    assert not ApiToken.objects.exists()


def test_an_unknown_username_locks_the_same_way(client):
    for _ in range(5):
        response = api_login(client, username="ghost", password="bad")
    assert_error(response, 403, "account_locked")


def test_a_user_with_a_device_must_send_the_code(client):
    user = make_user("clerk")
    device = TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    assert_error(api_login(client), 401, "otp_required")
    assert_error(api_login(client, otp="000000"), 401, "otp_required")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = api_login(client, otp=f"{totp.token():06d}")
    assert response.status_code == 200 and response.json()["token"]


def test_an_initial_password_must_be_changed_on_the_web_first(client):
    make_user("newcomer", must_change_password=True)
    assert_error(api_login(client, username="newcomer"), 403, "password_change_required")


def test_logout_revokes_the_token(client):
    make_user("clerk")
    raw = api_login(client).json()["token"]
    response = client.post(LOGOUT, **bearer(raw))
    assert response.status_code == 204
    assert ApiToken.objects.get().revoked_at is not None
    assert_error(client.get(ME, **bearer(raw)), 401, "not_authenticated")
    assert_error(client.post(LOGOUT, **bearer(raw)), 401, "not_authenticated")


def test_me_describes_roles_permissions_and_scope(client):
    estate = EstateFactory()
    user = make_user("clerk", "estates.view_unit", estates=[estate], position="Clerk")
    _token, raw = ApiToken.issue(user)
    body = client.get(ME, **bearer(raw)).json()
    assert body["username"] == "clerk" and body["kind"] == "staff"
    assert body["position"] == "Clerk"
    assert body["roles"] == ["role-clerk"]
    assert body["permissions"] == ["estates.view_unit"]
    assert body["scope"] == {"all_estates": False, "estates": [estate.pk], "buildings": []}


def test_me_for_an_all_estates_user(client):
    _token, raw = ApiToken.issue(make_user("boss"))
    assert client.get(ME, **bearer(raw)).json()["scope"]["all_estates"] is True


def test_an_expired_token_is_refused_with_its_own_code(client):
    token, raw = ApiToken.issue(make_user("clerk"))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(client.get(ME, **bearer(raw)), 401, "token_expired")


def test_a_made_up_token_and_no_token_are_401(client):
    assert_error(client.get(ME, **bearer("made-up")), 401, "not_authenticated")
    assert_error(client.get(ME), 401, "not_authenticated")


def test_a_deactivated_users_token_stops_working(client):
    user = make_user("clerk")
    _token, raw = ApiToken.issue(user)
    user.is_active = False
    user.save()
    assert_error(client.get(ME, **bearer(raw)), 401, "not_authenticated")


def test_malformed_json_is_a_400_with_a_code(client):
    response = client.post(LOGIN, "{not json", content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] and body["detail"]


def test_missing_fields_are_a_400_with_a_code(client):
    response = client.post(LOGIN, {"username": "clerk"}, content_type="application/json")
    assert_error(response, 400, "invalid_request")


def test_a_resident_token_cannot_read_staff_me(client):
    _token, raw = ApiToken.issue(make_user("resident", kind="resident"))
    assert_error(client.get(ME, **bearer(raw)), 403, "permission_denied")
