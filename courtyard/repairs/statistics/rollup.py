"""The daily rollup behind the repair statistics (``WorkOrderDailyFigure``) and how it stays right.

A day is the local date (``settings.TIME_ZONE``) on which orders were reported. Its rows sum,
per estate and building, every figure of the statistics that does not depend on when it is
read (``WorkOrderDailyFigure``), and count the orders per category apart
(``WorkOrderDailyCategory``: one narrow row per category instead of every sum six times over).
What depends on the time of reading — a deadline still running turns into a breach when it
passes — is kept as a count with the earliest and latest such deadline, settled when read.

The rollup is kept right by:

- ``order_changed(order)``, which every service that saves an order calls inside its
  transaction: the order's day is marked stale (the statistics then read that day from the
  orders themselves) and is summed again once the transaction commits;
- ``refresh_stale()`` every few minutes: the days a failed summing left stale, and new days;
- ``rebuild()`` every night and from ``manage.py rebuild_repair_figures``, for orders written
  around the services (the demo data, the benchmark, corrections in the database).

A day is summed under a lock on its marker row, which the saving service takes too (an
upsert), so a summing reads every change committed before it, and a change committed after it
leaves the day stale for the next summing.
"""

import logging
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, F, FloatField, Func, Max, Min, Q, Sum
from django.utils import timezone

from ..choices import UNRESOLVED_STATUSES, WorkOrderStatus
from ..models import WorkOrder, WorkOrderDailyCategory, WorkOrderDailyFigure, WorkOrderFigureDay

log = logging.getLogger(__name__)
S = WorkOrderStatus


def local_day(moment):
    """The day (in the site's time zone) an order reported at ``moment`` belongs to."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def day_bounds(day):
    """The first instant of ``day`` and of the day after it, in the site's time zone."""
    zone = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), zone)
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), zone)


def days_between(start, end):
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def spans(days):
    """Consecutive days merged: [(first, last), …] of a sorted list of days."""
    out = []
    for day in days:
        if out and out[-1][1] + timedelta(days=1) == day:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def reported_on(days):
    """The Q of the orders reported on any of ``days`` (a few ranges of ``created_at``)."""
    q = Q(pk__in=[])
    for first, last in spans(sorted(days)):
        q |= Q(created_at__gte=day_bounds(first)[0], created_at__lt=day_bounds(last)[1])
    return q


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


NOT_CANCELLED = ~Q(status=S.CANCELLED)
# The deadlines still running: a breach once passed (the statistics' definitions).
UNANSWERED = NOT_CANCELLED & Q(accepted_at__isnull=True, response_due__isnull=False)
UNRESOLVED = Q(
    completed_at__isnull=True, status__in=UNRESOLVED_STATUSES, resolution_due__isnull=False
)


def _sums():
    """What one row of the rollup sums over its orders: rollup field → aggregate."""
    not_cancelled, unanswered, unresolved = NOT_CANCELLED, UNANSWERED, UNRESOLVED
    return {
        "orders": Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in S.values},
        "responded": Count("accepted_at"),
        "response_hours": Sum(HoursBetween("accepted_at", "created_at")),
        "resolved": Count("completed_at"),
        "resolution_hours": Sum(HoursBetween("completed_at", "created_at")),
        "response_due": Count("pk", filter=not_cancelled & Q(response_due__isnull=False)),
        "response_late": Count("pk", filter=not_cancelled & Q(accepted_at__gt=F("response_due"))),
        "resolution_due": Count("pk", filter=not_cancelled & Q(resolution_due__isnull=False)),
        "resolution_late": Count(
            "pk", filter=not_cancelled & Q(completed_at__gt=F("resolution_due"))
        ),
        "unanswered": Count("pk", filter=unanswered),
        "unanswered_due_first": Min("response_due", filter=unanswered),
        "unanswered_due_last": Max("response_due", filter=unanswered),
        "unresolved": Count("pk", filter=unresolved),
        "unresolved_due_first": Min("resolution_due", filter=unresolved),
        "unresolved_due_last": Max("resolution_due", filter=unresolved),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
        "rated": Count("rating"),
        "rating_sum": Sum("rating"),
    }


FIELDS = tuple(_sums())
BUILDING = ("estate_id", "building_id")
PREFIX = "sum_"  # annotations may not take the names of the order's own fields


