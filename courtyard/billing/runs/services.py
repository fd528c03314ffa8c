"""Bill runs (生成周期账单): preview, generate the draft bills as a job, publish them.

A run bills every unit of its scope (an estate, or some of its buildings) — every parking
space for a per-space item — once per chosen charge item for one period. The same walk over
the scope serves the preview (counts, totals per item, every problem, nothing written) and
the generation (draft bills written in batches). Each unit is priced by ``pricing.price``
with the rate ``selectors.rate_for`` picks (the rates are read once per run); the payer is
the unit's current owner (the space's user for parking); a bill is due as
``ChargeItem.due_date_for`` says (fees after the period starts, metered usage after it ends).

What keeps a run cheap and safe at 100,000 units:
- the scope is walked in chunks of units by id, each chunk with one query for its owners,
  one for its readings and one for the bills it already has, so memory stays bounded and no
  query is made per unit;
- bills are written a chunk at a time by the bulk loader (``core.bulk``: multi-row INSERT on
  SQLite, COPY on PostgreSQL), skipping conflicts with the partial unique constraints (unit
  or space, item, period): a second run of the same period writes nothing new and only
  fills gaps, even when two runs overlap;
- each chunk commits on its own (the progress bar moves, SQLite is not locked for minutes);
  a run that fails deletes the drafts it wrote, so it never half-happens.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courtyard.core import bulk, jobs
from courtyard.core.exceptions import StateConflict
from courtyard.core.scoping import require_action, scope_q, user_scope
from courtyard.core.timeline import record_event

from .. import periods, pricing
from ..bills.services import field_error, publish_drafts
from ..choices import PERIODIC_PRICING, BillKind, BillRunStatus, BillStatus, Cycle, Pricing
from ..models import ZERO, Bill, BillRun, MeterReading, ParkingSpace
from ..selectors import item_rates, rate_for

CHUNK = 5000  # units per chunk: a few MB of rows, one statement each
EXAMPLES = 50  # problems listed per kind (every one is counted)
LINES_REMEMBERED = 50_000  # priced lines kept for units of the same size or usage
JOB_KIND = "billing.bill_run"
METERED, PER_AREA = Pricing.METERED.value, Pricing.PER_AREA.value  # plain str in hot loops
DRAFT = BillStatus.DRAFT.value

# What a problem does to its bills: not created, created without a payer, created already,
# or the run cannot start at all.
SKIPPED, NO_PAYER, EXISTS, BLOCKED = "skipped", "no_payer", "exists", "blocked"
OUTCOMES = {
    SKIPPED: lambda count: ngettext(
        "%(count)s bill is not created", "%(count)s bills are not created", count
    ),
    NO_PAYER: lambda count: ngettext(
        "%(count)s bill is created without a payer",
        "%(count)s bills are created without a payer",
        count,
    ),
    EXISTS: lambda count: ngettext(
        "%(count)s bill exists already and is not created again",
        "%(count)s bills exist already and are not created again",
        count,
    ),
    BLOCKED: lambda count: _("nothing is created"),
}

# Problems: code → (label, outcome). Labels are translated when shown.
PROBLEMS = {
    "already_published": (lambda: _("Already published for this period"), BLOCKED),
    "missing_reading": (lambda: _("Missing meter reading"), SKIPPED),
    "flagged_reading": (lambda: _("Meter reading flagged and not reviewed"), SKIPPED),
    "no_area": (lambda: _("Unit without floor area"), SKIPPED),
    "no_rate": (lambda: _("No rate for this item"), SKIPPED),
    "zero_amount": (lambda: _("Nothing to bill (amount 0)"), SKIPPED),
    "no_owner": (lambda: _("No current owner"), NO_PAYER),
    "not_applicable": (lambda: _("Item does not apply to the unit's use"), SKIPPED),
    "existing": (lambda: _("Bill exists already"), EXISTS),
}

# Billing ahead is legitimate (prepaid fees), but further than the next period only on purpose.
PERIODS_AHEAD_UNCONFIRMED = 1


# What a run is for ---------------------------------------------------------------------------


@dataclass
class Scope:
    """The validated choice of a run: estate, buildings (none: all), period and items."""

    estate: object
    buildings: list
    period: periods.Period
    items: list

    @property
    def building_ids(self):
        return [building.pk for building in self.buildings]


def check_scope(actor, *, estate, buildings, cycle, period, items):
    """The run's choice checked: rights (403), data scope (404), the input (400)."""
    require_action(actor, BillRun, "add")
    buildings = list(buildings or [])
    granted = user_scope(actor)
    if buildings:
        if any(b.estate_id != estate.pk for b in buildings):
            raise field_error(
                "buildings", _("Choose buildings of the chosen estate."), "bad_building"
            )
        if not all(granted.covers(estate.pk, b.pk) for b in buildings):
            raise Http404
    elif not granted.covers(estate.pk):
        raise Http404
    errors = {}
    try:
        period = periods.parse(period, cycle)
    except ValidationError as error:
        errors["period"] = error
    items = sorted(set(items or []), key=lambda item: (item.sort_order, item.code))
    if not items:
        errors["items"] = ValidationError(_("Choose at least one charge item."), code="no_items")
    for item in items:
        if item.pricing not in PERIODIC_PRICING or not item.is_active:
            errors["items"] = ValidationError(
                _("%(item)s is not billed by a bill run.") % {"item": item.name},
                code="not_periodic",
            )
        elif item.cycle != cycle:
            errors["items"] = ValidationError(
                _("%(item)s is billed %(cycle)s; choose items of the run's cycle.")
                % {"item": item.name, "cycle": item.get_cycle_display().lower()},
                code="wrong_cycle",
            )
    if errors:
        raise ValidationError(errors)
    return Scope(estate, sorted(buildings, key=lambda b: b.pk), period, items)


