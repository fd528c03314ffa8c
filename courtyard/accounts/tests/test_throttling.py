"""Limits on getting in: one-time codes per name and per address, wrong codes towards the
lockout, failed sign-ins per address across names, and the known device that keeps an
administrator in while an attacker holds their name locked."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from courtyard.accounts import security, services
from courtyard.accounts.choices import SecurityEventKind
from courtyard.accounts.models import MessageDevice, OneTimeCode, SecurityEvent
from courtyard.core import ratelimit
from courtyard.core.models import Message
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"
FORGOT = "/accounts/password/forgot/"
CONFIRM = "/accounts/password/forgot/code/"
API_LOGIN = "/api/v1/auth/login"
ATTACKER = "203.0.113.9"
OFFICE = "198.51.100.7"
HOUR = 3600


@pytest.fixture
def clock(monkeypatch):
    """The limits' clock; ``clock.move(seconds)`` moves it on."""

    class Clock:
        time = 1_000 * 24 * HOUR + 60

        def move(self, seconds):
            self.time += seconds

    clock = Clock()
    monkeypatch.setattr(ratelimit, "now", lambda: clock.time)
    return clock


def web_request(address="127.0.0.1"):
    return RequestFactory().post("/accounts/password/forgot/", REMOTE_ADDR=address)


def ask_for_code(name, address="127.0.0.1"):
    """One reset code request, past the one-a-minute rule."""
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    services.request_password_reset(web_request(address), name)


def reset_codes():
    return Message.objects.filter(purpose="password_reset").count()


def sign_in(client, username, password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def signed_in_before(client, username):
    """Make ``client`` a known device of ``username``: it signs in, keeps the cookie, leaves."""
    assert sign_in(client, username).status_code == 302
    client.post("/accounts/logout/")


def lock(username, address=ATTACKER):
    attacker = Client(REMOTE_ADDR=address)
    for _ in range(5):
        response = sign_in(attacker, username, "Guess#0000")
    assert response.status_code == 403
    return attacker


def reset(client, code):
    return client.post(
        CONFIRM, {"code": code, "new_password1": "Fresh#Pass9", "new_password2": "Fresh#Pass9"}
    )


# -- one-time code requests ------------------------------------------------------------------


def test_five_codes_an_hour_and_ten_a_day_per_name(clock):
    make_user("clerk", phone="13812345678")
    for _ in range(5):
        ask_for_code("clerk")
    with pytest.raises(ValidationError) as refused:
        ask_for_code("clerk")
    assert refused.value.code == "rate_limited"
    assert refused.value.messages[0].startswith("Too many codes requested; try again in ")
    assert reset_codes() == 5
    clock.move(2 * HOUR)
    for _ in range(5):
        ask_for_code("clerk")
    clock.move(2 * HOUR)
    with pytest.raises(ValidationError) as refused:
        ask_for_code("clerk")
    assert "hours" in refused.value.messages[0]
    assert reset_codes() == 10


def test_an_unknown_name_is_limited_exactly_like_a_real_one(clock):
    make_user("clerk", phone="13812345678")
    answers = []
    for name in ("clerk", "ghost"):
        for _ in range(5):
            ask_for_code(name)
        with pytest.raises(ValidationError) as refused:
            ask_for_code(name)
        answers.append(refused.value.messages)
    assert answers[0] == answers[1]


def test_codes_per_address_across_names(clock):
    for number in range(20):
        ask_for_code(f"user{number}", ATTACKER)
    with pytest.raises(ValidationError) as refused:
        ask_for_code("clerk", ATTACKER)
    assert refused.value.code == "rate_limited"
    ask_for_code("clerk", OFFICE)


def test_second_factor_codes_share_the_names_limit(client):
    user = make_user("clerk", phone="13812345678")
    MessageDevice.objects.create(user=user, name="SMS", channel="sms", confirmed=True)
    sign_in(client, "clerk")
    client.get(CODE)  # the first code
    for _ in range(4):
        client.post(CODE, {"send": "1"})
    response = client.post(CODE, {"send": "1"}, follow=True)
    assert "Too many codes requested" in response.content.decode()
    assert Message.objects.filter(purpose="sign_in_code").count() == 5


def test_the_forgot_password_page_says_to_wait_and_keeps_the_name(client):
    make_user("clerk", phone="13812345678")
    for _ in range(5):
        OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
        assert client.post(FORGOT, {"username": "clerk"}).status_code == 302
    response = client.post(FORGOT, {"username": "clerk"})
    assert response.status_code == 429
    assert "Too many codes requested; try again in" in response.content.decode()
    assert response.context["form"]["username"].value() == "clerk"


# -- wrong codes count towards the lockout ---------------------------------------------------


def test_wrong_reset_codes_lock_the_name_like_wrong_passwords(client):
    make_user("clerk", phone="13812345678")
    client.post(FORGOT, {"username": "clerk"})
    for _ in range(4):
        assert reset(client, "000000").status_code == 400
    response = reset(client, "000000")
    assert response.status_code == 403
    assert "This account is locked" in response.content.decode()
    assert security.lockout_minutes_left("clerk") == 30
    assert sign_in(client, "clerk").status_code == 403


def test_wrong_passwords_and_wrong_codes_add_up():
    make_user("clerk", phone="13812345678")
    for _ in range(3):
        sign_in(Client(), "clerk", "Guess#0000")
    services.request_password_reset(web_request(), "clerk")
    for _ in range(2):
        with pytest.raises(ValidationError):
            services.reset_password_with_code(web_request(), "clerk", "000000", "Fresh#Pass9")
    assert security.lockout_minutes_left("clerk") > 0


def test_a_locked_name_gets_no_code_and_cannot_use_one(client):
    user = make_user("clerk", phone="13812345678")
    services.request_password_reset(web_request(), "clerk")
    code = re.search(r"\d{6}", Message.objects.get().body).group()
    lock("clerk")
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    response = client.post(FORGOT, {"username": "clerk"})
    assert response.status_code == 403
    assert "This account is locked" in response.content.decode()
    assert Message.objects.count() == 1
    with pytest.raises(ValidationError) as refused:
        services.reset_password_with_code(web_request(), "clerk", code, "Fresh#Pass9")
    assert refused.value.code == "account_locked"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_an_unknown_names_wrong_codes_lock_it_the_same_way():
    for _ in range(5):
        with pytest.raises(ValidationError):
            services.reset_password_with_code(web_request(), "ghost", "000000", "Fresh#Pass9")
    assert security.lockout_minutes_left("ghost") == 30


def test_wrong_second_factor_codes_lock_the_name(client):
    user = make_user("clerk")
    TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    for _ in range(5):
        sign_in(client, "clerk")
        TOTPDevice.objects.update(throttling_failure_count=0)
        response = client.post(CODE, {"token": "000000"})
    assert response["Location"] == LOGIN
    assert security.lockout_minutes_left("clerk") == 30
    page = client.get(LOGIN)
    assert "This account is locked" in page.content.decode()
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.OTP_FAILED).count() == 5
    assert sign_in(client, "clerk").status_code == 403


