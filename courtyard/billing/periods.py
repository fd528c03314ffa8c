"""Billing periods: ``2026-11`` (a month), ``2026-Q4`` (a quarter), ``2026`` (a year).

A period label is what bills store and what the unique constraint compares; ``parse`` turns a
label back into its cycle, first and last day, and months (used by per-area and per-unit rates).
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import CYCLE_MONTHS, Cycle

_PATTERNS = (
    (Cycle.MONTH, re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")),
    (Cycle.QUARTER, re.compile(r"^(\d{4})-Q([1-4])$")),
    (Cycle.YEAR, re.compile(r"^(\d{4})$")),
)


@dataclass(frozen=True)
class Period:
    cycle: str
    label: str
    start: date
    end: date  # the last day, inclusive

    @property
    def months(self):
        return CYCLE_MONTHS[self.cycle]

    def month_labels(self):
        """The ``YYYY-MM`` months of this period (meter readings are monthly)."""
        result, year, month = [], self.start.year, self.start.month
        for _i in range(self.months):
            result.append(f"{year:04d}-{month:02d}")
            month += 1
            if month > 12:
                year, month = year + 1, 1
        return result

    def __str__(self):
        return self.label


def _add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _make(cycle, label, start):
    end = _add_months(start, CYCLE_MONTHS[cycle]) - timedelta(days=1)
    return Period(cycle, label, start, end)


def parse(label, cycle=None):
    """The period named by ``label``; a ValidationError if it is malformed or of another cycle."""
    label = (label or "").strip().upper()
    for kind, pattern in _PATTERNS:
        match = pattern.match(label)
        if not match:
            continue
        if cycle and kind != cycle:
            break
        year = int(match.group(1))
        if kind == Cycle.MONTH:
            return _make(kind, label, date(year, int(match.group(2)), 1))
        if kind == Cycle.QUARTER:
            return _make(kind, label, date(year, 3 * int(match.group(2)) - 2, 1))
        return _make(kind, label, date(year, 1, 1))
    examples = {Cycle.MONTH: "2026-11", Cycle.QUARTER: "2026-Q4", Cycle.YEAR: "2026"}
    raise ValidationError(
        _("“%(label)s” is not a period of this cycle; write it like %(example)s.")
        % {"label": label, "example": examples.get(cycle, "2026-11, 2026-Q4, 2026")},
        code="bad_period",
    )


def containing(day, cycle):
    """The period of ``cycle`` that contains ``day``."""
    if cycle == Cycle.MONTH:
        return parse(f"{day.year:04d}-{day.month:02d}")
    if cycle == Cycle.QUARTER:
        return parse(f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}")
    return parse(f"{day.year:04d}")


def month_label(day):
    return f"{day.year:04d}-{day.month:02d}"


def ahead(period, day):
    """How many periods of its cycle ``period`` lies after the one containing ``day`` (0:
    that one, negative: before it)."""
    current = containing(day, period.cycle)
    months = (period.start.year - current.start.year) * 12 + (
        period.start.month - current.start.month
    )
    return months // period.months
