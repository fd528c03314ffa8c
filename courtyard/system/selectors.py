"""Reads of the system pages: the maintenance state (cached for every process), the audit
trail, the security log and the message outbox."""

from dataclasses import dataclass
from datetime import UTC, datetime

from auditlog.models import LogEntry
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from courtyard.accounts.models import SecurityEvent
from courtyard.core import message_templates, messaging, parameters, privacy
from courtyard.core.models import Message, MessageTemplate, ParameterValue
from courtyard.core.scoping import restrict

from .models import MaintenanceWindow

CACHE_KEY = "courtyard:maintenance"
CACHE_SECONDS = 30  # a safety net: every switch also clears the cached state at once


@dataclass(frozen=True)
class MaintenanceState:
    is_on: bool = False
    until: datetime | None = None
    message: str = ""


def maintenance_state():
    """The current maintenance state, from the shared cache or the database."""
    cached = cache.get(CACHE_KEY)
    if cached is None:
        row = MaintenanceWindow.objects.filter(pk=MaintenanceWindow.SINGLETON_PK).first()
        cached = {
            "is_on": bool(row and row.is_on),
            "until": row.until.isoformat() if row and row.until else None,
            "message": row.message if row else "",
        }
        cache.set(CACHE_KEY, cached, CACHE_SECONDS)
    until = parse_datetime(cached["until"]) if cached["until"] else None
    return MaintenanceState(cached["is_on"], until, cached["message"])


def forget_maintenance_state():
    cache.delete(CACHE_KEY)


def is_maintenance_admin(user):
    """Administrators keep working during maintenance; everybody else waits."""
    return user.is_authenticated and (
        user.is_superuser or user.has_perm("system.change_maintenance")
    )


def audit_entries():
    return LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")


def security_events():
    return SecurityEvent.objects.select_related("user", "actor").order_by("-at", "-pk")


def messages_visible_to(user):
    return restrict(Message.objects.select_related("recipient_user"), user, "view")


def readable_changes(entries, viewer):
    """Give each log entry ``rows``: (field label, old, new) in words, resolving foreign keys
    with one query per related model for the whole page; phones masked unless ``viewer``
    sees them in full."""
    entries = list(entries)
    full_phones = privacy.sees_full_phone(viewer)
    wanted = {}  # related model -> set of primary keys
    for entry in entries:
        model = entry.content_type.model_class()
        # A generic relation (an approval's subject) points at records of several kinds: its
        # object id is resolved in the model its content type names, value by value.
        entry.generic_keys = _generic_keys(model, entry.changes or {})
        for keys in entry.generic_keys.values():
            for related, value in keys:
                if related is not None and value not in EMPTY:
                    wanted.setdefault(related, set()).add(value)
        for name, values in (entry.changes or {}).items():
            field = _field(model, name)
            if (
                field is not None
                and field.concrete
                and field.many_to_one
                and isinstance(values, list)
            ):
                wanted.setdefault(field.related_model, set()).update(
                    v for v in values if v not in EMPTY
                )
    parameter_labels = {p.key: str(p.label) for p in parameters.registered()}
    template_labels = {t.key: str(t.label) for t in message_templates.registered()}
    resolved = {}
    for model, pks in wanted.items():
        valid = set()
        for pk in pks:
            try:
                valid.add(model._meta.pk.to_python(pk))
            except ValidationError:  # a legacy value that is not a key: shown as stored
                continue
        resolved[model] = {str(k): str(v) for k, v in model._base_manager.in_bulk(valid).items()}
    for entry in entries:
        model = entry.content_type.model_class()
        entry.type_label = str(model._meta.verbose_name).capitalize() if model else ""
        entry.object_label = entry.object_repr
        if model is ParameterValue and entry.object_repr in parameter_labels:
            entry.object_label = parameter_labels[entry.object_repr]
        if model is MessageTemplate and entry.object_repr in template_labels:
            entry.object_label = template_labels[entry.object_repr]
        entry.rows = []
        masked = () if full_phones else privacy.phone_fields(model)
        for name, values in (entry.changes or {}).items():
            if name in masked:
                values = [privacy.mask_phone(v) for v in values]
            if name in entry.generic_keys:
                row = _generic_row(entry.generic_keys[name], resolved)
            else:
                row = _change_row(model, name, values, resolved)
            # A creation lists what was filled in, not every empty field.
            if row is not None and not (entry.action == LogEntry.Action.CREATE and row[2] == "—"):
                entry.rows.append(row)
    return entries