def published_items(scope):
    """The items of ``scope`` that a published run already billed for this period and scope."""
    runs = BillRun.objects.filter(
        estate=scope.estate, period=scope.period.label, status=BillRunStatus.PUBLISHED
    ).prefetch_related("items", "buildings")
    wanted = set(scope.building_ids)
    found = {}
    for run in runs:
        covered = {b.pk for b in run.buildings.all()}
        if covered and (not wanted or not wanted <= covered):
            continue  # that run billed only part of this scope: the rest may still be billed
        for item in run.items.all():
            found[item.pk] = item
    return [item for item in scope.items if item.pk in found]


# Problems and totals -------------------------------------------------------------------------


class Problems:
    """Every problem counted by kind (and item), the first few of each listed by place."""

    def __init__(self):
        self.kinds = {}

    def add(self, code, item=None, place="", count=1):
        key = (code, item.pk if item else None)
        entry = self.kinds.get(key)
        if entry is None:
            label, outcome = PROBLEMS[code]
            entry = self.kinds[key] = {
                "code": code,
                "label": str(label()),
                "item": item.name if item else "",
                "outcome": outcome,
                "skips": outcome != NO_PAYER,
                "count": 0,
                "examples": [],
            }
        entry["count"] += count
        if place and len(entry["examples"]) < EXAMPLES:
            entry["examples"].append(place)

    def as_list(self):
        """Each kind with ``effect``: what it does to how many bills, in words."""
        order = list(PROBLEMS)
        for entry in self.kinds.values():
            entry["effect"] = OUTCOMES[entry["outcome"]](entry["count"]) % {"count": entry["count"]}
        return sorted(self.kinds.values(), key=lambda e: (order.index(e["code"]), e["item"]))


@dataclass
class ItemTotal:
    item: object
    count: int = 0
    amount: Decimal = ZERO
    existing: int = 0


