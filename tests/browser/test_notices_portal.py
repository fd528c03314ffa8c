"""Resident notices on a phone (390×844): signing in brings up the must-read pop-up, which
neither Escape, the backdrop nor the tab bar gets rid of; ticking "I have read and
understood" and confirming closes it; then the notices list, a notice liked and commented."""

import datetime
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from courtyard.accounts.models import User
from courtyard.core.files import attach
from courtyard.notices import services
from courtyard.notices.choices import AudienceKind
from courtyard.notices.models import NoticeComment, NoticeReceipt
from courtyard.residents.choices import OccupancyStatus, ResidentStatus, Role
from courtyard.residents.models import Occupancy, Resident
from tests.browser.conftest import png
from tests.factories import PASSWORD, EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13900000009"
SHOTS = "/tmp"


@pytest.fixture
def notices(db):
    """王小明 owns 1栋 1201 at 翠湖天地; a published outage notice with a poster and an
    attachment, and a must-read fire-safety notice."""
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
    boss = make_user(
        "boss",
        "notices.view_notice",
        "notices.add_notice",
        "notices.change_notice",
        "notices.submit_notice",
        estates=[estate],
    )
    start = timezone.now() - datetime.timedelta(hours=2)

    def publish(**fields):
        data = {
            "effective_from": start,
            "audience_kind": AudienceKind.ESTATES,
            "estates": [estate],
            "channels": ["app"],
            **fields,
        }
        notice = services.create_notice(boss, **data)
        services.submit_notice(boss, notice)  # no approval levels: published at once
        return notice

    outage = publish(
        title="翠湖天地停水通知",
        category="outage",
        pinned=True,
        content="<p>尊敬的{owner_name}业主：</p><p>因二次供水设施检修，小区将于<strong>本周六"
        "8:00–18:00</strong>暂停供水，请提前做好储水准备。</p>",
        effective_to=timezone.now() + datetime.timedelta(days=3),
    )
    attach(outage, SimpleUploadedFile("poster.png", png(360, 200)), boss, purpose="poster")
    attach(
        outage,
        SimpleUploadedFile("停水范围.pdf", b"%PDF-1.4 area", content_type="application/pdf"),
        boss,
        purpose="attachment",
    )
    must = publish(
        title="【必读】消防安全告知书",
        category="emergency",
        must_read=True,
        content="<h3>消防安全告知书</h3><p>{owner_name}您好，{room_no}所在楼栋下周进行消防年检。</p>"
        "<ol><li>楼道内禁止堆放杂物；</li><li>电动自行车严禁入户充电；</li>"
        "<li>发现火情请立即拨打 119。</li></ol>",
    )
    return {"outage": outage, "must": must, "user": user}


def test_must_read_popup_then_like_and_comment(phone, live_server, notices):
    page = phone
    page.goto(f"{live_server.url}/portal/login/")
    page.fill("#id_username", PHONE)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")

    popup = page.locator("[data-testid=must-read]")
    expect(popup).to_be_visible()
    expect(page.locator("[data-testid=must-read-title]")).to_have_text("【必读】消防安全告知书")
    expect(page.locator("[data-testid=must-read-content]")).to_contain_text("王小明您好，1栋")
    page.screenshot(path=f"{SHOTS}/notices_portal_popup.png")

    # No way to dismiss it: no close button, Escape, the backdrop, the tab bar behind it.
    assert popup.locator(".btn-close, [data-bs-dismiss]").count() == 0
    page.keyboard.press("Escape")
    page.mouse.click(8, 8)
    box = page.locator("[data-testid=tab-notices]").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    assert page.url == f"{live_server.url}/portal/"
    expect(popup).to_be_visible()
    page.goto(f"{live_server.url}/portal/notices/")
    expect(popup).to_be_visible()  # on every portal page

    confirm = page.locator("[data-testid=must-read-confirm]")
    expect(confirm).to_be_disabled()
    page.locator("#must-read-understood").check()
    expect(confirm).to_be_enabled()
    confirm.click()
    page.wait_for_url(f"{live_server.url}/portal/notices/")
    expect(popup).to_have_count(0)
    receipt = NoticeReceipt.objects.get(notice=notices["must"], resident__user=notices["user"])
    assert receipt.confirmed_at is not None

    rows = page.locator("[data-testid=notice-row]")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("[data-testid=notice-title]")).to_have_text("翠湖天地停水通知")
    expect(rows.first.locator("[data-testid=notice-unread]")).to_be_visible()
    expect(rows.nth(1).locator("[data-testid=notice-unread]")).to_have_count(0)  # confirmed
    page.screenshot(path=f"{SHOTS}/notices_portal_list.png", full_page=True)

    rows.first.click()
    page.wait_for_url(f"**/portal/notices/{notices['outage'].pk}/")
    expect(page.locator("[data-testid=notice-content]")).to_contain_text("尊敬的王小明业主")
    width = page.locator("[data-testid=notice-posters] img").evaluate("i => i.naturalWidth")
    assert width == 360  # the poster is served to its reader
    expect(page.locator("[data-testid=notice-files]")).to_contain_text("停水范围.pdf")

    page.click("[data-testid=notice-like]")
    expect(page.locator("[data-testid=notice-unlike]")).to_be_visible()
    expect(page.locator("[data-testid=notice-likes]")).to_have_text("1 like")
    page.fill("#id_body", "请问周六几点恢复供水？<script>alert(1)</script>")
    page.click("[data-testid=comment-submit]")
    page.wait_for_load_state("networkidle")
    comment = page.locator("[data-testid=notice-comment]")
    expect(comment).to_have_count(1)
    expect(comment).to_contain_text("请问周六几点恢复供水？")
    assert NoticeComment.objects.get().body == "请问周六几点恢复供水？"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=f"{SHOTS}/notices_portal_detail.png", full_page=True)

    page.click("[data-testid=notice-unlike]")
    expect(page.locator("[data-testid=notice-like]")).to_be_visible()
    assert page.errors == []
