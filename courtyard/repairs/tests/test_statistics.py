"""Repair statistics: every figure exactly right on a small hand-made set of work orders, the
data scope and estate filter, the page (charts, KPI cards, Excel) and the API."""

import io
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from courtyard.accounts.models import ApiToken
from courtyard.repairs.choices import Source, Urgency, WorkOrderStatus
from courtyard.repairs.models import RepairCategory, WorkOrder
from courtyard.repairs.statistics import selectors as statistics
from tests.factories import EstateFactory, UnitFactory, make_user

pytestmark = pytest.mark.django_db

MARCH = statistics.Period(date(2026, 3, 1), date(2026, 3, 31), statistics.DAY)
NOW = timezone.make_aware(datetime(2026, 3, 31, 12, 0))
STATS = "repairs.view_repair_statistics"


def at(day, hour, month=3):
    return timezone.make_aware(datetime(2026, month, day, hour, 0))


def order(number, unit, category, created, *, status, accepted=None, completed=None, **extra):
    """A work order written straight to the table (the figures only read it)."""
    response_hours = {"normal": 24, "urgent": 4}[extra.pop("urgency", "normal")]
    made = WorkOrder.objects.create(
        number=number,
        estate=unit.estate,
        building=unit.building,
        unit=unit,
        category=category,
        description="漏水",
        urgency=Urgency.NORMAL if response_hours == 24 else Urgency.URGENT,
        source=Source.PORTAL,
        status=status,
        accepted_at=created + accepted if accepted is not None else None,
        completed_at=created + completed if completed is not None else None,
        response_due=created + timedelta(hours=response_hours),
        resolution_due=created + timedelta(hours=72 if response_hours == 24 else 24),
        **extra,
    )
    WorkOrder.objects.filter(pk=made.pk).update(created_at=created)  # auto_now_add on create
    return made


def category(code, name):
    """The seeded categories (tests run without migrations, so without the data migration)."""
    return RepairCategory.objects.get_or_create(code=code, defaults={"name": name})[0]


@pytest.fixture
def data():
    """Six orders: five reported in March 2026 (four in estate A, one in B), one in February."""
    estate_a, estate_b = EstateFactory(name="甲苑"), EstateFactory(name="乙苑")
    u1 = UnitFactory(
        entrance__building__estate=estate_a, entrance__building__name="1栋", room_no="101"
    )
    u2 = UnitFactory(
        entrance__building__estate=estate_a, entrance__building__name="2栋", room_no="202"
    )
    u3 = UnitFactory(
        entrance__building__estate=estate_b, entrance__building__name="9栋", room_no="909"
    )
    water = category("water_electric", "水电")
    elevator = category("elevator", "电梯")
    pipes = category("pipes", "管道")
    hours = lambda n: timedelta(hours=n)  # noqa: E731
    # 1: on time, closed, rated 5.
    order(
        "A-1",
        u1,
        water,
        at(2, 9),
        status=WorkOrderStatus.CLOSED,
        accepted=hours(2),
        completed=hours(20),
        rating=5,
    )
    # 2: accepted late (30 h > 24 h) and completed late (80 h > 72 h), reopened once.
    order(
        "A-2",
        u1,
        water,
        at(2, 15),
        status=WorkOrderStatus.COMPLETED,
        accepted=hours(30),
        completed=hours(80),
        reopen_count=1,
    )
    # 3: urgent, never accepted: both deadlines (4 h, 24 h) long past at NOW.
    order("A-3", u2, elevator, at(10, 8), status=WorkOrderStatus.SUBMITTED, urgency="urgent")
    # 4: cancelled: counted, but not in the SLA figures.
    order("A-4", u2, pipes, at(10, 10), status=WorkOrderStatus.CANCELLED)
    # 5: estate B, on time, rated 3.
    order(
        "B-1",
        u3,
        water,
        at(5, 9),
        status=WorkOrderStatus.CLOSED,
        accepted=hours(1),
        completed=hours(10),
        rating=3,
    )
    # 6: February: outside the range.
    order(
        "A-0",
        u1,
        water,
        at(20, 9, month=2),
        status=WorkOrderStatus.CLOSED,
        accepted=hours(1),
        completed=hours(2),
    )
    return {"a": estate_a, "b": estate_b, "water": water, "elevator": elevator, "pipes": pipes}