@dataclass
class Preview:
    """What a run would do: new bills per item, their totals, and every problem."""

    scope: Scope
    totals: list
    problems: list
    published: list = field(default_factory=list)

    @property
    def bill_count(self):
        return sum(total.count for total in self.totals)

    @property
    def total_amount(self):
        return sum((total.amount for total in self.totals), ZERO)

    @property
    def existing_count(self):
        return sum(total.existing for total in self.totals)

    def _count(self, outcome):
        return sum(p["count"] for p in self.problems if p["outcome"] == outcome)

    @property
    def skipped_count(self):
        """Bills not created because of a problem (another run bills them once fixed)."""
        return self._count(SKIPPED)

    @property
    def without_payer_count(self):
        """Bills created (counted in ``bill_count``) that have no payer."""
        return self._count(NO_PAYER)

    @property
    def periods_ahead(self):
        return periods.ahead(self.scope.period, timezone.localdate())

    @property
    def needs_confirmation(self):
        return self.periods_ahead > PERIODS_AHEAD_UNCONFIRMED

    @property
    def ahead_note(self):
        """How far ahead of today's period the run bills, in words ("" for no further)."""
        return ahead_note(self.scope.period)

    @property
    def blocking(self):
        """A reason the run may not start, or ''."""
        if self.published:
            names = "、".join(item.name for item in self.published)
            return _("%(items)s of %(period)s has been published for this scope already.") % {
                "items": names,
                "period": self.scope.period.label,
            }
        return ""


def ahead_note(period):
    count = periods.ahead(period, timezone.localdate())
    if count <= 0:
        return ""
    if period.cycle == Cycle.QUARTER:
        text = ngettext("%(count)s quarter ahead", "%(count)s quarters ahead", count)
    elif period.cycle == Cycle.YEAR:
        text = ngettext("%(count)s year ahead", "%(count)s years ahead", count)
    else:
        text = ngettext("%(count)s month ahead", "%(count)s months ahead", count)
    note = _("%(period)s is %(ahead)s of the current period: its bills are owed in advance.") % {
        "period": period.label,
        "ahead": text % {"count": count},
    }
    if count > PERIODS_AHEAD_UNCONFIRMED:
        note += " " + _("Confirm that you mean to bill this far ahead.")
    return note


def check_ahead(scope, confirm_ahead):
    """A period beyond the next one is billed only when confirmed (a slip of the year or the
    month would otherwise bill residents months early)."""
    if periods.ahead(scope.period, timezone.localdate()) > PERIODS_AHEAD_UNCONFIRMED and not (
        confirm_ahead
    ):
        raise ValidationError(
            {"confirm_ahead": ValidationError(ahead_note(scope.period), code="period_far_ahead")}
        )


# The walk over the scope ---------------------------------------------------------------------


@dataclass(frozen=True)
class ItemPlan:
    """What the walk asks of an item for every unit, read once: its id, rule, meter, uses."""

    item: object
    id: int
    pricing: str
    meter: str
    uses: frozenset | None  # None: every use

    @classmethod
    def of(cls, item):
        uses = frozenset(item.applies_to) if item.applies_to else None
        return cls(item, item.pk, str(item.pricing), item.meter_type, uses)


