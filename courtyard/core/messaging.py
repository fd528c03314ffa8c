"""The message outbox: render, queue, deliver through one channel interface, retry.

Services call ``queue_message`` inside their transaction; delivery happens in a Huey task
after commit. Email goes through Django's mail backends (SMTP when configured). SMS, voice
and WeChat go through a provider adapter (``settings.MESSAGE_ADAPTERS``); the default
``RecordingAdapter`` records the message in the database as handed to the provider, so a
deployment without a contract still has a complete, inspectable outbox.
"""

import hashlib
import hmac
import logging
import string
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from huey.contrib.djhuey import db_task

from .choices import MessageChannel, MessageStatus
from .exceptions import StateConflict
from .models import Message
from .scoping import require_action
from .timeline import record_event

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class DeliveryError(Exception):
    """A provider refused or failed a message; ``retryable`` says whether to try again."""

    def __init__(self, message, retryable=True):
        super().__init__(message)
        self.retryable = retryable


class ChannelAdapter:
    """One provider for one channel. ``deliver`` returns the provider's reference."""

    def deliver(self, message: Message) -> str:
        raise NotImplementedError


class RecordingAdapter(ChannelAdapter):
    """Default adapter: accepts the message and records a local reference, sending nothing."""

    def deliver(self, message):
        return f"local-{uuid.uuid4().hex[:16]}"


class EmailAdapter(ChannelAdapter):
    def deliver(self, message):
        try:
            send_mail(
                message.subject or str(_("Courtyard notification")),
                message.body,
                settings.DEFAULT_FROM_EMAIL,
                [message.recipient],
            )
        except OSError as exc:
            raise DeliveryError(str(exc)) from exc
        return f"email-{message.pk}"


class AppAdapter(ChannelAdapter):
    """App notices are read in Courtyard itself: delivering one is making it visible."""

    def deliver(self, message):
        return f"app-{message.pk}"


class SignedHttpAdapter(ChannelAdapter):
    """Base of HTTP gateway adapters (SMS, voice, WeChat): HMAC-signed request, parsed answer.

    A concrete provider sets ``endpoint`` and implements ``post``; signing and answer parsing
    are shared and tested here.
    """

    endpoint = ""

    def __init__(self, key_id="", secret=""):
        self.key_id = key_id
        self.secret = secret

    def sign(self, params):
        canonical = "&".join(f"{k}={params[k]}" for k in sorted(params))
        return hmac.new(self.secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()

    def parse(self, answer):
        code = str(answer.get("code", ""))
        if code == "OK":
            return str(answer["ref"])
        retryable = code in {"THROTTLED", "UNAVAILABLE", "TIMEOUT"}
        raise DeliveryError(f"{code}: {answer.get('message', '')}", retryable=retryable)

    def post(self, params):
        raise NotImplementedError

    def deliver(self, message):
        params = {
            "key": self.key_id,
            "to": message.recipient,
            "text": message.body,
            "nonce": uuid.uuid4().hex,
        }
        params["signature"] = self.sign(params)
        return self.parse(self.post(params))


def adapter_for(channel):
    if channel == MessageChannel.EMAIL:
        return EmailAdapter()
    if channel == MessageChannel.APP:
        return AppAdapter()
    return import_string(settings.MESSAGE_ADAPTERS[channel])()


class TemplateText(string.Formatter):
    """``str.format``-style templates limited to plain ``{name}`` fields: no attribute or index
    access, no conversions, so rendering never runs code or reaches into objects."""

    def fields(self, text):
        names = set()
        try:
            for _literal, field, spec, conversion in self.parse(text):
                if field is None:
                    continue
                if not field.isidentifier() or spec or conversion:
                    raise ValidationError(
                        _("“{%(field)s}” is not a plain variable."),
                        code="bad_variable",
                        params={"field": field},
                    )
                names.add(field)
        except ValueError:
            raise ValidationError(_("Unbalanced braces in the template."), code="bad_template")
        return names

    def check(self, text, allowed):
        unknown = self.fields(text) - set(allowed)
        if unknown:
            raise ValidationError(
                _("Unknown variables: %(names)s"),
                code="unknown_variable",
                params={"names": ", ".join(sorted("{" + n + "}" for n in unknown))},
            )

    def render(self, text, context):
        return "".join(
            literal + (str(context.get(field, "")) if field is not None else "")
            for literal, field, _spec, _conv in self.parse(text)
        )


template_text = TemplateText()


# Purposes: what each message is for, as the outbox shows and filters it. A module names
# the purposes its messages carry once, from its ``AppConfig.ready()``.
_PURPOSES = {}


def register_purposes(labels):
    """Name purposes: ``{"repair_sla_breaches": _("Repair deadlines missed"), …}``."""
    _PURPOSES.update(labels)


def purpose_label(key):
    """The purpose in the user's language; one nobody registered is shown as stored."""
    return _PURPOSES.get(key, key)


def purpose_choices():
    """(key, label) of every registered purpose, by label, for the outbox filter."""
    return sorted(((key, str(label)) for key, label in _PURPOSES.items()), key=lambda c: c[1])


def queue_message(channel, recipient, body, *, user=None, subject="", purpose=""):
    """Create one outbox row and deliver it after the surrounding transaction commits."""
    message = Message.objects.create(
        channel=channel,
        recipient=recipient,
        recipient_user=user,
        subject=str(subject),
        body=str(body),
        purpose=purpose,
    )
    transaction.on_commit(lambda: deliver_message_task(message.pk))
    return message


def deliver(message_id):
    """Try to deliver one queued message; returns True when it should be retried."""
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != MessageStatus.QUEUED:
            return False
        message.attempts += 1
        try:
            message.provider_ref = adapter_for(message.channel).deliver(message)
        except DeliveryError as exc:
            message.last_error = str(exc)[:2000]
            retry = exc.retryable and message.attempts < MAX_ATTEMPTS
            if not retry:
                message.status = MessageStatus.FAILED
            message.save(update_fields=["attempts", "last_error", "status"])
            logger.warning("message %s failed (attempt %s): %s", message.pk, message.attempts, exc)
            return retry
        message.status = MessageStatus.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["attempts", "provider_ref", "status", "sent_at", "last_error"])
        return False


@db_task(retries=4, retry_delay=30)
def deliver_message_task(message_id):
    if deliver(message_id):
        raise RuntimeError(f"message {message_id} not delivered yet; retrying")


@db_task()
def deliver_messages_task(message_ids):
    """Deliver a batch of queued messages (a bill run's or a notice's publishing, thousands at
    a time): one task per batch instead of one per message. A message to retry stays queued
    for ``redeliver_stuck_messages``."""
    for message_id in message_ids:
        deliver(message_id)


def retry_message(actor, message):
    """Queue a failed message again for a fresh round of delivery attempts."""
    require_action(actor, Message, "change")
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.status != MessageStatus.FAILED:
            raise StateConflict(_("Only a failed message can be sent again."), "not_failed")
        record_event(
            message,
            actor,
            "retried",
            _("Queued again after a failed delivery"),
            attempts=message.attempts,
            last_error=message.last_error,
        )
        message.status = MessageStatus.QUEUED
        message.attempts = 0
        message.save(update_fields=["status", "attempts"])
        transaction.on_commit(lambda: deliver_message_task(message.pk))
    return message
