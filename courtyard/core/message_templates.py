"""Message texts that modules register and administrators reword on one page.

A module registers its templates when it loads (from its ``apps.ready``)::

    register("billing.reminder", label=_("Payment reminder"), group=_("Fees and payments"),
             variables={"owner_name": _("Owner name"), "amount": _("Amount due")},
             default_body="{owner_name}您好，……")

and renders them with ``render("billing.reminder", {"owner_name": ..., ...})``, which returns
``(subject, body)``: the administrator's stored text when there is one, else the default.
Texts use plain ``{name}`` fields only (``core.messaging.template_text``); a missing value
renders empty. Stored texts are cached, so a bill run that renders thousands of messages
reads the table once.
"""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .messaging import template_text

CACHE_KEY = "courtyard:message-templates"
SUBJECT_MAX_LENGTH = 200  # MessageTemplate.subject


@dataclass(frozen=True)
class MessageTemplateDefinition:
    key: str
    label: str
    variables: dict
    default_body: str
    default_subject: str = ""
    group: str = ""
    samples: dict = field(default_factory=dict)

    def check(self, subject, body):
        """Raise ValidationError keyed by field ("subject", "body") for an empty body, malformed
        braces or variables this template does not offer."""
        errors = {}
        if not body.strip():
            errors["body"] = ValidationError(_("This field is required."), code="required")
        if len(subject) > SUBJECT_MAX_LENGTH:
            errors["subject"] = ValidationError(
                _("Keep the subject to %(max)s characters."),
                code="max_length",
                params={"max": SUBJECT_MAX_LENGTH},
            )
        for name, text in (("subject", subject), ("body", body)):
            try:
                template_text.check(text, self.variables)
            except ValidationError as exc:
                errors.setdefault(name, exc)
        if errors:
            raise ValidationError(errors)

    def sample_context(self):
        """Example values for previews: the registered samples, else each variable's label."""
        return {
            name: self.samples.get(name, f"[{label}]") for name, label in self.variables.items()
        }

    def preview(self, subject, body):
        context = self.sample_context()
        return template_text.render(subject, context), template_text.render(body, context)


_registry: dict[str, MessageTemplateDefinition] = {}


def register(key, *, label, variables, default_body, default_subject="", group="", samples=None):
    """Make a message editable; ``samples`` (variable → example value) feed the page's preview."""
    definition_ = MessageTemplateDefinition(
        key, label, dict(variables), default_body, default_subject, group, dict(samples or {})
    )
    # Defaults are code: a typo in one would otherwise only show when the message is sent.
    definition_.check(default_subject, default_body)
    _registry[key] = definition_


def registered():
    return list(_registry.values())


def definition(key):
    return _registry[key]


def stored_texts():
    """{key: (subject, body)} of the administrators' texts, cached until the next save."""
    texts = cache.get(CACHE_KEY)
    if texts is None:
        from .models import MessageTemplate

        texts = {
            key: (subject, body)
            for key, subject, body in MessageTemplate.objects.values_list("key", "subject", "body")
        }
        cache.set(CACHE_KEY, texts, 300)
    return texts


def current(key):
    """(subject, body, customised) as they render now, before the values go in."""
    template = _registry[key]
    stored = stored_texts().get(key)
    if stored is None:
        return template.default_subject, template.default_body, False
    return stored[0], stored[1], True


def render(key, context):
    subject, body, _customised = current(key)
    return template_text.render(subject, context), template_text.render(body, context)


def forget_cache():
    # Now (the writer reads its own write) and after commit (another process may have
    # cached the old texts in between).
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def _normalise(text):
    """Browsers send a textarea's line breaks as CRLF; messages keep plain newlines."""
    return (text or "").replace("\r\n", "\n").strip()


def save(key, *, subject, body, user=None):
    """Validate and store an administrator's text (raises ValidationError keyed by field).

    Saving the default text unchanged keeps no stored copy, so that a later improvement of the
    default reaches this installation. Returns whether anything changed. No permission check
    here: ``system.services.save_message_template`` is the service.
    """
    from .models import MessageTemplate

    template = _registry[key]
    subject, body = _normalise(subject), _normalise(body)
    template.check(subject, body)
    if (subject, body) == (template.default_subject, template.default_body):
        return restore_default(key, user)
    with transaction.atomic():
        stored = MessageTemplate.objects.select_for_update().filter(key=key).first()
        if stored is not None and (stored.subject, stored.body) == (subject, body):
            return False
        if stored is None:
            stored = MessageTemplate(key=key)
        stored.subject, stored.body, stored.updated_by = subject, body, user
        stored.save()
        forget_cache()
    return True


def restore_default(key, user=None):
    """Drop the administrator's text so that the default applies again; returns whether there
    was one."""
    from .models import MessageTemplate

    _registry[key]  # noqa: B018  (an unknown key raises KeyError, as in the other calls)
    with transaction.atomic():
        stored = MessageTemplate.objects.select_for_update().filter(key=key).first()
        if stored is None:
            return False
        stored.delete()
        forget_cache()
    return True
