"""Repairs staff pages in the browser: a clerk accepts and dispatches a request to the suggested
technician; the technician, on a phone, starts, follows up with a photo and completes with
the resident's signature drawn on the screen; the clerk sees it completed with its timeline."""

import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from courtyard.repairs import services
from courtyard.repairs.models import FollowUp, RepairCategory, TechnicianSkill, WorkOrder
from courtyard.repairs.tests.conftest import CATEGORIES, CLERK_PERMS, TECH_PERMS, png_bytes
from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.makedirs("/tmp/shots", exist_ok=True)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world():
    estate = EstateFactory(name="翠湖花园", code="CH")
    building = BuildingFactory(estate=estate, name="1号楼")
    unit = UnitFactory(entrance=EntranceFactory(building=building, name="1单元"), room_no="1201")
    categories = {
        code: RepairCategory.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in CATEGORIES
    }
    water = categories["water_electric"]
    water.requires_signature = True
    water.save()
    clerk = make_user(
        "clerk", *CLERK_PERMS, "estates.view_unit", estates=[estate], full_name="王丽"
    )
    tech = make_user("tech", *TECH_PERMS, estates=[estate], full_name="李师傅", phone="13800001111")
    TechnicianSkill.objects.create(user=tech, category=water)
    make_user("tech2", *TECH_PERMS, estates=[estate], full_name="张师傅")
    order = services.create_work_order(
        clerk,
        category=water,
        description="厨房水槽下水管漏水，地面有积水",
        urgency="urgent",
        source="phone",
        unit=unit,
        contact_name="陈先生",
        contact_phone="13912345678",
        preferred_time="今天18:00以后",
        photos=[SimpleUploadedFile("leak.png", png_bytes(), content_type="image/png")],
    )
    services.create_work_order(
        clerk,
        category=categories["elevator"],
        description="2号电梯运行时有异响",
        urgency="normal",
        source="inspection",
        building=building,
        location="2号电梯",
    )
    return {"order": order, "unit": unit, "estate": estate, "tech": tech}