# Bookkeeping fields that say nothing the entry's time and actor do not already say.
NOT_SHOWN = {"id", "created_at", "updated_at", "created_by", "password"}
# How auditlog stores "no value".
EMPTY = (None, "None", "")


def _field(model, name):
    """The model's field ``name``, or None for a field since removed (old entries keep it)."""
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _generic_keys(model, changes):
    """{object id field: [(model, old id), (model, new id)]} for each generic relation of
    ``model`` whose object id the entry records."""
    keys = {}
    for relation in model._meta.private_fields if model is not None else ():
        if isinstance(relation, GenericForeignKey) and relation.fk_field in changes:
            types = _pair(changes.get(relation.ct_field))
            ids = _pair(changes[relation.fk_field])
            keys[relation.fk_field] = [
                (_model_of_type(t), i) for t, i in zip(types, ids, strict=True)
            ]
    return keys


def _pair(values):
    return ((list(values) if isinstance(values, list) else []) + [None, None])[:2]


def _model_of_type(type_id):
    if type_id in EMPTY:
        return None
    try:
        return ContentType.objects.get_for_id(int(type_id)).model_class()
    except (ValueError, ContentType.DoesNotExist):  # a content type since removed
        return None


def _generic_row(keys, resolved):
    (old_model, old), (new_model, new) = keys
    return (
        _("Record"),
        _shown_key(old_model, old, resolved),
        _shown_key(new_model, new, resolved),
    )


def _shown_key(model, value, resolved):
    if value in EMPTY:
        return "—"
    return resolved.get(model, {}).get(str(value), f"#{value}")


def _change_row(model, name, values, resolved):
    field = _field(model, name)
    if name in NOT_SHOWN or (field is not None and not field.concrete):
        return None  # reverse relations appear in some creation entries as noise
    label = getattr(field, "verbose_name", name) if field is not None else name
    if isinstance(values, dict):  # many-to-many: {"operation": "add", "objects": [...]}
        sign = "+" if values.get("operation") == "add" else "−"
        return label, "", " ".join(f"{sign}{o}" for o in values.get("objects", []))
    old, new = (list(values) + [None, None])[:2]
    return label, _shown(field, old, resolved), _shown(field, new, resolved)


def _shown(field, value, resolved):
    if value in EMPTY:
        return "—"
    if field is None:
        return str(value)
    if field.get_internal_type() == "DateTimeField":
        moment = parse_datetime(str(value))
        if moment is not None:
            if timezone.is_naive(moment):  # auditlog stores UTC
                moment = moment.replace(tzinfo=UTC)
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    if field.many_to_one:
        return _shown_key(field.related_model, value, resolved)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.get_internal_type() == "BooleanField":
        return _("Yes") if value in (True, "True") else _("No")
    return str(value)


def mask_recipient(message):
    """138****5678 for phone numbers, a***@example.com for addresses."""
    recipient = message.recipient or ""
    if "@" in recipient:
        name, _at, domain = recipient.partition("@")
        return f"{name[:1]}***@{domain}"
    return privacy.mask_phone(recipient)


def with_shown_recipient(messages, viewer):
    """Set ``shown_recipient``: in full for those the privacy policy lets see the recipient's
    phone (their own messages, or the full-identity permission), masked otherwise; and
    ``purpose_label``, the purpose in the viewer's language."""
    messages = list(messages)
    for message in messages:
        full = privacy.sees_full_phone(viewer, message.recipient_user)
        message.shown_recipient = message.recipient if full else mask_recipient(message)
        message.purpose_label = messaging.purpose_label(message.purpose) if message.purpose else ""
    return messages


def sign_in_refusal(user):
    """Why ``user`` may not sign in now (maintenance mode), or None."""
    if maintenance_state().is_on and not is_maintenance_admin(user):
        return _("System upgrade in progress: only administrators can sign in until it ends.")
    return None


def message_template_groups(forms):
    """[(group label, [forms])] in registration order, each form given ``stored`` (the
    administrator's row with who changed it last, or None), with one query."""
    keys = [form.template.key for form in forms]
    stored = MessageTemplate.objects.select_related("updated_by").in_bulk(keys, field_name="key")
    groups = {}
    for form in forms:
        form.stored = stored.get(form.template.key)
        groups.setdefault(str(form.template.group), []).append(form)
    return list(groups.items())


def message_template_history_url():
    """The audit log showing message template changes (add ``&q=<key>`` for one template)."""
    content_type = ContentType.objects.get_for_model(MessageTemplate)
    return f"{reverse('system:audit_log')}?object_type={content_type.pk}"
