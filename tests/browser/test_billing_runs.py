"""A finance clerk runs the month's bills: the preview shows a flagged water reading, the run
generates the drafts with its progress bar, the clerk publishes them; the bills list and a
bill's page show what was billed and how."""

import os

import pytest
from playwright.sync_api import expect

from courtyard.billing.models import Bill
from courtyard.billing.tests.conftest import billing_permissions
from courtyard.billing.tests.factories import make_reading, seed_charge_items
from courtyard.core.models import Message
from courtyard.residents.tests.helpers import resident_in
from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR", "/tmp")


@pytest.fixture
def world():
    seed_charge_items()
    estate = EstateFactory(name="翠湖花园", code="CH")
    building = BuildingFactory(estate=estate, name="1号楼")
    entrance = EntranceFactory(building=building, name="1单元")
    people = ["王芳", "李雷", "韩梅梅"]
    for index, name in enumerate(people):
        unit = UnitFactory(entrance=entrance, room_no=f"{index + 1}01", area="88.50")
        resident_in(unit, name=name, phone=f"1380000000{index}")
        usage = "200" if index == 2 else "12"  # 韩梅梅's reading is far above her usual
        make_reading(unit, "water", "2026-10", usage, is_flagged=index == 2)
    make_user(
        "finance", *billing_permissions(), "estates.view_unit", estates=[estate], full_name="赵会计"
    )
    return estate


def test_preview_generate_with_progress_and_publish(page, live_server, sign_in, world):
    sign_in("finance")
    page.goto(f"{live_server.url}/billing/runs/new/")
    page.select_option("#id_estate", label="翠湖花园")
    expect(page.locator("#run-buildings")).to_contain_text("1号楼")  # htmx listed them
    page.fill("#id_period", "2026-10")
    page.get_by_label("物业费 (Monthly)").check()
    page.get_by_label("水费 (Monthly)").check()
    page.click(".run-preview-button")

    preview = page.locator(".run-preview")
    expect(preview.locator(".run-bill-count")).to_have_text("5")  # 3 fees, 2 water bills
    flagged = preview.locator(".run-problem[data-code='flagged_reading']")
    expect(flagged).to_contain_text("Meter reading flagged and not reviewed")
    flagged.locator("summary").click()
    expect(flagged.locator(".run-problem-places")).to_contain_text("301")
    page.screenshot(path=f"{SHOTS}/billing_preview.png", full_page=True)
    assert not Bill.objects.exists()

    page.click(".run-generate-button")
    expect(page.locator(".run-status")).to_have_text("Generated (draft)")
    expect(page.locator(".run-progress-text")).to_contain_text("100%")
    expect(page.locator(".progress-bar")).to_have_attribute("style", "width: 100%")
    expect(page.locator(".run-bill-count")).to_have_text("5")
    expect(page.locator(".run-problem[data-code='flagged_reading']")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/billing_run.png", full_page=True)
    assert Bill.objects.filter(status="draft").count() == 5

    page.click(".run-publish-button")
    expect(page.locator(".run-published")).to_be_visible()
    expect(page.locator(".run-status")).to_have_text("Published")
    assert Bill.objects.filter(status="unpaid").count() == 5
    assert Message.objects.filter(channel="sms").count() == 3  # one per payer

    page.goto(f"{live_server.url}/billing/bills/?status=unpaid")
    expect(page.locator(".bill-total-count")).to_have_text("5")
    expect(page.locator(".bill-total-outstanding")).to_contain_text("¥")
    page.screenshot(path=f"{SHOTS}/billing_bills.png", full_page=True)

    page.locator("table.object-table a", has_text="1号楼 1单元 101").first.click()
    expect(page.locator(".bill-calculation")).to_be_visible()
    expect(page.locator(".bill-timeline")).to_contain_text("Published")
    page.screenshot(path=f"{SHOTS}/billing_bill.png", full_page=True)


def test_preview_of_a_period_far_ahead_asks_for_confirmation(browser, live_server, world):
    """In Chinese: the estate is chosen already, the preview says how far ahead it bills and
    what each problem does, and generating needs the confirmation ticked."""
    from courtyard.billing.models import BillRun
    from courtyard.billing.periods import containing

    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "finance")
    page.fill("#id_password", "Courtyard#2026")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/billing/runs/new/")
    expect(page.locator("#id_estate")).to_have_value(str(world.pk))
    start = containing(__import__("datetime").date.today(), "month").start
    index = start.year * 12 + start.month - 1 + 3
    page.fill("#id_period", f"{index // 12:04d}-{index % 12 + 1:02d}")
    page.locator(".run-items input").first.check()
    page.click(".run-preview-button")
    expect(page.locator(".run-ahead")).to_be_visible()
    expect(page.locator(".run-confirm-ahead input")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/billing_preview_ahead_zh.png", full_page=True)
    page.click(".run-generate-button")  # the box is required: the browser stops the form
    assert not BillRun.objects.exists()
    page.locator(".run-confirm-ahead input").check()
    page.click(".run-generate-button")
    expect(page.locator(".run-status")).to_be_visible()
    assert BillRun.objects.count() == 1
    context.close()
