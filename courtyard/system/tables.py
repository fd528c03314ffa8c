"""Tables of the system pages: sortable columns and pagination (rows are drawn by the page
templates, which add badges, masking and readable changes)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courtyard.core.tables import Column, Table


class AuditLogTable(Table):
    default_order = ("-timestamp", "-pk")
    per_page = 50

    timestamp = Column(label=_("Time"))
    actor = Column(label=_("By"), order_by="actor__username")
    source = Column(label=_("Source"), orderable=False)
    content_type = Column(label=_("Object type"), orderable=False)
    object_repr = Column(label=_("Object"))
    action = Column(label=_("Action"))
    changes = Column(label=_("Changes"), orderable=False)


class SecurityEventTable(Table):
    default_order = ("-at", "-pk")
    per_page = 50

    at = Column(label=_("Time"))
    kind = Column(label=_("Event"))
    username = Column(label=_("Username"))
    actor = Column(label=_("By"), orderable=False)
    ip_address = Column(label=_("IP address"), orderable=False)
    source = Column(label=_("Source"), orderable=False)
    detail = Column(label=_("Detail"), orderable=False)


class MessageTable(Table):
    default_order = ("-created_at", "-pk")

    channel = Column(label=_("Channel"))
    recipient = Column(label=_("Recipient"))
    purpose = Column(label=_("Purpose"))
    status = Column(label=_("Status"))
    attempts = Column(label=_("Attempts"))
    provider_ref = Column(label=_("Provider reference"), orderable=False)
    created_at = Column(label=_("Created"))
    sent_at = Column(label=pgettext_lazy("time", "Sent"))