class Walk:
    """Prices every (unit or space, item) of a scope, chunk by chunk, calling ``emit`` for
    each bill to create and recording every problem; shared by the preview and the job."""

    def __init__(self, scope):
        self.scope = scope
        self.period = scope.period
        self.problems = Problems()
        self.totals = {item.pk: ItemTotal(item) for item in scope.items}
        self.unit_items = [i for i in scope.items if i.pricing != Pricing.PER_SPACE]
        self.plans = [ItemPlan.of(item) for item in self.unit_items]
        self.plan_of = {item.pk: ItemPlan.of(item) for item in scope.items}
        self.space_items = [i for i in scope.items if i.pricing == Pricing.PER_SPACE]
        self.meters = {i.meter_type for i in self.unit_items if i.pricing == Pricing.METERED}
        self.months = self.period.month_labels()
        self._rates = item_rates(scope.items)
        self._rate_cache = {}
        self._lines = {}
        from courtyard.estates.models import Entrance

        self.places = {
            pk: f"{building} {entrance}"
            for pk, building, entrance in Entrance.objects.filter(estate=scope.estate).values_list(
                "pk", "building__name", "name"
            )
        }

    # -- the scope --------------------------------------------------------------------------
    def units(self):
        from courtyard.estates.models import Unit

        units = Unit.objects.filter(estate=self.scope.estate)
        if self.scope.buildings:
            units = units.filter(building__in=self.scope.building_ids)
        return units

    def spaces(self):
        spaces = ParkingSpace.objects.filter(estate=self.scope.estate, is_active=True)
        if self.scope.buildings:
            spaces = spaces.filter(unit__building__in=self.scope.building_ids)
        return spaces

    # -- rates --------------------------------------------------------------------------
    def rate(self, item, use):
        """(rate, tiers) of an item for a unit use (or parking kind), or None; read once."""
        key = (item.id, use)
        if key not in self._rate_cache:
            found = rate_for(item, self.scope.estate.pk, use, rates=self._rates[item.id])
            self._rate_cache[key] = (
                None if found is None else (found.rate, pricing.parse_tiers(found.tiers))
            )
        return self._rate_cache[key]

    # -- walking ------------------------------------------------------------------------
    def run(self, emit, progress=None):
        """Walk the units, then the spaces; ``progress(done, total)`` after each chunk (the
        job commits there and moves the progress bar)."""
        units = self.units() if self.unit_items else None
        spaces = self.spaces() if self.space_items else None
        total = (units.count() if units is not None else 0) + (
            spaces.count() if spaces is not None else 0
        )
        done = 0
        if progress:
            progress(done, total)
        if units is not None:
            columns = ("pk", "building_id", "entrance_id", "room_no", "area", "use")
            for chunk in _chunks(units.values_list(*columns)):
                self.unit_chunk(chunk, emit)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if spaces is not None:
            columns = ("pk", "code", "kind", "unit_id", "unit__building_id", "resident_id")
            for chunk in _chunks(spaces.values_list(*columns)):
                self.space_chunk(chunk, emit)
                done += len(chunk)
                if progress:
                    progress(done, total)

    def existing_units(self, ids):
        """``{(unit_id, item_id)}`` billed already among a chunk of units (one range read of
        the unique index on unit, item and period)."""
        bills = Bill.objects.filter(
            kind=BillKind.PERIODIC,
            unit_id__gte=ids[0],
            unit_id__lte=ids[-1],
            parking_space__isnull=True,
            item__in=[plan.id for plan in self.plans],
            period=self.period.label,
        )
        return set(bills.values_list("unit_id", "item_id"))

    def existing_spaces(self, ids):
        bills = Bill.objects.filter(
            kind=BillKind.PERIODIC,
            period=self.period.label,
            item__in=[item.pk for item in self.space_items],
            parking_space_id__gte=ids[0],
            parking_space_id__lte=ids[-1],
        )
        return set(bills.values_list("parking_space_id", "item_id"))

    def unit_chunk(self, chunk, emit):
        plans, totals = self.plans, self.totals
        existing = self.existing_units([row[0] for row in chunk])
        todo = []
        for row in chunk:
            unit_id, use = row[0], row[5]
            wanted = []
            for plan in plans:
                if plan.uses is not None and use not in plan.uses:
                    self.problems.add("not_applicable", plan.item)
                elif (unit_id, plan.id) in existing:
                    totals[plan.id].existing += 1
                else:
                    wanted.append(plan)
            if wanted:
                todo.append((row, wanted))
        if not todo:
            return
        # Owners and readings of the units still to bill: all of a first run's chunk (a range
        # of ids), the few left over in a later run (their ids).
        ids = [row[0] for row, _wanted in todo]
        owners = self.owners(ids)
        readings = self.readings(ids) if self.meters else {}
        months, problem, rates = len(self.months), self.problems.add, self._rate_cache
        for row, wanted in todo:
            unit_id, building_id, entrance_id, room_no, area, use = row[:6]
            payer = owners.get(unit_id)
            for plan in wanted:
                item = plan.item
                found = rates[(plan.id, use)] if (plan.id, use) in rates else self.rate(item, use)
                code = usage = None
                if found is None:
                    code = "no_rate"
                elif plan.pricing == METERED:
                    reading = readings.get((unit_id, plan.meter))
                    if reading is None or reading[1] < months:
                        code = "missing_reading"
                    elif reading[2]:
                        code = "flagged_reading"
                    else:
                        usage = reading[0]
                elif plan.pricing == PER_AREA and not (area and area > 0):
                    code = "no_area"
                if code is None:
                    line = self.price(plan, use, found, area, usage)
                    if line.amount <= 0:
                        code = "zero_amount"
                if code is not None:
                    problem(code, item, self.place(entrance_id, room_no))
                    continue
                if payer is None:
                    problem("no_owner", item, self.place(entrance_id, room_no))
                total = self.totals[plan.id]
                total.count += 1
                total.amount += line.amount
                emit(item, line, unit_id, None, building_id, payer)

    def place(self, entrance_id, room_no):
        return f"{self.places.get(entrance_id, '')} {room_no}"

    def space_chunk(self, chunk, emit):
        ids = [row[0] for row in chunk]
        existing = self.existing_spaces(ids)
        owners = self.owners([row[3] for row in chunk if row[3] and not row[5]])
        for space_id, code, kind, unit_id, building_id, resident_id in chunk:
            place = _("Parking space %(code)s") % {"code": code}
            for item in self.space_items:
                if (space_id, item.pk) in existing:
                    self.totals[item.pk].existing += 1
                    continue
                found = self.rate(item, kind)
                if found is None:
                    self.problems.add("no_rate", item, place)
                    continue
                line = self.price(self.plan_of[item.pk], kind, found, None, None)
                if line.amount <= 0:
                    self.problems.add("zero_amount", item, place)
                    continue
                payer = resident_id or owners.get(unit_id)
                if payer is None:
                    self.problems.add("no_owner", item, place)
                total = self.totals[item.pk]
                total.count += 1
                total.amount += line.amount
                emit(item, line, unit_id, space_id, building_id, payer)

    def price(self, plan, use, rate, area, usage):
        """The priced line, its calculation as JSON in ``line.detail_json``; remembered, as
        units of one size (and readings of one usage) cost the same."""
        key = (plan.id, use, area if plan.pricing == PER_AREA else None, usage)
        line = self._lines.get(key)
        if line is None:
            line = pricing.price(
                plan.pricing,
                rate[0],
                months=self.period.months,
                area=area,
                usage=usage,
                tiers=rate[1],
            )
            line.detail_json = json.dumps(line.detail)
            if len(self._lines) < LINES_REMEMBERED:
                self._lines[key] = line
        return line

    def owners(self, unit_ids):
        """``{unit_id: resident_id}``: each unit's current owner registered first."""
        from courtyard.residents.choices import OccupancyStatus, Role
        from courtyard.residents.models import Occupancy

        if not unit_ids:
            return {}
        rows = Occupancy.objects.filter(
            _ids_q(sorted(unit_ids)),
            estate=self.scope.estate,
            role=Role.OWNER,
            status=OccupancyStatus.CURRENT,
        )
        return dict(rows.order_by("-pk").values_list("unit_id", "resident_id"))

    def readings(self, unit_ids):
        """``{(unit_id, meter): (usage, months read, any needing review)}`` for the period."""
        rows = MeterReading.objects.filter(
            _ids_q(unit_ids),
            estate=self.scope.estate,
            meter_type__in=self.meters,
            period__in=self.months,
        ).values_list("unit_id", "meter_type", "usage", "is_flagged", "reviewed_at")
        found = {}
        for unit_id, meter, usage, flagged, reviewed_at in rows:
            review = flagged and reviewed_at is None
            before = found.get((unit_id, meter))
            if before is not None:
                usage, review = before[0] + usage, before[2] or review
            found[(unit_id, meter)] = (usage, 1 if before is None else before[1] + 1, review)
        return found


