"""The permission matrix and the default roles."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from courtyard.accounts import roles as role_defs
from courtyard.accounts.administration.services import ensure_default_roles
from courtyard.accounts.models import Department, Role
from courtyard.core.modules import MODULES
from tests.factories import permissions

pytestmark = pytest.mark.django_db


def names(perms):
    return {role_defs.full_name(p) for p in perms}


def module(matrix, key):
    return next(m for m in matrix if m.key == key)


def test_matrix_follows_the_seed_modules_in_order():
    matrix = role_defs.permission_matrix()
    assert [m.key for m in matrix] == list(MODULES)
    assert [m.key for m in matrix][:3] == ["residents", "repairs", "billing"]


def test_matrix_rows_carry_standard_actions_and_custom_permissions():
    system = module(role_defs.permission_matrix(), "system")
    users = next(row for row in system.rows if row.key == "accounts.user")
    assert [p.codename for p in users.actions.values()] == [
        "view_user",
        "add_user",
        "change_user",
        "delete_user",
    ]
    assert {p.codename for p, _label in users.extras} == {"unlock_user", "reset_password_user"}
    assert "Can unlock accounts" in [str(label) for _p, label in users.extras]


def test_matrix_lists_module_models_and_extra_models_but_hides_internal_ones():
    matrix = role_defs.permission_matrix()
    system_keys = {row.key for row in module(matrix, "system").rows}
    assert {"accounts.user", "accounts.role", "accounts.department", "core.message"} <= system_keys
    assert "accounts.apitoken" not in system_keys
    assert "accounts.onetimecode" not in system_keys
    assert {row.key for row in module(matrix, "residents").rows} >= {"estates.unit"}


def test_modules_without_apps_have_no_rows(monkeypatch):
    monkeypatch.setattr(MODULES["analytics"], "app_labels", [])
    monkeypatch.setattr(MODULES["analytics"], "models", [])
    assert module(role_defs.permission_matrix(), "analytics").rows == []


def test_a_module_attached_later_appears_without_changes(monkeypatch):
    monkeypatch.setattr(MODULES["repairs"], "app_labels", ["auth"])
    repairs = module(role_defs.permission_matrix(), "repairs")
    assert "auth.group" in {row.key for row in repairs.rows}


def test_patterns_expand_over_the_matrix():
    perms = role_defs.matrix_permissions()
    expanded = names(role_defs.expand_patterns(["estates.view_*", "accounts.view_user"], perms))
    assert "estates.view_unit" in expanded and "accounts.view_user" in expanded
    assert "estates.change_unit" not in expanded
    assert names(role_defs.expand_patterns(["*"], perms)) == names(perms)


def test_default_roles_are_created_once_with_their_permissions():
    created = ensure_default_roles()
    assert created == [r.name for r in role_defs.DEFAULT_ROLES]
    assert ensure_default_roles() == []
    assert Role.objects.filter(is_builtin=True).count() == len(role_defs.DEFAULT_ROLES)
    supervisor = Group.objects.get(name="运维主管")
    granted = {
        f"{app}.{code}"
        for app, code in supervisor.permissions.values_list("content_type__app_label", "codename")
    }
    assert {"estates.view_unit", "estates.change_unit", "accounts.view_user"} <= granted
    assert "accounts.change_user" not in granted
    admin = Group.objects.get(name=role_defs.ADMINISTRATOR)
    assert admin.permissions.count() == len(role_defs.matrix_permissions())


def test_existing_roles_keep_the_permissions_an_administrator_gave_them():
    ensure_default_roles()
    finance = Group.objects.get(name="财务人员")
    finance.permissions.set(permissions("accounts.view_user"))
    ensure_default_roles()
    assert list(finance.permissions.all()) == permissions("accounts.view_user")


def test_administrator_role_is_topped_up_with_new_permissions():
    ensure_default_roles()
    admin = Group.objects.get(name=role_defs.ADMINISTRATOR)
    admin.permissions.remove(*permissions("estates.view_unit"))
    ensure_default_roles()
    assert admin.permissions.filter(codename="view_unit").exists()


def test_setup_roles_command_creates_roles_and_departments_idempotently():
    call_command("setup_roles", verbosity=0)
    call_command("setup_roles", verbosity=0)
    assert Group.objects.filter(name__in=[r.name for r in role_defs.DEFAULT_ROLES]).count() == 6
    assert set(Department.objects.values_list("name", flat=True)) >= set(
        role_defs.DEFAULT_DEPARTMENTS
    )
    assert Department.objects.count() == len(role_defs.DEFAULT_DEPARTMENTS)
