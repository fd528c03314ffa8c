"""Resident accounts: invitation with an activation code, activation, SMS-code sign-in."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import timezone

from courtyard.accounts import resident_accounts as ra
from courtyard.accounts.choices import CodePurpose, SecurityEventKind, UserKind
from courtyard.accounts.models import OneTimeCode, SecurityEvent, User
from courtyard.core.models import Message
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PHONE = "13900000009"
NEW = "Portal#Pass9"


@pytest.fixture
def clerk():
    return make_user("clerk", "residents.invite_resident")


def code_in(message):
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def last_code(purpose):
    return code_in(Message.objects.filter(purpose=purpose).first())


def wrong(code):
    return "000000" if code != "000000" else "111111"


def signed_in_request(client):
    """A request with a session, for the sign-in service."""
    request = RequestFactory().post("/portal/login/code/")
    request.session = client.session
    return request


# -- invitation -------------------------------------------------------------------------------


def test_invite_creates_a_resident_account_and_texts_an_activation_code(clerk):
    user, message = ra.invite_resident_account(clerk, phone=PHONE, full_name="王小明")
    assert user.kind == UserKind.RESIDENT and user.username == PHONE and user.phone == PHONE
    assert user.is_active and not user.has_usable_password() and not user.must_change_password
    assert message.channel == "sms" and message.recipient == PHONE
    assert message.purpose == "portal_invitation" and message.recipient_user == user
    assert "/portal/activate/" in message.body
    record = OneTimeCode.objects.get(user=user)
    assert record.purpose == CodePurpose.ACTIVATION
    assert code_in(message) not in record.code_hash
    assert abs((record.expires_at - timezone.now()) - timedelta(hours=72)) < timedelta(minutes=1)
    event = SecurityEvent.objects.get(kind=SecurityEventKind.INVITED)
    assert event.user == user and event.actor == clerk


def test_reinviting_reuses_the_account_and_replaces_the_code(clerk):
    first, first_message = ra.invite_resident_account(clerk, phone=PHONE, full_name="王小明")
    again, second_message = ra.invite_resident_account(clerk, phone=PHONE, full_name="王晓明")
    assert again.pk == first.pk and again.full_name == "王晓明"
    assert User.objects.filter(kind=UserKind.RESIDENT).count() == 1
    assert OneTimeCode.objects.filter(user=first).count() == 1
    if code_in(first_message) != code_in(second_message):  # the first code no longer counts
        with pytest.raises(ValidationError):
            ra.activate_resident_account(PHONE, code_in(first_message), NEW)
    ra.activate_resident_account(PHONE, code_in(second_message), NEW)


def test_invite_needs_the_invite_permission():
    with pytest.raises(PermissionDenied):
        ra.invite_resident_account(make_user("bare"), phone=PHONE, full_name="王小明")
    assert not User.objects.filter(username=PHONE).exists()


def test_invite_refuses_a_staff_username(clerk):
    make_user(PHONE)
    with pytest.raises(ValidationError) as error:
        ra.invite_resident_account(clerk, phone=PHONE, full_name="王小明")
    assert "staff account" in str(error.value.message_dict["phone"])
    assert not Message.objects.exists()


def test_invite_refuses_an_activated_resident_account(clerk):
    ra.invite_resident_account(clerk, phone=PHONE, full_name="王小明")
    ra.activate_resident_account(PHONE, last_code("portal_invitation"), NEW)
    with pytest.raises(ValidationError) as error:
        ra.invite_resident_account(clerk, phone=PHONE, full_name="王小明")
    assert "already has an activated" in str(error.value.message_dict["phone"])


def test_invite_validates_phone_and_name(clerk):
    with pytest.raises(ValidationError) as error:
        ra.invite_resident_account(clerk, phone="12345", full_name=" ")
    assert set(error.value.message_dict) == {"phone", "full_name"}


def test_invite_accepts_a_number_with_spaces_and_country_code(clerk):
    user, _message = ra.invite_resident_account(clerk, phone="+86 139 0000 0009", full_name="王")
    assert user.username == PHONE


# -- activation -------------------------------------------------------------------------------


def test_activation_sets_the_password_and_the_code_is_single_use(clerk, client):
    user, message = ra.invite_resident_account(clerk, phone=PHONE, full_name="王小明")
    ra.activate_resident_account(PHONE, code_in(message), NEW)
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.ACTIVATED).exists()
    with pytest.raises(ValidationError) as error:
        ra.activate_resident_account(PHONE, code_in(message), "Other#Pass9")
    assert "already been used" in str(error.value)
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_activation_with_a_wrong_code_counts_an_attempt(clerk):
    user, message = ra.invite_resident_account(clerk, phone=PHONE, full_name="王小明")
    with pytest.raises(ValidationError) as error:
        ra.activate_resident_account(PHONE, wrong(code_in(message)), NEW)
    assert error.value.message_dict["code"] == ["The code is not correct."]
    assert OneTimeCode.objects.get(user=user).attempts == 1
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_five_wrong_activation_codes_burn_the_code(clerk):
    _user, message = ra.invite_resident_account(clerk, phone=PHONE, full_name="王小明")
    for _ in range(5):
        with pytest.raises(ValidationError):
            ra.activate_resident_account(PHONE, wrong(code_in(message)), NEW)
    with pytest.raises(ValidationError) as error:
        ra.activate_resident_account(PHONE, code_in(message), NEW)
    assert "Too many wrong codes" in str(error.value)


def test_an_expired_activation_code_is_refused(clerk):
    _user, message = ra.invite_resident_account(clerk, phone=PHONE, full_name="王小明")
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError) as error:
        ra.activate_resident_account(PHONE, code_in(message), NEW)
    assert "expired" in str(error.value)


def test_activation_applies_the_password_policy_and_keeps_the_code(clerk):
    _user, message = ra.invite_resident_account(clerk, phone=PHONE, full_name="王小明")
    with pytest.raises(ValidationError) as error:
        ra.activate_resident_account(PHONE, code_in(message), "weak")
    assert "new_password1" in error.value.message_dict
    ra.activate_resident_account(PHONE, code_in(message), NEW)


def test_activation_for_an_unknown_number_reads_as_a_wrong_code():
    with pytest.raises(ValidationError) as error:
        ra.activate_resident_account("13912345678", "123456", NEW)
    assert error.value.message_dict["code"] == ["The code is not correct."]


# -- sign-in with an SMS code -----------------------------------------------------------------


@pytest.fixture
def resident(clerk):
    user, _message = ra.invite_resident_account(clerk, phone=PHONE, full_name="王小明")
    return user


def test_sign_in_code_is_texted_and_signs_in(resident, client):
    ra.send_portal_sign_in_code(PHONE)
    message = Message.objects.get(purpose="portal_sign_in")
    assert message.channel == "sms" and message.recipient == PHONE
    request = signed_in_request(client)
    assert ra.sign_in_with_code(request, PHONE, code_in(message)) == resident
    assert str(request.session[SESSION_KEY]) == str(resident.pk)
    assert OneTimeCode.objects.get(user=resident, purpose=CodePurpose.SIGN_IN).used_at


def test_sign_in_code_is_single_use(resident, client):
    ra.send_portal_sign_in_code(PHONE)
    code = last_code("portal_sign_in")
    ra.sign_in_with_code(signed_in_request(client), PHONE, code)
    with pytest.raises(ValidationError) as error:
        ra.sign_in_with_code(signed_in_request(client), PHONE, code)
    assert "already been used" in str(error.value)


def test_a_wrong_sign_in_code_is_refused_and_logged(resident, client):
    ra.send_portal_sign_in_code(PHONE)
    with pytest.raises(ValidationError):
        ra.sign_in_with_code(signed_in_request(client), PHONE, wrong(last_code("portal_sign_in")))
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.LOGIN_FAILED, username=PHONE
    ).exists()


def test_no_code_is_sent_to_an_unknown_number_or_a_staff_account():
    make_user("13912345678", phone="13912345678")
    ra.send_portal_sign_in_code("13912345678")
    ra.send_portal_sign_in_code("13700000000")
    assert not Message.objects.exists()


def test_one_sign_in_code_a_minute(resident):
    ra.send_portal_sign_in_code(PHONE)
    ra.send_portal_sign_in_code(PHONE)
    assert Message.objects.filter(purpose="portal_sign_in").count() == 1
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    ra.send_portal_sign_in_code(PHONE)
    assert Message.objects.filter(purpose="portal_sign_in").count() == 2
    assert OneTimeCode.objects.filter(user=resident, purpose=CodePurpose.SIGN_IN).count() == 1


def test_an_activation_code_does_not_sign_in(resident, client):
    code = last_code("portal_invitation")
    with pytest.raises(ValidationError):
        ra.sign_in_with_code(signed_in_request(client), PHONE, code)
