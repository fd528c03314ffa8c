"""portal/me for resident tokens; resident tokens get 403 on staff endpoints."""


import pytest

from courtyard.accounts.models import ApiToken
from tests.factories import PASSWORD

from .conftest import PHONE

pytestmark = pytest.mark.django_db


def bearer(user):
    _token, raw = ApiToken.issue(user)
    return {"Authorization": f"Bearer {raw}"}


def test_a_resident_signs_in_with_the_phone_number(client, resident):
    response = client.post(
        "/api/v1/auth/login",
        {"username": PHONE, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    me = client.get("/api/v1/portal/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["phone"] == PHONE


def test_portal_me_lists_units_and_household(client, resident, unit):
    body = client.get("/api/v1/portal/me", headers=bearer(resident)).json()
    assert body["name"] == "王小明"
    [item] = body["units"]
    assert item["id"] == unit.pk and item["room_no"] == "1201"
    assert (item["estate"], item["building"], item["role"], item["since"]) == (
        "翠湖天地",
        "1栋",
        "owner",
        "2024-05-01",
    )
    assert item["household"] == [
        {"name": "李娜", "role": "member", "relation": "配偶", "phone": "139****2222"}
    ]


def test_portal_me_is_for_residents_only(client, staff):
    response = client.get("/api/v1/portal/me", headers=bearer(staff))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_resident_token_gets_403_on_staff_endpoints(client, resident):
    from tests.permission_matrix import api_operations

    headers = bearer(resident)
    checked = 0
    for operation in api_operations():
        if operation.rule in ("public", "resident", "signed_in"):
            continue
        url = operation.url()
        method = operation.method.lower()
        response = getattr(client, method)(url, content_type="application/json", headers=headers)
        code = response.json()["code"]
        # Ninja checks a request body's shape before the operation runs: an empty body is
        # refused as invalid first, which changes nothing either.
        if method != "get" and code == "invalid_request":
            continue
        assert (response.status_code, code) == (403, "permission_denied"), f"{method} {url}"
        checked += 1
    assert checked > 10


def test_a_resident_signs_out_of_the_api(client, resident):
    headers = bearer(resident)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/portal/me", headers=headers).status_code == 401
