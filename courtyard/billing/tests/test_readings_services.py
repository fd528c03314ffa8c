"""Meter reading services: every rule and refusal, and the batch's all-or-nothing write."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from courtyard.billing.models import MeterReading
from courtyard.billing.readings import services
from courtyard.billing.readings.services import Entry, ReadingRowsInvalid, shift_month
from courtyard.core import parameters
from courtyard.core.exceptions import StateConflict
from courtyard.core.timeline import events_for
from tests.factories import UnitFactory, make_user

from .factories import make_bill, make_reading

# Readings are kept only of the meters a charge item bills (water and electricity).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("items")]

THIS_MONTH = timezone.localdate().strftime("%Y-%m")
LAST_MONTH = shift_month(THIS_MONTH, -1)


def months_back(count):
    return shift_month(THIS_MONTH, -count)


def history(unit, usages, meter="water", start_reading=100):
    """Readings of the months before this one: the starting point, then ``usages``."""
    value = Decimal(start_reading)
    make_reading(unit, meter, months_back(len(usages) + 1), value, value)
    for offset, usage in enumerate(usages):
        previous, value = value, value + Decimal(usage)
        make_reading(unit, meter, months_back(len(usages) - offset), value, previous)
    return value


def codes(error):
    return [(row.index, row.field, row.code) for row in error.rows]


def test_usage_is_against_the_previous_reading(finance, unit):
    last = history(unit, [10, 12, 11])
    assert services.previous_reading(unit, "water", THIS_MONTH).reading == last
    reading = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading=last + 9
    )
    assert (reading.previous_reading, reading.usage, reading.is_flagged) == (last, 9, False)
    assert (reading.estate, reading.building, reading.created_by) == (
        unit.estate,
        unit.building,
        finance,
    )


def test_first_reading_is_the_meters_starting_point(finance, unit):
    reading = services.record_reading(
        finance, unit=unit, meter_type="electricity", period=THIS_MONTH, reading="3456.7"
    )
    assert reading.usage == 0 and reading.previous_reading == Decimal("3456.70")


def test_reading_below_the_previous_one_is_refused(finance, unit):
    last = history(unit, [10])
    with pytest.raises(ValidationError) as caught:
        services.record_reading(
            finance, unit=unit, meter_type="water", period=THIS_MONTH, reading=last - 1
        )
    assert caught.value.error_dict["reading"][0].code == "below_previous"
    assert str(last) in caught.value.messages[0]
    assert not MeterReading.objects.filter(period=THIS_MONTH).exists()


def test_previous_reading_may_lie_beyond_the_history_window(finance, unit):
    make_reading(unit, "water", months_back(30), "500", "500")
    with pytest.raises(ValidationError):
        services.record_reading(
            finance, unit=unit, meter_type="water", period=THIS_MONTH, reading="400"
        )
    reading = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading="520"
    )
    assert reading.usage == 20


def test_usage_above_factor_times_median_is_flagged_with_its_reason(finance, unit):
    last = history(unit, [10, 12, 11, 9, 14])  # median 11
    reading = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading=last + 34
    )
    assert reading.is_flagged and reading.needs_review
    assert "34.00" in reading.flag_reason and "median of 11.00" in reading.flag_reason
    assert [e.verb for e in events_for(reading)] == ["flagged"]


def test_usage_at_the_limit_is_not_flagged(finance, unit):
    last = history(unit, [10, 12, 11, 9, 14])
    reading = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading=last + 33
    )
    assert not reading.is_flagged


def test_flag_factor_and_history_come_from_the_parameters(finance, unit):
    parameters.set_value("billing.usage_flag_factor", "2")
    parameters.set_value("billing.usage_history_months", "3")
    # Old months of 100 lie outside the last three (10, 10, 10): 25 is over 2 × 10.
    last = history(unit, [100, 100, 100, 10, 10, 10])
    reading = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading=last + 25
    )
    assert reading.is_flagged and "over its last 3 months" in reading.flag_reason


def test_too_little_history_to_judge_is_flagged(finance, unit):
    last = history(unit, [1, 1])
    reading = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading=last + 5
    )
    assert reading.is_flagged and "too little history" in reading.flag_reason


def test_a_first_usage_far_above_the_buildings_median_is_flagged(finance, unit):
    # Issue 19: one earlier reading of 100, then 9,100 — the unit has no history of its own,
    # but its neighbours used about 10 that month.
    neighbours = [UnitFactory(entrance=unit.entrance) for _ in range(3)]
    for neighbour, usage in zip(neighbours, [9, 10, 12], strict=True):
        make_reading(neighbour, "water", THIS_MONTH, 100 + usage, 100)
    make_reading(unit, "water", LAST_MONTH, "100", "100")
    parameters.set_value("billing.usage_ceiling_water", "100000")  # the building alone judges
    reading = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading="9100"
    )
    assert reading.is_flagged and reading.needs_review
    assert "building's median of 10.00" in reading.flag_reason


def test_usage_near_the_buildings_median_is_not_flagged(finance, unit):
    neighbours = [UnitFactory(entrance=unit.entrance) for _ in range(3)]
    for neighbour, usage in zip(neighbours, [9, 10, 12], strict=True):
        make_reading(neighbour, "water", THIS_MONTH, 100 + usage, 100)
    make_reading(unit, "water", LAST_MONTH, "100", "100")
    reading = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading="111"
    )
    assert not reading.is_flagged


def test_a_batch_of_a_whole_building_judges_each_unit_by_the_others(finance, unit):
    units = [unit, *(UnitFactory(entrance=unit.entrance) for _ in range(4))]
    for room in units:
        make_reading(room, "water", LAST_MONTH, "100", "100")
    figures = ["110", "111", "109", "112", "400"]
    entries = [
        Entry(room, "water", THIS_MONTH, figure)
        for room, figure in zip(units, figures, strict=True)
    ]
    result = services.save_readings(finance, entries)
    assert [r.unit for r in result.flagged] == [units[4]]


def test_usage_above_the_meter_types_ceiling_is_flagged_whatever_the_history(finance, unit):
    parameters.set_value("billing.usage_ceiling_water", "50")
    last = history(unit, [60, 61, 59, 60])  # a steady 60: the unit's median does not mind
    reading = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading=last + 60
    )
    assert reading.is_flagged and "ceiling of 50" in reading.flag_reason
    electricity = history(unit, [60, 61, 59, 60], meter="electricity")
    reading = services.record_reading(
        finance, unit=unit, meter_type="electricity", period=THIS_MONTH, reading=electricity + 60
    )
    assert not reading.is_flagged


def test_the_starting_point_does_not_count_as_history(finance, unit):
    # Starting point, then 10, 10, 10: the median is 10, not pulled down by the start's 0.
    last = history(unit, [10, 10, 10])
    reading = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading=last + 25
    )
    assert not reading.is_flagged


def test_reviewer_accepts_a_flagged_reading(finance, unit):
    last = history(unit, [10, 10, 10])
    reading = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading=last + 90
    )
    services.accept_reading(finance, reading, note="业主装修，用水多")
    reading.refresh_from_db()
    assert reading.reviewed_by == finance and not reading.needs_review
    assert events_for(reading)[0].message == "业主装修，用水多"
    with pytest.raises(StateConflict) as caught:
        services.accept_reading(finance, reading)
    assert caught.value.code == "already_reviewed"


def test_accepting_needs_the_review_permission_and_a_flag(finance, unit, estate):
    reading = make_reading(unit, "water", THIS_MONTH, "10", "0", is_flagged=True)
    clerk = make_user(
        "reader", "billing.add_meterreading", "billing.view_meterreading", estates=[estate]
    )
    with pytest.raises(PermissionDenied):
        services.accept_reading(clerk, reading)
    plain = make_reading(unit, "water", LAST_MONTH, "5", "0")
    with pytest.raises(StateConflict) as caught:
        services.accept_reading(finance, plain)
    assert caught.value.code == "not_flagged"


def test_accepting_outside_the_scope_is_not_found(finance, other_estate):
    foreign = UnitFactory(entrance__building__estate=other_estate)
    reading = make_reading(foreign, "water", THIS_MONTH, "10", "0", is_flagged=True)
    with pytest.raises(Http404):
        services.accept_reading(finance, reading)


def test_correcting_the_latest_reading_recomputes_and_clears_the_review(finance, unit):
    last = history(unit, [10, 10, 10])
    reading = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading=last + 90
    )
    services.accept_reading(finance, reading)
    corrected = services.record_reading(
        finance, unit=unit, meter_type="water", period=THIS_MONTH, reading=last + 9
    )
    assert corrected.pk == reading.pk
    assert (corrected.usage, corrected.is_flagged, corrected.reviewed_at) == (9, False, None)
    assert events_for(corrected)[0].verb == "corrected"


def test_saving_the_same_figure_again_changes_nothing(finance, unit):
    make_reading(unit, "water", THIS_MONTH, "10", "0")
    result = services.save_readings(finance, [Entry(unit, "water", THIS_MONTH, "10.00")])
    assert (result.created, result.corrected, result.unchanged) == ([], [], 1)


def test_only_the_latest_reading_is_entered_or_corrected(finance, unit):
    make_reading(unit, "water", months_back(2), "10", "0")
    make_reading(unit, "water", THIS_MONTH, "30", "10")
    with pytest.raises(ReadingRowsInvalid) as caught:
        services.save_readings(
            finance,
            [Entry(unit, "water", months_back(2), "11"), Entry(unit, "water", LAST_MONTH, "20")],
        )
    assert codes(caught.value) == [
        (0, "period", "later_reading"),
        (1, "period", "later_reading"),
    ]


def test_billed_reading_cannot_change(finance, unit, items):
    make_reading(unit, "water", LAST_MONTH, "10", "0")
    start = date.fromisoformat(f"{LAST_MONTH}-01")
    make_bill(
        unit,
        items["water"],
        period=LAST_MONTH,
        period_start=start,
        period_end=start + timedelta(days=27),
    )
    with pytest.raises(ReadingRowsInvalid) as caught:
        services.save_readings(finance, [Entry(unit, "water", LAST_MONTH, "12")])
    assert codes(caught.value) == [(0, "reading", "billed")]


def test_correcting_needs_the_change_permission(unit, estate):
    make_reading(unit, "water", THIS_MONTH, "10", "0")
    reader = make_user("reader", "billing.add_meterreading", estates=[estate])
    with pytest.raises(ReadingRowsInvalid) as caught:
        services.save_readings(reader, [Entry(unit, "water", THIS_MONTH, "11")])
    assert codes(caught.value) == [(0, "reading", "cannot_correct")]


def test_entering_needs_the_add_permission(unit, estate):
    viewer = make_user("viewer", "billing.view_meterreading", estates=[estate])
    with pytest.raises(PermissionDenied):
        services.save_readings(viewer, [Entry(unit, "water", THIS_MONTH, "11")])


def test_bad_rows_are_reported_and_nothing_is_saved(finance, unit, other_estate):
    history(unit, [10, 10, 10])
    good = UnitFactory(entrance=unit.entrance)
    foreign = UnitFactory(entrance__building__estate=other_estate)
    tomorrow = timezone.localdate() + timedelta(days=1)
    entries = [
        Entry(good, "water", THIS_MONTH, "12"),
        Entry(unit, "water", THIS_MONTH, "1"),  # below the previous
        Entry(good, "steam", THIS_MONTH, "1"),
        Entry(good, "water", "2026/11", "1"),
        Entry(good, "water", shift_month(THIS_MONTH, 1), "1"),
        Entry(good, "electricity", THIS_MONTH, "-3"),
        Entry(good, "electricity", THIS_MONTH, "1.234"),
        Entry(good, "electricity", THIS_MONTH, "abc"),
        Entry(foreign, "water", THIS_MONTH, "5"),
        Entry(good, "water", THIS_MONTH, "13"),  # the first row again
        Entry(good, "electricity", LAST_MONTH, "1", tomorrow),
    ]
    with pytest.raises(ReadingRowsInvalid) as caught:
        services.save_readings(finance, entries)
    assert sorted(codes(caught.value)) == [
        (1, "reading", "below_previous"),
        (2, "meter_type", "bad_meter"),
        (3, "period", "bad_period"),
        (4, "period", "future_period"),
        (5, "reading", "bad_reading"),
        (6, "reading", "bad_reading"),
        (7, "reading", "bad_reading"),
        (8, "unit", "not_found"),
        (9, "period", "duplicate_row"),
        (10, "read_on", "bad_date"),
    ]
    assert "10 rows have errors" in caught.value.messages[0]
    assert not MeterReading.objects.filter(unit=good).exists()


def test_only_meters_that_a_charge_item_bills_are_read(finance, unit, items):
    with pytest.raises(ReadingRowsInvalid) as caught:
        services.save_readings(finance, [Entry(unit, "gas", THIS_MONTH, "1")])
    assert codes(caught.value) == [(0, "meter_type", "bad_meter")]
    items["water"].meter_type = "gas"
    items["water"].save()
    services.save_readings(finance, [Entry(unit, "gas", THIS_MONTH, "1")])
    assert MeterReading.objects.filter(unit=unit, meter_type="gas").exists()


def test_an_empty_batch_is_refused(finance):
    with pytest.raises(ValidationError) as caught:
        services.save_readings(finance, [])
    assert caught.value.code == "no_readings"


def test_a_batch_may_hold_several_months_of_one_meter(finance, unit):
    result = services.save_readings(
        finance,
        [
            Entry(unit, "water", THIS_MONTH, "130"),
            Entry(unit, "water", months_back(2), "100"),
            Entry(unit, "water", LAST_MONTH, "112"),
        ],
    )
    usages = {r.period: r.usage for r in MeterReading.objects.filter(unit=unit)}
    assert usages == {months_back(2): 0, LAST_MONTH: 12, THIS_MONTH: 18}
    assert len(result.created) == 3


def test_a_batch_month_below_the_one_before_in_the_same_batch_is_refused(finance, unit):
    with pytest.raises(ReadingRowsInvalid) as caught:
        services.save_readings(
            finance,
            [Entry(unit, "water", LAST_MONTH, "100"), Entry(unit, "water", THIS_MONTH, "90")],
        )
    assert codes(caught.value) == [(1, "reading", "below_previous")]


def test_batch_reads_history_in_a_few_queries(finance, estate, django_assert_max_num_queries):
    units = [UnitFactory(entrance__building__estate=estate) for _ in range(20)]
    for unit in units:
        history(unit, [10, 11, 12])
    entries = [Entry(unit, "water", THIS_MONTH, "200") for unit in units]
    # Checking reads a fixed number of queries (the billed meters and the building's month
    # among them); writing each (flagged) row is its insert in a savepoint, its audit entry
    # and its timeline event.
    with django_assert_max_num_queries(14 + 5 * len(units)):
        services.save_readings(finance, entries)


def test_latest_unbilled_reading_can_be_deleted(finance, unit):
    first = make_reading(unit, "water", LAST_MONTH, "10", "0")
    latest = make_reading(unit, "water", THIS_MONTH, "20", "10")
    with pytest.raises(StateConflict) as caught:
        services.delete_reading(finance, first)
    assert caught.value.code == "later_reading"
    services.delete_reading(finance, latest)
    assert list(MeterReading.objects.all()) == [first]
