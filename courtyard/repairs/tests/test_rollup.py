"""The daily rollup of the repair statistics: figures read from it equal the figures worked out
order by order (random orders, several scopes, ranges and steps, deadlines running at the time
of reading), and every service that changes an order keeps it up to date."""

import io
import random
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from courtyard.accounts.models import ApiToken
from courtyard.core.scoping import restrict
from courtyard.repairs import services
from courtyard.repairs.choices import UNRESOLVED_STATUSES, Urgency, WorkOrderStatus
from courtyard.repairs.models import (
    RepairCategory,
    WorkOrder,
    WorkOrderDailyCategory,
    WorkOrderDailyFigure,
    WorkOrderFigureDay,
)
from courtyard.repairs.statistics import rollup
from courtyard.repairs.statistics import selectors as statistics
from tests.factories import BuildingFactory, EstateFactory, UnitFactory, make_user

pytestmark = pytest.mark.django_db

S = WorkOrderStatus
STATS = "repairs.view_repair_statistics"
FIRST, LAST = date(2026, 2, 1), date(2026, 3, 31)
# Late on the last day: the orders of the last days still have deadlines running.
NOW = timezone.make_aware(datetime(2026, 3, 30, 15, 30))


def moment(rng, first, last):
    """A random instant (to the microsecond) between the starts of two local days."""
    start, end = rollup.day_bounds(first)[0], rollup.day_bounds(last)[1]
    return start + timedelta(microseconds=rng.randrange(int((end - start).total_seconds() * 1e6)))


def random_order(rng, number, place, category, first=FIRST, last=LAST):
    """An order in any state, written straight to the table as an import would."""
    estate, building, unit = place
    created = moment(rng, first, last)
    status = rng.choice(S.values)
    respond, resolve = rng.choice([(24, 72), (4, 24), (0.5, 4)])
    hours = lambda top: timedelta(seconds=rng.uniform(60, top * 3600 * 1.5))  # noqa: E731
    fields = {
        "response_due": created + timedelta(hours=respond) if rng.random() > 0.05 else None,
        "resolution_due": created + timedelta(hours=resolve) if rng.random() > 0.05 else None,
        "reopen_count": rng.choice([0, 0, 0, 0, 1, 2]),
    }
    if status != S.SUBMITTED and not (status == S.CANCELLED and rng.random() < 0.5):
        fields["accepted_at"] = created + hours(respond)
    if status in (S.COMPLETED, S.CLOSED):
        fields["completed_at"] = created + hours(resolve)
        if rng.random() < 0.6:
            fields["rating"] = rng.randint(1, 5)
    if rng.random() < 0.02:  # data written around the services need not be consistent
        fields["accepted_at"] = None
    made = WorkOrder.objects.create(
        number=number,
        estate=estate,
        building=building,
        unit=unit,
        location="" if unit else "大堂",
        category=category,
        description="漏水",
        urgency=Urgency.NORMAL,
        status=status,
        **fields,
    )
    WorkOrder.objects.filter(pk=made.pk).update(created_at=created)
    return made


@pytest.fixture
def world():
    """Two estates, three buildings, units that call again and again, public areas, and 460
    orders over February and March 2026."""
    rng = random.Random(20260330)
    north, south = EstateFactory(name="北苑"), EstateFactory(name="南苑")
    b1 = BuildingFactory(estate=north, name="1栋")
    b2 = BuildingFactory(estate=north, name="2栋")
    b9 = BuildingFactory(estate=south, name="9栋")
    units = [
        UnitFactory(entrance__building=building, room_no=f"{n}01")
        for building in (b1, b1, b2, b9, b9)
        for n in (1, 2)
    ]
    places = [(unit.estate, unit.building, unit) for unit in units]
    places += [(north, b1, None), (north, None, None), (south, None, None)]
    categories = [
        RepairCategory.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in [("water_electric", "水电"), ("elevator", "电梯"), ("pipes", "管道")]
    ]
    for n in range(400):
        random_order(rng, f"R-{n}", rng.choice(places), rng.choice(categories))
    for n in range(60):  # the last days, with deadlines on both sides of NOW
        last_days = (NOW.date() - timedelta(days=1), NOW.date())
        random_order(rng, f"N-{n}", rng.choice(places), rng.choice(categories), *last_days)
    return {"north": north, "south": south, "b2": b2, "b9": b9}


