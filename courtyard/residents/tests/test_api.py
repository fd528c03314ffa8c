"""The residents API: list with filters, masked identity, create = submit, PATCH rules, archive."""

import pytest

from courtyard.accounts.models import ApiToken
from courtyard.residents.models import Resident

from .conftest import id_number
from .helpers import resident_in

pytestmark = pytest.mark.django_db


def bearer(user):
    _token, raw = ApiToken.issue(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_list_and_detail_mask_unless_permitted(client, clerk, admin, unit):
    owner = resident_in(unit, phone="13912345678")
    body = client.get("/api/v1/residents", {"q": "陈"}, **bearer(clerk)).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["phone"] == "139****5678" and item["status"] == "current"
    assert item["units"] == [unit.pk] and item["occupancies"][0]["role"] == "owner"
    full = client.get(f"/api/v1/residents/{owner.pk}", **bearer(admin)).json()
    assert full["phone"] == "13912345678" and full["id_number"] == owner.id_number_masked


def test_create_submits_a_registration(client, clerk, unit):
    payload = {
        "unit": unit.pk,
        "name": "赵磊",
        "id_number": id_number(61),
        "phone": "13611112222",
        "move_in": "2026-03-01",
        "members": [{"name": "孙丽", "relation": "配偶"}],
    }
    answer = client.post(
        "/api/v1/residents", payload, content_type="application/json", **bearer(clerk)
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["status"] == "approved" and body["unit"] == unit.pk
    assert body["approval"]["status"] == "approved"
    again = client.post(
        "/api/v1/residents",
        {**payload, "id_number": id_number(62), "members": []},
        content_type="application/json",
        **bearer(clerk),
    )
    assert again.status_code == 400 and again.json()["code"] == "second_owner"


def test_patch_contact_and_core_rules(client, clerk, admin, unit):
    owner = resident_in(unit)
    url = f"/api/v1/residents/{owner.pk}"
    answer = client.patch(
        url, {"phone": "13700009999"}, content_type="application/json", **bearer(clerk)
    )
    assert answer.status_code == 200
    denied = client.patch(url, {"name": "X"}, content_type="application/json", **bearer(clerk))
    assert denied.status_code == 403
    no_note = client.patch(
        url, {"name": "陈静怡"}, content_type="application/json", **bearer(admin)
    )
    assert no_note.status_code == 400 and no_note.json()["code"] == "confirmation_required"
    done = client.patch(
        url,
        {"name": "陈静怡", "confirmation_note": "业主书面确认"},
        content_type="application/json",
        **bearer(admin),
    )
    assert done.status_code == 200 and done.json()["name"] == "陈静怡"


def test_archive_refused_while_living_there(client, clerk, unit):
    owner = resident_in(unit)
    answer = client.post(
        f"/api/v1/residents/{owner.pk}/archive",
        {},
        content_type="application/json",
        **bearer(clerk),
    )
    assert answer.status_code == 409 and answer.json()["code"] == "still_resident"
    assert Resident.objects.get(pk=owner.pk).archived_at is None


def test_a_registration_nobody_else_could_approve_is_refused_with_the_reason(
    client, admin_user, unit
):
    """A new estate: the default flow's role is the administrator's, who submits; the request
    would wait for ever, so it is not made (and the registration is not kept)."""
    from django.contrib.auth.models import Group

    from courtyard.core.approvals import services as approvals
    from courtyard.residents.models import Registration
    from courtyard.residents.services import APPROVAL_KIND

    role = Group.objects.create(name="系统管理员")
    admin_user.groups.add(role)
    approvals.set_flow_levels(admin_user, APPROVAL_KIND, None, [role])
    payload = {
        "unit": unit.pk,
        "name": "赵磊",
        "id_number": id_number(63),
        "phone": "13611112222",
        "move_in": "2026-03-01",
    }
    answer = client.post(
        "/api/v1/residents", payload, content_type="application/json", **bearer(admin_user)
    )
    assert (answer.status_code, answer.json()["code"]) == (409, "no_approver")
    assert "“系统管理员”" in answer.json()["detail"]
    assert not Registration.objects.exists()
