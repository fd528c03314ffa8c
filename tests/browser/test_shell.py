"""The staff shell in a real browser: navigation by permission, phone layout, language, pages."""

import re

import pytest
from auditlog.context import set_actor

from courtyard.core.choices import JobStatus
from courtyard.core.models import Job, Message
from courtyard.core.timeline import record_event
from tests.factories import EstateFactory, UnitFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/shots"
ESTATE_PERMS = [f"estates.{a}_estate" for a in ("view", "add", "change", "delete")]


def watch_console(page):
    """Script errors and CSP violations (not the 4xx answers that the tests ask for)."""
    errors = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def shot(page, name):
    page.screenshot(path=f"{SHOTS}/shell-{name}.png", full_page=True)


def test_navigation_shows_only_permitted_entries(page, live_server, sign_in):
    make_user("clerk", "core.view_message")
    sign_in("clerk")
    nav = page.locator("aside #sidebar-menu")

    def entries(name):
        return nav.get_by_role("link", name=name, exact=True, include_hidden=True).count()

    assert entries("Messages") == 1
    assert entries("Parameters") == 0
    assert entries("Audit log") == 0
    nav.get_by_role("button", name="System settings").click()
    nav.get_by_role("link", name="Messages").click()
    page.wait_for_load_state("networkidle")
    active = page.locator("aside .cy-subnav .nav-link.active")
    assert active.inner_text().strip() == "Messages"
    assert page.locator("aside #sidebar-menu .nav-item.active > .nav-link").count() == 1


def test_phone_toggler_opens_the_navigation(page, live_server, sign_in):
    make_user("clerk", "core.view_message")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in("clerk")
    menu = page.locator("#sidebar-menu")
    assert not menu.is_visible()
    assert page.locator("#estate-filter").is_visible()
    shot(page, "phone-home")
    page.click("aside .navbar-toggler")
    page.wait_for_selector("#sidebar-menu.show:not(.collapsing)")
    assert menu.is_visible()
    assert page.locator("#sidebar-menu .nav-link", has_text="Home").is_visible()
    shot(page, "phone-nav-open")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page must not scroll sideways on a phone"


def test_language_switch_and_estate_filter(page, live_server, sign_in):
    estate = EstateFactory(name="翠湖花园")
    make_user("clerk", "estates.view_estate")
    sign_in("clerk")
    assert page.locator("html").get_attribute("lang") == "en"
    page.select_option("#estate-filter", str(estate.pk))
    page.wait_for_load_state("networkidle")
    assert page.locator("#estate-filter").input_value() == str(estate.pk)
    page.select_option(".language-switch select", "zh-hans")
    page.wait_for_function("document.documentElement.lang === 'zh-hans'")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    shot(page, "home-zh")


def test_error_pages_and_job_page(page, live_server, sign_in):
    clerk = make_user("clerk")
    Message.objects.create(
        channel="app",
        recipient="clerk",
        recipient_user=clerk,
        subject="Work order 17 assigned to you",
        body="3栋 1单元 502: 卫生间漏水",
    )
    running = Job.objects.create(
        kind="estates.import_units", user=clerk, total=200, done=80, status=JobStatus.RUNNING
    )
    failed = Job.objects.create(
        kind="estates.import_units",
        user=clerk,
        status=JobStatus.FAILED,
        result={"message": "2 rows have errors."},
        errors=[
            {"row": 3, "column": "room_no", "message": "This room number already exists"},
            {"row": 7, "column": "area", "message": "Enter a number."},
        ],
    )
    errors = watch_console(page)
    sign_in("clerk")
    shot(page, "home")
    assert page.locator(".cy-bell-count").inner_text() == "1"
    page.goto(f"{live_server.url}/inbox/")
    shot(page, "inbox")
    page.goto(f"{live_server.url}/jobs/{running.pk}/")
    shot(page, "job-running")
    Job.objects.filter(pk=running.pk).update(
        status=JobStatus.SUCCEEDED, done=200, result={"summary": "200 units imported."}
    )
    page.locator(".job-status-badge", has_text="Succeeded").wait_for()
    assert page.locator("#job-status[hx-trigger]").count() == 0
    shot(page, "job-succeeded")
    page.goto(f"{live_server.url}/jobs/{failed.pk}/")
    shot(page, "job-failed")
    response = page.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    shot(page, "404")
    assert errors == []
    response = page.goto(f"{live_server.url}/system/audit-log/")
    assert response.status == 403
    assert page.get_by_text("No permission").first.is_visible()
    shot(page, "403")


