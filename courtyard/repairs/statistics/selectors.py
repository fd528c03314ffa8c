"""Repair statistics (【报修统计】): figures over the work orders a user may see.

The figures are those of ``selectors.visible_work_orders(user)`` narrowed to the top bar's
estate and to the orders *reported* in ``[start, end)``. They are read from the daily rollup
(``repairs.rollup``: sums per day, estate and building, orders per category), in the same data
scope; a day the rollup does not hold up to date is read from its orders, and so are the
orders of the days whose running deadlines "now" falls between. The recurring units and
categories are one grouped read of an index of the orders. Python only walks aggregated rows,
never the orders themselves.

Definitions:
- response time = accepted_at − created_at (orders accepted); resolution time =
  completed_at − created_at (orders completed).
- response breach: accepted after ``response_due``, or not yet accepted and now past it;
  resolution breach: completed after ``resolution_due``, or still open and now past it.
  Breach rates are over the orders with a due date that were not cancelled.
- reopen rate: orders reopened at least once (``reopen_count > 0``) over all orders in the range.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, DateField, Func, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courtyard.core.scoping import has_action, narrow_to_estate, scope_q, user_scope
from courtyard.estates.models import Building, Estate, Unit

from .. import selectors
from ..choices import WorkOrderStatus
from ..models import RepairCategory, WorkOrder, WorkOrderDailyCategory, WorkOrderDailyFigure
from . import rollup

PERMISSION = "repairs.view_repair_statistics"  # the page, its download and the API
DAY, WEEK, MONTH = "day", "week", "month"
# The page and the API keep the figures this long per data scope, range and language.
CACHE_SECONDS = 300
TOP = 10  # rows in the "recurs most" tables
RECURRENCE_INDEX = "workorder_recurrence"


@dataclass
class Period:
    """A reporting range: local dates ``start`` … ``end`` inclusive, and the trend's step."""

    start: date
    end: date
    granularity: str = DAY

    @property
    def since(self):
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self):
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


@dataclass
class Figures:
    """Everything the statistics page, its Excel export and the API show."""

    period: Period
    total: int = 0
    trend: list = field(default_factory=list)  # [{"period": date, "count": n}]
    by_category: list = field(default_factory=list)  # [{"category", "count"}]
    by_status: list = field(default_factory=list)  # [{"status", "label", "count"}]
    by_building: list = field(default_factory=list)  # [{"building", "estate", "count"}]
    kpis: dict = field(default_factory=dict)
    top_units: list = field(default_factory=list)  # [{"unit", "count"}]
    top_categories: list = field(default_factory=list)  # [{"category", "count"}]
    computed_at: datetime | None = None


def last_days(days=30, today=None):
    today = today or timezone.localdate()
    return Period(today - timedelta(days=days - 1), today, DAY)


def this_year(today=None):
    today = today or timezone.localdate()
    return Period(date(today.year, 1, 1), today, MONTH)


def orders_in(user, period, estate_id=None):
    """The work orders ``user`` may see, of one estate (optional), reported within ``period``."""
    orders = narrow_to_estate(selectors.visible_work_orders(user), estate_id)
    return orders.filter(created_at__gte=period.since, created_at__lt=period.until).order_by()


def _periods(period):
    """The local start dates of every step of the trend, empty ones included."""
    step, current, out = period.granularity, period.start, []
    if step == WEEK:
        current -= timedelta(days=current.weekday())
    elif step == MONTH:
        current = current.replace(day=1)
    while current <= period.end:
        out.append(current)
        if step == DAY:
            current += timedelta(days=1)
        elif step == WEEK:
            current += timedelta(days=7)
        else:
            current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return out


class SqliteLocalDate(Func):
    """The local date of a UTC datetime with SQLite's own ``date()`` (Django's Trunc functions
    are Python callbacks on SQLite, called once per row). The zone's offset at the period's
    start is used; zones without daylight saving (China) are exact."""

    output_field = DateField()
    arity = 1

    def __init__(self, expression, minutes):
        super().__init__(expression)
        self.minutes = int(minutes)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '{self.minutes:+d} minutes')", params


def _step_start(day, granularity):
    if granularity == WEEK:
        return day - timedelta(days=day.weekday())
    if granularity == MONTH:
        return day.replace(day=1)
    return day


