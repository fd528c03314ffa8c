"""Residents in the browser: a new resident with a member and a document approved at two
levels, a phone edit, a core edit refused without confirmation, archive and history, import."""

import io
import os

import pytest
from django.contrib.auth.models import Group
from openpyxl import Workbook
from playwright.sync_api import expect

from courtyard.core.approvals import services as approvals
from courtyard.residents import services
from courtyard.residents.models import Occupancy, Resident
from courtyard.residents.tests.conftest import RESIDENT_PERMS, id_number
from courtyard.residents.tests.helpers import resident_in
from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
os.makedirs("/tmp/shots", exist_ok=True)


@pytest.fixture
def world():
    estate = EstateFactory(name="翠湖花园", code="CH")
    building = BuildingFactory(estate=estate, name="1号楼")
    entrance = EntranceFactory(building=building, name="1单元")
    units = [UnitFactory(entrance=entrance, room_no=room, floor=12) for room in ("1201", "1202")]
    admin = make_user("admin", superuser=True, full_name="系统管理员")
    make_user("clerk", *RESIDENT_PERMS, "estates.view_unit", estates=[estate], full_name="王丽")
    make_user(
        "chief",
        *RESIDENT_PERMS,
        "residents.change_core_resident",
        "residents.view_full_identity",
        estates=[estate],
        full_name="赵主任",
    )
    return {"estate": estate, "units": units, "admin": admin}


def switch_user(page, sign_in, username):
    page.context.clear_cookies()
    sign_in(username)