def sign_in_as(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Courtyard#2026")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_accept_dispatch_start_follow_up_complete(page, browser, live_server, world):
    order = world["order"]
    sign_in_as(page, live_server, "clerk")
    page.goto(f"{live_server.url}/repairs/pending/")
    card = page.locator(f".wo-pending[data-order='{order.number}']")
    expect(card).to_contain_text("厨房水槽下水管漏水")
    expect(card.locator(".wo-urgency")).to_have_text("Urgent")
    expect(card.locator(".wo-sla")).to_contain_text("Respond within")
    page.screenshot(path="/tmp/shots/repairs_pending.png", full_page=True)

    card.locator(".js-accept").click()
    expect(page.locator(".alert-success")).to_contain_text("Accepted.")
    expect(page.locator(f".wo-pending[data-order='{order.number}']")).to_have_count(0)

    page.goto(f"{live_server.url}/repairs/?tab=accepted")
    expect(page.locator("#object-table")).to_contain_text(order.number)
    page.screenshot(path="/tmp/shots/repairs_list.png", full_page=True)
    page.click(f"#object-table >> text={order.number}")
    page.click(".wo-actions .js-dispatch")
    suggested = page.locator(".wo-candidate.wo-suggested")
    expect(suggested).to_contain_text("李师傅")
    expect(suggested.locator("input[type=radio]")).to_be_checked()
    page.fill("#id_note", "请30分钟内联系业主")
    page.screenshot(path="/tmp/shots/repairs_dispatch.png", full_page=True)
    page.click(".wo-dispatch-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("Dispatched to 李师傅")
    expect(page.locator(".wo-assignee")).to_contain_text("李师傅")

    # The technician, on a phone.
    phone = browser.new_context(
        locale="en-US", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    phone.set_default_timeout(10_000)
    mobile = phone.new_page()
    sign_in_as(mobile, live_server, "tech")
    mobile.goto(f"{live_server.url}/repairs/mine/")
    mine = mobile.locator(f".wo-mine-card[data-order='{order.number}']")
    expect(mine).to_contain_text("请30分钟内联系业主")
    mobile.screenshot(path="/tmp/shots/repairs_mine_phone.png", full_page=True)
    mine.locator(".js-start").click()
    expect(mobile.locator(".alert-success")).to_contain_text("Work started.")

    mobile.locator(f".wo-mine-card[data-order='{order.number}'] .js-follow-up").click()
    photo_input = mobile.locator("#id_photos")
    expect(photo_input).to_have_attribute("capture", "environment")
    mobile.fill("#id_text", "已关闭总阀，等待更换下水管")
    photo_input.set_input_files(
        files=[{"name": "pipe.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    mobile.screenshot(path="/tmp/shots/repairs_follow_up_phone.png", full_page=True)
    mobile.click(".wo-submit")
    expect(mobile.locator(".alert-success")).to_contain_text("Follow-up added.")
    assert FollowUp.objects.get(work_order=order).text == "已关闭总阀，等待更换下水管"

    mobile.locator(f".wo-mine-card[data-order='{order.number}'] .js-complete").click()
    mobile.fill("#id_work_done", "更换厨房下水管及密封圈")
    mobile.fill("#id_materials", "PVC下水管1根，密封圈2个")
    mobile.fill("#id_cost", "45.00")
    # Without the signature the category refuses, and what was typed stays.
    mobile.click(".wo-submit")
    expect(mobile.locator(".invalid-feedback")).to_contain_text("signature")
    expect(mobile.locator("#id_work_done")).to_have_value("更换厨房下水管及密封圈")
    canvas = mobile.locator(".signature-pad canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    mobile.mouse.move(box["x"] + 30, box["y"] + box["height"] * 0.6)
    mobile.mouse.down()
    for step in range(1, 12):
        mobile.mouse.move(
            box["x"] + 30 + step * 22,
            box["y"] + box["height"] * (0.6 - 0.25 * (step % 2)),
            steps=3,
        )
    mobile.mouse.up()
    expect(mobile.locator("#id_signature")).to_have_value(re.compile(r"^data:image/png;base64,"))
    mobile.screenshot(path="/tmp/shots/repairs_complete_phone.png", full_page=True)
    mobile.click(".wo-submit")
    expect(mobile.locator(".alert-success")).to_contain_text("Completed.")
    expect(mobile.locator(f".wo-mine-card[data-order='{order.number}']")).to_have_count(0)
    mobile.goto(f"{live_server.url}/repairs/{order.pk}/")
    expect(mobile.locator(".wo-completion")).to_contain_text("更换厨房下水管及密封圈")
    mobile.screenshot(path="/tmp/shots/repairs_detail_phone.png", full_page=True)
    mobile.screenshot(path="/tmp/shots/repairs_detail_phone_top.png")
    phone.close()

    order.refresh_from_db()
    assert order.status == "completed" and str(order.cost) == "45.00"

    # The clerk sees it completed, with the timeline.
    page.reload()
    expect(page.locator("h2.page-title .wo-status")).to_have_text("Completed")
    timeline = page.locator(".wo-timeline")
    for text in ("Accepted", "Dispatched to 李师傅", "Work started", "已关闭总阀", "Completed"):
        expect(timeline).to_contain_text(text)
    expect(timeline.locator(".wo-thumb")).to_have_count(1)
    expect(page.locator(".wo-completion")).to_contain_text("更换厨房下水管及密封圈")
    expect(page.locator(".wo-signature-image")).to_have_count(1)
    page.screenshot(path="/tmp/shots/repairs_detail_completed.png", full_page=True)


def test_new_order_form_and_list_on_desktop(page, live_server, world):
    sign_in_as(page, live_server, "clerk")
    page.goto(f"{live_server.url}/repairs/add/")
    page.select_option("#id_estate", label="翠湖花园")
    expect(page.locator("#id_building option", has_text="1号楼")).to_have_count(1)
    page.select_option("#id_building", label="1号楼")
    page.fill("#id_location", "1号楼大堂")
    page.select_option("#id_category", label="公共设施")
    page.fill("#id_description", "大堂感应门无法关闭")
    page.select_option("#id_urgency", value="emergency")
    page.select_option("#id_source", value="walk_in")
    page.fill("#id_contact_name", "保安刘师傅")
    page.screenshot(path="/tmp/shots/repairs_new_form.png", full_page=True)
    page.click("button:has-text('Create work order')")
    expect(page.locator(".alert-success")).to_contain_text("created")
    created = WorkOrder.objects.get(description="大堂感应门无法关闭")
    assert created.unit is None and created.location == "1号楼大堂"
    page.screenshot(path="/tmp/shots/repairs_detail_new.png", full_page=True)

    page.goto(f"{live_server.url}/repairs/pending/")
    cards = page.locator(".wo-pending")
    expect(cards.first).to_contain_text("大堂感应门无法关闭")  # emergency first

    page.goto(f"{live_server.url}/repairs/")
    expect(page.locator(".wo-tabs .nav-link.active")).to_have_text("All")
    expect(page.locator("#object-table tbody tr")).to_have_count(3)
    page.screenshot(path="/tmp/shots/repairs_list_all.png", full_page=True)


def test_the_desk_shows_a_masked_contact_phone_on_request(page, live_server, world):
    order = world["order"]
    sign_in_as(page, live_server, "clerk")
    page.goto(f"{live_server.url}/repairs/{order.pk}/")
    cell = page.locator("#wo-contact-phone")
    expect(cell).to_have_attribute("aria-live", "polite")
    expect(cell).to_contain_text("139****5678")
    expect(page.locator("body")).not_to_contain_text("13912345678")
    page.screenshot(path="/tmp/shots/repairs_contact_masked.png")
    page.get_by_role("button", name="Show number").click()
    expect(cell.locator("a[href='tel:13912345678']")).to_have_text("13912345678")
    expect(cell).to_contain_text("recorded on the timeline")
    page.screenshot(path="/tmp/shots/repairs_contact_revealed.png")
    page.reload()
    expect(page.locator(".wo-timeline")).to_contain_text("Contact phone shown in full")
    expect(cell).to_contain_text("139****5678")  # shown again only on a new request
