"""My bills in the portal: unpaid first with the total, per unit; a bill with its calculation
and payments; my payments and receipts; how to pay at the office. Only my bills: the ones I
pay and those of the units I live in as owner or tenant; anyone else's is not found."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courtyard.billing.choices import BillKind, BillStatus
from courtyard.billing.models import Bill, ParkingSpace
from courtyard.billing.payments.services import record_payment, void_payment
from courtyard.billing.tests.factories import make_bill, seed_charge_items
from courtyard.billing.wiring import PAYMENT_INSTRUCTIONS
from courtyard.core import parameters
from courtyard.portal.bills.views import PAID_PER_PAGE
from courtyard.residents.choices import Role
from tests.factories import UnitFactory, make_user

from .conftest import move_in, resident_account

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def items(db):
    return seed_charge_items()


@pytest.fixture
def cashier(unit):
    return make_user(
        "cashier", "billing.add_payment", "billing.void_payment", estates=[unit.estate]
    )


@pytest.fixture
def me(resident):
    from courtyard.residents.models import Resident

    return Resident.objects.get(user=resident)


@pytest.fixture
def bills(unit, me, items):
    """Two unpaid bills of my unit (one overdue), one paid, a draft and a voided one."""
    fee, water = items["property-fee"], items["water"]
    overdue = make_bill(
        unit,
        fee,
        "221.25",
        payer=me,
        period="2026-09",
        due_date=TODAY - timedelta(days=20),
        detail={"area": "88.50", "months": 1, "rate": "2.5000"},
    )
    current = make_bill(
        unit,
        water,
        "59.25",
        period="2026-10",
        due_date=TODAY + timedelta(days=5),
        detail={
            "usage": "18",
            "tiers": [{"usage": "15", "rate": "3.50"}, {"usage": "3", "rate": "1.25"}],
        },
    )
    paid = make_bill(
        unit,
        fee,
        "221.25",
        payer=me,
        period="2026-08",
        status=BillStatus.PAID,
        paid_amount="221.25",
    )
    make_bill(unit, fee, "221.25", payer=me, period="2026-10", status=BillStatus.DRAFT)
    make_bill(unit, water, "10.00", payer=me, period="2026-07", status=BillStatus.VOID)
    return {"overdue": overdue, "current": current, "paid": paid}


@pytest.fixture
def portal(client, resident):
    client.force_login(resident)
    return client


def test_my_bills_unpaid_first_with_the_total(portal, bills):
    response = portal.get("/portal/bills/")
    assert response.status_code == 200
    places = response.context["unpaid_places"]
    assert [[b.pk for b in place.bills] for place in places] == [
        [bills["overdue"].pk, bills["current"].pk]
    ]
    assert response.context["owed"] == Decimal("280.50")
    assert [b.pk for b in response.context["paid"]] == [bills["paid"].pk]
    content = response.content.decode()
    assert "¥280.50" in content and "1 bill is past its due date." in content
    assert 'data-testid="tab-bills"' in content


def test_bills_i_pay_elsewhere_show_under_their_place(portal, bills, me, items, unit):
    space = ParkingSpace.objects.create(estate=unit.estate, code="B-012", resident=me)
    Bill.objects.create(
        kind="periodic",
        estate=unit.estate,
        parking_space=space,
        payer=me,
        item=items["parking"],
        period="2026-10",
        amount="300.00",
        status=BillStatus.UNPAID,
        due_date=TODAY,
    )
    labels = [place.label for place in portal.get("/portal/bills/").context["unpaid_places"]]
    assert labels[1] == "翠湖天地 parking space B-012"


def test_nothing_to_pay(portal, unit, items):
    response = portal.get("/portal/bills/")
    assert response.context["owed"] == 0
    assert "Nothing to pay" in response.content.decode()


def test_other_peoples_bills_are_not_mine(client, unit, bills, items):
    neighbour_unit = UnitFactory(entrance=unit.entrance, room_no="1202")
    stranger = resident_account("13900000077", "张三")
    move_in(neighbour_unit, "张三", "13900000077", Role.OWNER, user=stranger)
    client.force_login(stranger)
    assert client.get("/portal/bills/").context["owed"] == 0
    assert client.get(f"/portal/bills/{bills['overdue'].pk}/").status_code == 404


def test_a_household_member_pays_nothing_but_a_tenant_sees_the_units_bills(client, unit, bills):
    member = resident_account("13911112223", "王小红")
    move_in(unit, "王小红", "13911112223", Role.MEMBER, user=member)
    client.force_login(member)
    assert client.get("/portal/bills/").context["owed"] == 0
    tenant = resident_account("13911112224", "周杰")
    move_in(unit, "周杰", "13911112224", Role.TENANT, user=tenant)
    client.force_login(tenant)
    assert client.get("/portal/bills/").context["owed"] == Decimal("280.50")


def test_a_moved_out_owner_still_sees_the_bills_in_their_name(client, unit, bills, resident, me):
    me.occupancies.update(status="ended")
    client.force_login(resident)
    places = client.get("/portal/bills/").context["unpaid_places"]
    assert [[b.pk for b in p.bills] for p in places] == [[bills["overdue"].pk]]


def test_drafts_and_voided_bills_are_not_found(portal, bills):
    for bill in Bill.objects.filter(status__in=[BillStatus.DRAFT, BillStatus.VOID]):
        assert portal.get(f"/portal/bills/{bill.pk}/").status_code == 404


def test_a_bill_shows_its_calculation_and_payments(portal, bills, cashier):
    bill = bills["overdue"]
    payment = record_payment(cashier, allocations=[(bill, Decimal("100.00"))], method="wechat")
    response = portal.get(f"/portal/bills/{bill.pk}/")
    assert response.status_code == 200
    assert response.context["calculation"] == ["88.50 m² × ¥2.50 per m² per month × 1 month(s)"]
    content = response.content.decode()
    assert payment.number in content and f"/portal/payments/{payment.pk}/receipt/" in content
    assert "¥121.25" in content  # still to pay
    assert "Pay at the estate office" in content


def test_tiered_water_shows_each_tier(portal, bills):
    calculation = portal.get(f"/portal/bills/{bills['current'].pk}/").context["calculation"]
    assert calculation == ["Usage 18", "15 × ¥3.50 = ¥52.50", "3 × ¥1.25 = ¥3.75"]


def test_my_payments_and_receipts(portal, bills, cashier):
    first = record_payment(
        cashier, allocations=[(bills["overdue"], Decimal("221.25"))], method="cash"
    )
    second = record_payment(
        cashier, allocations=[(bills["current"], Decimal("59.25"))], method="alipay"
    )
    void_payment(cashier, second, "收错了")
    response = portal.get("/portal/payments/")
    assert [p.pk for p in response.context["payments"]] == [first.pk]
    receipt = portal.get(f"/portal/payments/{first.pk}/receipt/")
    assert receipt.status_code == 200
    content = receipt.content.decode()
    assert first.number in content and "¥221.25" in content and "贰佰贰拾壹元贰角伍分" in content
    assert portal.get(f"/portal/payments/{second.pk}/receipt/").status_code == 404


def test_someone_elses_receipt_is_not_found(client, unit, items, cashier, resident):
    elsewhere = UnitFactory(entrance=unit.entrance, room_no="1203")
    bill = make_bill(elsewhere, items["water"], "30.00")
    payment = record_payment(cashier, allocations=[(bill, Decimal("30.00"))], method="cash")
    client.force_login(resident)
    assert client.get(f"/portal/payments/{payment.pk}/receipt/").status_code == 404


def test_how_to_pay_shows_the_offices_text(portal, bills):
    parameters.set_value(PAYMENT_INSTRUCTIONS, "请到1号楼101物业服务中心缴费，周一至周六9:00–17:30")
    response = portal.get("/portal/bills/how-to-pay/")
    content = response.content.decode()
    assert "请到1号楼101物业服务中心缴费" in content and "021-55501234" in content


@pytest.mark.parametrize(
    "url",
    ["/portal/bills/", "/portal/bills/how-to-pay/", "/portal/payments/"],
)
def test_portal_bill_pages_are_for_residents(client, staff, url):
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/portal/login/" in anonymous["Location"]
    client.force_login(staff)
    assert client.get(url).status_code == 403


def test_my_bills_take_the_same_queries_for_many_bills(
    portal, unit, me, items, django_assert_max_num_queries
):
    for month in range(1, 13):
        for code in ("property-fee", "water", "electricity"):
            make_bill(unit, items[code], payer=me, period=f"2025-{month:02d}", due_date=TODAY)
    with django_assert_max_num_queries(12):
        response = portal.get("/portal/bills/")
    assert sum(len(p.bills) for p in response.context["unpaid_places"]) == 36


def paid_bills(unit, me, items, months):
    """Property fee, water and electricity of 2025's first ``months`` months, all paid."""
    for month in range(1, months + 1):
        for code in ("property-fee", "water", "electricity"):
            make_bill(
                unit,
                items[code],
                payer=me,
                period=f"2025-{month:02d}",
                period_start=date(2025, month, 1),
                due_date=date(2025, month, 15),
                status=BillStatus.PAID,
                paid_amount="100.00",
            )


