"""The resident portal on a phone: invitation → activation → home, profile, messages; sign-in
with an SMS code; a staff account refused at the portal's door."""

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courtyard.accounts import resident_accounts
from courtyard.core.files import attach
from courtyard.core.models import Message
from courtyard.residents.choices import OccupancyStatus, ResidentStatus, Role
from courtyard.residents.models import Occupancy, Resident
from tests.factories import EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13900000009"
PASSWORD = "Portal#Pass9"
SHOTS = "/tmp/shots"


@pytest.fixture
def phone(browser, live_server):
    """A page in a phone-sized window (390×844)."""
    context = browser.new_context(
        locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []  # script errors, CSP violations and missing files (but the browser's favicon)
    page.on(
        "console",
        lambda m: m.type == "error" and "Failed to load" not in m.text and errors.append(m.text),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: r.status == 404 and "favicon" not in r.url and errors.append(f"404 {r.url}"),
    )
    page.errors = errors
    yield page
    context.close()


def occupy(unit, name, phone, role, user=None, relation=""):
    person = Resident.objects.create(
        name=name, phone=phone, status=ResidentStatus.CURRENT, user=user
    )
    return Occupancy.objects.create(
        resident=person,
        unit=unit,
        estate=unit.estate,
        building=unit.building,
        role=role,
        relation=relation,
        move_in=date(2023, 9, 1),
        status=OccupancyStatus.CURRENT,
    )


@pytest.fixture
def household(db):
    """王小明 owns 1栋 2单元 1201 at 翠湖天地 with his wife 李娜 and son 王乐乐; a deed on file."""
    estate = EstateFactory(name="翠湖天地", phone="021-55501234")
    unit = UnitFactory(
        entrance__building__estate=estate,
        entrance__building__name="1栋",
        entrance__name="2单元",
        room_no="1201",
        floor=12,
    )
    mine = occupy(unit, "王小明", PHONE, Role.OWNER)
    occupy(unit, "李娜", "13911112222", Role.MEMBER, relation="配偶")
    occupy(unit, "王乐乐", "", Role.MEMBER, relation="子女")
    clerk = make_user("clerk", "residents.invite_resident")
    attach(mine, SimpleUploadedFile("房产证.pdf", b"%PDF-1.4 deed"), clerk, purpose="deed")
    return mine


def invite(household):
    clerk = make_user("inviter", "residents.invite_resident")
    user, message = resident_accounts.invite_resident_account(
        clerk, phone=PHONE, full_name="王小明"
    )
    Resident.objects.filter(pk=household.resident_id).update(user=user)
    return user, re.search(r"\b(\d{6})\b", message.body).group(1)


def submit(page):
    with page.expect_navigation():
        page.click("form button[type=submit].btn-primary")
    page.wait_for_load_state("networkidle")


def tab(page, path):
    with page.expect_navigation():
        page.click(f".cy-portal-tabs a[href='/portal/{path}']")
    page.wait_for_load_state("networkidle")


def test_invited_resident_activates_and_finds_home(phone, live_server, household):
    user, code = invite(household)
    Message.objects.create(
        channel="app",
        recipient=PHONE,
        recipient_user=user,
        subject="停水通知",
        body="因管网维修，1栋将于周六 9:00–12:00 停水，请提前储水。",
    )
    phone.goto(f"{live_server.url}/portal/login/")
    phone.screenshot(path=f"{SHOTS}/portal-login.png", full_page=True)
    with phone.expect_navigation():
        phone.click("a:has-text('Activate')")
    phone.fill("#id_phone", PHONE)
    phone.fill("#id_code", code)
    phone.fill("#id_new_password1", PASSWORD)
    phone.fill("#id_new_password2", PASSWORD)
    phone.screenshot(path=f"{SHOTS}/portal-activate.png", full_page=True)
    submit(phone)

    assert phone.url == f"{live_server.url}/portal/"
    assert phone.locator("[data-testid=office-name]").inner_text() == "翠湖天地"
    unit = phone.locator("[data-testid=unit]")
    assert "翠湖天地 1栋 2单元 1201" in unit.inner_text()
    household_text = phone.locator("[data-testid=household]").inner_text()
    assert "李娜" in household_text and "139****2222" in household_text
    assert "王乐乐" in household_text
    assert phone.locator("[data-testid=document]").count() == 1
    assert phone.locator("[data-testid=unread-count]").inner_text() == "1"
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing sticks out sideways on a phone
    phone.screenshot(path=f"{SHOTS}/portal-home.png", full_page=True)

    tab(phone, "home/")
    assert "配偶" in phone.locator("[data-testid=unit]").inner_text()
    phone.screenshot(path=f"{SHOTS}/portal-my-home.png", full_page=True)

    tab(phone, "messages/")
    assert "停水通知" in phone.locator("[data-testid=message]").inner_text()
    phone.screenshot(path=f"{SHOTS}/portal-messages.png", full_page=True)
    with phone.expect_navigation():
        phone.click("[data-testid=mark-all-read]")
    assert phone.locator("[data-testid=unread-count]").count() == 0

    tab(phone, "profile/")
    assert phone.locator("[data-testid=profile-name]").inner_text() == "王小明"
    phone.fill("#id_emergency_contact", "王建国")
    phone.fill("#id_emergency_phone", "13988889999")
    submit(phone)
    assert "saved" in phone.locator(".alert-success").inner_text()
    phone.screenshot(path=f"{SHOTS}/portal-profile.png", full_page=True)
    assert Resident.objects.get(user=user).emergency_contact == "王建国"

    with phone.expect_navigation():
        phone.click("a:has-text('Change password')")
    phone.screenshot(path=f"{SHOTS}/portal-password.png", full_page=True)
    tab(phone, "profile/")
    phone.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # clear of the tab bar
    with phone.expect_navigation():
        phone.click("[data-testid=sign-out]")
    assert phone.url.endswith("/portal/login/")
    assert phone.errors == []


def test_resident_signs_in_with_an_sms_code(phone, live_server, household):
    invite(household)
    phone.goto(f"{live_server.url}/portal/login/")
    with phone.expect_navigation():
        phone.click("[data-testid=sms-sign-in]")
    phone.fill("#id_phone", PHONE)
    submit(phone)
    body = Message.objects.get(purpose="portal_sign_in").body
    code = re.search(r"\b(\d{6})\b", body).group(1)
    phone.screenshot(path=f"{SHOTS}/portal-sms-code.png", full_page=True)
    phone.fill("#id_code", code)
    submit(phone)
    assert phone.url == f"{live_server.url}/portal/"
    assert "1201" in phone.locator("[data-testid=unit]").inner_text()
    phone.set_viewport_size({"width": 1366, "height": 900})  # acceptable on a desktop too
    phone.screenshot(path=f"{SHOTS}/portal-home-desktop.png", full_page=True)


def test_staff_account_is_pointed_to_the_staff_sign_in(phone, live_server):
    make_user("clerk")
    phone.goto(f"{live_server.url}/portal/login/")
    phone.fill("#id_username", "clerk")
    phone.fill("#id_password", "Courtyard#2026")
    submit(phone)
    error = phone.locator("[data-testid=sign-in-error]")
    assert "staff sign-in" in error.inner_text()
    phone.screenshot(path=f"{SHOTS}/portal-staff-refused.png", full_page=True)
    with phone.expect_navigation():
        error.locator("a").click()
    assert phone.url.endswith("/accounts/login/")


def test_the_language_picker_shows_its_whole_name_on_a_phone(browser, live_server):
    """On the sign-in page the picker stands alone: 简体中文 was cut off by the width the
    crowded top bar of staff pages gives it."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/portal/login/")
    select = page.locator(".language-switch select")
    assert select.evaluate("s => s.selectedOptions[0].text") == "简体中文"
    room = select.evaluate(
        """s => {
          const style = getComputedStyle(s);
          const pen = document.createElement("canvas").getContext("2d");
          pen.font = style.font;
          const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
          const free = s.clientWidth - padding;
          return free - pen.measureText(s.selectedOptions[0].text).width;
        }"""
    )
    context.close()
    assert room >= 0
