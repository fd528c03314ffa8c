"""Two-level approval: an administrator sets up the flow; two approvers decide from their inbox."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from courtyard.core.approvals import services as approvals
from courtyard.core.models import ApprovalRequest, Message
from tests.factories import EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KIND = "tests.unit_inspection"


@pytest.fixture
def setup():
    effects = []
    approvals.register_kind(
        KIND,
        label="Unit inspection",
        on_approved=lambda request, actor: effects.append(("approved", actor.username)),
        on_rejected=lambda request, actor, reason: effects.append(("rejected", reason)),
    )
    estate = EstateFactory(name="翠湖花园", code="CH")
    manager, director = Group.objects.create(name="客服主管"), Group.objects.create(name="项目经理")
    make_user("admin", superuser=True, full_name="系统管理员")
    make_user("zhang", estates=[estate], full_name="张伟").groups.add(manager)
    make_user("li", estates=[estate], full_name="李娜").groups.add(director)
    clerk = make_user("clerk", estates=[estate], full_name="王丽")
    unit = UnitFactory(entrance__building__estate=estate, room_no="1201")
    yield {"clerk": clerk, "unit": unit, "effects": effects}
    approvals._KINDS.pop(KIND, None)


def switch_user(page, sign_in, username):
    page.context.clear_cookies()
    sign_in(username)


def approve_from_inbox(page, live_server, comment):
    page.goto(f"{live_server.url}/approvals/")
    expect(page.locator(".cy-approval-count")).to_have_text("1")
    page.click("text=1201 inspection")
    page.fill("#id_comment", comment)
    page.click(".approve-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("Approved.")


def test_two_level_approval_from_configuration_to_effect(page, live_server, sign_in, setup):
    sign_in("admin")
    page.goto(f"{live_server.url}/approvals/flows/")
    page.click(".approval-kind:has-text('Unit inspection') >> text=Edit the default flow")
    page.select_option("#id_levels-0-role", label="客服主管")
    page.fill("#id_levels-0-name", "Service check")
    page.click("text=Save and add another level")
    expect(page.locator("#id_levels-1-role")).to_be_visible()
    page.select_option("#id_levels-1-role", label="项目经理")
    page.click(".flow-form button[type=submit]:has-text('Save')>>nth=0")
    expect(page.locator(".approval-kind:has-text('Unit inspection')")).to_contain_text(
        "1. 客服主管 · Service check"
    )
    page.goto(f"{live_server.url}/approvals/flows/{KIND}/")
    page.screenshot(path="/tmp/shots/approval_flow_edit.png", full_page=True)
    page.goto(f"{live_server.url}/approvals/flows/")
    page.screenshot(path="/tmp/shots/approval_flows.png", full_page=True)

    unit = setup["unit"]
    request = approvals.submit(
        setup["clerk"], unit, kind=KIND, estate_id=unit.estate_id, title="1201 inspection"
    )
    assert request.status == "pending"

    switch_user(page, sign_in, "zhang")
    page.goto(f"{live_server.url}/approvals/")
    page.screenshot(path="/tmp/shots/approval_inbox.png", full_page=True)
    expect(page.locator("table")).to_contain_text("1 / 2")
    approve_from_inbox(page, live_server, "Meter readings match")
    expect(page.locator(".approval-levels")).to_contain_text("Meter readings match")
    expect(page.locator(".approve-form")).to_have_count(0)

    switch_user(page, sign_in, "li")
    page.goto(f"{live_server.url}/approvals/{request.pk}/")
    page.screenshot(path="/tmp/shots/approval_detail_level2.png", full_page=True)
    approve_from_inbox(page, live_server, "OK")
    page.screenshot(path="/tmp/shots/approval_detail_done.png", full_page=True)
    expect(page.locator(".page-title")).to_contain_text("Approved")

    request.refresh_from_db()
    assert request.status == ApprovalRequest._meta.get_field("status").choices[1][0]
    assert setup["effects"] == [("approved", "li")]
    assert Message.objects.filter(recipient_user=setup["clerk"], subject__contains="Approved")

    switch_user(page, sign_in, "clerk")
    page.goto(f"{live_server.url}/approvals/?box=submitted")
    expect(page.locator("table")).to_contain_text("Approved")
