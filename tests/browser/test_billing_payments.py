"""Billing payments in the browser: the cashier finds a unit by its room number, ticks two of
its three bills (the total follows, a part may be typed), records one payment by WeChat and
sees the printable receipt with the amount in capital numerals."""

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from courtyard.billing.models import Bill, Payment
from courtyard.billing.tests.conftest import billing_permissions
from courtyard.billing.tests.factories import make_bill, seed_charge_items
from courtyard.residents.tests.helpers import resident_in
from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "/tmp"


@pytest.fixture
def world():
    items = seed_charge_items()
    estate = EstateFactory(name="翠湖天地", code="CHTD")
    building = BuildingFactory(estate=estate, name="3号楼")
    unit = UnitFactory(
        entrance=EntranceFactory(building=building, name="2单元"), room_no="1201", area="88.50"
    )
    owner = resident_in(unit, name="王芳", phone="13800000001")
    make_user("cashier", *billing_permissions(), estates=[estate], full_name="李收银")
    overdue = date(2026, 9, 15)
    bills = [
        make_bill(
            unit, items["property-fee"], "300.00", period="2026-09", payer=owner, due_date=overdue
        ),
        make_bill(unit, items["water"], "78.75", period="2026-10", payer=owner),
        make_bill(unit, items["electricity"], "62.00", period="2026-10", payer=owner),
    ]
    return {"unit": unit, "bills": bills, "owner": owner}


def test_cashier_records_one_payment_for_two_bills_and_prints_the_receipt(
    page, live_server, sign_in, world
):
    fee, water, electricity = world["bills"]
    sign_in("cashier")
    page.goto(f"{live_server.url}/billing/cashier/")
    page.fill("#cashier-q", "1201")
    page.get_by_role("button", name="Find").click()
    page.get_by_test_id("cashier-results").get_by_role("link", name=re.compile("1201")).click()

    table = page.get_by_test_id("cashier-bills")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page.locator(f"input[name=amount_{fee.pk}]")).to_have_value("300.00")
    total = page.get_by_test_id("cashier-total")
    expect(total).to_have_text("0.00")

    page.check(f"#bill-{fee.pk}")
    expect(total).to_have_text("300.00")
    page.check(f"#bill-{water.pk}")
    expect(total).to_have_text("378.75")
    # A part of a bill may be paid: the total follows what is typed, then back to the whole.
    page.fill(f"input[name=amount_{water.pk}]", "50")
    expect(total).to_have_text("350.00")
    page.fill(f"input[name=amount_{water.pk}]", "78.75")
    expect(total).to_have_text("378.75")

    page.locator(".cashier-methods label", has_text="WeChat Pay").click()
    page.fill("#id_reference", "4200001234567")
    page.screenshot(path=f"{SHOTS}/billing_cashier.png", full_page=True)
    page.get_by_test_id("record-payment").click()

    page.wait_for_url(re.compile(r"/billing/payments/\d+/receipt/$"))
    payment = Payment.objects.get()
    receipt = page.get_by_test_id("receipt")
    expect(page.get_by_test_id("receipt-number")).to_have_text(payment.number)
    expect(page.get_by_test_id("receipt-total")).to_have_text("¥378.75")
    expect(page.get_by_test_id("receipt-words")).to_have_text("叁佰柒拾捌元柒角伍分")
    expect(receipt).to_contain_text("王芳")
    expect(receipt).to_contain_text("3号楼 2单元 1201")
    expect(receipt).to_contain_text("WeChat Pay")
    expect(receipt).to_contain_text("李收银")
    expect(page.get_by_test_id("print-receipt")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/billing_receipt.png", full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".cy-sidebar")).to_be_hidden()
    expect(page.get_by_test_id("print-receipt")).to_be_hidden()
    page.screenshot(path=f"{SHOTS}/billing_receipt_print.png", full_page=True)

    page.emulate_media(media="screen")
    page.get_by_role("link", name="Payment details").click()
    expect(page.get_by_test_id("allocations").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("allocations")).to_contain_text("78.75")
    page.screenshot(path=f"{SHOTS}/billing_payment_detail.png", full_page=True)
    page.goto(f"{live_server.url}/billing/payments/?room=1201")
    expect(page.locator("#object-table")).to_contain_text(payment.number)
    expect(page.locator("#object-table")).to_contain_text("物业费 2026-09、水费 2026-10")
    page.screenshot(path=f"{SHOTS}/billing_payment_records.png", full_page=True)

    assert payment.amount == Decimal("378.75") and payment.method == "wechat"
    assert Bill.objects.get(pk=fee.pk).status == "paid"
    assert Bill.objects.get(pk=water.pk).status == "paid"
    assert Bill.objects.get(pk=electricity.pk).status == "unpaid"
