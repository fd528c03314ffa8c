"""Meter readings (抄表): entering, correcting, reviewing and deleting them.

A reading is one unit's meter (water, electricity, gas) at the end of one month; its usage
is the difference to the unit's previous reading of that meter. The rules, the same for the
entry grid, the Excel import and the API:

- a reading below the previous one is refused (``below_previous``);
- the first reading of a meter is its starting point: usage 0, nothing billed;
- readings go forward: a month before the meter's latest reading cannot be added, and only
  the latest reading can be corrected (``later_reading``); a reading already billed cannot
  change (``billed``);
- only the meters a metered charge item bills are read (``bad_meter``), and a batch holds at
  least one reading (``no_readings``);
- a usage is flagged with its reasons (``FlagRule``) when it is above its meter type's
  ceiling (``billing.usage_ceiling_*``), above ``billing.usage_flag_factor`` × the median of
  the unit's own last ``billing.usage_history_months`` months, above
  ``billing.building_flag_factor`` × the median of the building's other units that month, or
  when neither median exists to judge it; a bill run waits for a reviewer
  (``billing.review_meterreading``) to accept it, or for a correction.

``save_readings`` checks a whole batch first and writes nothing when any row is wrong: it
raises ``ReadingRowsInvalid`` with one ``RowError`` per problem (row index, field, code,
message), so a page can show each row's error next to what was typed.
"""

import statistics
from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courtyard.core import parameters
from courtyard.core.exceptions import StateConflict
from courtyard.core.scoping import check_in_scope, has_action, require_action, user_scope
from courtyard.core.timeline import record_event

from .. import periods
from ..choices import BillStatus, Cycle, MeterType, Pricing
from ..models import Bill, ChargeItem, MeterReading

# Fewer earlier months than this and there is no median worth comparing with.
MIN_HISTORY = 3
MAX_READING = Decimal("9999999999.99")
PROGRESS_EVERY = 500


