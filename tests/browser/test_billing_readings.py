"""Meter readings in the browser: a reader enters a building's water readings on the grid by
keyboard (usage shows as typed, one unusual figure marked before saving), saves, and a
reviewer accepts the flagged reading; the charge items and fee standards pages render."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courtyard.billing.models import MeterReading
from courtyard.billing.readings.services import shift_month
from courtyard.billing.tests.factories import make_reading, seed_charge_items
from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THIS_MONTH = timezone.localdate().strftime("%Y-%m")
READER_PERMS = ("billing.view_meterreading", "billing.add_meterreading")


def open_nav(page, label):
    """Open the billing group of the left navigation and follow one of its entries."""
    entry = page.locator("#nav-billing .nav-link", has_text=label).first
    if not entry.is_visible():
        page.click(".cy-nav-toggle[href='#nav-billing']")
    entry.click()


@pytest.fixture
def world():
    estate = EstateFactory(name="翠湖花园", code="CH")
    building = BuildingFactory(estate=estate, name="1号楼", floors=18)
    entrance = EntranceFactory(building=building, name="1单元")
    rooms = []
    for floor in (1, 2, 3):
        for number in (1, 2):
            room = UnitFactory(entrance=entrance, room_no=f"{floor}0{number}", floor=floor)
            value = Decimal(200 + 10 * floor + number)
            make_reading(room, "water", shift_month(THIS_MONTH, -5), value, value)
            for back in (4, 3, 2, 1):
                usage = Decimal(8 + (back + floor + number) % 5)  # 8–12 t a month
                make_reading(room, "water", shift_month(THIS_MONTH, -back), value + usage, value)
                value += usage
            rooms.append(room)
    seed_charge_items()
    make_user("reader", *READER_PERMS, estates=[estate], full_name="抄表员小周")
    make_user(
        "reviewer",
        *READER_PERMS,
        "billing.review_meterreading",
        "billing.view_chargeitem",
        "billing.view_chargerate",
        estates=[estate],
        full_name="财务李姐",
    )
    return {"estate": estate, "building": building, "rooms": rooms}


def test_reader_enters_a_building_on_the_grid_and_the_reviewer_accepts_the_flag(
    page, live_server, sign_in, world
):
    rooms = world["rooms"]
    previous = {
        room.pk: MeterReading.objects.filter(unit=room).order_by("-period").first().reading
        for room in rooms
    }
    sign_in("reader")
    open_nav(page, "Meter reading entry")
    expect(page.locator("h2.page-title")).to_have_text("Meter reading entry")
    page.select_option("#id_building", label="翠湖花园 · 1号楼")
    page.select_option("#id_meter_type", "water")
    page.fill("#id_period", THIS_MONTH)
    page.click("text=Open the grid")
    grid = page.locator("table.reading-grid")
    expect(grid.locator("tbody tr")).to_have_count(6)
    expect(page.locator(".card-subtitle").first).to_contain_text("6 rooms: 0 read, 6 to go.")

    # The first empty room has the focus: type each figure and press Enter for the next room.
    first = page.locator(f"input[name='r-{rooms[0].pk}']")
    expect(first).to_be_focused()
    figures = {}
    for index, room in enumerate(rooms):
        usage = Decimal(60) if index == 3 else Decimal(9 + index % 3)
        figures[room.pk] = previous[room.pk] + usage
        page.keyboard.type(str(figures[room.pk]))
        row = grid.locator("tbody tr").nth(index)
        expect(row.locator(".usage")).to_have_text(f"{usage:.2f}")
        page.keyboard.press("Enter")
    unusual = grid.locator("tbody tr").nth(3)
    expect(unusual).to_have_class(re.compile(r"\bis-unusual\b"))
    expect(unusual.locator(".live-note")).to_contain_text("Unusual: more than 3 × the usual")
    expect(page.locator(".grid-save")).to_be_focused()
    expect(page.locator(".grid-save")).to_contain_text("Save 6 readings")

    # A figure below the previous reading shows red at once; fix it by going back up.
    page.keyboard.press("Shift+Tab")
    last = page.locator(f"input[name='r-{rooms[5].pk}']")
    expect(last).to_be_focused()
    last.fill(str(previous[rooms[5].pk] - 1))
    expect(grid.locator("tbody tr").nth(5)).to_have_class(re.compile(r"\bis-below\b"))
    page.screenshot(path="/tmp/readings_grid.png", full_page=True)
    last.fill(str(figures[rooms[5].pk]))
    page.click(".grid-save")

    expect(page.locator(".alert-success")).to_contain_text(
        "6 readings saved. 1 has unusual usage and waits for review before billing."
    )
    expect(page.locator(".card-subtitle").first).to_contain_text("6 read, 0 to go")
    expect(grid.locator("tbody tr").nth(3).locator(".saved-badge")).to_have_text("Awaits review")
    page.screenshot(path="/tmp/readings_grid_saved.png", full_page=True)
    flagged = MeterReading.objects.get(unit=rooms[3], period=THIS_MONTH)
    assert flagged.needs_review and flagged.usage == 60
    assert MeterReading.objects.filter(period=THIS_MONTH, is_flagged=False).count() == 5

    # The reviewer finds it on the readings list and accepts it.
    page.context.clear_cookies()
    sign_in("reviewer")
    open_nav(page, "Meter readings")
    expect(page.locator(".alert-warning")).to_contain_text("1 reading has unusual usage")
    page.click("text=Review them")
    expect(page.locator("#object-table tbody tr")).to_have_count(1)
    page.click(f"#object-table a:text-is('{rooms[3].room_no}')")
    expect(page.locator(".alert-warning")).to_contain_text("Usage 60.00 is more than 3 ×")
    page.fill("#id_note", "业主装修，已电话确认")
    page.screenshot(path="/tmp/readings_review.png", full_page=True)
    page.click("text=Accept usage")
    expect(page.locator(".alert-success").first).to_contain_text("Accepted")
    expect(page.locator(".alert")).to_contain_text(["Unusual usage, accepted"])
    expect(page.locator(".list-group")).to_contain_text("业主装修，已电话确认")
    flagged.refresh_from_db()
    assert flagged.reviewed_at is not None and not flagged.needs_review


def test_charge_items_and_fee_standards_pages(page, live_server, sign_in, world):
    sign_in("reviewer")
    open_nav(page, "Charge items")
    table = page.locator("#object-table")
    expect(table).to_contain_text("物业费")
    expect(table).to_contain_text("2.50 / m² · month")
    page.screenshot(path="/tmp/charge_items.png", full_page=True)
    page.click("text=Fee standards by estate")
    expect(page.locator("h2.page-title")).to_contain_text("翠湖花园")
    expect(page.locator(".rate-table")).to_contain_text("0–15 t: 3.50")
    page.screenshot(path="/tmp/fee_standards.png", full_page=True)
    page.click(".rate-table >> text=Water")  # seeded items read in the page's language
    expect(page.locator("#rates")).to_contain_text("above 15 t: 5.25")
    page.screenshot(path="/tmp/charge_item_water.png", full_page=True)


def test_parking_space_picks_unit_resident_and_vehicle(page, live_server, sign_in, world):
    from courtyard.residents.models import Vehicle
    from courtyard.residents.tests.helpers import resident_in

    room = world["rooms"][2]
    owner = resident_in(room, name="赵磊", phone="13611112222")
    Vehicle.objects.create(resident=owner, plate="沪A88888")
    make_user(
        "clerk",
        "billing.view_parkingspace",
        "billing.add_parkingspace",
        "billing.change_parkingspace",
        "billing.add_chargerate",
        "billing.view_chargerate",
        "billing.view_chargeitem",
        estates=[world["estate"]],
    )
    sign_in("clerk")
    open_nav(page, "Parking spaces")
    page.click("text=Add parking space")
    page.wait_for_load_state("load")
    page.fill("#id_code", "B1-018")
    page.select_option("#id_kind", "rented")
    page.fill("#id_area", "负一层北区")
    page.select_option("#id_estate", label="翠湖花园")
    expect(page.locator("#id_building option", has_text="1号楼")).to_have_count(1)
    page.select_option("#id_building", label="1号楼")
    expect(page.locator("#id_entrance option", has_text="1单元")).to_have_count(1)
    page.select_option("#id_entrance", label="1单元")
    # The picker says who lives in each unit beside its number.
    option = page.locator("#id_unit option", has_text=room.room_no)
    expect(option).to_have_count(1)
    page.select_option("#id_unit", option.get_attribute("value"))
    expect(page.locator("#id_resident option", has_text="赵磊")).to_have_count(1)
    page.select_option("#id_resident", label="赵磊")
    expect(page.locator("#id_vehicle option", has_text="沪A88888")).to_have_count(1)
    page.select_option("#id_vehicle", label="沪A88888")
    page.screenshot(path="/tmp/parking_form.png", full_page=True)
    page.click("button:has-text('Save')")
    expect(page.locator(".alert-success")).to_contain_text("Saved.")
    expect(page.locator(".datagrid")).to_contain_text("沪A88888")
    open_nav(page, "Parking spaces")
    expect(page.locator("#object-table")).to_contain_text("赵磊")
    page.screenshot(path="/tmp/parking_list.png", full_page=True)

    # The estate's own parking rate, from the fee standards.
    open_nav(page, "Fee standards")
    page.locator(".rate-table tr", has_text="Parking").first.locator(
        "text=Set for 翠湖花园"
    ).click()
    page.fill("#id_rate", "260")
    page.screenshot(path="/tmp/rate_form.png", full_page=True)
    page.click("button:has-text('Save')")
    expect(page.locator(".alert-success")).to_contain_text("Rate saved.")
    row = page.locator(".rate-table tr", has_text="Parking").first
    expect(row).to_contain_text("the estate's own rate")
    expect(row).to_contain_text("260.00")
