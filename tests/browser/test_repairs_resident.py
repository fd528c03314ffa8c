"""Resident repairs on a phone (390×844): report with a photo → the office accepts and
dispatches, the technician completes → the resident rejects with a reason → completed again →
the resident confirms and rates 5 stars. And the statistics page draws its charts."""

from datetime import date
from decimal import Decimal

import pytest

from courtyard.accounts.models import User
from courtyard.repairs import services
from courtyard.repairs.choices import WorkOrderStatus
from courtyard.repairs.models import RepairCategory, WorkOrder
from courtyard.residents.choices import OccupancyStatus, ResidentStatus, Role
from courtyard.residents.models import Occupancy, Resident
from tests.browser.conftest import png
from tests.factories import PASSWORD, EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13900000009"
SHOTS = "/tmp/shots"


@pytest.fixture
def setting(db):
    """王小明 owns 1栋 1201 at 翠湖天地; a supervisor and a technician work there."""
    estate = EstateFactory(name="翠湖天地", phone="021-55501234")
    unit = UnitFactory(
        entrance__building__estate=estate, entrance__building__name="1栋", room_no="1201"
    )
    user = User.objects.create_user(
        username=PHONE,
        password=PASSWORD,
        kind="resident",
        phone=PHONE,
        full_name="王小明",
        must_change_password=False,
    )
    person = Resident.objects.create(
        name="王小明", phone=PHONE, status=ResidentStatus.CURRENT, user=user
    )
    Occupancy.objects.create(
        resident=person,
        unit=unit,
        estate=estate,
        building=unit.building,
        role=Role.OWNER,
        move_in=date(2023, 9, 1),
        status=OccupancyStatus.CURRENT,
    )
    for order, (code, name) in enumerate(
        [("water_electric", "水电"), ("door_access", "门禁"), ("pipes", "管道"), ("other", "其他")]
    ):
        RepairCategory.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order}
        )
    boss = make_user(
        "boss",
        "repairs.view_workorder",
        "repairs.accept_workorder",
        "repairs.dispatch_workorder",
        "repairs.view_repair_statistics",
        estates=[estate],
        full_name="刘主管",
    )
    tech = make_user(
        "tech",
        "repairs.view_workorder",
        "repairs.complete_workorder",
        "repairs.followup_workorder",
        estates=[estate],
        full_name="张师傅",
    )
    return {"unit": unit, "boss": boss, "tech": tech}


def shot(page, name):
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_resident_reports_rejects_confirms_and_rates(phone, live_server, setting, tmp_path):
    page = phone
    photo = tmp_path / "leak.png"
    photo.write_bytes(png())
    page.goto(f"{live_server.url}/portal/login/")
    page.fill("#id_username", PHONE)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")

    page.click("[data-testid=tab-repairs]")
    page.wait_for_url("**/portal/repairs/")
    assert page.locator("[data-testid=no-repairs]").is_visible()
    shot(page, "repairs_resident_empty_list")
    page.click("[data-testid=repair-new]")
    page.wait_for_url("**/portal/repairs/new/")
    page.select_option("#id_category", label="水电")
    page.fill("#id_description", "厨房水龙头一直滴水，下面的水管也在漏。")
    page.click("label[for=id_urgency_1]")  # urgent
    page.fill("#id_preferred_time", "工作日晚上7点后")
    page.set_input_files("#id_photos", str(photo))
    shot(page, "repairs_resident_new")
    page.click("[data-testid=repair-submit]")
    page.wait_for_url("**/portal/repairs/*/")
    order = WorkOrder.objects.get()
    assert order.urgency == "urgent" and order.source == "portal"
    assert page.locator("[data-testid=repair-status]").inner_text() == "Submitted"
    assert page.locator("[data-testid=report-photos] img").count() == 1
    width = page.locator("[data-testid=report-photos] img").evaluate("i => i.naturalWidth")
    assert width == 48  # the photo is served back to its owner
    shot(page, "repairs_resident_submitted")

    # The office accepts and dispatches; the technician starts and completes.
    boss, tech = setting["boss"], setting["tech"]
    services.accept(boss, order)
    services.dispatch(boss, order, assignee=tech, note="请30分钟内联系业主")
    services.start(tech, order)
    services.complete(tech, order, work_done="更换水龙头阀芯", cost=Decimal("0"))

    page.reload()
    assert page.locator("[data-testid=repair-status]").inner_text() == "Completed"
    assert page.locator("[data-testid=repair-assignee]").inner_text() == "张师傅"
    assert "更换水龙头阀芯" in page.locator("[data-testid=repair-timeline]").inner_text()
    shot(page, "repairs_resident_completed")
    page.click("[data-testid=repair-reject-open]")
    page.fill("#id_reason", "水管还是在漏")
    shot(page, "repairs_resident_reject_form")
    page.click("[data-testid=repair-reject]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=repair-status]").inner_text() == "Dispatched"
    assert "水管还是在漏" in page.locator("[data-testid=repair-timeline]").inner_text()
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.DISPATCHED and order.reopen_count == 1
    shot(page, "repairs_resident_rejected")

    services.start(tech, order)
    services.complete(tech, order, work_done="更换整段水管")

    page.reload()
    page.click("[data-testid=repair-confirm]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=repair-status]").inner_text() == "Closed"
    page.click("[data-testid=star-5]")
    page.fill("#id_comment", "师傅很专业，谢谢！")
    shot(page, "repairs_resident_rate")
    page.click("[data-testid=repair-rate]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=repair-rating] .on").count() == 5
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.CLOSED and order.rating == 5
    shot(page, "repairs_resident_rated")

    page.click("[data-testid=tab-repairs]")
    page.wait_for_url("**/portal/repairs/")
    assert page.locator("[data-testid=repair-row]").count() == 1
    shot(page, "repairs_resident_list")
    assert page.errors == []


