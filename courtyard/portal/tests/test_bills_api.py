"""API: ``/portal/bills`` and ``/portal/payments`` — a resident's own bills and payments only."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from courtyard.billing.choices import BillStatus
from courtyard.billing.payments.services import record_payment
from courtyard.billing.tests.factories import make_bill, seed_charge_items
from courtyard.residents.choices import Role
from tests.factories import UnitFactory, make_user

from .conftest import move_in, resident_account

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def items(db):
    return seed_charge_items()


@pytest.fixture
def bills(unit, resident, items):
    fee, water = items["property-fee"], items["water"]
    return {
        "unpaid": make_bill(
            unit,
            fee,
            "221.25",
            period="2026-09",
            due_date=TODAY - timedelta(days=3),
            detail={"area": "88.50", "months": 1, "rate": "2.5000"},
        ),
        "paid": make_bill(
            unit, water, "30.00", period="2026-08", status=BillStatus.PAID, paid_amount="30.00"
        ),
        "draft": make_bill(unit, fee, period="2026-10", status=BillStatus.DRAFT),
    }


def test_my_bills_unpaid_first(api, resident, bills):
    body = api(resident).get("/portal/bills").json()
    assert body["count"] == 2
    first, second = body["items"]
    assert (first["id"], first["status"], first["overdue"]) == (bills["unpaid"].pk, "unpaid", True)
    assert first["outstanding"] == "221.25" and first["item"] == "物业费"
    assert first["place"].endswith("1栋 " + bills["unpaid"].unit.entrance.name + " 1201")
    assert (second["id"], second["outstanding"]) == (bills["paid"].pk, "0.00")


def test_my_bills_by_status_and_unit(api, resident, bills, unit):
    client = api(resident)
    assert [b["id"] for b in client.get("/portal/bills", status="paid").json()["items"]] == [
        bills["paid"].pk
    ]
    assert client.get("/portal/bills", status="unpaid").json()["count"] == 1
    assert client.get("/portal/bills", unit=unit.pk + 1000).json()["count"] == 0
    bad = client.get("/portal/bills", status="late")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_filter")


def test_one_bill_with_calculation_and_payments(api, resident, bills, unit):
    cashier = make_user("cashier", "billing.add_payment", estates=[unit.estate])
    payment = record_payment(
        cashier, allocations=[(bills["unpaid"], Decimal("21.25"))], method="pos"
    )
    body = api(resident).get(f"/portal/bills/{bills['unpaid'].pk}").json()
    assert body["calculation"] == ["88.50 m² × ¥2.50 per m² per month × 1 month(s)"]
    assert body["payments"] == [
        {
            "payment": payment.pk,
            "number": payment.number,
            "paid_at": body["payments"][0]["paid_at"],
            "method": "pos",
            "amount": "21.25",
        }
    ]
    assert body["status"] == "partial" and body["outstanding"] == "200.00"


def test_drafts_and_other_peoples_bills_are_not_found(api, resident, bills, unit, items):
    client = api(resident)
    draft = client.get(f"/portal/bills/{bills['draft'].pk}")
    assert (draft.status_code, draft.json()["code"]) == (404, "not_found")
    neighbour = UnitFactory(entrance=unit.entrance, room_no="1202")
    other = make_bill(neighbour, items["water"])
    assert client.get(f"/portal/bills/{other.pk}").status_code == 404
    stranger = resident_account("13900000077", "张三")
    move_in(neighbour, "张三", "13900000077", Role.OWNER, user=stranger)
    assert api(stranger).get("/portal/bills").json()["count"] == 1


def test_my_payments_with_their_lines(api, resident, bills, unit):
    cashier = make_user("cashier", "billing.add_payment", estates=[unit.estate])
    payment = record_payment(
        cashier, allocations=[(bills["unpaid"], Decimal("221.25"))], method="wechat"
    )
    client = api(resident)
    listing = client.get("/portal/payments").json()
    assert [p["number"] for p in listing["items"]] == [payment.number]
    detail = client.get(f"/portal/payments/{payment.pk}").json()
    assert detail["method_label"] == "WeChat Pay"
    assert detail["lines"] == [
        {
            "item": "物业费",
            "period": "2026-09",
            "place": detail["lines"][0]["place"],
            "amount": "221.25",
        }
    ]
    assert client.get(f"/portal/payments/{payment.pk + 1}").status_code == 404


def test_staff_and_anonymous_callers_are_refused(api, client, staff, bills):
    assert client.get("/api/v1/portal/bills").status_code == 401
    denied = api(staff).get("/portal/bills")
    assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")
    assert api(staff).get("/portal/payments").status_code == 403
