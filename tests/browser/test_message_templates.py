import os

import pytest
from playwright.sync_api import expect

from courtyard.core import message_templates
from courtyard.core.models import MessageTemplate
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "/tmp/shots"


def test_administrator_rewords_the_reminder_with_variable_chips(page, live_server, sign_in):
    os.makedirs(SHOTS, exist_ok=True)
    make_user("root", superuser=True, full_name="系统管理员")
    sign_in("root")
    page.goto(f"{live_server.url}/system/message-templates/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=f"{SHOTS}/system_message_templates.png", full_page=True)

    card = page.locator("[data-testid='message-template-billing.reminder']")
    body = card.locator("textarea")
    preview = card.locator("[data-testid=preview]")
    expect(card.locator("[data-testid=template-state]")).to_have_text("Default text")

    # A chip inserts its variable where the cursor is, and the preview follows.
    body.fill("尊敬的业主：请缴纳欠费。")
    body.evaluate("el => el.setSelectionRange(6, 6)")  # after 尊敬的业主：
    card.locator(".js-insert-variable[data-variable=owner_name]").click()
    expect(body).to_have_value("尊敬的业主：{owner_name}请缴纳欠费。")
    expect(preview).to_contain_text("尊敬的业主：张伟请缴纳欠费。")
    # The cursor stays after the inserted variable: the next chip follows it.
    card.locator(".js-insert-variable[data-variable=amount]").click()
    expect(body).to_have_value("尊敬的业主：{owner_name}{amount}请缴纳欠费。")
    expect(preview).to_contain_text("张伟712.80请缴纳欠费")

    # An unknown variable shows in the preview before saving.
    body.fill("{owner_name}，请缴{total}元")
    expect(preview.locator("[data-testid=preview-errors]")).to_contain_text(
        "Unknown variables: {total}"
    )
    # Saving it anyway is refused with the typed text kept.
    card.locator("[data-testid=save-template]").click()
    page.wait_for_load_state("networkidle")
    card = page.locator("[data-testid='message-template-billing.reminder']")
    expect(card.locator(".invalid-feedback")).to_contain_text("Unknown variables: {total}")
    expect(card.locator("textarea")).to_have_value("{owner_name}，请缴{total}元")
    page.screenshot(path=f"{SHOTS}/system_message_templates_error.png", full_page=True)

    card.locator("textarea").fill("{owner_name}，请缴")
    card.locator(".js-insert-variable[data-variable=amount]").click()
    card.locator("textarea").press("End")
    card.locator("textarea").type("元。")
    card.locator("[data-testid=save-template]").click()
    page.wait_for_load_state("networkidle")
    card = page.locator("[data-testid='message-template-billing.reminder']")
    expect(card.locator("[data-testid=template-state]")).to_have_text("Customised")
    expect(card.locator("[data-testid=preview-body]")).to_have_text("张伟，请缴712.80元。")
    assert (
        MessageTemplate.objects.get(key="billing.reminder").body == "{owner_name}，请缴{amount}元。"
    )
    assert message_templates.render("billing.reminder", {"owner_name": "王", "amount": "1.00"})[
        1
    ] == ("王，请缴1.00元。")
    card.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/system_message_templates_saved.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    card.locator("[data-testid=restore-template]").click()
    page.wait_for_load_state("networkidle")
    card = page.locator("[data-testid='message-template-billing.reminder']")
    expect(card.locator("[data-testid=template-state]")).to_have_text("Default text")
    assert not MessageTemplate.objects.exists()
