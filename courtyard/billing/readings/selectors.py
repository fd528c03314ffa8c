"""Reads of meter readings: the list through the scope gate, and the entry grid of one
building, meter and month (every unit with its previous reading, in a few queries)."""

from dataclasses import dataclass

from courtyard.core.references import referable
from courtyard.core.scoping import restrict
from courtyard.estates.models import Building, Unit

from ..models import MeterReading
from .services import FlagRule, ReadingBook

READING_RELATED = ("estate", "building", "unit", "unit__entrance", "reviewed_by")


def visible_readings(user, action="view"):
    return restrict(MeterReading.objects.select_related(*READING_RELATED), user, action)


def needing_review(queryset):
    return queryset.filter(is_flagged=True, reviewed_at__isnull=True)


def grid_buildings(user):
    """The buildings a reader may open a grid for: those in the data scope (no right to the
    register needed), with their estates."""
    return referable(
        user, Building.objects.select_related("estate").order_by("estate__name", "name")
    )


def building_units(user, building):
    """The building's units in the data scope, by entrance, floor and room."""
    queryset = referable(user, Unit.objects.filter(building=building).select_related("entrance"))
    return queryset.order_by("entrance__name", "floor", "room_no")


@dataclass
class GridRow:
    """One unit's line of the entry grid."""

    unit: Unit
    previous: MeterReading | None
    current: MeterReading | None
    median: object
    locked: str = ""  # why the figure cannot be typed here ("" when it can)
    typed: str = ""  # what the reader typed (kept when the grid comes back with errors)
    error: str = ""

    @property
    def value(self):
        if self.typed:
            return self.typed
        return f"{self.current.reading}" if self.current else ""


def grid_rows(user, building, meter_type, period, may_correct=True):
    """Every unit of ``building`` for ``meter_type`` in ``period``: previous reading, the saved
    reading if any, the median of its own history (for the flag preview), and whether it is
    locked (a later month is read, the month is billed, or the user may not correct)."""
    units = list(building_units(user, building))
    rule = FlagRule.current()
    book = ReadingBook({(unit.pk, meter_type) for unit in units}, period, rule.months)
    rows = []
    for unit in units:
        pair = (unit.pk, meter_type)
        current = book.existing(pair, period)
        row = GridRow(
            unit,
            previous=book.previous(pair, period),
            current=current,
            median=rule.median(book.history(pair, period, rule.months)),
        )
        later = book.later(pair, period)
        if later is not None:
            row.locked = later.period
        elif current is not None and book.is_billed(pair, period):
            row.locked = "billed"
        elif current is not None and not may_correct:
            row.locked = "no_change"
        rows.append(row)
    return rows, rule


def grid_counts(rows):
    entered = sum(1 for row in rows if row.current is not None)
    flagged = sum(1 for row in rows if row.current is not None and row.current.needs_review)
    return {
        "units": len(rows),
        "entered": entered,
        "missing": len(rows) - entered,
        "flagged": flagged,
    }