def test_wrong_api_second_factor_codes_lock_the_name(client):
    user = make_user("clerk")
    TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    for _ in range(4):
        TOTPDevice.objects.update(throttling_failure_count=0)
        response = client.post(
            API_LOGIN,
            {"username": "clerk", "password": PASSWORD, "otp": "000000"},
            content_type="application/json",
        )
        assert response.json()["code"] == "otp_required"
    response = client.post(
        API_LOGIN,
        {"username": "clerk", "password": PASSWORD, "otp": "000000"},
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["code"] == "account_locked"


# -- failed sign-ins per address -------------------------------------------------------------


def test_one_address_cannot_fail_for_many_names():
    make_user("clerk")
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for number in range(20):
        assert sign_in(attacker, f"user{number}", "Guess#0000").status_code == 400
    response = sign_in(attacker, "clerk")
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many failed attempts from your network address; try again in" in text
    assert 'value="clerk"' in text  # what was typed stays
    assert "_auth_user_id" not in attacker.session
    assert security.lockout_minutes_left("clerk") == 0  # the refusal did not count against it
    assert sign_in(Client(REMOTE_ADDR=OFFICE), "clerk").status_code == 302


def test_the_api_answers_429_when_the_address_has_failed_too_often():
    make_user("clerk")
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for number in range(20):
        attacker.post(
            API_LOGIN,
            {"username": f"user{number}", "password": "Guess#0000"},
            content_type="application/json",
        )
    response = attacker.post(
        API_LOGIN, {"username": "clerk", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "rate_limited"
    assert body["detail"].startswith("Too many failed attempts from your network address")
    assert int(response["Retry-After"]) > 0


def test_wrong_codes_count_towards_the_address_limit_too():
    for number in range(20):
        with pytest.raises(ValidationError):
            services.reset_password_with_code(
                web_request(ATTACKER), f"user{number % 4}", "000000", "Fresh#Pass9"
            )
    make_user("clerk")
    assert sign_in(Client(REMOTE_ADDR=ATTACKER), "clerk").status_code == 429


# -- the administrator's way in --------------------------------------------------------------


def test_an_administrator_signs_in_from_a_known_browser_while_an_attacker_holds_the_lock():
    make_user("admin", superuser=True)
    browser = Client(REMOTE_ADDR=OFFICE)
    signed_in_before(browser, "admin")
    attacker = lock("admin")
    for _ in range(5):  # the attacker keeps at it
        assert sign_in(attacker, "admin", "Guess#0000").status_code == 403
    assert sign_in(Client(REMOTE_ADDR=OFFICE), "admin").status_code == 403  # a new browser
    response = sign_in(browser, "admin")
    assert response.status_code == 302 and "_auth_user_id" in browser.session
    browser.post("/accounts/logout/")
    lock("admin")
    assert sign_in(browser, "admin").status_code == 302


def test_a_known_browser_is_not_held_back_by_its_addresss_limit():
    make_user("admin", superuser=True)
    browser = Client(REMOTE_ADDR=OFFICE)
    signed_in_before(browser, "admin")
    colleague = Client(REMOTE_ADDR=OFFICE)  # an attacker behind the same office address
    for number in range(20):
        sign_in(colleague, f"user{number}", "Guess#0000")
    assert sign_in(colleague, "admin").status_code == 429
    assert sign_in(browser, "admin").status_code == 302


def test_a_known_browser_still_gets_codes_when_its_address_has_asked_for_too_many(client):
    make_user("admin", superuser=True, phone="13812345678")
    browser = Client(REMOTE_ADDR=OFFICE)
    signed_in_before(browser, "admin")
    for number in range(20):
        ask_for_code(f"user{number}", OFFICE)
    assert Client(REMOTE_ADDR=OFFICE).post(FORGOT, {"username": "admin"}).status_code == 429
    assert browser.post(FORGOT, {"username": "admin"}).status_code == 302
    assert reset_codes() == 1


def test_a_known_browser_has_the_lockouts_own_rate_and_then_none():
    make_user("admin", superuser=True)
    browser = Client()
    signed_in_before(browser, "admin")
    for _ in range(5):
        assert sign_in(browser, "admin", "Guess#0000").status_code == 400
    assert security.lockout_minutes_left("admin") == 0  # counted against the browser only
    lock("admin")
    assert sign_in(browser, "admin").status_code == 403  # its own failures are used up


def test_the_cookie_of_another_account_or_a_forged_one_does_not_help():
    make_user("admin", superuser=True)
    make_user("clerk")
    browser = Client()
    signed_in_before(browser, "clerk")
    lock("admin")
    assert sign_in(browser, "admin").status_code == 403
    forged = Client()
    forged.cookies["courtyard_device"] = browser.cookies["courtyard_device"].value + "x"
    lock("clerk")
    assert sign_in(forged, "clerk").status_code == 403
    assert sign_in(browser, "clerk").status_code == 302


def test_a_known_device_resets_its_password_while_the_name_is_held_locked(client):
    user = make_user("admin", superuser=True, phone="13812345678")
    signed_in_before(client, "admin")
    lock("admin")
    assert Client().post(FORGOT, {"username": "admin"}).status_code == 403  # a new browser
    assert client.post(FORGOT, {"username": "admin"}).status_code == 302
    code = re.search(r"\d{6}", Message.objects.get(purpose="password_reset").body).group()
    assert reset(client, code)["Location"] == LOGIN
    user.refresh_from_db()
    assert user.check_password("Fresh#Pass9")


def test_an_api_client_that_keeps_its_cookie_is_a_known_device():
    make_user("admin", superuser=True)
    app = Client()
    payload = {"username": "admin", "password": PASSWORD}
    assert app.post(API_LOGIN, payload, content_type="application/json").status_code == 200
    assert app.cookies["courtyard_device"].value
    lock("admin")
    assert Client().post(API_LOGIN, payload, content_type="application/json").status_code == 403
    assert app.post(API_LOGIN, payload, content_type="application/json").status_code == 200


PROXY = "10.0.0.2"


def test_behind_the_proxy_each_client_is_counted_by_the_address_the_proxy_saw(settings):
    """Behind a reverse proxy every request comes from the proxy: counting REMOTE_ADDR would
    let one attacker keep the whole company from signing in."""
    settings.BEHIND_PROXY = True
    make_user("clerk")
    # The attacker forges an X-Forwarded-For entry; the proxy appends the real address.
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{OFFICE}, {ATTACKER}")
    for number in range(20):
        assert sign_in(attacker, f"user{number}", "Guess#0000").status_code == 400
    assert sign_in(attacker, "clerk").status_code == 429
    colleague = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OFFICE)
    assert sign_in(colleague, "clerk").status_code == 302
    event = SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED).first()
    assert event.ip_address == ATTACKER


def test_without_the_proxy_setting_forwarded_headers_are_ignored(settings):
    settings.BEHIND_PROXY = False
    request = RequestFactory().get("/", REMOTE_ADDR=OFFICE, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert security.client_ip(request) == OFFICE
    settings.BEHIND_PROXY = True
    garbage = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="unknown")
    assert security.client_ip(garbage) == PROXY
