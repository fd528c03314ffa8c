"""Pricing rules: how much one bill line costs. Pure functions over Decimals, no database.

- per area: rate × floor area × months
- per unit / per parking space: rate × months
- metered: usage × rate, or, with tiers, each tier's rate on the usage that falls in it
- fixed: the rate itself

Each line is rounded once, to 2 places, ROUND_HALF_UP (the DESIGN's money rule); the unrounded
figures stay in the line's ``detail`` so that a bill can show its calculation.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import Pricing

CENT = Decimal("0.01")


def to_money(value):
    """``value`` rounded to cents, half up; refuses floats so that no float touches an amount."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(raw):
    """A positive amount typed by a person (``"320"``, ``"320.5"``); ValidationError otherwise."""
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter an amount such as 320.50."), code="bad_amount")
    if not value.is_finite() or value <= 0:
        raise ValidationError(_("The amount must be greater than zero."), code="bad_amount")
    if value != value.quantize(CENT):
        raise ValidationError(_("An amount has at most two decimal places."), code="bad_amount")
    return value.quantize(CENT)


@dataclass(frozen=True)
class Tier:
    upto: Decimal | None  # None: no upper bound (the last tier)
    rate: Decimal


@dataclass
class Line:
    """One priced bill line: quantity, (average) unit price, amount and how it was computed."""

    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    detail: dict = field(default_factory=dict)


def parse_tiers(raw):
    """Validated tiers from their stored form; ascending bounds, only the last one open."""
    tiers = []
    previous = Decimal("0")
    for index, entry in enumerate(raw or []):
        try:
            upto = None if entry.get("upto") in (None, "") else Decimal(str(entry["upto"]))
            rate = Decimal(str(entry["rate"]))
        except (InvalidOperation, KeyError, TypeError, AttributeError):
            raise ValidationError(_("Tier %(n)s is not valid.") % {"n": index + 1}, code="bad_tier")
        if rate < 0:
            raise ValidationError(_("A tier's rate cannot be negative."), code="bad_tier")
        if upto is not None and upto <= previous:
            raise ValidationError(_("Tier bounds must go up."), code="bad_tier")
        if upto is None and index != len(raw) - 1:
            raise ValidationError(_("Only the last tier may be open-ended."), code="bad_tier")
        tiers.append(Tier(upto, rate))
        previous = upto if upto is not None else previous
    if tiers and tiers[-1].upto is not None:
        raise ValidationError(_("The last tier must be open-ended."), code="bad_tier")
    return tiers


def metered(usage, rate, tiers=()):
    """usage × rate, or tiered: each tier's rate on the part of the usage inside it."""
    usage = Decimal(usage)
    if usage < 0:
        raise ValidationError(_("Usage cannot be negative."), code="bad_usage")
    if not tiers:
        return Line(usage, Decimal(rate), to_money(usage * Decimal(rate)), {"usage": str(usage)})
    parts, total, lower = [], Decimal("0"), Decimal("0")
    for tier in tiers:
        upper = usage if tier.upto is None else min(usage, tier.upto)
        if upper <= lower:
            break
        part = upper - lower
        total += part * tier.rate
        parts.append({"usage": str(part), "rate": str(tier.rate)})
        lower = upper
    average = (total / usage).quantize(Decimal("0.0001")) if usage else tiers[0].rate
    return Line(usage, average, to_money(total), {"usage": str(usage), "tiers": parts})


def price(pricing, rate, *, months=1, area=None, usage=None, tiers=()):
    """The line for one bill under ``pricing``; ValidationError when an input is missing."""
    rate = Decimal(rate)
    if pricing == Pricing.PER_AREA:
        if not area or Decimal(area) <= 0:
            raise ValidationError(_("The unit has no floor area."), code="no_area")
        quantity = Decimal(area) * months
        return Line(
            Decimal(area),
            rate,
            to_money(rate * quantity),
            {"area": str(area), "months": months, "rate": str(rate)},
        )
    if pricing in (Pricing.PER_UNIT, Pricing.PER_SPACE):
        return Line(Decimal(months), rate, to_money(rate * months), {"months": months})
    if pricing == Pricing.METERED:
        if usage is None:
            raise ValidationError(_("No meter reading for the period."), code="no_reading")
        return metered(usage, rate, tiers)
    return Line(Decimal("1"), rate, to_money(rate), {})