@dataclass
class RowError:
    """One problem of one row: ``index`` is the row's position in the batch (from 0)."""

    index: int
    field: str
    code: str
    message: str

    def as_dict(self):
        return {
            "index": self.index,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


class ReadingRowsInvalid(ValidationError):
    """Some rows of a batch are wrong; nothing was saved."""

    def __init__(self, errors):
        self.rows = sorted(errors, key=lambda error: error.index)
        count = len({error.index for error in self.rows})
        message = ngettext(
            "%(count)s row has errors; nothing was saved.",
            "%(count)s rows have errors; nothing was saved.",
            count,
        ) % {"count": count}
        super().__init__(message, code="invalid_rows")


@dataclass
class Entry:
    """A reading to save: the unit, which meter, the month (YYYY-MM), the figure read."""

    unit: object
    meter_type: str
    period: str
    reading: object
    read_on: date | None = None


@dataclass
class SaveResult:
    created: list = field(default_factory=list)
    corrected: list = field(default_factory=list)
    unchanged: int = 0
    existing: object = None  # the last entry found already saved as typed

    @property
    def saved(self):
        return self.created + self.corrected

    @property
    def flagged(self):
        return [reading for reading in self.saved if reading.is_flagged]


# Months -------------------------------------------------------------------------------------


def shift_month(label, months):
    """``label`` (YYYY-MM) moved by ``months``."""
    start = periods.parse(label, Cycle.MONTH).start
    index = start.year * 12 + start.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def current_month():
    return periods.month_label(timezone.localdate())


# The reading history of a batch -----------------------------------------------------------------


class ReadingBook:
    """The readings around a batch, for every (unit, meter) it touches, in a few queries:
    the months from ``history_months`` before the earliest period on, the last reading
    before that, whether a meter's first reading (its starting point) lies in the window,
    and which months are billed. Rows saved in the batch are added as it goes, so a file
    with several months of one meter checks each month against the one before."""

    def __init__(self, pairs, earliest, history_months):
        self.pairs = set(pairs)
        units = {unit_id for unit_id, _meter in self.pairs}
        meters = {meter for _unit, meter in self.pairs}
        cutoff = shift_month(earliest, -history_months)
        readings = MeterReading.objects.filter(unit_id__in=units, meter_type__in=meters)
        self.rows = {pair: [] for pair in self.pairs}
        for reading in readings.filter(period__gte=cutoff).order_by("period"):
            key = (reading.unit_id, reading.meter_type)
            if key in self.rows:
                self.rows[key].append(reading)
        self.first, last_before = {}, {}
        bounds = readings.values("unit_id", "meter_type").annotate(
            first=Min("period"), last=Max("period", filter=Q(period__lt=cutoff))
        )
        for row in bounds:
            key = (row["unit_id"], row["meter_type"])
            self.first[key] = row["first"]
            if row["last"]:
                last_before[key] = row["last"]
        self.before = {}
        if last_before:
            older = readings.filter(
                unit_id__in={unit for unit, _m in last_before},
                period__in=set(last_before.values()),
            )
            for reading in older:
                key = (reading.unit_id, reading.meter_type)
                if last_before.get(key) == reading.period:
                    self.before[key] = reading
        self.billed = self._billed(units, meters, cutoff)

    def _billed(self, units, meters, cutoff):
        """{(unit, meter): [(first day, last day), …]} of the bills priced on readings."""
        spans = {}
        bills = (
            Bill.objects.filter(
                unit_id__in=units,
                item__meter_type__in=meters,
                period_end__gte=periods.parse(cutoff, Cycle.MONTH).start,
            )
            .exclude(status=BillStatus.VOID)
            .values_list("unit_id", "item__meter_type", "period_start", "period_end")
        )
        for unit_id, meter, start, end in bills:
            if start and end:
                spans.setdefault((unit_id, meter), []).append((start, end))
        return spans

    def _periods(self, pair):
        return [reading.period for reading in self.rows[pair]]

    def existing(self, pair, period):
        rows = self.rows[pair]
        index = bisect_left(self._periods(pair), period)
        return rows[index] if index < len(rows) and rows[index].period == period else None

    def previous(self, pair, period):
        index = bisect_left(self._periods(pair), period)
        return self.rows[pair][index - 1] if index else self.before.get(pair)

    def later(self, pair, period):
        rows = self.rows[pair]
        index = bisect_left(self._periods(pair), period)
        if index < len(rows) and rows[index].period == period:
            index += 1
        return rows[index] if index < len(rows) else None

    def history(self, pair, period, months):
        """Usages of the months before ``period`` (at most ``months``), without the starting
        point (its usage 0 says nothing about the unit)."""
        start = shift_month(period, -months)
        first = self.first.get(pair)
        return [
            reading.usage
            for reading in self.rows[pair]
            if start <= reading.period < period and reading.period != first
        ]

    def is_billed(self, pair, period):
        day = periods.parse(period, Cycle.MONTH).start
        return any(start <= day <= end for start, end in self.billed.get(pair, ()))

    def put(self, pair, reading):
        rows = self.rows[pair]
        existing = self.existing(pair, reading.period)
        if existing is not None:
            rows[rows.index(existing)] = reading
        else:
            insort(rows, reading, key=lambda r: r.period)
        if pair not in self.first or reading.period < self.first[pair]:
            self.first[pair] = reading.period


# Flags --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagRule:
    """When a usage needs a reviewer: above ``factor`` × the unit's own median, above
    ``building_factor`` × the median of the other units of its building that month, above
    the meter type's ceiling, or when neither median exists to judge it by."""

    factor: Decimal
    months: int
    building_factor: Decimal = Decimal("5")
    ceilings: tuple = ()  # (meter type, most usage a month), from the parameters

    @classmethod
    def current(cls):
        return cls(
            Decimal(parameters.get("billing.usage_flag_factor")),
            int(parameters.get("billing.usage_history_months")),
            Decimal(parameters.get("billing.building_flag_factor")),
            tuple(
                (meter, Decimal(parameters.get(f"billing.usage_ceiling_{meter}")))
                for meter in MeterType.values
            ),
        )

    def median(self, history):
        return statistics.median(history) if len(history) >= MIN_HISTORY else None

    def reason(self, usage, history, meter_type="", neighbours=()):
        """Why ``usage`` is suspicious against the unit's ``history`` and the ``neighbours``'
        usages of the same month (the building's other units, zero usages left out); ""
        when it is not."""
        reasons = []
        ceiling = dict(self.ceilings).get(meter_type)
        if ceiling is not None and usage > ceiling:
            reasons.append(
                _("Usage %(usage)s is above the ceiling of %(ceiling)s for this meter type.")
                % {"usage": usage, "ceiling": f"{ceiling.normalize():f}"}
            )
        median = self.median(history)
        if median is not None and usage > self.factor * median:
            reasons.append(
                _(
                    "Usage %(usage)s is more than %(factor)s × this unit's median of "
                    "%(median)s over its last %(months)s months."
                )
                % {
                    "usage": usage,
                    "factor": f"{self.factor.normalize():f}",
                    "median": _cents(median),
                    "months": len(history),
                }
            )
        around = self.median(list(neighbours))
        if around is not None and usage > self.building_factor * around:
            reasons.append(
                _(
                    "Usage %(usage)s is more than %(factor)s × the building's median of "
                    "%(median)s this month."
                )
                % {
                    "usage": usage,
                    "factor": f"{self.building_factor.normalize():f}",
                    "median": _cents(around),
                }
            )
        if median is None and around is None and usage > 0 and not reasons:
            reasons.append(
                _(
                    "Usage %(usage)s cannot be judged: there is too little history of this "
                    "unit and of its building this month. Check it."
                )
                % {"usage": usage}
            )
        return " ".join(str(reason) for reason in reasons)


def _cents(value):
    return Decimal(value).quantize(Decimal("0.01"))


def neighbour_usages(readings):
    """``[[usage, …], …]``: for each reading in turn, the non-zero usages of the other units of
    its building for the same meter and month, the batch's own figures replacing saved ones
    (a whole building typed at once is judged against itself). One query."""
    keys = {(r.building_id, r.meter_type, r.period) for r in readings}
    usages = {key: {} for key in keys}
    saved = MeterReading.objects.filter(
        building_id__in={key[0] for key in keys},
        meter_type__in={key[1] for key in keys},
        period__in={key[2] for key in keys},
        usage__gt=0,
    ).values_list("building_id", "meter_type", "period", "unit_id", "usage")
    for building_id, meter, period, unit_id, usage in saved:
        if (building_id, meter, period) in usages:
            usages[(building_id, meter, period)][unit_id] = usage
    for reading in readings:
        usages[(reading.building_id, reading.meter_type, reading.period)][reading.unit_id] = (
            reading.usage
        )
    return [
        [
            usage
            for unit_id, usage in usages[
                (reading.building_id, reading.meter_type, reading.period)
            ].items()
            if unit_id != reading.unit_id and usage > 0
        ]
        for reading in readings
    ]


# Entering -----------------------------------------------------------------------------------


def previous_reading(unit, meter_type, period):
    """The unit's last reading of ``meter_type`` before ``period`` (YYYY-MM), or None."""
    return (
        MeterReading.objects.filter(unit=unit, meter_type=meter_type, period__lt=period)
        .order_by("-period")
        .first()
    )


def record_reading(actor, *, unit, meter_type, period, reading, read_on=None):
    """One reading (a form, a test); refusals as a ValidationError per field with a code."""
    try:
        result = save_readings(actor, [Entry(unit, meter_type, period, reading, read_on)])
    except ReadingRowsInvalid as error:
        raise ValidationError(
            {e.field: ValidationError(e.message, code=e.code) for e in error.rows}
        )
    return (result.saved or [result.existing])[0]


def save_readings(actor, entries, progress=None):
    """Check every entry, then save all in one transaction (or none: ReadingRowsInvalid).

    An entry equal to the saved reading is left alone; one that differs corrects it.
    ``progress(done)`` is told how many rows are written, now and then (an import's job).
    Returns a SaveResult (created, corrected, unchanged).
    """
    require_action(actor, MeterReading, "add")
    entries = list(entries)
    if not entries:
        raise ValidationError(_("Send at least one reading."), code="no_readings")
    errors = []
    meters = billed_meter_types()
    checked = [
        _check_entry(actor, index, entry, errors, meters) for index, entry in enumerate(entries)
    ]
    valid = [(index, entry) for index, entry in enumerate(checked) if entry is not None]
    result = SaveResult()
    if not valid:
        if errors:
            raise ReadingRowsInvalid(errors)
        return result
    rule = FlagRule.current()
    pairs = {(entry.unit.pk, entry.meter_type) for _i, entry in valid}
    earliest = min(entry.period for _i, entry in valid)
    may_correct = has_action(actor, MeterReading, "change")
    with transaction.atomic():
        book = ReadingBook(pairs, earliest, rule.months)
        seen = {}
        # Each meter's months in order: a later month is checked against the one before.
        for index, entry in sorted(valid, key=lambda row: (row[1].period, row[0])):
            key = (entry.unit.pk, entry.meter_type, entry.period)
            if key in seen:
                errors.append(
                    RowError(
                        index,
                        "period",
                        "duplicate_row",
                        _("The same unit, meter and month is in row %(row)s too.")
                        % {"row": seen[key] + 1},
                    )
                )
                continue
            seen[key] = index
            _plan(actor, book, rule, index, entry, may_correct, errors, result)
        if errors:
            raise ReadingRowsInvalid(errors)
        _flag(rule, result.saved)
        _write(actor, result, progress)
        if errors:
            raise ReadingRowsInvalid(errors)  # leaving the block rolls every row back
    return result


def billed_meter_types():
    """The meter types that a metered charge item bills, in the choices' order: the only
    readings worth keeping."""
    billed = set(
        ChargeItem.objects.filter(pricing=Pricing.METERED).values_list("meter_type", flat=True)
    )
    return [meter for meter in MeterType if meter in billed]


def _check_entry(actor, index, entry, errors, meters):
    """The entry with its figures parsed, or None after adding its errors; ``meters`` are
    the billed meter types."""
    before = len(errors)

    def refuse(field_name, code, message):
        errors.append(RowError(index, field_name, code, str(message)))

    unit = entry.unit
    if unit is None or not user_scope(actor).covers(unit.estate_id, unit.building_id):
        refuse("unit", "not_found", _("No such unit in your data scope."))
    if entry.meter_type not in meters:
        refuse(
            "meter_type",
            "bad_meter",
            _("No charge item bills this meter; choose one of: %(meters)s.")
            % {"meters": ", ".join(str(meter.label) for meter in meters) or "—"},
        )
    period = str(entry.period or "").strip()
    try:
        period = periods.parse(period, Cycle.MONTH).label
    except ValidationError:
        refuse("period", "bad_period", _("Write the month like 2026-11."))
    else:
        if period > current_month():
            refuse("period", "future_period", _("A month that has not come yet cannot be read."))
    reading = _figure(entry.reading)
    if reading is None:
        refuse(
            "reading",
            "bad_reading",
            _("Enter the figure on the meter, e.g. 1234.5 (at most two decimals)."),
        )
    read_on = entry.read_on or timezone.localdate()
    if read_on > timezone.localdate():
        refuse("read_on", "bad_date", _("The reading date cannot be in the future."))
    if len(errors) > before:
        return None
    return Entry(unit, entry.meter_type, period, reading, read_on)


def _figure(raw):
    try:
        value = Decimal(str(raw).strip().replace(",", "")) if raw not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None
    if value is None or not value.is_finite() or value < 0 or value > MAX_READING:
        return None
    if value != value.quantize(Decimal("0.01")):
        return None
    return value.quantize(Decimal("0.01"))


def _plan(actor, book, rule, index, entry, may_correct, errors, result):
    """Check one parsed entry against its meter's readings and prepare the write."""
    pair = (entry.unit.pk, entry.meter_type)
    existing = book.existing(pair, entry.period)

    def refuse(field_name, code, message):
        errors.append(RowError(index, field_name, code, str(message)))

    if existing is not None and existing.reading == entry.reading and existing.pk:
        result.unchanged += 1
        result.existing = existing
        return
    later = book.later(pair, entry.period)
    if later is not None:
        refuse(
            "period",
            "later_reading",
            _(
                "The reading of %(later)s is already saved: only a meter's latest reading "
                "can be entered or corrected."
            )
            % {"later": later.period},
        )
        return
    if existing is not None and existing.pk:
        if not may_correct:
            refuse("reading", "cannot_correct", _("You may enter readings but not correct them."))
            return
        if book.is_billed(pair, entry.period):
            refuse("reading", "billed", _("This reading is billed already and cannot change."))
            return
    previous = book.previous(pair, entry.period)
    if previous is not None and entry.reading < previous.reading:
        refuse(
            "reading",
            "below_previous",
            _("%(reading)s is below the previous reading %(previous)s (%(period)s).")
            % {"reading": entry.reading, "previous": previous.reading, "period": previous.period},
        )
        return
    base = previous.reading if previous is not None else entry.reading
    usage = entry.reading - base
    reading = existing or MeterReading(
        unit=entry.unit,
        estate_id=entry.unit.estate_id,
        building_id=entry.unit.building_id,
        meter_type=entry.meter_type,
        period=entry.period,
        created_by=actor,
    )
    reading.old_reading = existing.reading if existing is not None else None
    reading.index = index
    reading.reading = entry.reading
    reading.previous_reading = base
    reading.usage = usage
    reading.read_on = entry.read_on
    # The first reading is the meter's starting point: nothing used, nothing to judge.
    reading.history = book.history(pair, entry.period, rule.months) if previous else None
    reading.reviewed_by = reading.reviewed_at = None
    (result.corrected if reading.pk else result.created).append(reading)
    book.put(pair, reading)


def _flag(rule, readings):
    """Judge each planned reading once the whole batch is known (its building's month)."""
    for reading, neighbours in zip(readings, neighbour_usages(readings), strict=True):
        reason = ""
        if reading.history is not None:
            reason = rule.reason(reading.usage, reading.history, reading.meter_type, neighbours)
        reading.is_flagged, reading.flag_reason = bool(reason), reason


def _write(actor, result, progress=None):
    for done, reading in enumerate(result.created, start=1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done)
        try:
            with transaction.atomic():
                reading.save()
        except IntegrityError:
            raise ReadingRowsInvalid(
                [
                    RowError(
                        reading.index,
                        "reading",
                        "changed_meanwhile",
                        _("Someone saved this reading a moment ago; reload and check it."),
                    )
                ]
            )
    for reading in result.corrected:
        reading.save()
        record_event(
            reading,
            actor,
            "corrected",
            _("Reading corrected from %(old)s to %(new)s.")
            % {"old": reading.old_reading, "new": reading.reading},
            old=str(reading.old_reading),
            new=str(reading.reading),
        )
    for reading in result.flagged:
        record_event(reading, actor, "flagged", reading.flag_reason)


# Reviewing and deleting ---------------------------------------------------------------------


def accept_reading(actor, reading, note=""):
    """A reviewer accepts a flagged reading as it stands: it may be billed."""
    require_action(actor, MeterReading, "review")
    check_in_scope(actor, reading)
    with transaction.atomic():
        locked = MeterReading.objects.select_for_update().get(pk=reading.pk)
        if not locked.is_flagged:
            raise StateConflict(_("This reading is not flagged."), code="not_flagged")
        if locked.reviewed_at is not None:
            raise StateConflict(_("This reading was accepted already."), code="already_reviewed")
        locked.reviewed_by, locked.reviewed_at = actor, timezone.now()
        locked.save(update_fields=["reviewed_by", "reviewed_at", "updated_at"])
        record_event(locked, actor, "accepted", note or _("Usage accepted after review."))
    reading.reviewed_by, reading.reviewed_at = locked.reviewed_by, locked.reviewed_at
    return reading


def delete_reading(actor, reading):
    """Remove a reading typed by mistake: only a meter's latest, and only unbilled."""
    require_action(actor, MeterReading, "delete")
    check_in_scope(actor, reading)
    pair = (reading.unit_id, reading.meter_type)
    with transaction.atomic():
        book = ReadingBook({pair}, reading.period, 0)
        if book.later(pair, reading.period) is not None:
            raise StateConflict(
                _("Only a meter's latest reading can be deleted."), code="later_reading"
            )
        if book.is_billed(pair, reading.period):
            raise StateConflict(_("This reading is billed already."), code="billed")
        reading.delete()