def listed(page):
    return [(month.first_day, [b.item.code for b in month.bills]) for month in page]


def test_paid_bills_come_after_what_i_owe_by_month_a_page_at_a_time(portal, bills, unit, me, items):
    paid_bills(unit, me, items, 7)  # 21, and the fixture's paid bill without a period start
    repair = make_bill(
        unit,
        items["property-fee"],
        "80.00",
        kind=BillKind.TEMPORARY,
        payer=me,
        due_date=date(2025, 6, 20),
        status=BillStatus.PAID,
        paid_amount="80.00",
    )

    first = portal.get("/portal/bills/")
    assert [b.pk for b in first.context["unpaid_places"][0].bills] == [
        bills["overdue"].pk,
        bills["current"].pk,
    ]
    months = listed(first.context["paid_months"])
    assert [day for day, _codes in months] == [
        date(2026, 10, 1),  # the fixture's bill: no period start, due 2026-10-15
        date(2025, 7, 1),
        date(2025, 6, 1),
        date(2025, 5, 1),
        date(2025, 4, 1),
        date(2025, 3, 1),
        date(2025, 2, 1),
    ]
    assert months[1][1] == ["property-fee", "water", "electricity"]
    assert len(months[2][1]) == 4 and repair in first.context["paid_months"][2].bills
    assert sum(len(codes) for _day, codes in months) == PAID_PER_PAGE
    content = first.content.decode()
    assert "July 2025" in content and 'href="?page=2"' in content

    second = portal.get("/portal/bills/?page=2")
    assert second.context["unpaid_places"] == []  # what I owe is on the first page
    assert second.context["owed"] == Decimal("280.50")  # the total stays on top
    assert listed(second.context["paid_months"]) == [
        (date(2025, 1, 1), ["property-fee", "water", "electricity"]),
    ]
    assert 'href="?page=1"' in second.content.decode()
    assert portal.get("/portal/bills/?page=99").context["paid"].number == 2


