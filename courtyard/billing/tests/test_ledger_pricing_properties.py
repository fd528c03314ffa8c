"""Property-based tests (hypothesis) of pricing rules, tiers and money rounding.

Pure functions, no database: every property is checked on a few hundred generated inputs.
"""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from courtyard.billing import pricing
from courtyard.billing.choices import Pricing

settings.register_profile("billing", database=None, deadline=None, max_examples=200)
PROFILE = settings.get_profile("billing")
CENT = Decimal("0.01")


def decimals(low, high, places):
    """Decimals between ``low`` and ``high`` with exactly ``places`` decimal places."""
    scale = 10**places
    return st.integers(int(low * scale), int(high * scale)).map(
        lambda n: Decimal(n).scaleb(-places)
    )


usages = decimals(0, 5000, 2)
rates = decimals(0, 50, 4)


@st.composite
def tier_lists(draw):
    """1–4 tiers: rising bounds, the last open-ended, each with its own rate."""
    bounds = sorted(set(draw(st.lists(decimals(Decimal("0.01"), 500, 2), max_size=3))))
    tier_rates = draw(st.lists(rates, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    raw = [{"upto": str(b), "rate": str(r)} for b, r in zip(bounds, tier_rates, strict=False)]
    raw.append({"upto": None, "rate": str(tier_rates[-1])})
    return raw


def reference_tiered(usage, raw):
    """The tiered price computed the obvious way: each tier's slice of usage at its rate."""
    total, lower = Decimal("0"), Decimal("0")
    for tier in raw:
        upper = usage if tier["upto"] is None else min(usage, Decimal(tier["upto"]))
        if upper > lower:
            total += (upper - lower) * Decimal(tier["rate"])
            lower = upper
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


# Rounding -----------------------------------------------------------------------------------


@PROFILE
@given(decimals(-10000, 10000, 6))
def test_money_is_rounded_once_to_cents_half_up(value):
    money = pricing.to_money(value)
    assert money.as_tuple().exponent == -2
    assert abs(money - value) <= Decimal("0.005")
    assert pricing.to_money(money) == money  # rounding again changes nothing


@PROFILE
@given(st.integers(0, 10**8))
def test_half_a_cent_rounds_away_from_zero(cents):
    exact_half = Decimal(cents).scaleb(-2) + Decimal("0.005")
    assert pricing.to_money(exact_half) == Decimal(cents + 1).scaleb(-2)
    assert pricing.to_money(-exact_half) == -Decimal(cents + 1).scaleb(-2)


@PROFILE
@given(st.integers(1, 10**10))
def test_typed_amounts_parse_to_the_same_cents(cents):
    amount = Decimal(cents).scaleb(-2)
    assert pricing.parse_money(str(amount)) == amount
    assert pricing.parse_money(f"{amount:,}") == amount  # thousands separators are accepted


@PROFILE
@given(st.one_of(decimals(-1000, 0, 2).map(str), st.text(max_size=8)))
def test_typed_amounts_that_are_not_positive_money_are_refused(raw):
    try:
        value = Decimal(raw.strip().replace(",", ""))
        # Too large to have cents at all (quantize refuses, e.g. "1E+30"): not money either.
        is_cents = value.is_finite() and value == value.quantize(CENT)
    except Exception:
        value, is_cents = None, False
    assume(value is None or not is_cents or value <= 0)
    with pytest.raises(ValidationError):
        pricing.parse_money(raw)


# Pricing rules ------------------------------------------------------------------------------


@PROFILE
@given(rates, decimals(Decimal("0.01"), 1000, 2), st.sampled_from([1, 3, 12]))
def test_per_area_is_rate_times_area_times_months_rounded_once(rate, area, months):
    line = pricing.price(Pricing.PER_AREA, rate, months=months, area=area)
    assert line.amount == (rate * area * months).quantize(CENT, rounding=ROUND_HALF_UP)
    # Rounded once for the whole period, not per month: within half a cent of the exact sum.
    assert abs(line.amount - rate * area * months) <= Decimal("0.005")


@PROFILE
@given(rates, st.sampled_from([1, 3, 12]))
def test_per_unit_and_per_space_are_rate_times_months(rate, months):
    for rule in (Pricing.PER_UNIT, Pricing.PER_SPACE):
        line = pricing.price(rule, rate, months=months)
        assert line.amount == pricing.to_money(rate * months)


@PROFILE
@given(usages, tier_lists())
def test_tiered_amount_is_the_sum_of_the_tier_parts_rounded_once(usage, raw):
    tiers = pricing.parse_tiers(raw)
    line = pricing.metered(usage, "0", tiers)
    assert line.amount == reference_tiered(usage, raw)
    parts = line.detail["tiers"]
    assert sum((Decimal(p["usage"]) for p in parts), Decimal("0")) == usage
    exact = sum((Decimal(p["usage"]) * Decimal(p["rate"]) for p in parts), Decimal("0"))
    assert line.amount == pricing.to_money(exact)


@PROFILE
@given(usages, usages, tier_lists())
def test_tiered_amount_never_falls_as_usage_rises(first, second, raw):
    tiers = pricing.parse_tiers(raw)
    low, high = sorted((first, second))
    assert pricing.metered(low, "0", tiers).amount <= pricing.metered(high, "0", tiers).amount


@PROFILE
@given(usages, rates)
def test_one_open_tier_is_the_same_as_a_flat_rate(usage, rate):
    tiers = pricing.parse_tiers([{"upto": None, "rate": str(rate)}])
    assert pricing.metered(usage, rate, tiers).amount == pricing.metered(usage, rate).amount
    assert pricing.metered(usage, rate).amount == pricing.to_money(usage * rate)


@PROFILE
@given(usages, tier_lists())
def test_usage_within_the_first_tier_is_charged_at_its_rate(usage, raw):
    first = raw[0]
    assume(first["upto"] is None or usage <= Decimal(first["upto"]))
    line = pricing.metered(usage, "0", pricing.parse_tiers(raw))
    assert line.amount == pricing.to_money(usage * Decimal(first["rate"]))


@PROFILE
@given(st.lists(decimals(Decimal("0.01"), 100, 2), min_size=2, max_size=4, unique=True))
def test_tiers_out_of_order_are_refused(bounds):
    assume(bounds != sorted(bounds))
    raw = [{"upto": str(b), "rate": "1"} for b in bounds] + [{"upto": None, "rate": "2"}]
    with pytest.raises(ValidationError):
        pricing.parse_tiers(raw)


@PROFILE
@given(decimals(-1000, Decimal("-0.01"), 2))
def test_negative_usage_is_refused(usage):
    with pytest.raises(ValidationError):
        pricing.metered(usage, "1")