# Worked out order by order, from the definitions ----------------------------------------------


def expected(user, period, estate_id=None, now=NOW):
    orders = restrict(WorkOrder.objects.select_related("unit__estate", "unit__building"), user)
    if estate_id:
        orders = orders.filter(estate_id=estate_id)
    orders = [
        o for o in orders if period.start <= timezone.localtime(o.created_at).date() <= period.end
    ]
    kept = [o for o in orders if o.status != S.CANCELLED]

    def average(pairs):
        hours = [(end - start).total_seconds() / 3600 for start, end in pairs if end]
        return round(sum(hours) / len(hours), 1) if hours else None

    def rate(part, whole):
        return round(100 * part / whole, 1) if whole else None

    response = [o for o in kept if o.response_due]
    late = [
        o
        for o in response
        if (o.accepted_at and o.accepted_at > o.response_due)
        or (not o.accepted_at and o.response_due < now)
    ]
    resolution = [o for o in kept if o.resolution_due]
    overdue = [
        o
        for o in resolution
        if (o.completed_at and o.completed_at > o.resolution_due)
        or (not o.completed_at and o.status in UNRESOLVED_STATUSES and o.resolution_due < now)
    ]
    reopened = [o for o in orders if o.reopen_count]
    rated = [o.rating for o in orders if o.rating]
    kpis = {
        "total": len(orders),
        "cancelled": len(orders) - len(kept),
        "completed": len([o for o in orders if o.completed_at]),
        "response_hours": average((o.created_at, o.accepted_at) for o in orders),
        "resolution_hours": average((o.created_at, o.completed_at) for o in orders),
        "response_breaches": len(late),
        "response_breach_rate": rate(len(late), len(response)),
        "resolution_breaches": len(overdue),
        "resolution_breach_rate": rate(len(overdue), len(resolution)),
        "reopened": len(reopened),
        "reopen_rate": rate(len(reopened), len(orders)),
        "rated": len(rated),
        "rating_average": round(sum(rated) / len(rated), 2) if rated else None,
    }
    per_unit, per_pair = {}, {}
    for o in orders:
        if o.unit_id:
            per_unit[o.unit] = per_unit.get(o.unit, 0) + 1
            per_pair[o.unit_id, o.category.name] = per_pair.get((o.unit_id, o.category.name), 0) + 1
    top_units = sorted(((-n, unit.pk, unit) for unit, n in per_unit.items() if n > 1))[:10]
    repeats = {}
    for (_unit, name), n in per_pair.items():
        if n > 1:
            repeats[name] = repeats.get(name, 0) + n
    return {
        "kpis": kpis,
        "trend": count_by(orders, lambda o: step(o, period)),
        "by_category": count_by(orders, lambda o: o.category.name),
        "by_status": count_by(orders, lambda o: o.status),
        "by_building": count_by(
            orders, lambda o: (o.estate.name, o.building.name if o.building else _("No building"))
        ),
        "top_units": [
            (f"{u.estate.name} {u.building.name} {u.room_no}", -n) for n, _pk, u in top_units
        ],
        "top_categories": sorted(repeats.items(), key=lambda item: (-item[1], item[0])),
    }


def step(order, period):
    day = timezone.localtime(order.created_at).date()
    return statistics._step_start(day, period.granularity)


def count_by(orders, key):
    counts = {}
    for order in orders:
        counts[key(order)] = counts.get(key(order), 0) + 1
    return counts


def shown(figures):
    """The figures as ``expected`` words them."""
    return {
        "kpis": figures.kpis,
        "trend": {row["period"]: row["count"] for row in figures.trend if row["count"]},
        "by_category": {row["category"]: row["count"] for row in figures.by_category},
        "by_status": {row["status"]: row["count"] for row in figures.by_status if row["count"]},
        "by_building": {
            (row["estate"], row["building"]): row["count"] for row in figures.by_building
        },
        "top_units": [(row["unit"], row["count"]) for row in figures.top_units],
        "top_categories": [(row["category"], row["count"]) for row in figures.top_categories],
    }


def readers(world):
    return [
        (make_user("boss", superuser=True), None),
        (make_user("north", "repairs.view_workorder", STATS, estates=[world["north"]]), None),
        (
            make_user("b29", "repairs.view_workorder", STATS, buildings=[world["b2"], world["b9"]]),
            None,
        ),
        (make_user("all", "repairs.view_workorder", STATS, all_estates=True), world["south"].pk),
    ]


