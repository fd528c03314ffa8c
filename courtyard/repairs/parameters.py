"""The repairs parameters: SLA hours per urgency and the auto-close delay."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from courtyard.core.parameters import BOOL, DECIMAL, INT, register

GROUP = _("Repairs")

RESPONSE = [
    ("normal", "24", _("Response deadline, normal (hours)")),
    ("urgent", "4", _("Response deadline, urgent (hours)")),
    ("emergency", "0.5", _("Response deadline, emergency (hours)")),
]
RESOLUTION = [
    ("normal", "72", _("Resolution deadline, normal (hours)")),
    ("urgent", "24", _("Resolution deadline, urgent (hours)")),
    ("emergency", "4", _("Resolution deadline, emergency (hours)")),
]

for urgency, hours, label in RESPONSE:
    register(
        f"repairs.response_hours_{urgency}",
        kind=DECIMAL,
        default=Decimal(hours),
        minimum=Decimal("0.1"),
        maximum=Decimal("720"),
        label=label,
        group=GROUP,
        help_text=_("A new work order must be accepted within this many hours."),
    )
for urgency, hours, label in RESOLUTION:
    register(
        f"repairs.resolution_hours_{urgency}",
        kind=DECIMAL,
        default=Decimal(hours),
        minimum=Decimal("0.1"),
        maximum=Decimal("2160"),
        label=label,
        group=GROUP,
        help_text=_("A work order must be completed within this many hours of the report."),
    )
register(
    "repairs.auto_close_days",
    kind=INT,
    default=7,
    minimum=1,
    maximum=90,
    label=_("Close completed work orders automatically after (days)"),
    group=GROUP,
    help_text=_("A completed order the resident neither confirms nor rejects closes by itself."),
)
register(
    "repairs.notify_resident_by_sms",
    kind=BOOL,
    default=False,
    label=_("Also send residents an SMS about their repairs"),
    group=GROUP,
    help_text=_(
        "Residents always get an app notice when their repair is accepted, dispatched and "
        "completed; with this on, also an SMS to their phone."
    ),
)
