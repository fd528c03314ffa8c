"""A clerk imports units: a file with a bad row is refused with a per-row report, then fixed."""

import io

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from courtyard.estates.models import Unit
from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERMS = [
    f"estates.{action}_{model}"
    for model in ("estate", "building", "entrance", "unit")
    for action in ("view", "add", "change", "delete")
]


def write_units_file(path, rows):
    book = Workbook()
    book.active.append(["项目", "楼栋", "单元", "房号", "楼层", "面积", "用途", "状态"])
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def register():
    estate = EstateFactory(name="翠湖花园", code="CH")
    building = BuildingFactory(estate=estate, name="1栋", floors=18)
    entrance = EntranceFactory(building=building, name="1单元")
    statuses = ["occupied", "rented", "vacant", "decorating", "occupied", "occupied"]
    for floor in range(1, 7):
        for position in (1, 2):
            UnitFactory(
                entrance=entrance,
                room_no=f"{floor}{position:02d}",
                floor=floor,
                status=statuses[(floor + position) % len(statuses)],
            )
    make_user("clerk", *PERMS, estates=[estate], full_name="王丽")
    return entrance


def test_clerk_imports_units_after_fixing_a_bad_row(page, live_server, sign_in, register, tmp_path):
    sign_in("clerk")
    page.goto(f"{live_server.url}/estates/units/")
    page.screenshot(path="/tmp/shots/unit_list.png", full_page=True)
    page.click("text=Import")
    assert "/estates/units/import/" in page.url

    bad = write_units_file(
        tmp_path / "bad.xlsx",
        [
            ["翠湖花园", "1栋", "2单元", "101", 1, 89.5, "住宅", "空置"],
            ["翠湖花园", "1栋", "1单元", "101", 1, 89.5, "住宅", "已入住"],  # exists already
            ["翠湖花园", "1栋", "2单元", "102", 1, -3, "住宅", "空置"],  # bad area
        ],
    )
    page.set_input_files("#import-file", bad)
    page.click("button:has-text('Start import')")
    page.wait_for_selector("table.job-errors")
    report = page.inner_text("table.job-errors")
    assert (
        "3" in report and "Room number" in report and "This room number already exists." in report
    )
    assert "Floor area" in report
    page.screenshot(path="/tmp/shots/unit_import_errors.png", full_page=True)
    assert Unit.objects.count() == 12  # nothing imported

    good = write_units_file(
        tmp_path / "good.xlsx",
        [
            ["翠湖花园", "1栋", "2单元", "101", 1, 89.5, "住宅", "空置"],
            ["翠湖花园", "1栋", "2单元", "102", 1, 93.25, "住宅", "已入住"],
        ],
    )
    page.goto(f"{live_server.url}/estates/units/import/")
    page.set_input_files("#import-file", good)
    page.click("button:has-text('Start import')")
    page.wait_for_selector("text=2 units imported.")
    page.screenshot(path="/tmp/shots/unit_import_done.png", full_page=True)
    assert Unit.objects.filter(entrance__name="2单元").count() == 2

    page.goto(f"{live_server.url}/estates/units/?building={register.building_id}&status=occupied")
    page.screenshot(path="/tmp/shots/unit_list_filtered.png", full_page=True)
    assert page.locator("table.object-table tbody tr").count() >= 1


def choose(page, select, value):
    """Pick an option and wait for the htmx answer that swaps the three parent selects."""
    with page.expect_response(lambda response: "/units/parents/" in response.url):
        page.select_option(select, str(value))
    expect(page.locator(".htmx-settling, .htmx-added")).to_have_count(0)


def test_unit_pages_look_right(page, live_server, sign_in, register):
    sign_in("clerk")
    unit = Unit.objects.get(room_no="101", entrance=register)
    page.goto(f"{live_server.url}{unit.get_absolute_url()}")
    page.screenshot(path="/tmp/shots/unit_detail.png", full_page=True)
    page.goto(f"{live_server.url}/estates/buildings/{register.building_id}/")
    page.screenshot(path="/tmp/shots/building_detail.png", full_page=True)
    page.goto(f"{live_server.url}/estates/{register.estate_id}/")
    page.screenshot(path="/tmp/shots/estate_detail.png", full_page=True)
    page.goto(f"{live_server.url}/estates/{register.estate_id}/delete/")
    expect(page.locator(".in-use")).to_contain_text("buildings (1)")
    assert page.locator("button:has-text('Delete')").count() == 0
    page.screenshot(path="/tmp/shots/estate_delete_in_use.png", full_page=True)
    page.goto(f"{live_server.url}/estates/buildings/")
    page.screenshot(path="/tmp/shots/building_list.png", full_page=True)

    # The form: choosing the estate narrows the buildings, the building the entrances (htmx).
    page.goto(f"{live_server.url}/estates/units/add/")
    choose(page, "#id_estate", register.estate_id)
    expect(page.locator("#id_building option")).to_have_count(2)
    choose(page, "#id_building", register.building_id)
    expect(page.locator("#id_entrance option")).to_have_count(2)
    choose(page, "#id_entrance", register.pk)
    page.fill("#id_room_no", "101")
    page.fill("#id_floor", "1")
    page.fill("#id_area", "88.8")
    page.click(".page-body button[type=submit]")
    expect(page.locator("text=This room number already exists.")).to_be_visible()
    assert page.input_value("#id_area") == "88.8"
    page.screenshot(path="/tmp/shots/unit_form_error.png", full_page=True)
    page.fill("#id_room_no", "1801")
    page.fill("#id_floor", "18")
    page.click(".page-body button[type=submit]")
    page.wait_for_selector("text=Room 1801")
    assert Unit.objects.filter(room_no="1801", building=register.building).exists()
