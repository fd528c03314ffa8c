"""API of payments and refunds: list with filters, detail with allocations, create, void."""

from decimal import Decimal

import pytest

from courtyard.billing.choices import BillKind, BillStatus
from courtyard.billing.models import Bill, Payment, Refund
from courtyard.billing.payments import services
from tests.factories import UnitFactory, make_user

from .factories import make_bill

D = Decimal


@pytest.fixture
def bills(unit, items, owner):
    fee = items["property-fee"]
    return [
        make_bill(unit, fee, "300.00", period="2026-09", payer=owner),
        make_bill(unit, fee, "250.50", period="2026-10", payer=owner),
    ]


@pytest.fixture
def client_of(api, finance):
    return api(finance)


def body(bills, amounts, **extra):
    return {
        "allocations": [
            {"bill": bill.pk, "amount": amount} for bill, amount in zip(bills, amounts, strict=True)
        ],
        "method": "alipay",
        **extra,
    }


def test_create_a_payment_with_allocations(client_of, bills, owner):
    response = client_of.post(
        "/payments", body(bills, ["300.00", "100"], reference="AP1", payer=owner.pk)
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["number"].startswith("SK-") and data["status"] == "valid"
    assert D(data["amount"]) == D("400.00") and data["payer"] == owner.pk
    assert [(a["bill"], D(a["amount"])) for a in data["allocations"]] == [
        (bills[0].pk, D("300.00")),
        (bills[1].pk, D("100.00")),
    ]
    assert Bill.objects.get(pk=bills[1].pk).status == BillStatus.PARTIAL


@pytest.mark.parametrize(
    "amounts,code",
    [
        (["-1", "1"], "bad_amount"),
        (["300.01", "1"], "exceeds_outstanding"),
        (["0", "1"], "bad_amount"),
    ],
)
def test_bad_payments_answer_400_with_a_code(client_of, bills, amounts, code):
    response = client_of.post("/payments", body(bills, amounts))
    assert response.status_code == 400 and response.json()["code"] == code
    assert not Payment.objects.exists()


def test_a_non_numeric_amount_is_refused(client_of, bills):
    response = client_of.post("/payments", body(bills, ["abc", "1"]))
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"


def test_an_already_paid_bill_is_refused(client_of, finance, bills):
    services.record_payment(finance, allocations=[(bills[0], "300")], method="cash")
    response = client_of.post("/payments", body(bills[:1], ["300"]))
    assert response.status_code == 409 and response.json()["code"] == "already_paid"


def test_bills_outside_the_scope_are_not_found(client_of, bills, other_estate, items):
    foreign = make_bill(UnitFactory(entrance__building__estate=other_estate), items["water"], "9")
    response = client_of.post("/payments", body([bills[0], foreign], ["1", "1"]))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_creating_needs_the_permission(api, bills, estate):
    viewer = api(make_user("viewer", "billing.view_payment", estates=[estate]))
    response = viewer.post("/payments", body(bills[:1], ["1"]))
    assert response.status_code == 403


def test_list_filters_and_detail(client_of, finance, bills, items):
    first = services.record_payment(finance, allocations=[(bills[0], "300")], method="cash")
    second = services.record_payment(finance, allocations=[(bills[1], "50")], method="wechat")
    listing = client_of.get("/payments").json()
    assert listing["count"] == 2 and {p["id"] for p in listing["items"]} == {first.pk, second.pk}
    assert [p["id"] for p in client_of.get("/payments?method=cash").json()["items"]] == [first.pk]
    assert client_of.get("/payments", room="nowhere").json()["count"] == 0
    bad = client_of.get("/payments", status="unknown")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_filter"
    detail = client_of.get(f"/payments/{second.pk}").json()
    assert detail["method"] == "wechat" and detail["allocations"][0]["item"] == "物业费"


def test_void_through_the_api(client_of, api, finance, bills, estate):
    payment = services.record_payment(finance, allocations=[(bills[0], "300")], method="cash")
    missing = client_of.post(f"/payments/{payment.pk}/void", {"reason": ""})
    assert missing.status_code == 400 and missing.json()["code"] == "reason_required"
    done = client_of.post(f"/payments/{payment.pk}/void", {"reason": "收错户"})
    assert done.status_code == 200 and done.json()["status"] == "void"
    assert done.json()["void_reason"] == "收错户"
    again = client_of.post(f"/payments/{payment.pk}/void", {"reason": "x"})
    assert again.status_code == 409 and again.json()["code"] == "already_void"
    cashier = api(make_user("cashier", "billing.view_payment", estates=[estate]))
    assert cashier.post(f"/payments/{payment.pk}/void", {"reason": "x"}).status_code == 403


def test_refunds_through_the_api(client_of, finance, unit, items, owner):
    deposit = make_bill(
        unit, items["renovation-deposit"], "2000", kind=BillKind.TEMPORARY, payer=owner
    )
    services.record_payment(finance, allocations=[(deposit, "2000")], method="cash")
    too_much = client_of.post(
        "/refunds", {"bill": deposit.pk, "amount": "2000.01", "method": "cash", "reason": "x"}
    )
    assert too_much.status_code == 400 and too_much.json()["code"] == "exceeds_refundable"
    created = client_of.post(
        "/refunds", {"bill": deposit.pk, "amount": "1500", "method": "cash", "reason": "验收"}
    )
    assert created.status_code == 201 and created.json()["number"].startswith("TK-")
    assert D(created.json()["amount"]) == D("1500.00")
    listing = client_of.get("/refunds").json()
    assert listing["count"] == 1 and listing["items"][0]["bill"] == deposit.pk
    assert client_of.get(f"/refunds/{Refund.objects.get().pk}").status_code == 200
