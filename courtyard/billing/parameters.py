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
