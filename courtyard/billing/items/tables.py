"""Tables of charge items and parking spaces; their columns are also the export columns."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courtyard.core.tables import Column, Table

from .selectors import applies_to_text, describe, rate_unit, use_label


class DefaultRateColumn(Column):
    """The item's default rates with what they are a price of: “2.50 / m² · month (shop 4.00)”."""

    def value(self, obj):
        rates = getattr(obj, "default_rates", None) or []
        unit = rate_unit(obj)
        parts = []
        for rate in rates:
            describe(rate, obj)
            text = f"{rate.figure} / {unit}" if unit else rate.figure
            if rate.tiers:
                text += " " + str(_("(tiered)"))
            if rate.unit_use:
                text = f"{use_label(obj, rate.unit_use)}: {text}"
            parts.append(text)
        return "; ".join(parts)


class AppliesToColumn(Column):
    def value(self, obj):
        return applies_to_text(obj)


class ChargeItemTable(Table):
    default_order = ("sort_order", "code")

    name = Column(label=_("Name"), link=True)
    code = Column(label=pgettext_lazy("identifier", "Code"))
    kind = Column(label=_("Kind"))
    pricing = Column(label=_("Pricing rule"))
    default_rate = DefaultRateColumn(label=_("Default rate"), orderable=False)
    cycle = Column(label=_("Billing cycle"))
    due_days = Column(label=_("Due after (days)"))
    applies_to = AppliesToColumn(label=_("Applies to"), orderable=False)
    is_active = Column(label=_("Active"))


class ParkingSpaceTable(Table):
    default_order = ("estate__name", "code")

    code = Column(label=_("Space number"), link=True)
    estate = Column("estate__name", label=_("Estate"))
    area = Column(label=_("Area / level"))
    kind = Column(label=_("Kind"))
    resident = Column("resident__name", label=_("Resident"))
    vehicle = Column("vehicle__plate", label=_("Vehicle"))
    unit = Column("unit", label=_("Billed to unit"), order_by="unit__room_no")
    is_active = Column(label=_("In use"))