PERIODS = [
    statistics.Period(FIRST, LAST, statistics.WEEK),
    statistics.Period(date(2026, 3, 3), date(2026, 3, 30), statistics.DAY),
    statistics.Period(date(2026, 1, 20), date(2026, 4, 10), statistics.MONTH),
]


def assert_figures_match(world):
    for user, estate_id in readers(world):
        for period in PERIODS:
            want = expected(user, period, estate_id)
            got = shown(statistics.compute(user, period, estate_id, now=NOW))
            assert got == want, (user.username, period)


def test_figures_from_the_orders_when_the_rollup_is_empty(world):
    assert not WorkOrderFigureDay.objects.exists()
    assert_figures_match(world)


def test_figures_from_the_rollup_equal_those_from_the_orders(world):
    assert rollup.rebuild(date(2026, 1, 1), date(2026, 4, 30)) == 120
    assert WorkOrderDailyFigure.objects.exists() and WorkOrderDailyCategory.objects.exists()
    assert_figures_match(world)


def test_stale_days_are_read_from_the_orders(world):
    rollup.rebuild(date(2026, 1, 1), date(2026, 4, 30))
    changed = WorkOrder.objects.filter(created_at__lt=rollup.day_bounds(date(2026, 3, 10))[0])
    changed = changed.order_by("created_at")[:40]
    for order in changed:  # changed around the services, but each change marked
        WorkOrder.objects.filter(pk=order.pk).update(status=S.CANCELLED, rating=None)
        rollup.order_changed(order)
    assert WorkOrderFigureDay.objects.filter(is_current=False).count() >= 5
    assert_figures_match(world)


def test_the_running_deadlines_settle_at_the_time_of_reading(world):
    rollup.rebuild(date(2026, 1, 1), date(2026, 4, 30))
    boss = make_user("boss", superuser=True)
    period = PERIODS[0]
    result = statistics.tally(boss, period, statistics.orders_in(boss, period), now=NOW)
    _counts, undecided = result.passed(NOW)
    assert undecided["unanswered"] and undecided["unresolved"]  # both read from their orders
    for now in (NOW - timedelta(days=3), NOW, NOW + timedelta(hours=5), NOW + timedelta(days=9)):
        figures = statistics.compute(boss, period, now=now)
        assert shown(figures)["kpis"] == expected(boss, period, now=now)["kpis"], now


def test_rollup_figures_take_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    rollup.rebuild(date(2026, 1, 1), date(2026, 4, 30))
    boss = make_user("boss", superuser=True)
    with django_assert_max_num_queries(11):
        statistics.compute(boss, PERIODS[0], now=NOW)


def test_refresh_stale_sums_the_days_never_summed(world):
    today = date(2026, 3, 31)
    summed = rollup.refresh_stale(today)
    assert summed == (today - rollup.first_day()).days + 1
    assert rollup.refresh_stale(today) == 0
    assert rollup.stale_days(FIRST, today) == []


def test_rebuild_command_sums_a_range_and_the_stale_days(world, capsys):
    call_command("rebuild_repair_figures", "--from", "2026-03-01", "--to", "2026-03-31")
    assert "31 days summed" in capsys.readouterr().out
    assert rollup.stale_days(date(2026, 3, 1), date(2026, 3, 31)) == []
    call_command("rebuild_repair_figures", "--stale")
    assert rollup.stale_days(FIRST, date(2026, 3, 1)) == []


# Kept up to date by the services ----------------------------------------------------------------


@pytest.fixture
def clerk(world):
    return make_user(
        "clerk",
        "repairs.view_workorder",
        "repairs.add_workorder",
        "repairs.accept_workorder",
        "repairs.cancel_workorder",
        STATS,
        estates=[world["north"]],
    )


