"""Administrators edit a role's permission matrix and limit a user's data scope."""

import os

import pytest

from courtyard.accounts.administration import services as admin_services
from courtyard.accounts.models import Department, Role, User
from courtyard.core.scoping import user_scope
from tests.factories import (
    PASSWORD,
    BuildingFactory,
    EntranceFactory,
    EstateFactory,
    UnitFactory,
    make_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/shots"


def sign_in_on(page, url, username):
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def granted(role):
    return {
        f"{app}.{code}"
        for app, code in role.group.permissions.values_list("content_type__app_label", "codename")
    }


def test_admin_edits_a_roles_permission_matrix(page, live_server):
    admin_services.ensure_default_roles()
    admin = make_user("root", superuser=True, full_name="王建国")
    role = admin_services.create_role(admin, name="保洁主管", description="Cleaning supervisor")
    sign_in_on(page, live_server.url, "root")
    page.goto(f"{live_server.url}/accounts/roles/")
    assert "保洁主管" in page.inner_text("#object-table")
    shot(page, "role_list")

    page.goto(f"{live_server.url}/accounts/roles/{role.pk}/")
    matrix = page.locator("#permission-matrix")
    assert matrix.locator("[data-matrix-module=residents]").is_visible()
    matrix.locator('[data-perm="estates.view_unit"]').check()
    matrix.locator('[data-perm="accounts.unlock_user"]').check()
    shot(page, "role_matrix")
    matrix.locator("button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")

    assert "Permissions saved." in page.inner_text(".alert")
    assert page.locator('[data-perm="estates.view_unit"]').is_checked()
    assert page.locator('[data-perm="accounts.unlock_user"]').is_checked()
    assert not page.locator('[data-perm="estates.change_unit"]').is_checked()
    assert granted(role) == {"estates.view_unit", "accounts.unlock_user"}
    assert "1 added" not in page.inner_text(".admin-timeline")  # two were added at once
    assert "+ estates.view_unit" in page.inner_text(".admin-timeline")

    # "Select all in this module" ticks the whole module; a reload shows what was saved.
    page.locator(".js-matrix-all[data-module=residents]").check()
    page.locator("#permission-matrix button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    page.reload()
    residents = page.locator('[data-matrix-module=residents] input[name="permissions"]')
    assert residents.count() > 4
    assert all(residents.nth(i).is_checked() for i in range(residents.count()))
    assert page.locator(".js-matrix-all[data-module=residents]").is_checked()
    assert {"estates.change_unit", "estates.delete_building"} <= granted(role)


def test_admin_scopes_a_user_to_one_estate(page, live_server, browser):
    east, west = EstateFactory(name="翠湖花园"), EstateFactory(name="金色家园")
    UnitFactory(entrance=EntranceFactory(building=BuildingFactory(estate=east)), room_no="E-101")
    UnitFactory(entrance=EntranceFactory(building=BuildingFactory(estate=west)), room_no="W-202")
    make_user("root", superuser=True, full_name="王建国")
    department = Department.objects.create(name="客服部")
    clerk = make_user(
        "clerk",
        "estates.view_unit",
        "estates.view_estate",
        "estates.view_building",
        full_name="李晓梅",
        department=department,
        phone="13812345678",
    )
    sign_in_on(page, live_server.url, "root")

    page.goto(f"{live_server.url}/accounts/users/")
    assert "13812345678" in page.inner_text("#object-table")  # full: root may change users
    shot(page, "user_list")
    page.goto(f"{live_server.url}/accounts/users/{clerk.pk}/scope/")
    page.check("input[name=kind][value=estates]")
    assert page.locator("#field-estates").is_visible()
    assert not page.locator("#field-buildings").is_visible()
    page.locator("#field-estates label", has_text="翠湖花园").locator("input").check()
    shot(page, "user_scope")
    page.click(".page-body form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/accounts/users/{clerk.pk}/")
    assert "翠湖花园" in page.inner_text("#user-scope")
    assert "Data scope changed" in page.inner_text(".admin-timeline")
    shot(page, "user_detail")
    assert user_scope(User.objects.get(pk=clerk.pk)).estate_ids == frozenset({east.pk})

    clerk_context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    clerk_page = clerk_context.new_page()
    try:
        sign_in_on(clerk_page, live_server.url, "clerk")
        options = clerk_page.locator("#estate-filter option").all_inner_texts()
        assert "翠湖花园" in options and "金色家园" not in options
        clerk_page.goto(f"{live_server.url}/estates/units/")
        listing = clerk_page.inner_text("#object-table")
        assert "E-101" in listing and "W-202" not in listing
    finally:
        clerk_context.close()


def test_admin_creates_a_user_with_an_initial_password(page, live_server):
    admin_services.ensure_default_roles()
    Department.objects.create(name="工程部")
    make_user("root", superuser=True, full_name="王建国")
    sign_in_on(page, live_server.url, "root")

    page.goto(f"{live_server.url}/accounts/users/add/")
    page.fill("#id_username", "tech07")
    page.fill("#id_full_name", "刘师傅")
    page.fill("#id_password", "weak")
    page.fill("#id_password_confirm", "weak")
    page.select_option("#id_department", label="工程部")
    # Roles read in the page's language (English here).
    page.locator("#field-roles label", has_text="Technician").locator("input").check()
    page.click(".page-body form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".invalid-feedback").first.is_visible()
    assert page.input_value("#id_username") == "tech07"  # what was typed is kept
    shot(page, "user_form")

    page.fill("#id_password", "Start#2026a")
    page.fill("#id_password_confirm", "Start#2026a")
    page.check("input[name=kind][value=all]")  # the data scope is chosen with the account
    page.click(".page-body form button[type=submit]")
    page.wait_for_load_state("networkidle")
    user = User.objects.get(username="tech07")
    assert user.must_change_password
    assert list(Role.objects.filter(group__user=user).values_list("group__name", flat=True)) == [
        "维修人员"
    ]
    assert "Technician" in page.inner_text("#user-roles")