def _ids_q(unit_ids):
    """Rows of these units (ascending ids): by their range when they are most of it (a first
    run's chunk), else by the ids themselves."""
    if len(unit_ids) * 4 >= unit_ids[-1] - unit_ids[0] + 1:
        return Q(unit_id__gte=unit_ids[0], unit_id__lte=unit_ids[-1])
    return Q(unit_id__in=unit_ids)


def _chunks(rows):
    """Rows of a values_list queryset ordered by id, CHUNK at a time (keyset, not OFFSET)."""
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]


# Preview ----------------------------------------------------------------------------------


def preview_bill_run(actor, *, estate, buildings, cycle, period, items):
    """What a run would create (nothing is written): bills and totals per item, problems."""
    scope = check_scope(
        actor, estate=estate, buildings=buildings, cycle=cycle, period=period, items=items
    )
    walk = Walk(scope)
    published = published_items(scope)
    for item in published:
        walk.problems.add("already_published", item)
    walk.run(lambda *args: None)
    for total in walk.totals.values():
        if total.existing:
            walk.problems.add("existing", total.item, count=total.existing)
    return Preview(scope, list(walk.totals.values()), walk.problems.as_list(), published)


# Generating ---------------------------------------------------------------------------------


def start_bill_run(actor, *, estate, buildings, cycle, period, items, confirm_ahead=False):
    """Record the run and queue its job; refused when the period is published already, or
    lies beyond the next one and ``confirm_ahead`` is not given."""
    scope = check_scope(
        actor, estate=estate, buildings=buildings, cycle=cycle, period=period, items=items
    )
    check_ahead(scope, confirm_ahead)
    published = published_items(scope)
    if published:
        raise StateConflict(Preview(scope, [], [], published).blocking, "already_published")
    with transaction.atomic():
        run = BillRun.objects.create(
            estate=scope.estate,
            cycle=cycle,
            period=scope.period.label,
            period_start=scope.period.start,
            period_end=scope.period.end,
            created_by=actor,
        )
        run.buildings.set(scope.buildings)
        run.items.set(scope.items)
        run.job = jobs.start_job(actor, JOB_KIND, params={"run_id": run.pk})
        run.save(update_fields=["job"])
        record_event(
            run,
            actor,
            "started",
            _("Bill run for %(period)s started") % {"period": run.period},
        )
    return run