def summed(orders, *keys):
    """The rollup's sums (dicts of ``FIELDS``) of ``orders``, per estate, building, category and
    any further ``keys`` (annotations already on ``orders``, such as a day)."""
    keys = (*keys, *BUILDING, "category_id")
    rows = (
        orders.order_by()
        .values(*keys)
        .annotate(**{PREFIX + name: aggregate for name, aggregate in _sums().items()})
    )
    return [
        {
            **{key: row[key] for key in keys},
            **{name: row[PREFIX + name] or 0 for name in FIELDS if "_due_" not in name},
            **{name: row[PREFIX + name] for name in FIELDS if "_due_" in name},
        }
        for row in rows
    ]


def fold(rows, keys):
    """Rows of ``summed`` added up per ``keys``: counts and sums added, running deadlines
    widened to the earliest first and the latest last."""
    out = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        known = out.get(key)
        if known is None:
            out[key] = {k: row[k] for k in keys} | {name: row[name] for name in FIELDS}
            continue
        for name in FIELDS:
            if name.endswith("_first"):
                known[name] = widen(min, known[name], row[name])
            elif name.endswith("_last"):
                known[name] = widen(max, known[name], row[name])
            else:
                known[name] += row[name]
    return list(out.values())


def widen(pick, one, other):
    """The earlier (``min``) or later (``max``) of two deadlines, either of which may be None."""
    return other if one is None else one if other is None else pick(one, other)


# Keeping the rollup right ------------------------------------------------------------------


def order_changed(order):
    """Call inside the transaction that saved ``order``: its day is read from the orders until
    it is summed again, right after the commit."""
    day = local_day(order.created_at)
    WorkOrderFigureDay.objects.bulk_create(
        [WorkOrderFigureDay(day=day, is_current=False)],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["is_current"],
    )
    transaction.on_commit(lambda: _refresh_after_commit(day), robust=True)


def _refresh_after_commit(day):
    try:
        refresh_day(day)
    except Exception:  # the day stays stale: read from the orders, summed by refresh_stale()
        log.exception("Summing the repair figures of %s failed", day)


def refresh_day(day):
    """Sum one day's orders into its rollup rows and mark the day current."""
    with transaction.atomic():
        marker, _created = WorkOrderFigureDay.objects.select_for_update().get_or_create(day=day)
        since, until = day_bounds(day)
        rows = summed(WorkOrder.objects.filter(created_at__gte=since, created_at__lt=until))
        WorkOrderDailyFigure.objects.filter(day=day).delete()
        WorkOrderDailyCategory.objects.filter(day=day).delete()
        WorkOrderDailyFigure.objects.bulk_create(
            [WorkOrderDailyFigure(day=day, **row) for row in fold(rows, BUILDING)], batch_size=500
        )
        WorkOrderDailyCategory.objects.bulk_create(
            [
                WorkOrderDailyCategory(
                    day=day, **{k: row[k] for k in (*BUILDING, "category_id")}, orders=row["orders"]
                )
                for row in rows
            ],
            batch_size=1000,
        )
        marker.is_current = True
        marker.computed_at = timezone.now()
        marker.save(update_fields=["is_current", "computed_at"])


def stale_days(start, end):
    """The days from ``start`` to ``end`` whose rollup rows are not known to be up to date."""
    current = set(
        WorkOrderFigureDay.objects.filter(
            day__gte=start, day__lte=end, is_current=True
        ).values_list("day", flat=True)
    )
    return [day for day in days_between(start, end) if day not in current]


def first_day():
    """The day the first order was reported (None without orders)."""
    first = WorkOrder.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return local_day(first) if first else None


def refresh_stale(today=None):
    """Sum the days up to today that are stale or were never summed; return how many."""
    start, today = first_day(), today or timezone.localdate()
    if start is None:
        return 0
    days = stale_days(start, today)
    for day in days:
        refresh_day(day)
    return len(days)


def rebuild(start=None, end=None):
    """Sum every day from ``start`` (default: the first order's) to ``end`` (default: today)
    again; return how many days."""
    start = start or first_day()
    end = end or timezone.localdate()
    if start is None:
        return 0
    days = days_between(start, end)
    for day in days:
        refresh_day(day)
    return len(days)