def test_every_figure_over_all_estates(data):
    admin = make_user("admin", superuser=True)
    figures = statistics.compute(admin, MARCH, now=NOW)
    assert figures.kpis == {
        "total": 5,
        "cancelled": 1,
        "completed": 3,
        "response_hours": 11.0,  # (2 + 30 + 1) / 3
        "resolution_hours": 36.7,  # (20 + 80 + 10) / 3
        "response_breaches": 2,  # 2 late, 3 never accepted
        "response_breach_rate": 50.0,  # of the 4 not cancelled
        "resolution_breaches": 2,  # 2 late, 3 still open
        "resolution_breach_rate": 50.0,
        "reopened": 1,
        "reopen_rate": 20.0,
        "rated": 2,
        "rating_average": 4.0,
    }
    by_category = {row["category"]: row["count"] for row in figures.by_category}
    assert by_category == {data["water"].name: 3, data["elevator"].name: 1, data["pipes"].name: 1}
    assert figures.by_category[0]["category"] == data["water"].name
    assert {row["status"]: row["count"] for row in figures.by_status} == {
        "submitted": 1,
        "accepted": 0,
        "dispatched": 0,
        "in_progress": 0,
        "completed": 1,
        "closed": 2,
        "cancelled": 1,
    }
    assert sorted((r["estate"], r["building"], r["count"]) for r in figures.by_building) == [
        ("乙苑", "9栋", 1),
        ("甲苑", "1栋", 2),
        ("甲苑", "2栋", 2),
    ]
    assert sorted((r["unit"], r["count"]) for r in figures.top_units) == [
        ("甲苑 1栋 101", 2),
        ("甲苑 2栋 202", 2),
    ]
    # Only water recurs in one unit (101 twice); 202 had two different categories.
    assert figures.top_categories == [{"category": data["water"].name, "count": 2}]


def test_trend_by_day_week_and_month_with_empty_steps(data):
    admin = make_user("admin", superuser=True)
    days = statistics.compute(admin, MARCH, now=NOW).trend
    assert len(days) == 31 and days[0]["period"] == date(2026, 3, 1)
    assert {row["period"].day: row["count"] for row in days if row["count"]} == {2: 2, 5: 1, 10: 2}
    weekly = statistics.Period(MARCH.start, MARCH.end, statistics.WEEK)
    weeks = statistics.compute(admin, weekly, now=NOW).trend
    assert [(row["period"], row["count"]) for row in weeks] == [
        (date(2026, 2, 23), 0),  # the week of Sunday 1 March
        (date(2026, 3, 2), 3),
        (date(2026, 3, 9), 2),
        (date(2026, 3, 16), 0),
        (date(2026, 3, 23), 0),
        (date(2026, 3, 30), 0),
    ]
    year = statistics.Period(date(2026, 1, 1), date(2026, 3, 31), statistics.MONTH)
    months = statistics.compute(admin, year, now=NOW).trend
    assert [(row["period"], row["count"]) for row in months] == [
        (date(2026, 1, 1), 0),
        (date(2026, 2, 1), 1),
        (date(2026, 3, 1), 5),
    ]


def test_a_user_scoped_to_one_estate_sees_only_its_orders(data):
    clerk = make_user("clerk", "repairs.view_workorder", STATS, estates=[data["b"]])
    figures = statistics.compute(clerk, MARCH, now=NOW)
    assert figures.kpis["total"] == 1
    assert figures.kpis["response_hours"] == 1.0 and figures.kpis["resolution_hours"] == 10.0
    assert [row["building"] for row in figures.by_building] == ["9栋"]
    assert figures.top_units == []


def test_the_estate_filter_narrows_further(data):
    admin = make_user("admin", superuser=True)
    figures = statistics.compute(admin, MARCH, estate_id=data["a"].pk, now=NOW)
    assert figures.kpis["total"] == 4 and figures.kpis["reopen_rate"] == 25.0


def test_no_orders_gives_empty_figures(db):
    admin = make_user("admin", superuser=True)
    figures = statistics.compute(admin, MARCH, now=NOW)
    assert figures.kpis["total"] == 0 and figures.kpis["response_hours"] is None
    assert figures.kpis["reopen_rate"] is None and figures.by_building == []