def test_paid_months_read_in_chinese(portal, unit, me, items):
    paid_bills(unit, me, items, 1)
    portal.cookies["django_language"] = "zh-hans"
    assert "2025年1月" in portal.get("/portal/bills/").content.decode()


def test_a_page_of_paid_bills_takes_the_same_queries_for_more_bills(portal, unit, me, items):
    paid_bills(unit, me, items, 1)
    portal.get("/portal/bills/")  # the session and the cached parameters settle
    with CaptureQueriesContext(connection) as few:
        portal.get("/portal/bills/")
    Bill.objects.all().delete()
    paid_bills(unit, me, items, 12)
    with CaptureQueriesContext(connection) as many:
        response = portal.get("/portal/bills/")
    assert sum(len(month.bills) for month in response.context["paid_months"]) == PAID_PER_PAGE
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_amounts_read_grouped_by_thousands(portal, unit, me, items, language):
    bill = make_bill(unit, items["property-fee"], "1639566.41", payer=me, due_date=TODAY)
    portal.cookies["django_language"] = language

    listed = portal.get("/portal/bills/").content.decode()
    shown = portal.get(f"/portal/bills/{bill.pk}/").content.decode()

    assert "¥1,639,566.41" in listed and "1639566.41" not in listed
    assert "¥1,639,566.41" in shown