def _local_day(orders, period):
    """The expression of an order's local report day."""
    if orders.db and connections[orders.db].vendor == "sqlite":
        offset = timezone.localtime(period.since).utcoffset().total_seconds() // 60
        return SqliteLocalDate("created_at", offset)
    return TruncDate("created_at", tzinfo=timezone.get_default_timezone())


def _names(model, ids, label=str):
    """Labels of the few records an aggregate names (one small query, no join in the
    aggregate: SQLite would otherwise walk the orders once per joined row)."""
    return {obj.pk: label(obj) for obj in model.objects.filter(pk__in=set(ids) - {None})}


def _rate(part, whole):
    return round(100 * part / whole, 1) if whole else None


# What the rollup rows sum (every count and sum but the running deadlines).
SUMMED = tuple(name for name in rollup.FIELDS if not name.startswith(("unanswered", "unresolved")))
RUNNING = ("unanswered", "unresolved")  # each with a _due_first and a _due_last
PER_DAY = {"orders": Sum} | {
    name: aggregate
    for kind in RUNNING
    for name, aggregate in ((kind, Sum), (f"{kind}_due_first", Min), (f"{kind}_due_last", Max))
}


@dataclass
class Tally:
    """The figures of a range before they are shown: the sums, the orders per building and
    per category, and per day the orders and the deadlines still running."""

    totals: dict = field(default_factory=lambda: dict.fromkeys(SUMMED, 0))
    buildings: dict = field(default_factory=dict)  # (estate, building) → orders
    categories: dict = field(default_factory=dict)  # category → orders
    days: dict = field(default_factory=dict)  # day → {"orders", "unanswered", …}
    response_breaches: int = 0  # running deadlines passed by the time of reading
    resolution_breaches: int = 0

    def add(self, row):
        """The sums of one estate and building (a rollup row, or the same over orders)."""
        for name in SUMMED:
            self.totals[name] += row[name] or 0
        key = (row["estate_id"], row["building_id"])
        self.buildings[key] = self.buildings.get(key, 0) + row["orders"]

    def add_category(self, category, orders):
        self.categories[category] = self.categories.get(category, 0) + orders

    def add_day(self, row):
        """One day's orders and running deadlines (summed, or a part of them)."""
        known = self.days.setdefault(row["day"], dict.fromkeys(PER_DAY))
        for name in PER_DAY:
            if name.endswith("_first"):
                known[name] = rollup.widen(min, known[name], row[name])
            elif name.endswith("_last"):
                known[name] = rollup.widen(max, known[name], row[name])
            else:
                known[name] = (known[name] or 0) + (row[name] or 0)

    def passed(self, now):
        """Per kind of running deadline: how many have passed by ``now`` on the days where all
        have, and the days where only some have (their orders are to be looked at)."""
        counts, undecided = dict.fromkeys(RUNNING, 0), {kind: [] for kind in RUNNING}
        for day, known in self.days.items():
            for kind in RUNNING:
                if not known[kind]:
                    continue
                if known[f"{kind}_due_last"] < now:
                    counts[kind] += known[kind]
                elif known[f"{kind}_due_first"] < now:
                    undecided[kind].append(day)
        return counts, undecided


def _grouped(rows, keys, aggregates):
    """Rollup rows summed per ``keys`` (the annotations take a prefix: a name of their own
    would clash with the row's field)."""
    grouped = rows.values(*keys).annotate(
        **{rollup.PREFIX + name: aggregate(name) for name, aggregate in aggregates.items()}
    )
    return [
        {
            **{key: row[key] for key in keys},
            **{name: row[rollup.PREFIX + name] for name in aggregates},
        }
        for row in grouped
    ]


def stored(model, user, period, estate_id=None):
    """The rollup rows (``model``) of ``period`` for the orders ``user`` may see: as
    ``visible_work_orders``, the orders' view permission and the data scope by the same
    estate and building lookups."""
    if not has_action(user, WorkOrder, "view"):
        return model.objects.none()
    rows = model.objects.filter(day__gte=period.start, day__lte=period.end).order_by()
    q = scope_q(model, user_scope(user))
    return narrow_to_estate(rows if q is None else rows.filter(q), estate_id)


