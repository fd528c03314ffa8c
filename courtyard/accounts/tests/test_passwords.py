"""Password policy, changing one's password, and resetting a forgotten one with a code."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from courtyard.accounts import security, services
from courtyard.accounts.choices import CodePurpose, SecurityEventKind
from courtyard.accounts.models import OneTimeCode, SecurityEvent
from courtyard.accounts.passwords import CourtyardPasswordValidator
from courtyard.core import parameters
from courtyard.core.models import Message
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

CHANGE = "/accounts/password/"
FORGOT = "/accounts/password/forgot/"
CONFIRM = "/accounts/password/forgot/code/"
NEW = "Fresh#Pass9"


# -- the policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("Ab#1", "at least 8 characters"),
        ("12345678#", "a letter"),
        ("abcdefgh#", "a digit"),
        ("abcd1234", "a special character"),
    ],
)
def test_policy_names_what_is_missing(password, missing):
    with pytest.raises(ValidationError) as error:
        CourtyardPasswordValidator().validate(password)
    assert missing in error.value.messages[0]


@pytest.mark.parametrize("password", ["Courtyard#2026", "abc123#x", "物业Pass#9x"])
def test_policy_accepts_letters_digits_and_a_special_character(password):
    CourtyardPasswordValidator().validate(password)


def test_policy_lists_every_missing_part_at_once():
    with pytest.raises(ValidationError) as error:
        CourtyardPasswordValidator().validate("abc")
    message = error.value.messages[0]
    assert "at least 8 characters" in message and "a digit" in message
    assert "a special character" in message


# -- changing one's own password -------------------------------------------------------------


def change(client, old=PASSWORD, new1=NEW, new2=None):
    return client.post(
        CHANGE, {"old_password": old, "new_password1": new1, "new_password2": new2 or new1}
    )


def test_change_password_page_opens_inside_the_shell(client):
    client.force_login(make_user("clerk"))
    response = client.get(CHANGE)
    assert response.status_code == 200
    assert response.context["base_template"] == "base.html"


def test_change_password_succeeds_and_keeps_the_session(client):
    user = make_user("clerk")
    client.force_login(user)
    assert change(client)["Location"] == "/"
    user.refresh_from_db()
    assert user.check_password(NEW) and user.password_changed_at is not None
    assert client.get("/accounts/profile/").status_code == 200  # still signed in


@pytest.mark.parametrize(
    ("old", "new1", "new2", "field", "message"),
    [
        ("Wrong#2026", NEW, NEW, "old_password", "The current password is not correct."),
        (PASSWORD, NEW, NEW + "x", "new_password2", "The two passwords do not match."),
        (PASSWORD, "weakpass", "weakpass", "new_password1", "The password must contain"),
        (PASSWORD, PASSWORD, PASSWORD, "new_password1", "must be different from the current"),
    ],
)
def test_bad_password_changes_say_why_and_change_nothing(client, old, new1, new2, field, message):
    user = make_user("clerk")
    client.force_login(user)
    response = change(client, old, new1, new2)
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.PASSWORD_CHANGED).exists()


def test_the_service_enforces_the_policy_and_a_new_password_too():
    user = make_user("clerk")
    with pytest.raises(ValidationError):
        services.set_password(user, user, "weak", must_change=False)
    with pytest.raises(ValidationError):
        services.set_password(user, user, PASSWORD, must_change=False)
    admin = make_user("admin", superuser=True)
    services.set_password(admin, user, "Initial#2027", must_change=True)
    user.refresh_from_db()
    assert user.must_change_password
    event = SecurityEvent.objects.get(kind=SecurityEventKind.PASSWORD_SET_BY_ADMIN)
    assert event.actor == admin and event.user == user


# -- forgotten password ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_parameters():
    cache.delete(parameters.CACHE_KEY)
    yield
    cache.delete(parameters.CACHE_KEY)


def sent_code(user):
    message = Message.objects.filter(recipient_user=user, purpose="password_reset").first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def request_code(client, username):
    return client.post(FORGOT, {"username": username})


def reset(client, code, new1=NEW, new2=None):
    return client.post(
        CONFIRM, {"code": code, "new_password1": new1, "new_password2": new2 or new1}
    )


def test_forgot_password_page_renders(client):
    response = client.get(FORGOT)
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_code_goes_by_sms_when_a_phone_is_bound(client):
    user = make_user("clerk", phone="13812345678", email="clerk@example.com")
    response = request_code(client, "clerk")
    assert response["Location"] == CONFIRM
    message = Message.objects.get(purpose="password_reset")
    assert message.channel == "sms" and message.recipient == "13812345678"
    code = OneTimeCode.objects.get(user=user)
    assert code.purpose == CodePurpose.PASSWORD_RESET
    assert sent_code(user) not in code.code_hash  # stored hashed
    minutes = (code.expires_at - code.created_at).total_seconds() / 60
    assert round(minutes) == parameters.get("security.code_ttl_minutes")


def test_code_goes_by_email_without_a_phone(client):
    make_user("clerk", email="clerk@example.com")
    request_code(client, "clerk")
    message = Message.objects.get(purpose="password_reset")
    assert message.channel == "email" and message.recipient == "clerk@example.com"


def test_the_answer_is_the_same_whether_or_not_the_account_exists(client):
    make_user("clerk", phone="13812345678")
    make_user("unbound")
    answers = []
    for name in ("clerk", "ghost", "unbound"):
        response = request_code(client, name)
        answers.append((response.status_code, response["Location"]))
        follow = client.get(response["Location"])
        answers[-1] += (str(list(follow.context["messages"])[0]),)
    assert answers[0] == answers[1] == answers[2]
    assert "If the account exists" in answers[0][2]
    assert Message.objects.filter(purpose="password_reset").count() == 1


def test_a_new_code_replaces_the_old_one_but_not_within_a_minute(client):
    user = make_user("clerk", phone="13812345678")
    request_code(client, "clerk")
    request_code(client, "clerk")
    assert OneTimeCode.objects.filter(user=user).count() == 1
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    request_code(client, "clerk")
    assert OneTimeCode.objects.filter(user=user).count() == 1
    assert Message.objects.filter(purpose="password_reset").count() == 2


def signed_in_before(client, username):
    """Make ``client`` a known device of ``username`` (it keeps the device cookie)."""
    client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    client.post("/accounts/logout/")


def test_the_right_code_sets_the_password_and_unlocks(client):
    user = make_user("clerk", phone="13812345678", must_change_password=True)
    signed_in_before(client, "clerk")
    attacker = Client()
    for _ in range(5):
        attacker.post("/accounts/login/", {"username": "clerk", "password": "bad"})
    assert security.lockout_minutes_left("clerk") > 0
    request_code(client, "clerk")
    response = reset(client, sent_code(user))
    assert response["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.check_password(NEW) and not user.must_change_password
    assert OneTimeCode.objects.get(user=user).used_at is not None
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.PASSWORD_RESET).exists()
    assert not AccessAttempt.objects.filter(username="clerk").exists()
    signed_in = client.post("/accounts/login/", {"username": "clerk", "password": NEW})
    assert signed_in["Location"] == "/"


def test_the_confirm_step_needs_the_first_step(client):
    assert client.get(CONFIRM)["Location"] == FORGOT


def assert_refused(client, user, response, message):
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors["code"])
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_wrong_code_is_refused_and_counted(client):
    user = make_user("clerk", phone="13812345678")
    request_code(client, "clerk")
    wrong = "000000" if sent_code(user) != "000000" else "111111"
    assert_refused(client, user, reset(client, wrong), "The code is not correct.")
    assert OneTimeCode.objects.get(user=user).attempts == 1


def test_an_expired_code_is_refused(client):
    user = make_user("clerk", phone="13812345678")
    request_code(client, "clerk")
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_refused(client, user, reset(client, sent_code(user)), "This code has expired.")


def test_a_used_code_cannot_be_used_again(client):
    user = make_user("clerk", phone="13812345678")
    request_code(client, "clerk")
    code = sent_code(user)
    reset(client, code)
    request_code(client, "clerk")  # the session names the account again; the minute has not passed
    response = reset(client, code, "Other#Pass9")
    assert response.status_code == 400
    assert "already been used" in response.context["form"].errors["code"][0]
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_five_wrong_codes_burn_the_code(client):
    user = make_user("clerk", phone="13812345678")
    signed_in_before(client, "clerk")  # its failures count against the device, not the name
    request_code(client, "clerk")
    code = sent_code(user)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        reset(client, wrong)
    assert_refused(client, user, reset(client, code), "Too many wrong codes.")


def test_a_weak_password_keeps_the_code_usable(client):
    user = make_user("clerk", phone="13812345678")
    request_code(client, "clerk")
    code = sent_code(user)
    response = reset(client, code, "weak")
    assert response.status_code == 400
    assert "The password must contain" in str(response.context["form"].errors)
    assert OneTimeCode.objects.get(user=user).used_at is None
    assert reset(client, code)["Location"] == "/accounts/login/"


def test_an_unknown_account_gets_the_wrong_code_message(client):
    request_code(client, "ghost")
    response = reset(client, "123456")
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == ["The code is not correct."]