def scope_of(run):
    items = list(run.items.all())
    return Scope(run.estate, list(run.buildings.all()), periods.parse(run.period), items)


def generate_bills(run, progress=None):
    """Write the run's draft bills (the job's work). ``progress(done, total)`` per chunk.

    Run again after its worker died, it writes only the bills still missing: the walk skips
    the bills that exist, its own drafts of the first try among them."""
    BillRun.objects.filter(pk=run.pk).update(status=BillRunStatus.RUNNING)
    scope = scope_of(run)
    walk = Walk(scope)
    writer = BillWriter(run, scope)

    def chunk_done(done, total):
        with transaction.atomic():
            writer.flush()
        if progress:
            progress(done, total)

    try:
        walk.run(writer.add, chunk_done)
        with transaction.atomic():
            writer.flush()
    except BaseException:
        _undo(run)
        raise
    summary = Bill.objects.filter(bill_run=run).aggregate(count=Count("pk"), total=Sum("amount"))
    run.bill_count = summary["count"]
    run.total_amount = summary["total"] or ZERO
    run.problems = walk.problems.as_list()
    run.status = BillRunStatus.GENERATED
    run.save(update_fields=["bill_count", "total_amount", "problems", "status", "updated_at"])
    existing = sum(t.existing for t in walk.totals.values())
    return {"created": run.bill_count, "existing": existing}


def _undo(run):
    """A failed run leaves nothing behind: its drafts go, the run says it failed."""
    while True:
        ids = list(
            Bill.objects.filter(bill_run=run, status=BillStatus.DRAFT).values_list("pk", flat=True)[
                :CHUNK
            ]
        )
        if not ids:
            break
        Bill.objects.filter(pk__in=ids)._raw_delete(Bill.objects.db)
    BillRun.objects.filter(pk=run.pk).update(status=BillRunStatus.FAILED, bill_count=0)


def _abandon(job):
    """The run's worker died for good: its drafts go, the run fails and may be restarted."""
    run = BillRun.objects.filter(
        pk=job.params["run_id"], status__in=[BillRunStatus.PENDING, BillRunStatus.RUNNING]
    ).first()
    if run is not None:
        _undo(run)


@jobs.job_handler(JOB_KIND, resumable=True, abandon=_abandon)
def bill_run_job(job):
    run = BillRun.objects.select_related("estate").get(pk=job.params["run_id"])
    if run.status in (BillRunStatus.PENDING, BillRunStatus.RUNNING):
        generate_bills(run, progress=lambda done, total: jobs.progress(job, done, total))
    # else a resumed job whose run had finished before its worker died: nothing to redo.
    return {
        "summary": _("%(count)s draft bills created.") % {"count": run.bill_count},
        "run": run.pk,
    }


