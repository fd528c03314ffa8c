"""Bills in the browser: a resident sees a published bill in the portal (on a phone); finance
staff remind the payer of an overdue bill from the arrears list and export the list."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from courtyard.accounts.models import User
from courtyard.billing.bills.services import publish_bills
from courtyard.billing.choices import BillStatus
from courtyard.billing.models import Bill, Reminder
from courtyard.billing.tests.conftest import billing_permissions
from courtyard.billing.tests.factories import make_bill, seed_charge_items
from courtyard.core.models import Message
from courtyard.residents.tests.helpers import resident_in
from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Courtyard#2026"
PHONE_SIZE = {"width": 390, "height": 844}
TODAY = timezone.localdate()


@pytest.fixture
def world():
    items = seed_charge_items()
    estate = EstateFactory(name="翠湖天地", code="CHTD", phone="021-64380001")
    entrance = EntranceFactory(building=BuildingFactory(estate=estate, name="1号楼"), name="1单元")
    home = UnitFactory(entrance=entrance, room_no="1201", area="88.50")
    owner = resident_in(home, name="王芳", phone="13800000001")
    owner.user = User.objects.create_user(
        username="13800000001",
        password=PASSWORD,
        kind="resident",
        phone="13800000001",
        full_name="王芳",
        must_change_password=False,
    )
    owner.save(update_fields=["user"])
    neighbour_unit = UnitFactory(entrance=entrance, room_no="1202", area="105.00")
    neighbour = resident_in(neighbour_unit, name="李雷", phone="13900000002")
    finance = make_user("finance", *billing_permissions(), estates=[estate], full_name="张丽华")
    fee, water = items["property-fee"], items["water"]
    make_bill(home, fee, "221.25", payer=owner, period="2026-08", due_date=TODAY - timedelta(95))
    make_bill(home, water, "45.50", payer=owner, period="2026-09", due_date=TODAY - timedelta(60))
    make_bill(
        neighbour_unit,
        fee,
        "262.50",
        payer=neighbour,
        period="2026-09",
        due_date=TODAY - timedelta(62),
    )
    draft = make_bill(
        home,
        fee,
        "221.25",
        payer=owner,
        period="2026-11",
        status=BillStatus.DRAFT,
        due_date=TODAY + timedelta(10),
        detail={"area": "88.50", "months": 1, "rate": "2.5000"},
    )
    publish_bills(finance, Bill.objects.filter(pk=draft.pk))
    return {"home": home, "owner": owner, "published": draft}


def watch(page):
    """Script errors, CSP refusals and missing files (but the favicon) land in page.errors."""
    errors = []
    page.on(
        "console",
        lambda m: m.type == "error" and "Failed to load" not in m.text and errors.append(m.text),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: r.status == 404 and "favicon" not in r.url and errors.append(f"404 {r.url}"),
    )
    page.errors = errors
    return page


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        locale="en-US", viewport=PHONE_SIZE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    page = watch(context.new_page())
    yield page
    context.close()


def staff_sign_in(page, live_server, username="finance"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_a_resident_sees_the_published_bill_in_the_portal(phone, live_server, world):
    phone.goto(f"{live_server.url}/portal/login/")
    phone.fill("#id_username", "13800000001")
    phone.fill("#id_password", PASSWORD)
    phone.click("button[type=submit]")
    phone.get_by_test_id("tab-bills").click()
    expect(phone).to_have_url(re.compile(r"/portal/bills/$"))
    expect(phone.get_by_test_id("owed-total")).to_have_text("¥488.00")
    rows = phone.get_by_test_id("unpaid-place").get_by_test_id("bill-row")
    expect(rows).to_have_count(3)
    published = phone.locator(f"[data-bill='{world['published'].pk}']")
    expect(published).to_contain_text("2026-11")
    expect(published).to_contain_text("¥221.25")
    phone.screenshot(path="/tmp/portal-bills.png", full_page=True)
    published.click()
    expect(phone.get_by_test_id("bill-calculation")).to_contain_text(
        "88.50 m² × ¥2.50 per m² per month × 1 month(s)"
    )
    expect(phone.get_by_test_id("pay-instructions")).to_contain_text("Pay at the estate office")
    phone.screenshot(path="/tmp/portal-bill-detail.png", full_page=True)
    phone.get_by_role("link", name="Office and phone").click()
    expect(phone.get_by_test_id("office")).to_contain_text("021-64380001")
    assert phone.errors == []


def test_staff_remind_from_the_arrears_list_and_export_it(page, browser, live_server, world):
    watch(page)
    staff_sign_in(page, live_server)
    page.goto(f"{live_server.url}/billing/arrears/")
    summary = page.get_by_test_id("arrears-summary")
    expect(summary).to_contain_text("2 units or payers in arrears, owing ¥529.25 in total.")
    first = page.locator("table.object-table tbody tr").first
    expect(first).to_contain_text("1201")
    expect(first).to_contain_text("138****0001")
    expect(first).to_contain_text("物业费、水费")
    page.screenshot(path="/tmp/arrears-desktop.png", full_page=True)
    first.locator("input[name=row]").check()
    page.get_by_test_id("remind-selected").click()

    expect(page.get_by_test_id("remind-bills").locator("tbody tr")).to_have_count(2)
    expect(page.locator("input[name=outcome], select[name=outcome]")).to_be_hidden()
    page.get_by_label("Phone call by staff").check()
    expect(page.locator("select[name=outcome]")).to_be_visible()
    page.get_by_label("SMS").check()
    page.screenshot(path="/tmp/remind.png", full_page=True)
    page.get_by_test_id("remind-submit").click()

    expect(page.locator(".alert-success")).to_contain_text("1 reminder sent, about 2 bills.")
    expect(page).to_have_url(re.compile(r"/billing/arrears/"))
    reminders_cell = page.locator("table.object-table tbody tr").first.locator("td").nth(9)
    expect(reminders_cell).to_have_text("1")
    assert Reminder.objects.filter(bill__unit=world["home"]).count() == 2
    message = Message.objects.get(purpose="billing.reminder")
    assert message.recipient == "13800000001" and "尚欠¥266.75" in message.body

    with page.expect_download() as download:
        page.locator("#export-link").click()
    content = download.value.path().read_bytes()
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1] == "王芳" and rows[1][2] == "138****0001" and rows[1][9] == 1
    assert len(rows) == 3
    assert page.errors == []

    context = browser.new_context(locale="en-US", viewport=PHONE_SIZE, is_mobile=True)
    phone = context.new_page()
    staff_sign_in(phone, live_server)
    phone.goto(f"{live_server.url}/billing/arrears/")
    expect(phone.get_by_test_id("arrears-summary")).to_be_visible()
    phone.screenshot(path="/tmp/arrears.png", full_page=True)
    context.close()
