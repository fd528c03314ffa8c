"""Pricing rules and billing periods (pure functions)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from courtyard.billing import periods, pricing
from courtyard.billing.choices import Cycle, Pricing


def test_per_area_is_rate_times_area_times_months_rounded_half_up():
    line = pricing.price(Pricing.PER_AREA, "2.55", months=3, area=Decimal("88.33"))
    assert line.amount == Decimal("675.72")  # 2.55 × 88.33 × 3 = 675.7245


def test_per_area_without_area_is_refused():
    with pytest.raises(ValidationError):
        pricing.price(Pricing.PER_AREA, "2.50", area=None)


def test_tiers_charge_each_part_of_the_usage_at_its_rate():
    tiers = pricing.parse_tiers([{"upto": "15", "rate": "3.50"}, {"upto": None, "rate": "5.25"}])
    line = pricing.metered(Decimal("20"), "3.50", tiers)
    assert line.amount == Decimal("78.75")  # 15 × 3.50 + 5 × 5.25
    assert [part["usage"] for part in line.detail["tiers"]] == ["15", "5"]


def test_tiers_must_rise_and_end_open():
    with pytest.raises(ValidationError):
        pricing.parse_tiers([{"upto": "15", "rate": "1"}, {"upto": "10", "rate": "2"}])
    with pytest.raises(ValidationError):
        pricing.parse_tiers([{"upto": "15", "rate": "1"}])


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        pricing.to_money(0.1)


@pytest.mark.parametrize("raw", ["-1", "0", "abc", "1.234", "NaN"])
def test_parse_money_refuses_bad_amounts(raw):
    with pytest.raises(ValidationError):
        pricing.parse_money(raw)


def test_periods_parse_and_span():
    quarter = periods.parse("2026-q4", Cycle.QUARTER)
    assert (quarter.start, quarter.end, quarter.months) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
        3,
    )
    assert quarter.month_labels() == ["2026-10", "2026-11", "2026-12"]
    assert periods.containing(date(2026, 2, 10), Cycle.MONTH).end == date(2026, 2, 28)
    with pytest.raises(ValidationError):
        periods.parse("2026-11", Cycle.YEAR)
