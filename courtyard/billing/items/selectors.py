"""Reads of charge items, rates and parking spaces, through the scope gate.

A rate's scope is its estate: a default rate (no estate) is seen by everyone who may view
rates, an estate's rate only by those whose scope covers the estate.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Prefetch, Q
from django.utils.translation import gettext as _

from courtyard.core.scoping import has_action, may_change_company_wide, restrict, user_scope
from courtyard.estates.choices import UnitUse

from ..choices import MeterType, ParkingKind, Pricing
from ..models import ChargeItem, ChargeRate, ParkingSpace
from ..selectors import rate_for

PARKING_RELATED = (
    "estate",
    "resident",
    "vehicle",
    "unit",
    "unit__estate",
    "unit__entrance",
    "unit__building",
)
CENT = Decimal("0.01")

# The quantity each rate is a price of, shown next to the figure (“2.50 / m² · month”).
METER_UNITS = {MeterType.WATER: "t", MeterType.ELECTRICITY: "kWh", MeterType.GAS: "m³"}


def figure(value):
    """A rate as people write it: two places, more only when they matter (0.6235)."""
    cents = value.quantize(CENT)
    return f"{cents:f}" if cents == value else f"{value.normalize():f}"


def rate_unit(item):
    """What one rate of ``item`` buys: “m² · month”, “t”, “space · month”; "" for an amount."""
    if item.pricing == Pricing.PER_AREA:
        return _("m² · month")
    if item.pricing == Pricing.PER_UNIT:
        return _("unit · month")
    if item.pricing == Pricing.PER_SPACE:
        return _("space · month")
    if item.pricing == Pricing.METERED:
        return METER_UNITS.get(item.meter_type, _("unit of usage"))
    return ""


def tier_lines(rate, unit=""):
    """A tiered rate in words: ["0–15 t: 3.50", "above 15 t: 5.25"]."""
    lines, lower = [], Decimal("0")
    for tier in rate.tiers or []:
        price = figure(Decimal(str(tier["rate"])))
        if tier.get("upto") in (None, ""):
            lines.append(
                _("above %(lower)s %(unit)s: %(rate)s")
                % {"lower": _bound(lower), "unit": unit, "rate": price}
            )
        else:
            upto = Decimal(str(tier["upto"]))
            lines.append(f"{_bound(lower)}–{_bound(upto)} {unit}: {price}")
            lower = upto
    return lines


def describe(rate, item=None):
    """Attach the words a page shows for ``rate``: figure, tier lines, the use it is for."""
    item = item or rate.item
    rate.figure = figure(rate.rate)
    if item.pricing == Pricing.FIXED and not rate.rate:
        rate.figure = _("typed on each bill")
    rate.tier_lines = tier_lines(rate, rate_unit(item))
    rate.use_text = use_label(item, rate.unit_use)
    return rate


def _bound(value):
    return f"{value.normalize():f}"


def use_label(item, use):
    """The unit use (or parking kind) a rate is limited to, in words; "" → every use."""
    if not use:
        return _("Every use") if item.pricing != Pricing.PER_SPACE else _("Every space")
    choices = ParkingKind if item.pricing == Pricing.PER_SPACE else UnitUse
    return str(dict(choices.choices).get(use, use))


def applies_to_text(item):
    if not item.applies_to:
        return _("Every unit use")
    labels = dict(UnitUse.choices)
    return ", ".join(str(labels.get(use, use)) for use in item.applies_to)


def visible_items(user, action="view"):
    return restrict(ChargeItem.objects.all(), user, action)


def items_with_default_rates(user):
    """The items list: each item with its default rates (one extra query for all)."""
    defaults = ChargeRate.objects.filter(estate__isnull=True).order_by("unit_use")
    return visible_items(user).prefetch_related(
        Prefetch("rates", queryset=defaults, to_attr="default_rates")
    )


def visible_rates(user, action="view"):
    """The default rates and those of the estates in the user's scope (ChargeRate's scope)."""
    return restrict(ChargeRate.objects.select_related("item", "estate"), user, action)


def rates_of(user, item):
    """An item's rates the user may see: the defaults first, then each estate's."""
    rates = (
        visible_rates(user)
        .filter(item=item)
        .order_by(F("estate__name").asc(nulls_first=True), "unit_use")
    )
    return [describe(rate, item) for rate in rates]


@dataclass
class RateRow:
    """One line of an estate's fee standards: an item for one use, its default, the estate's
    own rate, and the one in effect (``selectors.rate_for``: the estate's rate for every use
    comes before the default for this use)."""

    item: ChargeItem
    use: str
    default: ChargeRate | None = None
    own: ChargeRate | None = None
    effective: ChargeRate | None = None
    use_text: str = ""
    unit_text: str = ""


@dataclass
class RateTable:
    estate: object
    rows: list = field(default_factory=list)


def rate_table(user, estate):
    """费用标准 of one estate: every active item's rates by use, the estate's own beside the
    default (two queries). ``estate`` must lie in the user's scope (the view checks)."""
    items = list(visible_items(user).filter(is_active=True))
    rates = visible_rates(user).filter(Q(estate__isnull=True) | Q(estate=estate))
    by_item = {item.pk: [] for item in items}
    for rate in rates.filter(item__in=items):
        by_item[rate.item_id].append(describe(rate))
    table = RateTable(estate)
    for item in items:
        found = {(rate.estate_id, rate.unit_use): rate for rate in by_item[item.pk]}
        for use in sorted({use for (_estate, use) in found}) or [""]:
            table.rows.append(
                RateRow(
                    item,
                    use,
                    default=found.get((None, use)),
                    own=found.get((estate.pk, use)),
                    effective=rate_for(item, estate.pk, use, rates=by_item[item.pk]),
                    use_text=use_label(item, use),
                    unit_text=rate_unit(item),
                )
            )
    return table


def visible_parking_spaces(user, action="view"):
    return restrict(ParkingSpace.objects.select_related(*PARKING_RELATED), user, action)


def may_edit_rates(user, estate):
    """Whether ``user`` may set ``estate``'s own rates (None: the defaults)."""
    if not has_action(user, ChargeRate, "change") and not has_action(user, ChargeRate, "add"):
        return False
    if estate is None:
        return may_change_company_wide(user)
    return user_scope(user).covers(estate.pk)
