from datetime import timedelta

import pytest
from django.utils import timezone

from courtyard.core.choices import MessageChannel, MessageStatus
from courtyard.core.models import Message
from courtyard.core.parameters import set_value
from tests.factories import PASSWORD, EstateFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_on(page, url, username):
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_admin_switches_maintenance_on_and_off(page, live_server, browser):
    make_user("root", superuser=True, full_name="系统管理员")
    make_user("clerk", full_name="李客服")
    clerk_context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    clerk = clerk_context.new_page()
    sign_in_on(clerk, live_server.url, "clerk")  # signed in before the maintenance starts

    sign_in_on(page, live_server.url, "root")
    page.goto(f"{live_server.url}/system/maintenance/")
    assert "Off: everybody can work" in page.inner_text("[data-testid=maintenance-state]")
    until = timezone.localtime() + timedelta(days=1)
    page.fill("#id_until", until.strftime("%Y-%m-%dT06:00"))
    page.fill("#id_message", "升级缴费模块 / Upgrading the billing module")
    page.click("button[value=on]")
    page.wait_for_load_state("networkidle")
    assert "On: system upgrade in progress" in page.inner_text("[data-testid=maintenance-state]")
    page.screenshot(path="/tmp/shots/system_maintenance.png", full_page=True)

    # The clerk who was working is sent to the upgrade notice.
    clerk.goto(f"{live_server.url}/")
    assert clerk.url.endswith("/maintenance/")
    notice = clerk.inner_text("body")
    assert "System upgrade in progress" in notice
    assert until.strftime("%Y-%m-%d 06:00") in notice
    clerk.screenshot(path="/tmp/shots/system_maintenance_notice.png", full_page=True)

    # Somebody signing in afresh sees the announcement and cannot get in.
    clerk_context.clear_cookies()
    sign_in_on(clerk, live_server.url, "clerk")
    assert "/accounts/login/" in clerk.url
    login = clerk.inner_text("body")
    assert "System upgrade in progress" in login and until.strftime("%Y-%m-%d 06:00") in login
    assert "only administrators can sign in" in login
    clerk.screenshot(path="/tmp/shots/system_login_during_maintenance.png", full_page=True)

    page.click("button[value=off]")
    page.wait_for_load_state("networkidle")
    assert "Off: everybody can work" in page.inner_text("[data-testid=maintenance-state]")

    sign_in_on(clerk, live_server.url, "clerk")
    assert clerk.url.rstrip("/") == live_server.url
    clerk_context.close()


def test_system_pages_render(page, live_server, sign_in):
    admin = make_user("root", superuser=True, full_name="系统管理员")
    set_value("security.idle_timeout_minutes", "45", admin)
    EstateFactory(name="翠湖花园")
    for n, status in enumerate([MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.QUEUED]):
        Message.objects.create(
            channel=MessageChannel.SMS,
            recipient=f"1381234567{n}",
            body="【翠湖花园】您好，您本月物业费账单已生成，请于月底前缴纳。",
            purpose="bill",
            status=status,
            attempts=n + 1,
            provider_ref="local-3fa4c1" if status == MessageStatus.SENT else "",
            last_error="UNAVAILABLE: gateway busy" if status == MessageStatus.FAILED else "",
        )
    sign_in("root")
    page.goto(f"{live_server.url}/system/parameters/")
    page.fill("#id_security__idle_timeout_minutes", "0")
    page.click("[data-testid=save-parameters]")
    page.wait_for_load_state("networkidle")
    assert "Ensure this value is at least 1." in page.inner_text("body")
    page.screenshot(path="/tmp/shots/system_parameters.png", full_page=True)

    page.goto(f"{live_server.url}/system/audit-log/")
    assert "翠湖花园" in page.inner_text("body")
    page.screenshot(path="/tmp/shots/system_audit_log.png", full_page=True)
    page.goto(f"{live_server.url}/system/audit-log/?tab=security")
    page.screenshot(path="/tmp/shots/system_security_log.png", full_page=True)

    page.goto(f"{live_server.url}/system/messages/")
    assert "Failed" in page.inner_text("body")
    page.screenshot(path="/tmp/shots/system_messages.png", full_page=True)
    page.click("text=13812345671")
    page.wait_for_load_state("networkidle")
    assert "UNAVAILABLE: gateway busy" in page.inner_text("body")
    page.click("text=Send again")
    page.wait_for_load_state("networkidle")
    assert "queued again" in page.inner_text("body")
    page.screenshot(path="/tmp/shots/system_message_detail.png", full_page=True)
