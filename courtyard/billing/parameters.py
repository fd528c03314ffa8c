"""The billing parameters: when usage is suspicious, and the grace before a bill is overdue."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from courtyard.core.parameters import DECIMAL, INT, register

GROUP = _("Fees and payments")

register(
    "billing.usage_flag_factor",
    kind=DECIMAL,
    default=Decimal("3"),
    minimum=Decimal("1.5"),
    maximum=Decimal("20"),
    label=_("Flag meter readings whose usage is above this multiple of the usual usage"),
    group=GROUP,
    help_text=_("A flagged reading must be accepted by a reviewer before it is billed."),
)
register(
    "billing.usage_history_months",
    kind=INT,
    default=12,
    minimum=3,
    maximum=36,
    label=_("Months of history that give the usual (median) usage of a unit"),
    group=GROUP,
)
register(
    "billing.building_flag_factor",
    kind=DECIMAL,
    default=Decimal("5"),
    minimum=Decimal("1.5"),
    maximum=Decimal("50"),
    label=_(
        "Flag meter readings whose usage is above this multiple of the building's median "
        "usage of the month"
    ),
    group=GROUP,
    help_text=_("Judges units with little history of their own, e.g. a meter's first months."),
)
# The most one unit plausibly uses in a month, per meter type: above it a reading is flagged
# whatever its history (a typing slip of an extra digit).
USAGE_CEILINGS = {
    "water": (Decimal("100"), _("Flag a month's water usage above (m³)")),
    "electricity": (Decimal("3000"), _("Flag a month's electricity usage above (kWh)")),
    "gas": (Decimal("200"), _("Flag a month's gas usage above (m³)")),
}
for meter, (ceiling, label) in USAGE_CEILINGS.items():
    register(
        f"billing.usage_ceiling_{meter}",
        kind=DECIMAL,
        default=ceiling,
        minimum=Decimal("1"),
        maximum=Decimal("1000000"),
        label=label,
        group=GROUP,
    )