@pytest.mark.urls("courtyard.core.tests.urls")
def test_generic_pages(page, live_server, sign_in):
    clerk = make_user("clerk", *ESTATE_PERMS)
    with set_actor(clerk):
        estates = [
            EstateFactory(name=f"翠湖花园{n}期", address=f"浦东新区锦绣路{n * 100}号")
            for n in range(1, 31)
        ]
        estate = estates[0]
        estate.phone = "021-5888 1234"
        estate.save()
    record_event(estate, clerk, "inspected", "Quarterly fire inspection passed")
    errors = watch_console(page)
    sign_in("clerk")
    page.goto(f"{live_server.url}/estates/")
    shot(page, "list")
    page.locator("th a.sort", has_text="Name").click()
    page.wait_for_url(re.compile(r"sort=name"))
    page.locator("th a.sort.active", has_text="Name").click()
    page.wait_for_url(re.compile(r"sort=-name"))
    page.locator("th[aria-sort=descending]").wait_for()
    assert page.locator("tbody tr").first.inner_text().startswith("翠湖花园9期")
    page.locator(".pagination a", has_text="2").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert "Showing 26–30 of 30" in page.locator("#object-table").inner_text()
    page.fill("#id_q", "nothing-like-this")
    page.click(".filter-card button[type=submit]")
    page.get_by_text("No records match these filters").wait_for()
    shot(page, "list-empty")
    page.goto(f"{live_server.url}/estates/{estate.pk}/")
    shot(page, "detail")
    page.get_by_role("link", name="History").click()
    page.get_by_text("Quarterly fire inspection passed").wait_for()
    shot(page, "history")
    page.goto(f"{live_server.url}/estates/{estate.pk}/edit/")
    page.fill("#id_name", "")
    page.click(".page-body form button[type=submit]")
    shot(page, "edit-error")
    page.goto(f"{live_server.url}/estates/add/")
    shot(page, "edit-new")
    page.goto(f"{live_server.url}/estates/{estate.pk}/delete/")
    shot(page, "delete")
    page.goto(f"{live_server.url}/estates/import/")
    shot(page, "import")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/estates/")
    shot(page, "phone-list")
    assert errors == []


def test_unit_pages_in_the_shell(page, live_server, sign_in):
    perms = [f"estates.{a}_unit" for a in ("view", "add", "change", "delete")]
    make_user("clerk", *perms, "estates.view_estate", "estates.view_building")
    estate = EstateFactory(name="翠湖花园")
    units = [UnitFactory(estate=estate, entrance__building__estate=estate) for _ in range(8)]
    sign_in("clerk")
    page.goto(f"{live_server.url}/estates/units/")
    assert page.locator("aside .cy-subnav .nav-link.active").inner_text().strip() == "Units"
    shot(page, "units-list")
    page.goto(f"{live_server.url}/estates/units/{units[0].pk}/")
    assert page.locator("aside .cy-subnav .nav-link.active").inner_text().strip() == "Units"
    shot(page, "units-detail")
    page.goto(f"{live_server.url}/estates/units/{units[0].pk}/edit/")
    shot(page, "units-edit")
    page.goto(f"{live_server.url}/estates/units/import/")
    shot(page, "units-import")