def day_matches_its_orders(day):
    """The day is marked current and its rows are the sums of its orders."""
    assert WorkOrderFigureDay.objects.get(day=day).is_current
    since, until = rollup.day_bounds(day)
    rows = rollup.summed(WorkOrder.objects.filter(created_at__gte=since, created_at__lt=until))
    stored = {
        (row.estate_id, row.building_id): {name: getattr(row, name) for name in rollup.FIELDS}
        for row in WorkOrderDailyFigure.objects.filter(day=day)
    }
    assert stored == {
        (row["estate_id"], row["building_id"]): {name: row[name] for name in rollup.FIELDS}
        for row in rollup.fold(rows, rollup.BUILDING)
    }
    counted = {
        (row.estate_id, row.building_id, row.category_id): row.orders
        for row in WorkOrderDailyCategory.objects.filter(day=day)
    }
    assert counted == {
        (row["estate_id"], row["building_id"], row["category_id"]): row["orders"] for row in rows
    }


def test_each_service_keeps_the_day_of_its_order_current(
    world, clerk, django_capture_on_commit_callbacks
):
    unit = UnitFactory(entrance__building__estate=world["north"], room_no="808")
    water = RepairCategory.objects.get(code="water_electric")
    with django_capture_on_commit_callbacks(execute=True):
        order = services.create_work_order(
            clerk, category=water, description="水管漏水", unit=unit, urgency="urgent"
        )
    today = rollup.local_day(order.created_at)
    day_matches_its_orders(today)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(clerk, order)
    day_matches_its_orders(today)
    assert WorkOrderDailyFigure.objects.filter(day=today, accepted=1).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(clerk, order, reason="不需要了")
    day_matches_its_orders(today)
    period = statistics.last_days(1, today)
    assert shown(statistics.compute(clerk, period)) == expected(clerk, period, now=timezone.now())


def test_a_change_leaves_its_day_stale_until_the_commit(world, clerk):
    rollup.rebuild(date(2026, 3, 1), date(2026, 3, 31))
    order = WorkOrder.objects.filter(status=S.SUBMITTED, estate=world["north"]).first()
    day = rollup.local_day(order.created_at)
    with transaction.atomic():
        services.accept(clerk, order)
        assert not WorkOrderFigureDay.objects.get(day=day).is_current
    # The test's transaction never commits: the day stays stale and is read from its orders.
    assert rollup.stale_days(day, day) == [day]
    period = statistics.Period(day, day)
    assert shown(statistics.compute(clerk, period, now=NOW)) == expected(clerk, period)


def test_closing_completed_orders_keeps_their_days_current(
    world, django_capture_on_commit_callbacks
):
    from courtyard.repairs.tasks import close_completed_orders

    rollup.rebuild(date(2026, 2, 1), date(2026, 3, 31))
    completed = list(
        WorkOrder.objects.filter(status=S.COMPLETED).values_list("created_at", flat=True)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert close_completed_orders(now=NOW + timedelta(days=30)) == len(completed)
    for created in completed:
        day_matches_its_orders(rollup.local_day(created))


def test_page_excel_and_api_show_the_rollup_figures(world, client):
    rollup.rebuild(date(2026, 1, 1), date(2026, 4, 30))
    north = make_user("north", "repairs.view_workorder", STATS, estates=[world["north"]])
    period = statistics.Period(date(2026, 3, 3), date(2026, 3, 30), statistics.DAY)
    params = {"range": "custom", "start": "2026-03-03", "end": "2026-03-30", "granularity": "day"}
    client.force_login(north)
    page = client.get(reverse("repairs:statistics"), params).context["figures"]
    want = expected(north, period, now=page.computed_at)
    assert shown(page) == want
    book = load_workbook(
        io.BytesIO(client.get(reverse("repairs:statistics"), params | {"export": "xlsx"}).content)
    )
    values = [row[1] for row in book.worksheets[0].iter_rows(min_row=4, values_only=True)]
    kpis = want["kpis"]
    assert values == [
        *(kpis[k] for k in ("total", "completed", "cancelled", "response_hours")),
        *(kpis[k] for k in ("resolution_hours", "response_breaches", "response_breach_rate")),
        *(kpis[k] for k in ("resolution_breaches", "resolution_breach_rate", "reopened")),
        *(kpis[k] for k in ("reopen_rate", "rating_average")),
    ]
    _token, raw = ApiToken.issue(north)
    body = client.get(
        "/api/v1/reports/repairs", params, headers={"Authorization": f"Bearer {raw}"}
    ).json()
    assert body["kpis"] == want["kpis"]
    assert {row["category"]: row["count"] for row in body["by_category"]} == want["by_category"]
    assert [(row["unit"], row["count"]) for row in body["top_units"]] == want["top_units"]
