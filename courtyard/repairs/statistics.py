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

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core.scoping import narrow_to_estate

from . import selectors
from .choices import UNRESOLVED_STATUSES, WorkOrderStatus

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


def trend(orders, period):
    """Orders reported per day / week / month, with zeros for the steps without any."""
    trunc = GRANULARITIES.get(period.granularity, TruncDay)
    rows = (
        orders.annotate(step=trunc("created_at", tzinfo=timezone.get_current_timezone()))
        .values("step")
        .annotate(count=Count("pk"))
        .values_list("step", "count")
    )
    counts = {}
    for step, count in rows:
        key = timezone.localtime(step).date() if isinstance(step, datetime) else step
        counts[key] = counts.get(key, 0) + count
    return [{"period": start, "count": counts.get(start, 0)} for start in _periods(period)]


def by_category(orders):
    rows = (
        orders.values("category_id", "category__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "category__name")
    )
    return [{"category": row["category__name"], "count": row["count"]} for row in rows]


def by_status(orders):
    counts = dict(
        orders.values("status").annotate(count=Count("pk")).values_list("status", "count")
    )
    return [
        {"status": value, "label": str(label), "count": counts.get(value, 0)}
        for value, label in WorkOrderStatus.choices
    ]


def by_building(orders):
    """Per building; orders for a public area without a building are one row of their own."""
    rows = (
        orders.values("building_id", "building__name", "estate__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "estate__name", "building__name")
    )
    return [
        {
            "building": row["building__name"] or _("No building"),
            "estate": row["estate__name"],
            "count": row["count"],
        }
        for row in rows
    ]


def _hours(value):
    """A duration (or microseconds, as some backends return averages) in hours, 1 decimal."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value) / 1e6
    return round(seconds / 3600, 1)


def _rate(part, whole):
    return round(100 * part / whole, 1) if whole else None


def kpis(orders, now=None):
    """Totals, average response / resolution hours, SLA breach and reopen rates in one query."""
    now = now or timezone.now()
    duration = DurationField()
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
            ExpressionWrapper(F("accepted_at") - F("created_at"), output_field=duration),
            filter=Q(accepted_at__isnull=False),
        ),
        resolution_avg=Avg(
            ExpressionWrapper(F("completed_at") - F("created_at"), output_field=duration),
            filter=Q(completed_at__isnull=False),
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
    rows = (
        orders.filter(unit__isnull=False)
        .values("unit_id", "estate__name", "building__name", "unit__room_no")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .order_by("-count", "unit_id")[:limit]
    )
    return [
        {
            "unit": " ".join(
                part
                for part in (row["estate__name"], row["building__name"], row["unit__room_no"])
                if part
            ),
            "count": row["count"],
        }
        for row in rows
    ]


def top_categories(orders, limit=TOP):
    """The categories most often repaired more than once in the same unit within the range."""
    repeats = (
        orders.filter(unit__isnull=False)
        .values("category__name", "unit_id")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .order_by()
    )
    counts = {}
    for row in repeats.values_list("category__name", "count"):
        counts[row[0]] = counts.get(row[0], 0) + row[1]
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [{"category": name, "count": count} for name, count in ordered]


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