def test_statistics_page_draws_its_charts(page, live_server, setting, sign_in):
    unit, boss, tech = setting["unit"], setting["boss"], setting["tech"]
    water = RepairCategory.objects.get(code="water_electric")
    pipes = RepairCategory.objects.get(code="pipes")
    resident = User.objects.get(username=PHONE)
    for index in range(6):
        order = services.submit_from_portal(
            resident,
            unit=unit,
            category=water if index % 2 else pipes,
            description=f"报修 {index}",
            urgency="normal",
        )
        if index < 3:
            services.dispatch(boss, order, assignee=tech)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: m.type == "error" and "Failed to load" not in m.text and errors.append(m.text),
    )
    page.on(
        "response",
        lambda r: r.status == 404 and "favicon" not in r.url and errors.append(f"404 {r.url}"),
    )
    sign_in("boss")
    page.goto(f"{live_server.url}/repairs/statistics/")
    page.wait_for_selector("[data-testid=chart-building][data-chart-ready]")
    for chart in ("trend", "category", "status", "building"):
        container = page.locator(f"[data-testid=chart-{chart}]")
        assert container.locator("canvas").count() >= 1, chart
    assert page.locator("[data-testid=kpi-total]").inner_text() == "6"
    page.screenshot(path=f"{SHOTS}/repairs_statistics.png", full_page=True)
    page.select_option("#id_range", "year")
    page.click("[data-testid=stats-range] button[type=submit]")
    page.wait_for_url("**range=year**")
    page.wait_for_selector("[data-testid=chart-trend][data-chart-ready]")
    assert page.locator("[data-testid=chart-trend] canvas").count() >= 1
    page.screenshot(path=f"{SHOTS}/repairs_statistics_year.png", full_page=True)
    assert errors == []


def test_the_photo_drop_zone_is_the_file_input_reached_by_keyboard(
    phone, live_server, setting, tmp_path
):
    """The browser's own "Choose files / No file chosen" is not drawn under the drop zone; the
    input lies unseen over it, labelled by it, and Tab and Space open the camera or gallery."""
    page = phone
    photo = tmp_path / "leak.png"
    photo.write_bytes(png())
    page.goto(f"{live_server.url}/portal/login/")
    page.fill("#id_username", PHONE)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")
    page.goto(f"{live_server.url}/portal/repairs/new/")

    photos = page.locator("#id_photos")
    assert photos.evaluate("i => getComputedStyle(i).opacity") == "0"
    zone, field = page.locator(".cy-photo-pick").bounding_box(), photos.bounding_box()
    assert abs(field["y"] - zone["y"]) < 1 and abs(field["height"] - zone["height"]) < 1
    labels = photos.evaluate("i => Array.from(i.labels, label => label.className)")
    assert "cy-photo-pick" in labels

    page.focus("#id_preferred_time")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_photos"
    outline = page.locator(".cy-photo-pick").evaluate("z => getComputedStyle(z).outlineStyle")
    assert outline == "solid"  # the zone shows the focus
    with page.expect_file_chooser() as chooser:
        photos.press("Space")  # on the focused input itself: a page-level key press was lost once
    chooser.value.set_files(str(photo))
    assert page.locator("[data-testid=photos-chosen]").inner_text() == "leak.png"
    assert page.errors == []
