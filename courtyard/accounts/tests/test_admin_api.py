"""API of staff accounts and roles: /api/v1/users and /api/v1/roles."""

import pytest
from django.contrib.auth.models import Group

from courtyard.accounts.models import ApiToken, Department, Role
from tests.factories import make_user, permissions

pytestmark = pytest.mark.django_db


def bearer(user):
    _token, raw = ApiToken.issue(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def make_role(name, *perms):
    group = Group.objects.create(name=name)
    group.permissions.set(permissions(*perms))
    return Role.objects.create(group=group)


def test_users_need_a_token_and_the_view_permission(client):
    assert client.get("/api/v1/users").status_code == 401
    denied = client.get("/api/v1/users", **bearer(make_user("bare")))
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"


def test_user_list_filters_and_paginates(client):
    service = Department.objects.create(name="客服部")
    role = make_role("客服专员")
    for n in range(3):
        make_user(f"kf{n}", department=service).groups.add(role.group)
    make_user("idle", is_active=False)
    headers = bearer(make_user("viewer", "accounts.view_user"))

    body = client.get("/api/v1/users", {"limit": 2, "offset": 0}, **headers).json()
    assert body["count"] == 5 and len(body["items"]) == 2
    by_department = client.get("/api/v1/users", {"department": service.pk}, **headers).json()
    assert {u["username"] for u in by_department["items"]} == {"kf0", "kf1", "kf2"}
    assert by_department["items"][0]["roles"] == ["客服专员"]
    assert by_department["items"][0]["department_name"] == "客服部"
    by_role = client.get("/api/v1/users", {"role": role.pk}, **headers).json()
    assert by_role["count"] == 3
    inactive = client.get("/api/v1/users", {"is_active": "false"}, **headers).json()
    assert [u["username"] for u in inactive["items"]] == ["idle"]
    searched = client.get("/api/v1/users", {"q": "kf1"}, **headers).json()
    assert [u["username"] for u in searched["items"]] == ["kf1"]


def test_user_phones_are_masked_without_change_permission(client):
    target = make_user("kf", phone="13812345678")
    masked = client.get(
        f"/api/v1/users/{target.pk}", **bearer(make_user("v", "accounts.view_user"))
    )
    assert masked.json()["phone"] == "138****5678"
    editor = make_user("e", "accounts.view_user", "accounts.change_user")
    full = client.get(f"/api/v1/users/{target.pk}", **bearer(editor))
    assert full.json()["phone"] == "13812345678"


def test_user_detail_carries_lock_and_scope(client):
    target = make_user("kf")
    body = client.get(f"/api/v1/users/{target.pk}", **bearer(make_user("v", "accounts.view_user")))
    assert body.status_code == 200
    assert body.json()["locked"] is False and body.json()["scope"] == "All estates"
    missing = client.get("/api/v1/users/999999", **bearer(make_user("w", "accounts.view_user")))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_roles_list_and_detail_with_permission_names(client):
    role = make_role("运维主管", "estates.view_unit", "accounts.view_user")
    make_user("sup").groups.add(role.group)
    headers = bearer(make_user("viewer", "accounts.view_role"))
    listing = client.get("/api/v1/roles", **headers).json()
    entry = next(r for r in listing["items"] if r["id"] == role.pk)
    assert entry["name"] == "运维主管" and entry["user_count"] == 1
    detail = client.get(f"/api/v1/roles/{role.pk}", **headers).json()
    assert detail["permissions"] == ["accounts.view_user", "estates.view_unit"]


def test_roles_need_the_view_role_permission(client):
    role = make_role("X")
    headers = bearer(make_user("viewer", "accounts.view_user"))
    assert client.get("/api/v1/roles", **headers).status_code == 403
    assert client.get(f"/api/v1/roles/{role.pk}", **headers).status_code == 403
