"""Announcements in the browser, staff side: a clerk writes a notice in the editor with an
inline image and an attachment, picks the audience (the live count) and submits it; two
approvers approve it from the notice's page; it is published when its time comes; residents
read, like and comment; the manager sees the figures and the unread list, withdraws it with a
reason, edits it and submits it again."""

import datetime
import os
import re
import struct
import zlib

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from courtyard.core.approvals import services as approvals
from courtyard.core.models import Attachment
from courtyard.notices import services
from courtyard.notices.models import Notice
from courtyard.notices.tests.conftest import AUTHOR_PERMS, MANAGER_PERMS, reader
from courtyard.notices.tests.test_views import PDF
from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.makedirs("/tmp/shots", exist_ok=True)


def picture(width=360, height=160):
    """A PNG of a blue map with a red band: big enough to see in the screenshots."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + (b"\xd9\x4b\x4b" if 60 <= y < 100 else b"\x9e\xc5\xfe") * width
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def world():
    estate = EstateFactory(name="翠湖花园", code="CH")
    one = EntranceFactory(building=BuildingFactory(estate=estate, name="1栋"), name="1单元")
    two = EntranceFactory(building=BuildingFactory(estate=estate, name="2栋"), name="1单元")
    people = {
        "zhang": reader(UnitFactory(entrance=one, room_no="101"), "张伟", "13900000001"),
        "li": reader(UnitFactory(entrance=one, room_no="102"), "李娜", "13900000002"),
        "wang": reader(UnitFactory(entrance=two, room_no="201"), "王芳", "13900000003"),
    }
    make_user("clerk", *AUTHOR_PERMS, estates=[estate], full_name="王丽")
    make_user("manager", *MANAGER_PERMS, estates=[estate], full_name="陈经理")
    first, second = Group.objects.create(name="客服主管"), Group.objects.create(name="项目经理")
    make_user("lead", "notices.view_notice", estates=[estate], full_name="张主管").groups.add(first)
    make_user("boss", "notices.view_notice", estates=[estate], full_name="李总").groups.add(second)
    admin = make_user("admin", superuser=True, full_name="系统管理员")
    approvals.set_flow_levels(
        admin, services.APPROVAL_KIND, estate, [first, second], ["客服审核", "经理审批"]
    )
    # Others in the list: a draft and one awaiting review.
    base = {
        "content": "<p>通知</p>",
        "effective_from": timezone.now(),
        "estates": [estate],
        "channels": ["app"],
    }
    services.create_notice(admin, title="业主大会召开通知", category="event", **base)
    waiting = services.create_notice(admin, title="电梯年检", pinned=True, **base)
    services.submit_notice(admin, waiting)
    return {"estate": estate, "people": people}


def sign_in_as(page, live_server, username):
    # An htmx request still in flight could set the old session's cookie again after clearing.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Courtyard#2026")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def approve_on_the_page(page, live_server, notice, username, comment):
    sign_in_as(page, live_server, username)
    page.goto(f"{live_server.url}/notices/{notice.pk}/")
    expect(page.locator(".notice-level-current")).to_be_visible()
    page.fill(".approve-form textarea[name=comment]", comment)
    page.click(".approve-form button[type=submit]")
    expect(page.locator(".alert-success")).to_be_visible()


def test_write_approve_publish_read_withdraw_and_resubmit(page, live_server, world):
    # The editor and the picker run under the Content-Security-Policy: nothing refused.
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in_as(page, live_server, "clerk")
    page.goto(f"{live_server.url}/notices/")
    expect(page.locator(".cy-nav")).to_contain_text("New announcement")
    page.click("text=New announcement")
    expect(page.locator(".ql-editor")).to_be_visible()

    page.fill("#id_title", "1栋停水通知")
    page.select_option("#id_category", "outage")
    editor = page.locator(".ql-editor")
    editor.click()
    page.keyboard.type("因管道检修，明日9:00至17:00停水，请提前储水。")
    page.click(".js-insert-variable[data-insert='{owner_name}']")
    start = timezone.localtime() + datetime.timedelta(hours=2)
    page.fill("#id_effective_from", start.strftime("%Y-%m-%dT%H:%M"))
    # The audience: the estate, then one building; the count follows each choice.
    page.check("input[name=estates]")
    expect(page.locator("#audience-count")).to_contain_text("Reaches 3 residents now")
    page.check("input[name=audience_kind][value=buildings]")
    expect(page.locator("input[name=buildings]")).to_have_count(2)
    page.check("input[name=buildings] >> nth=1")  # 2栋: one resident, no portal account
    expect(page.locator("#audience-count")).to_contain_text("Reaches 1 resident now")
    page.uncheck("input[name=buildings] >> nth=1")
    page.check("input[name=buildings] >> nth=0")
    expect(page.locator("#audience-count")).to_contain_text("Reaches 2 residents now")
    page.check("input[name=channels][value=app]")
    page.check("input[name=channels][value=sms]")
    page.check("#id_must_read")
    page.set_input_files(
        "#id_attachments", {"name": "停水范围.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    # An image needs the draft saved first: the editor offers it, and we come back here.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".ql-toolbar .ql-image")
    expect(page.locator(".alert-success")).to_contain_text("Draft saved")
    notice = Notice.objects.get(title="1栋停水通知")
    assert Attachment.objects.filter(purpose="attachment").count() == 1
    expect(page.locator(".ql-editor")).to_contain_text("明日9:00至17:00停水")
    with page.expect_file_chooser() as chooser:
        page.click(".ql-toolbar .ql-image")
    chooser.value.set_files({"name": "停水区域.png", "mimeType": "image/png", "buffer": picture()})
    expect(page.locator(".ql-editor img")).to_have_attribute("src", re.compile(r"^/files/\d+/$"))
    page.screenshot(path="/tmp/notices_form.png", full_page=True)
    page.click(".js-submit-review")
    expect(page.locator(".notice-status")).to_have_text("Pending review")
    notice.refresh_from_db()
    assert notice.status == "pending_review" and '<img src="/files/' in notice.content
    assert "{owner_name}" in notice.content
    expect(page.locator(".notice-content img")).to_be_visible()
    expect(page.locator(".notice-attachments")).to_contain_text("停水范围.pdf")

    page.screenshot(path="/tmp/notices_pending.png", full_page=True)
    approve_on_the_page(page, live_server, notice, "lead", "内容无误")
    expect(page.locator(".notice-level-approve")).to_contain_text("张主管")
    approve_on_the_page(page, live_server, notice, "boss", "同意发布")
    expect(page.locator(".notice-status")).to_have_text("Approved")
    expect(page.locator(".notice-state-note")).to_contain_text("published automatically")

    # Its time comes: the periodic task publishes it.
    Notice.objects.filter(pk=notice.pk).update(effective_from=timezone.now())
    assert services.publish_due_notices() == 1
    notice.refresh_from_db()
    zhang = world["people"]["zhang"]
    services.confirm_read(zhang.user, notice)
    services.like(zhang.user, notice)
    services.add_comment(world["people"]["li"].user, notice, "收到，谢谢")

    sign_in_as(page, live_server, "manager")
    page.goto(f"{live_server.url}/notices/")
    row = page.locator("tr", has_text="1栋停水通知")
    expect(row.locator(".notice-status")).to_have_text("Published")
    expect(row).to_contain_text("1 / 2")
    page.screenshot(path="/tmp/notices_list.png", full_page=True)
    row.locator("a").first.click()
    stats = page.locator(".notice-statistics")
    expect(stats.locator("[data-figure=audience]")).to_have_text("2")
    expect(stats.locator("[data-figure=read]")).to_have_text("1")
    expect(stats.locator("[data-figure=confirmed]")).to_have_text("1")
    expect(stats.locator("[data-figure=liked]")).to_have_text("1")
    expect(stats.locator("[data-figure=comments]")).to_have_text("1")
    expect(stats.locator(".notice-deliveries")).to_contain_text("SMS: 2")
    expect(page.locator("#unread")).to_contain_text("李娜")
    expect(page.locator("#unread")).not_to_contain_text("张伟")
    expect(page.locator(".notice-comments")).to_contain_text("收到，谢谢")
    page.screenshot(path="/tmp/notices_detail.png", full_page=True)
    with page.expect_download() as download:
        page.click(".notice-unread-export")
    assert download.value.suggested_filename.endswith(".xlsx")

    # Withdraw with a reason, edit, submit again.
    page.click(".notice-withdraw")
    page.fill("#withdraw-modal textarea[name=reason]", "停水时间调整")
    page.click("#withdraw-modal button[type=submit]")
    expect(page.locator(".notice-status")).to_have_text("Withdrawn")
    expect(page.locator(".notice-state-note")).to_contain_text("停水时间调整")
    page.click(".notice-edit")
    page.fill("#id_title", "1栋停水通知（时间调整）")
    page.click(".js-submit-review")
    expect(page.locator(".notice-status")).to_have_text("Pending review")
    expect(page.locator(".page-title")).to_contain_text("时间调整")
    notice.refresh_from_db()
    assert notice.status == "pending_review" and notice.was_published
    page.screenshot(path="/tmp/notices_resubmitted.png", full_page=True)
    assert problems == []


def test_a_template_refuses_unknown_variables_and_starts_a_notice(page, live_server, world):
    sign_in_as(page, live_server, "admin")
    page.goto(f"{live_server.url}/notices/templates/")
    page.click("text=New template")
    page.fill("#id_name", "停水模板")
    page.select_option("#id_category", "outage")
    page.fill("#id_title", "{estate_name}停水通知")
    page.locator(".ql-editor").click()
    page.keyboard.type("{date}停水，欠费{amount}元")
    page.click(".template-form button[type=submit]")
    expect(page.locator(".invalid-feedback")).to_contain_text("amount")
    expect(page.locator("#id_name")).to_have_value("停水模板")
    page.locator(".ql-editor").click()
    page.keyboard.press("Control+A")
    page.keyboard.type("{date}停水，请")
    page.click(".js-insert-variable[data-insert='{owner_name}']")
    page.keyboard.type("提前储水。")
    # The editor's own words come translated from the page (here: English).
    expect(page.locator(".ql-picker.ql-header .ql-picker-label")).to_have_attribute(
        "data-label", "Body text"
    )
    page.keyboard.press("Shift+Home")
    page.click(".ql-toolbar .ql-link")
    tip = "getComputedStyle(document.querySelector('.ql-tooltip'), '::before').content"
    assert page.evaluate(tip) == '"Link address:"'
    page.keyboard.press("Escape")
    page.screenshot(path="/tmp/notices_template_form.png", full_page=True)
    page.click(".template-form button[type=submit]")
    expect(page.locator(".notice-templates")).to_contain_text("停水模板")
    page.click(".notice-templates >> text=Use")
    expect(page.locator("#id_title")).to_have_value("{estate_name}停水通知")
    expect(page.locator(".ql-editor")).to_contain_text("请{owner_name}提前储水")
    expect(page.locator("#id_category")).to_have_value("outage")
