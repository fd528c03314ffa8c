"""Sign-in flows in a real browser: sign in, forced password change, lockout, language switch,
forgotten password, account settings and two-factor sign-in."""

import re
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from courtyard.core.models import Message
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Fresh#Pass9"


def submit(page):
    with page.expect_navigation():
        page.click("form button[type=submit].btn-primary")
    page.wait_for_load_state("networkidle")


def switch_language(page, selector, code):
    """The switch submits itself on change (courtyard.js); wait for the reloaded page."""
    with page.expect_navigation():
        page.select_option(selector, code)
    page.wait_for_load_state("networkidle")


def test_sign_in_lands_on_home(page, live_server, sign_in):
    make_user("clerk")
    sign_in("clerk")
    assert page.url.rstrip("/") == live_server.url
    assert page.locator("aside.navbar-vertical").is_visible()


def test_wrong_password_shows_one_message(page, live_server):
    make_user("clerk")
    page.goto(f"{live_server.url}/accounts/login/")
    page.screenshot(path="/tmp/shots/auth-sign-in.png", full_page=True)
    page.fill("#id_username", "clerk")
    page.fill("#id_password", "not-it")
    submit(page)
    assert page.locator(".alert-danger").inner_text().strip() == "Wrong username or password."
    assert page.input_value("#id_username") == "clerk"


def test_first_sign_in_forces_a_password_change(page, live_server, sign_in):
    make_user("newcomer", must_change_password=True)
    sign_in("newcomer")
    assert page.url.endswith("/accounts/password/")
    assert page.locator("h2").inner_text() == "Choose your password"
    page.goto(f"{live_server.url}/inbox/")
    assert page.url.endswith("/accounts/password/")  # every page leads back here

    page.fill("#id_old_password", "Courtyard#2026")
    page.fill("#id_new_password1", "weakpass")
    page.fill("#id_new_password2", "weakpass")
    submit(page)
    assert "The password must contain" in page.locator(".invalid-feedback").first.inner_text()
    page.screenshot(path="/tmp/shots/auth-forced-change.png", full_page=True)

    page.fill("#id_old_password", "Courtyard#2026")
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    submit(page)
    assert page.url.rstrip("/") == live_server.url
    assert "Your password has been changed." in page.locator(".alert-success").inner_text()


def test_five_failures_show_the_lockout_message(page, live_server):
    make_user("clerk")
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(5):
        page.fill("#id_username", "clerk")
        page.fill("#id_password", "wrong-password")
        submit(page)
    lockout = page.locator("[data-testid=lockout]")
    assert "This account is locked" in lockout.inner_text()
    assert "30 minutes" in lockout.inner_text()
    page.screenshot(path="/tmp/shots/auth-locked.png", full_page=True)


def test_language_switch_on_the_sign_in_page(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.get_attribute("html", "lang") == "en"
    switch_language(page, ".language-switch select", "zh-hans")
    assert page.url.endswith("/accounts/login/")
    assert page.get_attribute("html", "lang") == "zh-hans"
    selected = page.locator(".language-switch select option:checked")
    assert selected.get_attribute("value") == "zh-hans"
    assert selected.inner_text() == "简体中文"


def test_language_switch_in_the_top_bar(page, live_server, sign_in):
    make_user("clerk")
    sign_in("clerk")
    switch_language(page, "header .language-switch select", "zh-hans")
    assert page.get_attribute("html", "lang") == "zh-hans"
    switch_language(page, "header .language-switch select", "en")
    assert page.get_attribute("html", "lang") == "en"


def test_forgotten_password_is_reset_with_a_code(page, live_server):
    make_user("clerk", phone="13812345678")
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("text=Forgot password?")
    page.wait_for_load_state("networkidle")
    page.screenshot(path="/tmp/shots/auth-forgot.png", full_page=True)
    page.fill("#id_username", "clerk")
    submit(page)
    assert page.url.endswith("/accounts/password/forgot/code/")
    assert "If the account exists" in page.locator(".alert-info").inner_text()
    page.screenshot(path="/tmp/shots/auth-forgot-code.png", full_page=True)

    body = Message.objects.get(purpose="password_reset").body
    page.fill("#id_code", re.search(r"\d{6}", body).group())
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    submit(page)
    assert page.url.endswith("/accounts/login/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", NEW_PASSWORD)
    submit(page)
    assert page.url.rstrip("/") == live_server.url


def test_profile_edits_are_saved(page, live_server, sign_in):
    make_user("clerk")
    sign_in("clerk")
    page.click("header [data-bs-toggle=dropdown]")
    page.click("text=Account settings")
    page.wait_for_load_state("networkidle")
    page.fill("#id_phone", "12345")
    submit(page)
    assert "11-digit mainland mobile number" in page.locator(".invalid-feedback").inner_text()
    page.fill("#id_phone", "13912345678")
    page.fill("#id_position", "客服主管")
    submit(page)
    assert "saved" in page.locator(".alert-success").inner_text()
    assert page.input_value("#id_phone") == "13912345678"
    page.screenshot(path="/tmp/shots/auth-profile.png", full_page=True)


def totp_code(device, steps_ahead=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def test_authenticator_app_set_up_and_two_step_sign_in(page, live_server, sign_in):
    user = make_user("clerk")
    sign_in("clerk")
    page.goto(f"{live_server.url}/accounts/two-factor/")
    page.screenshot(path="/tmp/shots/auth-two-factor.png", full_page=True)
    page.click("text=Set up an app")
    page.wait_for_load_state("networkidle")
    assert page.locator("img.totp-qr").is_visible()
    page.screenshot(path="/tmp/shots/auth-two-factor-app.png", full_page=True)
    device = TOTPDevice.objects.get(user=user)
    page.fill("#id_token", totp_code(device))
    submit(page)
    assert "The authenticator app is set up." in page.locator(".alert-success").inner_text()

    page.click("header [data-bs-toggle=dropdown]")
    page.click("text=Sign out")
    page.wait_for_load_state("networkidle")
    sign_in("clerk")
    assert page.url.endswith("/accounts/login/code/")
    page.screenshot(path="/tmp/shots/auth-sign-in-code.png", full_page=True)
    page.fill("#id_token", totp_code(device, steps_ahead=1))
    submit(page)
    assert page.url.rstrip("/") == live_server.url
