"""API meter-readings: the list with filters, a batch saved all or nothing with per-row codes,
accepting a flagged reading, deleting the latest."""

from decimal import Decimal

import pytest
from django.utils import timezone

from courtyard.billing.models import MeterReading
from courtyard.billing.readings.services import shift_month
from tests.factories import UnitFactory, make_user

from .factories import make_reading

# Readings are kept only of the meters a charge item bills (water and electricity).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("items")]

THIS_MONTH = timezone.localdate().strftime("%Y-%m")
LAST_MONTH = shift_month(THIS_MONTH, -1)


@pytest.fixture
def rooms(unit):
    units = [unit, UnitFactory(entrance=unit.entrance, room_no="1502", floor=15)]
    for room in units:
        value = Decimal("100")
        make_reading(room, "water", shift_month(THIS_MONTH, -4), value, value)
        for back in (3, 2, 1):
            make_reading(room, "water", shift_month(THIS_MONTH, -back), value + 10, value)
            value += 10
    return units


def test_list_filters_by_place_meter_month_and_flag(api, finance, rooms, other_estate):
    make_reading(rooms[0], "water", THIS_MONTH, "300", "130", is_flagged=True)
    foreign = UnitFactory(entrance__building__estate=other_estate)
    make_reading(foreign, "water", THIS_MONTH, "1", "0")
    client = api(finance)
    assert client.get("/meter-readings").json()["count"] == 9
    body = client.get("/meter-readings", review="needs_review").json()
    assert body["count"] == 1 and body["items"][0]["needs_review"] is True
    body = client.get("/meter-readings", unit=rooms[1].pk, period=LAST_MONTH).json()
    assert [item["reading"] for item in body["items"]] == ["130.00"]
    bad = client.get("/meter-readings", period="last month")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_filter"


def test_detail_and_scope(api, finance, rooms, other_estate):
    mine = MeterReading.objects.filter(unit=rooms[0]).first()
    foreign = make_reading(
        UnitFactory(entrance__building__estate=other_estate), "water", THIS_MONTH, "1"
    )
    client = api(finance)
    assert client.get(f"/meter-readings/{mine.pk}").json()["room_no"] == rooms[0].room_no
    assert client.get(f"/meter-readings/{foreign.pk}").status_code == 404


def test_batch_saves_every_row_and_reports_flags(api, finance, rooms):
    response = api(finance).post(
        "/meter-readings",
        {
            "readings": [
                {
                    "unit": rooms[0].pk,
                    "meter_type": "water",
                    "period": THIS_MONTH,
                    "reading": "141",
                },
                {
                    "unit": rooms[1].pk,
                    "meter_type": "water",
                    "period": THIS_MONTH,
                    "reading": "200",
                },
            ]
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["created"], body["corrected"], body["unchanged"], body["flagged"]) == (2, 0, 0, 1)
    usages = {item["unit"]: (item["usage"], item["is_flagged"]) for item in body["items"]}
    assert usages == {rooms[0].pk: ("11.00", False), rooms[1].pk: ("70.00", True)}


def test_batch_with_bad_rows_saves_nothing_and_answers_each_rows_code(
    api, finance, rooms, other_estate
):
    foreign = UnitFactory(entrance__building__estate=other_estate)
    response = api(finance).post(
        "/meter-readings",
        {
            "readings": [
                {
                    "unit": rooms[0].pk,
                    "meter_type": "water",
                    "period": THIS_MONTH,
                    "reading": "141",
                },
                {"unit": rooms[1].pk, "meter_type": "water", "period": THIS_MONTH, "reading": "99"},
                {"unit": foreign.pk, "meter_type": "water", "period": THIS_MONTH, "reading": "5"},
                {"unit": 10**9, "meter_type": "water", "period": THIS_MONTH, "reading": "5"},
                {"unit": rooms[0].pk, "meter_type": "water", "period": "2026/13", "reading": "5"},
            ]
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_rows" and "4 rows have errors" in body["detail"]
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [
        (1, "reading", "below_previous"),
        (2, "unit", "not_found"),
        (3, "unit", "not_found"),
        (4, "period", "bad_period"),
    ]
    assert not MeterReading.objects.filter(period=THIS_MONTH).exists()


def test_batch_refuses_a_meter_that_no_charge_item_bills(api, finance, rooms):
    # Issue 19: "gas" answered 201 and was kept, though nothing bills gas.
    row = {"unit": rooms[0].pk, "meter_type": "gas", "period": THIS_MONTH, "reading": "5"}
    response = api(finance).post("/meter-readings", {"readings": [row]})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("meter_type", "bad_meter")
    assert "Water" in error["message"] and "Gas" not in error["message"]
    assert not MeterReading.objects.filter(meter_type="gas").exists()


def test_an_empty_batch_is_refused(api, finance, rooms):
    response = api(finance).post("/meter-readings", {"readings": []})
    assert response.status_code == 400 and response.json()["code"] == "no_readings"


def test_a_month_that_does_not_exist_is_a_bad_filter(api, finance, rooms):
    for name in ("period", "period_from", "period_to"):
        response = api(finance).get("/meter-readings", **{name: "2026-13"})
        assert response.status_code == 400 and response.json()["code"] == "invalid_filter"


def test_batch_needs_the_add_permission(api, rooms, estate):
    viewer = make_user("viewer", "billing.view_meterreading", estates=[estate])
    response = api(viewer).post("/meter-readings", {"readings": []})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_accepting_a_flagged_reading(api, finance, rooms):
    reading = make_reading(rooms[0], "water", THIS_MONTH, "300", "130", is_flagged=True)
    client = api(finance)
    response = client.post(f"/meter-readings/{reading.pk}/accept", {"note": "业主确认"})
    assert response.status_code == 200 and response.json()["needs_review"] is False
    again = client.post(f"/meter-readings/{reading.pk}/accept", {})
    assert again.status_code == 409 and again.json()["code"] == "already_reviewed"


def test_deleting_only_the_latest(api, finance, rooms):
    client = api(finance)
    older = MeterReading.objects.get(unit=rooms[0], period=shift_month(THIS_MONTH, -2))
    refused = client.delete(f"/meter-readings/{older.pk}")
    assert refused.status_code == 409 and refused.json()["code"] == "later_reading"
    latest = MeterReading.objects.get(unit=rooms[0], period=LAST_MONTH)
    assert client.delete(f"/meter-readings/{latest.pk}").status_code == 204
