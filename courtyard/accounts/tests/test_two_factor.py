"""Second factor: setting up an authenticator app or SMS / email codes, and signing in with
them in a second step."""

import time

import pytest
from django.core.cache import cache
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from courtyard.accounts import services
from courtyard.accounts.choices import SecurityEventKind
from courtyard.accounts.models import MessageDevice, SecurityEvent
from courtyard.core import parameters
from courtyard.core.models import Message
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"
SETUP = "/accounts/two-factor/"


@pytest.fixture(autouse=True)
def _fresh_parameters():
    cache.delete(parameters.CACHE_KEY)
    yield
    cache.delete(parameters.CACHE_KEY)


def totp_code(device, steps_ahead=0):
    """The app's code ``steps_ahead`` periods from now (a used period is not accepted twice)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def app_device(user):
    return TOTPDevice.objects.create(user=user, name="App", confirmed=True)


def message_device(user, channel="sms"):
    return MessageDevice.objects.create(user=user, name="SMS", channel=channel, confirmed=True)


def password_step(client, username="clerk"):
    return client.post(LOGIN, {"username": username, "password": PASSWORD, "next": "/inbox/"})


# -- setting up ------------------------------------------------------------------------------


def test_two_factor_page_lists_no_devices_at_first(client):
    client.force_login(make_user("clerk"))
    response = client.get(SETUP)
    assert response.status_code == 200
    assert response.context["devices"] == []


def test_app_set_up_shows_a_qr_code_and_confirms_with_the_first_code(client):
    user = make_user("clerk")
    client.force_login(user)
    response = client.get("/accounts/two-factor/app/")
    assert response.status_code == 200
    assert response.context["qr"].startswith("data:image/svg+xml")
    assert 'src="data:image/svg+xml' in response.content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert response.context["secret"].replace(" ", "")
    confirmed = client.post("/accounts/two-factor/app/", {"token": totp_code(device)})
    assert confirmed["Location"] == SETUP
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.OTP_ENROLLED).exists()


def test_a_wrong_first_code_leaves_the_app_unconfirmed(client):
    user = make_user("clerk")
    client.force_login(user)
    client.get("/accounts/two-factor/app/")
    response = client.post("/accounts/two-factor/app/", {"token": "000000"})
    assert response.status_code == 400
    assert response.context["form"].errors["token"] == ["The code is not correct."]
    assert not TOTPDevice.objects.get(user=user).confirmed


def test_sms_set_up_sends_a_code_through_the_outbox(client):
    user = make_user("clerk", phone="13812345678")
    client.force_login(user)
    response = client.post("/accounts/two-factor/message/", {"channel": "sms"})
    assert response["Location"] == "/accounts/two-factor/message/"
    message = Message.objects.get(purpose="sign_in_code")
    assert message.channel == "sms" and message.recipient == "13812345678"
    device = MessageDevice.objects.get(user=user)
    assert device.token in message.body and not device.confirmed
    assert client.get("/accounts/two-factor/message/").status_code == 200
    confirmed = client.post("/accounts/two-factor/message/", {"token": device.token})
    assert confirmed["Location"] == SETUP
    device.refresh_from_db()
    assert device.confirmed


def test_email_set_up_needs_an_email_address(client):
    user = make_user("clerk")
    client.force_login(user)
    response = client.post("/accounts/two-factor/message/", {"channel": "email"}, follow=True)
    assert "Add an email address to your profile first." in response.content.decode()
    assert not MessageDevice.objects.filter(user=user).exists()


def test_a_device_can_be_removed_by_its_owner_only(client):
    owner = make_user("clerk")
    device = app_device(owner)
    form = {"device": device.persistent_id}
    client.force_login(make_user("other"))
    assert client.post("/accounts/two-factor/remove/", form).status_code == 404
    client.force_login(owner)
    response = client.post("/accounts/two-factor/remove/", form)
    assert response["Location"] == SETUP
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_a_bad_device_id_is_not_found(client):
    client.force_login(make_user("clerk"))
    assert client.post("/accounts/two-factor/remove/", {"device": "nonsense"}).status_code == 404


# -- signing in ------------------------------------------------------------------------------


def test_without_a_device_the_password_alone_signs_in(client):
    make_user("clerk")
    assert password_step(client)["Location"] == "/inbox/"


def test_with_an_app_the_password_leads_to_the_code_step_not_signed_in(client):
    device = app_device(make_user("clerk"))
    response = password_step(client)
    assert response["Location"] == CODE
    assert "_auth_user_id" not in client.session
    assert client.get("/inbox/").status_code == 302  # not signed in yet
    page = client.get(CODE)
    assert page.status_code == 200 and page.context["has_app"]
    done = client.post(CODE, {"token": totp_code(device)})
    assert done["Location"] == "/inbox/"
    assert "_auth_user_id" in client.session
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/inbox/").status_code == 200


def test_a_wrong_code_keeps_the_user_out(client):
    user = make_user("clerk")
    app_device(user)
    password_step(client)
    response = client.post(CODE, {"token": "000000"})
    assert response.status_code == 400
    assert "The code is not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.OTP_FAILED).exists()


def test_five_wrong_codes_end_the_attempt(client):
    device = app_device(make_user("clerk"))
    password_step(client)
    for _ in range(5):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
        response = client.post(CODE, {"token": "000000"})
    assert response["Location"] == LOGIN
    assert client.post(CODE, {"token": totp_code(device)})["Location"] == LOGIN


def test_the_code_step_needs_the_password_step(client):
    assert client.get(CODE)["Location"] == LOGIN


def test_the_code_step_expires(client):
    device = app_device(make_user("clerk"))
    password_step(client)
    session = client.session
    session["accounts_pending_sign_in"]["since"] -= 11 * 60
    session.save()
    assert client.post(CODE, {"token": totp_code(device)})["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_an_sms_device_gets_its_code_sent_on_the_code_step(client):
    user = make_user("clerk", phone="13812345678")
    device = message_device(user)
    password_step(client)
    page = client.get(CODE)
    assert not page.context["has_app"]
    device.refresh_from_db()
    assert Message.objects.filter(purpose="sign_in_code", recipient="13812345678").count() == 1
    client.get(CODE)  # a reload does not send another
    assert Message.objects.filter(purpose="sign_in_code").count() == 1
    assert client.post(CODE, {"token": device.token})["Location"] == "/inbox/"


def test_a_new_code_can_be_asked_for(client):
    user = make_user("clerk", phone="13812345678")
    message_device(user)
    password_step(client)
    client.get(CODE)
    response = client.post(CODE, {"send": "1"})
    assert response["Location"] == CODE
    assert Message.objects.filter(purpose="sign_in_code").count() == 2


def test_the_code_step_still_respects_the_lockout(client):
    app_device(make_user("clerk"))
    for _ in range(5):
        client.post(LOGIN, {"username": "clerk", "password": "bad"})
    assert password_step(client).status_code == 403
    assert "accounts_pending_sign_in" not in client.session


# -- when it is required ---------------------------------------------------------------------


def test_required_user_without_device_signs_in_then_must_set_one_up(client):
    make_user("clerk", require_two_factor=True)
    assert password_step(client)["Location"] == "/inbox/"
    assert client.get("/inbox/")["Location"] == SETUP
    page = client.get(SETUP)
    assert page.context["required"] and not page.context["devices"]
    assert "requires a second factor" in page.content.decode()


def test_setting_up_the_required_factor_opens_the_application(client):
    user = make_user("clerk", require_two_factor=True)
    client.force_login(user)
    client.get("/accounts/two-factor/app/")
    device = TOTPDevice.objects.get(user=user)
    client.post("/accounts/two-factor/app/", {"token": totp_code(device)})
    assert client.get("/inbox/").status_code == 200


def test_a_session_begun_before_the_requirement_verifies_with_an_existing_device(client):
    user = make_user("clerk", require_two_factor=True)
    device = app_device(user)
    client.force_login(user)
    assert client.get("/inbox/")["Location"] == SETUP
    assert client.post(SETUP, {"token": totp_code(device)})["Location"] == "/"
    assert client.get("/inbox/").status_code == 200


def test_needs_second_factor_rules():
    plain = make_user("plain")
    assert not services.needs_second_factor(plain)
    app_device(plain)
    assert services.needs_second_factor(plain)
    assert services.needs_second_factor(make_user("required", require_two_factor=True))
    resident = make_user("resident", kind="resident", require_two_factor=True)
    assert not services.requires_second_factor(resident)
