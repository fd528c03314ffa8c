"""Repair statistics (【报修统计】): figures over the work orders a user may see.

The figures are a few aggregate queries over ``selectors.visible_work_orders(user)`` narrowed to the
top bar's estate and to the orders *reported* in ``[start, end)``. Python only walks the
aggregated rows (periods, categories, buildings), never the orders themselves.

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
from django.db.models import Count, DateField, F, FloatField, Func, Q, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courtyard.core.scoping import has_action, narrow_to_estate, user_scope
from courtyard.estates.models import Building, Estate, Unit

from . import selectors
from .choices import UNRESOLVED_STATUSES, WorkOrderStatus
from .models import RepairCategory, WorkOrder

DAY, WEEK, MONTH = "day", "week", "month"
# A year of a large estate group is three full scans (about a second at 500,000 orders): the
# page and the API keep the figures this long per data scope, range and language.
CACHE_SECONDS = 300
GRANULARITIES = {DAY: TruncDay, WEEK: TruncWeek, MONTH: TruncMonth}
TOP = 10  # rows in the "recurs most" tables


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


def trend(orders, period):
    """Orders reported per day / week / month, with zeros for the steps without any.

    PostgreSQL truncates with ``TruncDay/TruncWeek/TruncMonth`` in the current time zone;
    on SQLite the database groups by local day and the (at most ~1,100) days are folded into
    weeks or months here."""
    if orders.db and connections[orders.db].vendor == "sqlite":
        offset = timezone.localtime(period.since).utcoffset().total_seconds() // 60
        step = SqliteLocalDate("created_at", offset)
    else:
        trunc = GRANULARITIES.get(period.granularity, TruncDay)
        step = trunc("created_at", tzinfo=timezone.get_current_timezone())
    rows = orders.annotate(step=step).values("step").annotate(count=Count("pk")).order_by()
    counts = {}
    for value, count in rows.values_list("step", "count"):
        if isinstance(value, str):
            value = date.fromisoformat(value)
        elif isinstance(value, datetime):
            value = timezone.localtime(value).date()
        key = _step_start(value, period.granularity)
        counts[key] = counts.get(key, 0) + count
    return [{"period": start, "count": counts.get(start, 0)} for start in _periods(period)]


def _names(model, ids, label=str):
    """Labels of the few records an aggregate names (one small query, no join in the
    aggregate: SQLite would otherwise walk the orders once per joined row)."""
    return {obj.pk: label(obj) for obj in model.objects.filter(pk__in=set(ids) - {None})}


class HoursBetween(Func):
    """Hours from ``start`` to ``end`` with the database's own date arithmetic (SQLite's
    Python functions for datetime differences would be called once per row)."""

    output_field = FloatField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):
        end, start = (compiler.compile(e) for e in self.source_expressions)
        if connection.vendor == "sqlite":
            sql = f"((julianday({end[0]}) - julianday({start[0]})) * 24.0)"
        elif connection.vendor == "postgresql":
            sql = f"(EXTRACT(EPOCH FROM ({end[0]} - {start[0]})) / 3600.0)"
        else:  # pragma: no cover - other backends
            sql = f"(TIMESTAMPDIFF(SECOND, {start[0]}, {end[0]}) / 3600.0)"
        return sql, (*end[1], *start[1])


def _hours(value):
    return None if value is None else round(float(value), 1)


def _rate(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _grouped(orders, now):
    """One scan: per (estate, building, category, status) the counts and sums every KPI needs.
    The groups are few (buildings × categories × states), whatever the number of orders."""
    not_cancelled = ~Q(status=WorkOrderStatus.CANCELLED)
    response_breach = Q(accepted_at__gt=F("response_due")) | Q(
        accepted_at__isnull=True, response_due__lt=now
    )
    resolution_breach = Q(completed_at__gt=F("resolution_due")) | Q(
        completed_at__isnull=True, status__in=UNRESOLVED_STATUSES, resolution_due__lt=now
    )
    return list(
        orders.values("estate_id", "building_id", "category_id", "status")
        .annotate(
            n=Count("pk"),
            accepted=Count("accepted_at"),
            response_sum=Sum(HoursBetween("accepted_at", "created_at")),
            completed=Count("completed_at"),
            resolution_sum=Sum(HoursBetween("completed_at", "created_at")),
            n_response_due=Count("pk", filter=not_cancelled & Q(response_due__isnull=False)),
            response_breaches=Count(
                "pk", filter=not_cancelled & Q(response_due__isnull=False) & response_breach
            ),
            n_resolution_due=Count("pk", filter=not_cancelled & Q(resolution_due__isnull=False)),
            resolution_breaches=Count(
                "pk", filter=not_cancelled & Q(resolution_due__isnull=False) & resolution_breach
            ),
            reopened=Count("pk", filter=Q(reopen_count__gt=0)),
            rated=Count("rating"),
            rating_sum=Sum("rating"),
        )
        .order_by()
    )


def kpis(groups):
    """Totals, average response / resolution hours, SLA breach and reopen rates."""

    def total(key):
        return sum(group[key] or 0 for group in groups)

    def average(key, count):
        n = total(count)
        return round(float(total(key)) / n, 1) if n else None

    cancelled = sum(g["n"] for g in groups if g["status"] == WorkOrderStatus.CANCELLED)
    rated = total("rated")
    return {
        "total": total("n"),
        "cancelled": cancelled,
        "completed": total("completed"),
        "response_hours": average("response_sum", "accepted"),
        "resolution_hours": average("resolution_sum", "completed"),
        "response_breaches": total("response_breaches"),
        "response_breach_rate": _rate(total("response_breaches"), total("n_response_due")),
        "resolution_breaches": total("resolution_breaches"),
        "resolution_breach_rate": _rate(total("resolution_breaches"), total("n_resolution_due")),
        "reopened": total("reopened"),
        "reopen_rate": _rate(total("reopened"), total("n")),
        "rated": rated,
        "rating_average": round(total("rating_sum") / rated, 2) if rated else None,
    }


def _counts(groups, *keys):
    counts = {}
    for group in groups:
        key = tuple(group[k] for k in keys)
        counts[key] = counts.get(key, 0) + group["n"]
    return counts


def by_category(groups):
    counts = _counts(groups, "category_id")
    names = _names(RepairCategory, [pk for (pk,) in counts], lambda c: c.name)
    result = [{"category": names.get(pk, ""), "count": n} for (pk,), n in counts.items()]
    return sorted(result, key=lambda row: (-row["count"], row["category"]))


def by_status(groups):
    counts = _counts(groups, "status")
    return [
        {"status": value, "label": str(label), "count": counts.get((value,), 0)}
        for value, label in WorkOrderStatus.choices
    ]


def by_building(groups):
    """Per building; orders for a public area without a building are one row per estate."""
    counts = _counts(groups, "estate_id", "building_id")
    estates = _names(Estate, [estate for estate, _b in counts], lambda e: e.name)
    buildings = _names(Building, [building for _e, building in counts], lambda b: b.name)
    result = [
        {
            "building": buildings.get(building) or _("No building"),
            "estate": estates.get(estate, ""),
            "count": n,
        }
        for (estate, building), n in counts.items()
    ]
    return sorted(result, key=lambda row: (-row["count"], row["estate"], row["building"]))


def recurrence(orders, limit=TOP):
    """The units with more than one order in the range, and the categories repaired more than
    once in the same unit: one scan grouped by (unit, category), summed two ways in SQL."""
    groups = (
        orders.filter(unit__isnull=False)
        .values("unit_id", "category_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    sql, params = groups.query.sql_with_params()
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
    groups = _grouped(orders, now or timezone.now())
    summary = kpis(groups)
    units, categories = recurrence(orders)
    return Figures(
        period=period,
        total=summary["total"],
        trend=trend(orders, period),
        by_category=by_category(groups),
        by_status=by_status(groups),
        by_building=by_building(groups),
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
