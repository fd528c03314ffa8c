"""Filters of the audit log, the security log and the message outbox."""

import django_filters
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courtyard.accounts.choices import SecurityEventKind
from courtyard.accounts.models import SecurityEvent
from courtyard.core import messaging
from courtyard.core.audit import SOURCES
from courtyard.core.choices import MessageChannel, MessageStatus
from courtyard.core.filters import BaseFilterSet
from courtyard.core.forms import DateInput
from courtyard.core.models import Message

ANY = _("Any")
ACTIONS = [
    (LogEntry.Action.CREATE, _("Created")),
    (LogEntry.Action.UPDATE, _("Changed")),
    (LogEntry.Action.DELETE, _("Deleted")),
]


def date_filter(field_name, lookup, label):
    return django_filters.DateFilter(
        field_name=field_name,
        lookup_expr=lookup,
        label=label,
        widget=DateInput(),
    )


def audited_types():
    """(content type id, model name) of every audited model, for the object type filter."""
    types = ContentType.objects.get_for_models(*auditlog.get_models())
    return sorted(
        ((ct.pk, str(model._meta.verbose_name).capitalize()) for model, ct in types.items()),
        key=lambda choice: choice[1],
    )


class AuditLogFilterSet(BaseFilterSet):
    search_fields = ("object_repr",)
    date_from = date_filter("timestamp", "date__gte", _("From"))
    date_to = date_filter("timestamp", "date__lte", _("To"))
    actor = django_filters.CharFilter(method="by_actor", label=_("By"))
    object_type = django_filters.ChoiceFilter(
        field_name="content_type", choices=audited_types, label=_("Object type"), empty_label=ANY
    )
    action = django_filters.ChoiceFilter(choices=ACTIONS, label=_("Action"), empty_label=ANY)
    source = django_filters.ChoiceFilter(
        field_name="additional_data__source",
        choices=list(SOURCES.items()),
        label=_("Source"),
        empty_label=ANY,
    )

    class Meta:
        model = LogEntry
        fields = []

    def by_actor(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(actor__username__icontains=value) | Q(actor__full_name__icontains=value)
        )


class SecurityEventFilterSet(BaseFilterSet):
    search_fields = ("username", "detail")
    kind = django_filters.ChoiceFilter(
        choices=SecurityEventKind.choices, label=_("Event"), empty_label=ANY
    )
    username = django_filters.CharFilter(lookup_expr="icontains", label=_("Username"))
    date_from = date_filter("at", "date__gte", _("From"))
    date_to = date_filter("at", "date__lte", _("To"))

    class Meta:
        model = SecurityEvent
        fields = []


class MessageFilterSet(BaseFilterSet):
    search_fields = ("recipient", "subject")
    channel = django_filters.ChoiceFilter(
        choices=MessageChannel.choices, label=_("Channel"), empty_label=ANY
    )
    status = django_filters.ChoiceFilter(
        choices=MessageStatus.choices, label=_("Status"), empty_label=ANY
    )
    purpose = django_filters.ChoiceFilter(
        choices=messaging.purpose_choices, label=_("Purpose"), empty_label=ANY
    )
    date_from = date_filter("created_at", "date__gte", _("From"))
    date_to = date_filter("created_at", "date__lte", _("To"))

    class Meta:
        model = Message
        fields = []