def test_the_figures_take_a_fixed_number_of_queries(data, django_assert_max_num_queries):
    admin = make_user("admin", superuser=True)
    with django_assert_max_num_queries(12):  # 7 aggregates, 5 label look-ups
        statistics.compute(admin, MARCH, now=NOW)


# The page -----------------------------------------------------------------------------------


def test_the_page_needs_the_statistics_permission(client, data):
    client.force_login(make_user("clerk", "repairs.view_workorder"))
    assert client.get(reverse("repairs:statistics")).status_code == 403


def test_the_page_shows_kpis_charts_and_tables(client, data):
    client.force_login(make_user("boss", "repairs.view_workorder", STATS))
    params = {"range": "custom", "start": "2026-03-01", "end": "2026-03-31"}
    response = client.get(reverse("repairs:statistics"), params)
    assert response.status_code == 200
    text = response.content.decode()
    for chart in ("chart-trend", "chart-category", "chart-status", "chart-building"):
        assert f'data-chart-option="{chart}"' in text
        assert f'<script id="{chart}" type="application/json">' in text
    assert 'data-testid="kpi-total">5<' in text
    assert "courtyard/charts.js" in text and "echarts.min.js" in text
    assert "<script>" not in text  # no inline JavaScript (CSP)
    assert response.context["figures"].period.granularity == statistics.DAY


def test_the_page_defaults_to_the_last_30_days_and_refuses_a_bad_range(client, data):
    client.force_login(make_user("boss", "repairs.view_workorder", STATS))
    response = client.get(reverse("repairs:statistics"))
    period = response.context["figures"].period
    assert (period.end - period.start).days == 29
    bad = {"range": "custom", "start": "2026-03-31", "end": "2026-03-01"}
    response = client.get(reverse("repairs:statistics"), bad)
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def test_excel_export_of_the_figures(client, data):
    client.force_login(make_user("boss", "repairs.view_workorder", STATS))
    params = {"range": "custom", "start": "2026-03-01", "end": "2026-03-31", "export": "xlsx"}
    response = client.get(reverse("repairs:statistics"), params)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('repairs-statistics-20260301-20260331.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:3] == ["Summary", "Trend", "By category"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary["Work orders"] == 5 and summary["Reopen rate (%)"] == 20.0
    assert len(list(book["Trend"].iter_rows())) == 32  # header + 31 days


# The API ------------------------------------------------------------------------------------


def test_api_report_gives_the_same_figures(client, data):
    clerk = make_user("clerk", "repairs.view_workorder", STATS, estates=[data["a"]])
    _token, raw = ApiToken.issue(clerk)
    headers = {"Authorization": f"Bearer {raw}"}
    params = {"range": "custom", "start": "2026-03-01", "end": "2026-03-31", "granularity": "week"}
    response = client.get("/api/v1/reports/repairs", params, headers=headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kpis"]["total"] == 4 and body["granularity"] == "week"
    assert body["trend"][1] == {"period": "2026-03-02", "count": 2}
    assert {row["building"] for row in body["by_building"]} == {"1栋", "2栋"}
    bad = client.get("/api/v1/reports/repairs", {"granularity": "hour"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["code"]


def test_api_report_needs_the_permission(client, data):
    _token, raw = ApiToken.issue(make_user("clerk", "repairs.view_workorder"))
    response = client.get("/api/v1/reports/repairs", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 403


def test_the_page_keeps_the_figures_a_few_minutes_per_scope(client, data):
    boss = make_user("boss", "repairs.view_workorder", STATS)
    params = {"range": "custom", "start": "2026-03-01", "end": "2026-03-31"}
    client.force_login(boss)
    first = client.get(reverse("repairs:statistics"), params).context["figures"]
    WorkOrder.objects.filter(number="A-4").delete()
    again = client.get(reverse("repairs:statistics"), params).context["figures"]
    assert again.kpis["total"] == first.kpis["total"] == 5
    assert again.computed_at == first.computed_at
    # Another scope has figures of its own.
    client.force_login(make_user("clerk", "repairs.view_workorder", STATS, estates=[data["b"]]))
    assert client.get(reverse("repairs:statistics"), params).context["kpis"]["total"] == 1
