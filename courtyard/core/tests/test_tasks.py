"""The batch delivery task that bill runs and notices queue after publishing."""

import pytest

from courtyard.core import messaging
from courtyard.core.choices import MessageChannel, MessageStatus
from courtyard.core.models import Message
from courtyard.core.tasks import deliver_messages_task

pytestmark = pytest.mark.django_db
HERE = "courtyard.core.tests.test_tasks"


class RefuseOne(messaging.ChannelAdapter):
    """Accepts every SMS but the one to 13800000000 (a retryable failure)."""

    def deliver(self, message):
        if message.recipient == "13800000000":
            raise messaging.DeliveryError("UNAVAILABLE: gateway busy", retryable=True)
        return f"gw-{message.pk}"


def test_a_batch_is_delivered_and_one_to_retry_stays_queued(settings):
    settings.MESSAGE_ADAPTERS = {**settings.MESSAGE_ADAPTERS, "sms": f"{HERE}.RefuseOne"}
    phones = ["13800000001", "13800000000", "13800000002"]
    messages = Message.objects.bulk_create(
        Message(channel=MessageChannel.SMS, recipient=phone, body="停水通知") for phone in phones
    )
    deliver_messages_task([m.pk for m in messages])  # immediate in tests
    status = dict(Message.objects.values_list("recipient", "status"))
    assert status == {
        "13800000001": MessageStatus.SENT,
        "13800000000": MessageStatus.QUEUED,
        "13800000002": MessageStatus.SENT,
    }
    assert Message.objects.get(recipient="13800000000").attempts == 1


def test_a_message_already_sent_or_gone_is_skipped():
    sent = Message.objects.create(
        channel=MessageChannel.APP, recipient="x", body="b", status=MessageStatus.SENT
    )
    deliver_messages_task([sent.pk, 999_999])
    sent.refresh_from_db()
    assert sent.attempts == 0
