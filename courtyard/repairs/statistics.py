"""Repair statistics (【报修统计】): figures over the work orders a user may see.

Every figure is one aggregate query over ``selectors.visible_work_orders(user)`` narrowed to the
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

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connections
from django.db.models import Avg, Count, DateField, F, FloatField, Func, Q
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core.scoping import narrow_to_estate
from courtyard.estates.models import Building, Estate, Unit

from . import selectors
from .choices import UNRESOLVED_STATUSES, WorkOrderStatus
from .models import RepairCategory

DAY, WEEK, MONTH = "day", "week", "month"
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


def by_category(orders):
    rows = list(orders.values_list("category_id").annotate(count=Count("pk")).order_by())
    names = _names(RepairCategory, [pk for pk, _count in rows], lambda c: c.name)
    result = [{"category": names.get(pk, ""), "count": count} for pk, count in rows]
    return sorted(result, key=lambda row: (-row["count"], row["category"]))


def by_status(orders):
    counts = dict(
        orders.values("status").annotate(count=Count("pk")).values_list("status", "count")
    )
    return [
        {"status": value, "label": str(label), "count": counts.get(value, 0)}
        for value, label in WorkOrderStatus.choices
    ]


def by_building(orders):
    """Per building; orders for a public area without a building are one row per estate."""
    rows = list(
        orders.values_list("estate_id", "building_id").annotate(count=Count("pk")).order_by()
    )
    estates = _names(Estate, [estate for estate, _b, _c in rows], lambda e: e.name)
    buildings = _names(Building, [building for _e, building, _c in rows], lambda b: b.name)
    result = [
        {
            "building": buildings.get(building) or _("No building"),
            "estate": estates.get(estate, ""),
            "count": count,
        }
        for estate, building, count in rows
    ]
    return sorted(result, key=lambda row: (-row["count"], row["estate"], row["building"]))


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


def kpis(orders, now=None):
    """Totals, average response / resolution hours, SLA breach and reopen rates in one query."""
    now = now or timezone.now()
    not_cancelled = ~Q(status=WorkOrderStatus.CANCELLED)
    response_breach = Q(accepted_at__gt=F("response_due")) | Q(
        accepted_at__isnull=True, response_due__lt=now
    )
    resolution_breach = Q(completed_at__gt=F("resolution_due")) | Q(
        completed_at__isnull=True, status__in=UNRESOLVED_STATUSES, resolution_due__lt=now
    )
    figures = orders.aggregate(
        total=Count("pk"),
        cancelled=Count("pk", filter=~not_cancelled),
        completed=Count("pk", filter=Q(completed_at__isnull=False)),
        response_avg=Avg(
            HoursBetween("accepted_at", "created_at"), filter=Q(accepted_at__isnull=False)
        ),
        resolution_avg=Avg(
            HoursBetween("completed_at", "created_at"), filter=Q(completed_at__isnull=False)
        ),
        n_response_due=Count("pk", filter=not_cancelled & Q(response_due__isnull=False)),
        response_breaches=Count(
            "pk", filter=not_cancelled & Q(response_due__isnull=False) & response_breach
        ),
        n_resolution_due=Count("pk", filter=not_cancelled & Q(resolution_due__isnull=False)),
        resolution_breaches=Count(
            "pk", filter=not_cancelled & Q(resolution_due__isnull=False) & resolution_breach
        ),
        reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        rated=Count("pk", filter=Q(rating__isnull=False)),
        rating_avg=Avg("rating"),
    )
    return {
        "total": figures["total"],
        "cancelled": figures["cancelled"],
        "completed": figures["completed"],
        "response_hours": _hours(figures["response_avg"]),
        "resolution_hours": _hours(figures["resolution_avg"]),
        "response_breaches": figures["response_breaches"],
        "response_breach_rate": _rate(figures["response_breaches"], figures["n_response_due"]),
        "resolution_breaches": figures["resolution_breaches"],
        "resolution_breach_rate": _rate(
            figures["resolution_breaches"], figures["n_resolution_due"]
        ),
        "reopened": figures["reopened"],
        "reopen_rate": _rate(figures["reopened"], figures["total"]),
        "rated": figures["rated"],
        "rating_average": (
            round(float(figures["rating_avg"]), 2) if figures["rating_avg"] is not None else None
        ),
    }


def top_units(orders, limit=TOP):
    """The units with more than one order in the range, most orders first."""
    rows = list(
        orders.filter(unit__isnull=False)
        .values_list("unit_id")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .order_by("-count", "unit_id")[:limit]
    )
    units = Unit.objects.filter(pk__in=[pk for pk, _count in rows]).select_related(
        "estate", "building"
    )
    names = {
        unit.pk: " ".join(p for p in (unit.estate.name, unit.building.name, unit.room_no) if p)
        for unit in units
    }
    return [{"unit": names.get(pk, ""), "count": count} for pk, count in rows]


def _sum_by_category(groups):
    """``SUM(count)`` per category over the (category, unit) groups, in the database."""
    sql, params = groups.query.sql_with_params()
    with connections[groups.db].cursor() as cursor:
        cursor.execute(
            f"SELECT g.category_id, SUM(g.count) FROM ({sql}) g GROUP BY g.category_id", params
        )
        return [(pk, int(total)) for pk, total in cursor.fetchall()]


def top_categories(orders, limit=TOP):
    """The categories most often repaired more than once in the same unit within the range."""
    repeats = (
        orders.filter(unit__isnull=False)
        .values("category_id", "unit_id")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .order_by()
    )
    totals = _sum_by_category(repeats)
    names = _names(RepairCategory, [pk for pk, _count in totals], lambda c: c.name)
    result = [{"category": names.get(pk, ""), "count": count} for pk, count in totals]
    return sorted(result, key=lambda row: (-row["count"], row["category"]))[:limit]


def compute(user, period, estate_id=None, now=None):
    """All the figures for ``user`` over ``period`` (optionally one estate)."""
    orders = orders_in(user, period, estate_id)
    summary = kpis(orders, now=now)
    return Figures(
        period=period,
        total=summary["total"],
        trend=trend(orders, period),
        by_category=by_category(orders),
        by_status=by_status(orders),
        by_building=by_building(orders),
        kpis=summary,
        top_units=top_units(orders),
        top_categories=top_categories(orders),
    )