def tally(user, period, orders, estate_id=None, now=None):
    """The figures of ``orders`` (``orders_in``): the days the rollup holds up to date from it
    (three grouped reads), the other days from the orders, then the running deadlines."""
    now = now or timezone.now()
    result = Tally()
    stale = rollup.stale_days(period.start, period.end)
    figures = stored(WorkOrderDailyFigure, user, period, estate_id)
    categories = stored(WorkOrderDailyCategory, user, period, estate_id)
    if stale:
        figures, categories = figures.exclude(day__in=stale), categories.exclude(day__in=stale)
    for row in _grouped(figures, rollup.BUILDING, dict.fromkeys(SUMMED, Sum)):
        result.add(row)
    for row in _grouped(figures, ("day",), PER_DAY):
        result.add_day(row)
    for row in _grouped(categories, ("category_id",), {"orders": Sum}):
        result.add_category(row["category_id"], row["orders"])
    if stale:
        day = _local_day(orders, period)
        rows = rollup.summed(orders.filter(rollup.reported_on(stale)).annotate(day=day), "day")
        for row in rows:
            result.add_category(row["category_id"], row["orders"])
        for row in rollup.fold(rows, rollup.BUILDING):
            result.add(row)
        for row in rollup.fold(rows, ("day",)):
            result.add_day(row)
    _settle(result, user, estate_id, now)
    return result


def _settle(result, user, estate_id, now):
    """The running deadlines passed by ``now``: from the earliest and latest per day, and for
    the days where ``now`` lies between them from those days' orders."""
    counts, undecided = result.passed(now)
    if undecided["unanswered"] or undecided["unresolved"]:
        answer, resolve = (rollup.reported_on(undecided[kind]) for kind in RUNNING)
        # Only those days' orders: with the whole range in the query SQLite walks the range.
        orders = narrow_to_estate(selectors.visible_work_orders(user), estate_id).order_by()
        looked_at = orders.filter(answer | resolve).aggregate(
            unanswered=Count("pk", filter=rollup.UNANSWERED & Q(response_due__lt=now) & answer),
            unresolved=Count("pk", filter=rollup.UNRESOLVED & Q(resolution_due__lt=now) & resolve),
        )
        counts = {kind: counts[kind] + looked_at[kind] for kind in RUNNING}
    result.response_breaches = counts["unanswered"]
    result.resolution_breaches = counts["unresolved"]


def trend(result, period):
    """Orders reported per day / week / month, with zeros for the steps without any."""
    counts = {}
    for day, known in result.days.items():
        key = _step_start(day, period.granularity)
        counts[key] = counts.get(key, 0) + known["orders"]
    return [{"period": start, "count": counts.get(start, 0)} for start in _periods(period)]


def kpis(result):
    """Totals, average response / resolution hours, SLA breach and reopen rates."""
    totals = result.totals

    def average(key, count):
        n = totals[count]
        return round(float(totals[key]) / n, 1) if n else None

    response_breaches = totals["response_late"] + result.response_breaches
    resolution_breaches = totals["resolution_late"] + result.resolution_breaches
    rated = totals["rated"]
    return {
        "total": totals["orders"],
        "cancelled": totals["cancelled"],
        "completed": totals["resolved"],
        "response_hours": average("response_hours", "responded"),
        "resolution_hours": average("resolution_hours", "resolved"),
        "response_breaches": response_breaches,
        "response_breach_rate": _rate(response_breaches, totals["response_due"]),
        "resolution_breaches": resolution_breaches,
        "resolution_breach_rate": _rate(resolution_breaches, totals["resolution_due"]),
        "reopened": totals["reopened"],
        "reopen_rate": _rate(totals["reopened"], totals["orders"]),
        "rated": rated,
        "rating_average": round(totals["rating_sum"] / rated, 2) if rated else None,
    }


def by_category(result):
    names = _names(RepairCategory, result.categories, lambda c: c.name)
    rows = [{"category": names.get(pk, ""), "count": n} for pk, n in result.categories.items() if n]
    return sorted(rows, key=lambda row: (-row["count"], row["category"]))


def by_status(result):
    return [
        {"status": value, "label": str(label), "count": result.totals[value]}
        for value, label in WorkOrderStatus.choices
    ]