def test_new_resident_approved_at_two_levels(page, live_server, sign_in, world):
    manager, director = Group.objects.create(name="客服主管"), Group.objects.create(name="项目经理")
    make_user("zhang", estates=[world["estate"]], full_name="张主管").groups.add(manager)
    make_user("li", estates=[world["estate"]], full_name="李经理").groups.add(director)
    approvals.set_flow_levels(world["admin"], services.APPROVAL_KIND, None, [manager, director])

    sign_in("clerk")
    page.goto(f"{live_server.url}/residents/")
    page.click("text=Add resident")
    expect(page.locator("h2.page-title")).to_have_text("New resident")
    # The picker reloads through htmx: wait until the scripts have run, or the first change is lost.
    page.wait_for_load_state("load")
    page.select_option("#id_estate", label="翠湖花园")
    expect(page.locator("#id_building option", has_text="1号楼")).to_have_count(1)
    page.select_option("#id_building", label="1号楼")
    expect(page.locator("#id_entrance option", has_text="1单元")).to_have_count(1)
    page.select_option("#id_entrance", label="1单元")
    expect(page.locator("#id_unit option", has_text="1201")).to_have_count(1)
    page.select_option("#id_unit", label="1201")
    page.fill("#id_name", "赵磊")
    page.fill("#id_id_number", id_number(71))
    page.fill("#id_phone", "13611112222")
    page.fill("#id_emergency_contact", "赵父")
    page.click(".js-add-member")
    page.fill("#id_members-0-name", "孙丽")
    page.fill("#id_members-0-relation", "配偶")
    page.fill("#id_members-0-id_number", id_number(72))
    page.set_input_files(
        "#id_deeds", files=[{"name": "deed.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.screenshot(path="/tmp/shots/resident_new_form.png", full_page=True)
    page.click("button:has-text('Submit for approval')")
    expect(page.locator(".alert-success")).to_contain_text("Submitted for approval")
    expect(page.locator(".approval-status")).to_contain_text("Level 1 of 2")
    page.screenshot(path="/tmp/shots/resident_registration.png", full_page=True)
    assert Resident.objects.get(name="赵磊").status == "pending"

    for username, comment in (("zhang", "资料齐全"), ("li", "同意")):
        switch_user(page, sign_in, username)
        page.goto(f"{live_server.url}/approvals/")
        page.click("text=New resident: 赵磊")
        page.fill("#id_comment", comment)
        page.click(".approve-form button[type=submit]")
        expect(page.locator(".alert-success")).to_contain_text("Approved.")

    switch_user(page, sign_in, "clerk")
    page.goto(f"{live_server.url}/residents/")
    expect(page.locator("#object-table")).to_contain_text("赵磊")
    expect(page.locator("#object-table")).to_contain_text("孙丽")
    expect(page.locator("#object-table")).to_contain_text("136****2222")
    page.screenshot(path="/tmp/shots/resident_list.png", full_page=True)
    page.click("#object-table >> text=赵磊")
    expect(page.locator(".occupancy")).to_contain_text("Owner")
    expect(page.locator(".occupancy")).to_contain_text("deed.pdf")
    expect(page.locator(".occupancy")).to_contain_text("孙丽")
    page.screenshot(path="/tmp/shots/resident_detail.png", full_page=True)
    assert Occupancy.objects.filter(status="current").count() == 2


def test_edit_core_refusal_archive_and_history(page, live_server, sign_in, world):
    owner = resident_in(world["units"][0], name="陈静", phone="13912340000")
    sign_in("clerk")
    page.goto(f"{live_server.url}/residents/{owner.pk}/")
    page.click("text=Edit contact details")
    page.fill("#id_phone", "13700001234")
    page.click("button:has-text('Save')")
    expect(page.locator(".alert-success")).to_contain_text("Saved.")
    expect(page.locator(".resident-phone")).to_have_text("137****1234")
    expect(page.locator("text=Change core information")).to_have_count(0)

    switch_user(page, sign_in, "chief")
    page.goto(f"{live_server.url}/residents/{owner.pk}/")
    expect(page.locator(".resident-phone")).to_have_text("13700001234")
    page.click("text=Change core information")
    page.fill("#id_name", "陈静怡")
    page.click("button:has-text('Save')")
    expect(page.locator(".invalid-feedback").first).to_contain_text("confirmation")
    page.screenshot(path="/tmp/shots/resident_core_refused.png", full_page=True)
    assert Resident.objects.get(pk=owner.pk).name == "陈静"

    page.goto(f"{live_server.url}/residents/{owner.pk}/delete/")
    expect(page.locator(".archive-refusals")).to_contain_text("still lives in")
    page.goto(f"{live_server.url}/residents/{owner.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".move-out-form button")
    expect(page.locator(".alert-success")).to_contain_text("Move-out recorded.")
    page.click("text=Archive")
    page.fill("#id_reason", "房屋已出售")
    page.click("button:has-text('Archive')")
    expect(page.locator(".alert-success")).to_contain_text("history residents")
    expect(page.locator("#object-table")).not_to_contain_text("陈静")
    page.goto(f"{live_server.url}/residents/history/?q=陈静")
    expect(page.locator("#object-table")).to_contain_text("陈静")
    expect(page.locator("#object-table")).to_contain_text("房屋已出售")
    page.screenshot(path="/tmp/shots/resident_history.png", full_page=True)


def workbook(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["项目", "楼栋", "单元", "房号", "姓名", "身份", "身份证号", "手机号"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_with_one_bad_row_shows_the_report(page, live_server, sign_in, world):
    place = ["翠湖花园", "1号楼", "1单元"]
    content = workbook(
        [
            [*place, "1201", "张伟", "业主", id_number(81), "13911112222"],
            [*place, "1202", "王芳", "租户", id_number(82), "1391111"],
        ]
    )
    sign_in("clerk")
    page.goto(f"{live_server.url}/residents/")
    page.click("text=Import")
    page.screenshot(path="/tmp/shots/resident_import.png", full_page=True)
    page.set_input_files(
        "#import-file",
        files=[
            {
                "name": "residents.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": content,
            }
        ],
    )
    page.click("button:has-text('Start import')")
    page.wait_for_selector("table.job-errors")
    report = page.inner_text("table.job-errors")
    assert "3" in report and "Mobile number" in report
    expect(page.locator("body")).to_contain_text("nothing was imported")
    page.screenshot(path="/tmp/shots/resident_import_errors.png", full_page=True)
    assert not Resident.objects.exists()
