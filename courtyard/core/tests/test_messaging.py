import hashlib
import hmac

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend

from courtyard.core import messaging
from courtyard.core.choices import MessageChannel, MessageStatus
from courtyard.core.messaging import (
    MAX_ATTEMPTS,
    DeliveryError,
    SignedHttpAdapter,
    queue_message,
    template_text,
)
from courtyard.core.models import Message
from courtyard.core.tasks import redeliver_stuck_messages

pytestmark = pytest.mark.django_db
HERE = "courtyard.core.tests.test_messaging"


class FlakyAdapter(messaging.ChannelAdapter):
    """Fails with a retryable error while ``failures`` lasts, then accepts."""

    failures = 0

    def deliver(self, message):
        if FlakyAdapter.failures:
            FlakyAdapter.failures -= 1
            raise DeliveryError("UNAVAILABLE: gateway busy", retryable=True)
        return "gw-42"


class RefusingAdapter(messaging.ChannelAdapter):
    def deliver(self, message):
        raise DeliveryError("INVALID_NUMBER: no such subscriber", retryable=False)


class BrokenMailBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server refused the connection")


@pytest.fixture
def sms_adapter(settings):
    def use(name):
        settings.MESSAGE_ADAPTERS = {**settings.MESSAGE_ADAPTERS, "sms": f"{HERE}.{name}"}

    return use


def queue_sms(capture, body="您的账单已生成"):
    with capture(execute=True):
        message = queue_message(MessageChannel.SMS, "13812345678", body, purpose="bill")
    message.refresh_from_db()
    return message


def test_queued_message_is_delivered_by_the_task_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = queue_message(MessageChannel.SMS, "13812345678", "hello")
    assert Message.objects.get(pk=message.pk).status == MessageStatus.QUEUED
    assert len(callbacks) == 1
    callbacks[0]()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.provider_ref.startswith("local-")
    assert message.attempts == 1 and message.sent_at is not None


def test_retryable_failure_stays_queued_and_is_retried(
    sms_adapter, django_capture_on_commit_callbacks
):
    sms_adapter("FlakyAdapter")
    FlakyAdapter.failures = 1
    message = queue_sms(django_capture_on_commit_callbacks)
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 1 and "gateway busy" in message.last_error
    redeliver_stuck_messages()  # the periodic sweep (or the task's own retry) sends it again
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 2 and message.provider_ref == "gw-42"
    assert message.last_error == ""


def test_non_retryable_failure_fails_at_once(sms_adapter, django_capture_on_commit_callbacks):
    sms_adapter("RefusingAdapter")
    message = queue_sms(django_capture_on_commit_callbacks)
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 1 and message.last_error.startswith("INVALID_NUMBER")
    assert messaging.deliver(message.pk) is False  # a failed message is not sent again


def test_retryable_failure_gives_up_after_the_maximum_attempts(sms_adapter):
    sms_adapter("FlakyAdapter")
    FlakyAdapter.failures = MAX_ATTEMPTS + 1
    message = Message.objects.create(channel=MessageChannel.SMS, recipient="138", body="x")
    outcomes = [messaging.deliver(message.pk) for _ in range(MAX_ATTEMPTS)]
    assert outcomes == [True] * (MAX_ATTEMPTS - 1) + [False]
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.attempts == MAX_ATTEMPTS
    FlakyAdapter.failures = 0


def test_email_goes_through_the_django_mail_backend(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_message(
            MessageChannel.EMAIL, "wang@example.com", "Your bill is ready", subject="Bill"
        )
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.provider_ref == f"email-{message.pk}"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["wang@example.com"] and sent.subject == "Bill"
    assert sent.body == "Your bill is ready"


def test_unreachable_mail_server_is_a_retryable_failure(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{HERE}.BrokenMailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_message(MessageChannel.EMAIL, "wang@example.com", "x")
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.attempts == 1
    assert "refused" in message.last_error


def test_app_notices_are_delivered_by_becoming_visible(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_message(MessageChannel.APP, "inbox", "Water off on Friday")
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.provider_ref == f"app-{message.pk}"


class FakeGateway(SignedHttpAdapter):
    def __init__(self, answer):
        super().__init__(key_id="K1", secret="s3cret")
        self.answer = answer
        self.sent = None

    def post(self, params):
        self.sent = params
        return self.answer


def test_signature_is_hmac_sha256_over_the_sorted_parameters():
    adapter = SignedHttpAdapter(key_id="K1", secret="s3cret")
    expected = hmac.new(b"s3cret", b"a=1&b=two&to=138", hashlib.sha256).hexdigest()
    assert adapter.sign({"to": "138", "b": "two", "a": 1}) == expected
    assert adapter.sign({"a": 1, "b": "two", "to": "138"}) == expected
    assert SignedHttpAdapter(secret="other").sign({"a": 1, "b": "two", "to": "138"}) != expected


def test_gateway_request_is_signed_and_ok_answer_gives_the_reference():
    gateway = FakeGateway({"code": "OK", "ref": 9001})
    message = Message(channel=MessageChannel.SMS, recipient="13812345678", body="hi")
    assert gateway.deliver(message) == "9001"
    params = dict(gateway.sent)
    signature = params.pop("signature")
    assert signature == gateway.sign(params)
    assert params["to"] == "13812345678" and params["key"] == "K1" and params["text"] == "hi"


@pytest.mark.parametrize(
    "answer,retryable",
    [
        ({"code": "THROTTLED", "message": "slow down"}, True),
        ({"code": "UNAVAILABLE"}, True),
        ({"code": "TIMEOUT"}, True),
        ({"code": "INVALID_NUMBER", "message": "bad number"}, False),
        ({}, False),
    ],
)
def test_gateway_error_answers_say_whether_to_retry(answer, retryable):
    with pytest.raises(DeliveryError) as error:
        SignedHttpAdapter().parse(answer)
    assert error.value.retryable is retryable
    assert str(answer.get("code", "")) in str(error.value)


def test_template_accepts_known_variables_and_renders_them():
    text = "{owner_name}, room {room_no} owes {amount} by {due_date}. {{not a variable}}"
    template_text.check(text, ["owner_name", "room_no", "amount", "due_date"])
    rendered = template_text.render(
        text, {"owner_name": "王先生", "room_no": "3-1201", "amount": "120.00", "due_date": "6/1"}
    )
    assert rendered == "王先生, room 3-1201 owes 120.00 by 6/1. {not a variable}"


def test_template_rejects_unknown_variables_naming_them():
    with pytest.raises(ValidationError) as error:
        template_text.check("{owner_name} {balance} {iban}", ["owner_name"])
    assert error.value.code == "unknown_variable"
    assert "{balance}, {iban}" in error.value.messages[0]


@pytest.mark.parametrize(
    "text", ["{user.password}", "{0}", "{items[0]}", "{amount!r}", "{amount:>10}", "{}"]
)
def test_template_rejects_attribute_index_and_format_tricks(text):
    with pytest.raises(ValidationError) as error:
        template_text.check(text, ["user", "amount", "items"])
    assert error.value.code == "bad_variable"


def test_template_rejects_unbalanced_braces():
    with pytest.raises(ValidationError) as error:
        template_text.check("Dear {owner_name", ["owner_name"])
    assert error.value.code == "bad_template"


def test_rendering_never_evaluates_the_field():
    class Secretive:
        password = "hunter2"

        def __str__(self):
            return "a user"

    context = {"user": Secretive()}
    assert template_text.render("{user}", context) == "a user"
    assert template_text.render("{user.password}|{user.__class__}", context) == "|"
    assert template_text.render("{missing}", context) == ""