def _locked_run(actor, run):
    """The run's row, locked and read again, within the actor's scope (404 outside it)."""
    runs = BillRun.objects.select_for_update()
    q = scope_q(BillRun, user_scope(actor))
    locked = (runs if q is None else runs.filter(q)).filter(pk=run.pk).first()
    if locked is None:
        raise Http404
    return locked


def restart_bill_run(actor, run):
    """Generate a failed run again (its worker died or it crashed; it kept no drafts)."""
    require_action(actor, BillRun, "add")
    with transaction.atomic():
        run = _locked_run(actor, run)
        if run.status != BillRunStatus.FAILED:
            raise StateConflict(
                _("Only a failed bill run can be started again (this one is %(status)s).")
                % {"status": run.get_status_display().lower()},
                "not_failed",
            )
        published = published_items(scope_of(run))
        if published:
            raise StateConflict(
                Preview(scope_of(run), [], [], published).blocking, "already_published"
            )
        run.status = BillRunStatus.PENDING
        run.job = jobs.start_job(actor, JOB_KIND, params={"run_id": run.pk})
        run.save(update_fields=["status", "job", "updated_at"])
        record_event(run, actor, "restarted", _("Bill run started again"))
    return run


class BillWriter:
    """Draft bills of one run as rows, written a chunk at a time with ON CONFLICT DO NOTHING."""

    COLUMNS = (
        "created_at",
        "updated_at",
        "created_by_id",
        "kind",
        "estate_id",
        "building_id",
        "unit_id",
        "parking_space_id",
        "payer_id",
        "item_id",
        "bill_run_id",
        "period",
        "period_start",
        "period_end",
        "quantity",
        "unit_price",
        "amount",
        "paid_amount",
        "refunded_amount",
        "detail",
        "note",
        "status",
        "due_date",
        "void_reason",
        "reminder_count",
    )

    def __init__(self, run, scope):
        ops = connection.ops
        now = ops.adapt_datetimefield_value(timezone.now())
        period = scope.period
        self.head = (now, now, run.created_by_id, BillKind.PERIODIC.value, run.estate_id)
        self.run_id = run.pk
        self.dates = (
            period.label,
            ops.adapt_datefield_value(period.start),
            ops.adapt_datefield_value(period.end),
        )
        self.due = {
            item.pk: ops.adapt_datefield_value(item.due_date_for(period)) for item in scope.items
        }
        self.rows = []

    def add(self, item, line, unit_id, space_id, building_id, payer_id):
        item_id = item.id
        self.rows.append(
            self.head
            + (building_id, unit_id, space_id, payer_id, item_id, self.run_id)
            + self.dates
            + (line.quantity, line.unit_price, line.amount, ZERO, ZERO, line.detail_json, "")
            + (DRAFT, self.due[item_id], "", 0)
        )

    def flush(self):
        """Write the rows gathered (call in the chunk's transaction); bills that exist stay."""
        bulk.insert(Bill, self.COLUMNS, self.rows, skip_conflicts=True)
        self.rows = []


# Publishing ---------------------------------------------------------------------------------


def publish_bill_run(actor, run):
    """Publish the run's drafts (【发布】): once; a run still generating cannot be published."""
    require_action(actor, Bill, "publish")
    with transaction.atomic():
        run = _locked_run(actor, run)
        if run.status == BillRunStatus.PUBLISHED:
            raise StateConflict(_("This bill run has been published already."), "already_published")
        if run.status != BillRunStatus.GENERATED:
            raise StateConflict(
                _("Only a generated bill run can be published (this one is %(status)s).")
                % {"status": run.get_status_display().lower()},
                "not_generated",
            )
        count = publish_drafts(actor, Bill.objects.filter(bill_run=run), events=False)
        run.status = BillRunStatus.PUBLISHED
        run.published_at = timezone.now()
        run.published_by = actor
        run.save(update_fields=["status", "published_at", "published_by", "updated_at"])
        record_event(run, actor, "published", _("%(count)s bills published") % {"count": count})
    return count