def by_building(result):
    """Per building; orders for a public area without a building are one row per estate."""
    counts = {key: n for key, n in result.buildings.items() if n}
    estates = _names(Estate, [estate for estate, _b in counts], lambda e: e.name)
    buildings = _names(Building, [building for _e, building in counts], lambda b: b.name)
    rows = [
        {
            "building": buildings.get(building) or _("No building"),
            "estate": estates.get(estate, ""),
            "count": n,
        }
        for (estate, building), n in counts.items()
    ]
    return sorted(rows, key=lambda row: (-row["count"], row["estate"], row["building"]))


def recurrence(orders, limit=TOP):
    """The units with more than one order in the range, and the categories repaired more than
    once in the same unit: one scan grouped by (unit, category), summed two ways in SQL.

    The scan reads the ``workorder_recurrence`` index alone, in its order, so that grouping
    needs no hash or sort of every pair: asking for that order steers PostgreSQL to it, and
    SQLite is told (it would rather seek the range with an index that needs every row)."""
    groups = (
        orders.filter(unit__isnull=False)
        .values("unit_id", "category_id")
        .annotate(count=Count("*"))  # not the id: it is not in the index
        .order_by("unit_id", "category_id")
    )
    sql, params = groups.query.sql_with_params()
    if connections[orders.db].vendor == "sqlite":
        table = f'FROM "{WorkOrder._meta.db_table}"'
        sql = sql.replace(table, f'{table} INDEXED BY "{RECURRENCE_INDEX}"', 1)
    query = (
        f"WITH g AS ({sql}) "
        "SELECT * FROM (SELECT 'u' AS kind, g.unit_id AS id, SUM(g.count) AS n FROM g"
        " GROUP BY g.unit_id HAVING SUM(g.count) > 1"
        f" ORDER BY n DESC, id LIMIT {int(limit)}) AS units "
        "UNION ALL "
        "SELECT * FROM (SELECT 'c' AS kind, g.category_id AS id, SUM(g.count) AS n FROM g"
        " WHERE g.count > 1 GROUP BY g.category_id) AS categories"
    )
    with connections[orders.db].cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    unit_rows = [(pk, int(n)) for kind, pk, n in rows if kind == "u"]
    category_rows = [(pk, int(n)) for kind, pk, n in rows if kind == "c"]
    units = Unit.objects.filter(pk__in=[pk for pk, _n in unit_rows]).select_related(
        "estate", "building"
    )
    unit_names = {
        unit.pk: " ".join(p for p in (unit.estate.name, unit.building.name, unit.room_no) if p)
        for unit in units
    }
    top_units = sorted(
        ({"unit": unit_names.get(pk, ""), "count": n} for pk, n in unit_rows),
        key=lambda row: -row["count"],
    )
    names = _names(RepairCategory, [pk for pk, _n in category_rows], lambda c: c.name)
    top_categories = sorted(
        ({"category": names.get(pk, ""), "count": n} for pk, n in category_rows),
        key=lambda row: (-row["count"], row["category"]),
    )[:limit]
    return top_units, top_categories


def compute(user, period, estate_id=None, now=None):
    """All the figures for ``user`` over ``period`` (optionally one estate)."""
    orders = orders_in(user, period, estate_id)
    result = tally(user, period, orders, estate_id, now)
    summary = kpis(result)
    units, categories = recurrence(orders)
    return Figures(
        period=period,
        total=summary["total"],
        trend=trend(result, period),
        by_category=by_category(result),
        by_status=by_status(result),
        by_building=by_building(result),
        kpis=summary,
        top_units=units,
        top_categories=categories,
    )


def cache_key(user, period, estate_id=None):
    """Figures are shared by users who see the same orders: same view permission and scope."""
    scope = user_scope(user)
    parts = [
        "repairs-stats",
        int(has_action(user, WorkOrder, "view")),
        "all" if scope.all_estates else ",".join(map(str, sorted(scope.estate_ids))),
        ",".join(map(str, sorted(scope.building_ids))),
        estate_id or "",
        period.start.isoformat(),
        period.end.isoformat(),
        period.granularity,
        translation.get_language() or "",
    ]
    return "repairs-stats:" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def cached_figures(user, period, estate_id=None):
    """The figures of ``compute``, kept ``CACHE_SECONDS`` (``computed_at`` says from when)."""
    key = cache_key(user, period, estate_id)
    figures = cache.get(key)
    if figures is None:
        figures = compute(user, period, estate_id)
        figures.computed_at = timezone.now()
        cache.set(key, figures, CACHE_SECONDS)
    return figures
