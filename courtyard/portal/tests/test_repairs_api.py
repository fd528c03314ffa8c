"""/portal/work-orders: a resident's repairs through the API; only their own."""

import pytest

from courtyard.repairs.choices import WorkOrderStatus
from courtyard.repairs.models import WorkOrder
from tests.factories import UnitFactory

from .conftest import move_in, resident_account
from .test_api import bearer
from .test_repairs import office, report, to_completed, water  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

URL = "/api/v1/portal/work-orders"


def post(client, user, path, data):
    return client.post(path, data, content_type="application/json", headers=bearer(user))


def test_create_list_and_detail(client, resident, unit, water):  # noqa: F811
    data = {"unit": unit.pk, "category": water.pk, "description": "门铃坏了", "urgency": "normal"}
    response = post(client, resident, URL, data)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["number"].startswith("BX-")
    assert body["timeline"][0]["verb"] == "submitted" and body["assignee"] == ""
    listing = client.get(URL, headers=bearer(resident)).json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == body["id"]
    detail = client.get(f"{URL}/{body['id']}", headers=bearer(resident)).json()
    assert detail["description"] == "门铃坏了"
    # The category as staff see it: its id and its name.
    assert (detail["category"], detail["category_name"]) == (water.pk, water.name)
    row = listing["items"][0]
    assert (row["category"], row["category_name"]) == (water.pk, water.name)
    assert (body["category"], body["category_name"]) == (water.pk, water.name)


def test_the_active_repair_categories_are_listed(client, resident, water):  # noqa: F811
    from courtyard.repairs.models import RepairCategory

    RepairCategory.objects.create(code="retired", name="已停用", is_active=False)
    listing = client.get("/api/v1/portal/repair-categories", headers=bearer(resident)).json()
    assert {"items", "count"} <= set(listing)
    names = [row["name"] for row in listing["items"]]
    assert water.name in names and "已停用" not in names


def test_bad_input_is_refused(client, resident, unit, water):  # noqa: F811
    other = UnitFactory(room_no="909")
    for data, code in [
        ({"unit": other.pk, "category": water.pk, "description": "x"}, "not_my_unit"),
        ({"unit": unit.pk, "category": 999999, "description": "x"}, "invalid_category"),
        ({"unit": unit.pk, "category": water.pk, "description": "x", "urgency": "?"}, None),
        ({"unit": unit.pk, "category": water.pk, "description": " "}, None),
    ]:
        response = post(client, resident, URL, data)
        assert response.status_code == 400, data
        assert response.json()["code"] == code or code is None
    assert not WorkOrder.objects.exists()


def test_someone_elses_order_is_not_found(client, resident, unit, water):  # noqa: F811
    neighbour = resident_account("13966667777", "邻居")
    move_in(unit, "邻居", "13966667777", "tenant", user=neighbour)
    order = report(neighbour, unit, water)
    assert client.get(f"{URL}/{order.pk}", headers=bearer(resident)).status_code == 404
    response = post(client, resident, f"{URL}/{order.pk}/cancel", {"reason": "x"})
    assert response.status_code == 404
    assert client.get(URL, headers=bearer(resident)).json()["count"] == 0


def test_staff_tokens_are_refused(client, staff):
    assert client.get(URL, headers=bearer(staff)).status_code == 403


def test_reject_confirm_rate(client, resident, unit, water, office):  # noqa: F811
    order = to_completed(report(resident, unit, water), office)
    path = f"{URL}/{order.pk}"
    assert post(client, resident, f"{path}/rate", {"stars": 5}).status_code == 200
    response = post(client, resident, f"{path}/reject", {"reason": "还在漏"})
    assert response.status_code == 200
    assert response.json()["status"] == "dispatched" and response.json()["reopen_count"] == 1
    response = post(client, resident, f"{path}/confirm", {})
    assert response.status_code == 409 and response.json()["code"]
    order.refresh_from_db()
    services_complete_again(order, office)
    assert post(client, resident, f"{path}/confirm", {}).json()["status"] == "closed"
    bad = post(client, resident, f"{path}/rate", {"stars": 0})
    assert bad.status_code == 400


def services_complete_again(order, office):  # noqa: F811
    from courtyard.repairs import services

    tech = office[1]
    services.start(tech, order)
    services.complete(tech, order, work_done="再次更换")


def test_rating_twice_is_refused(client, resident, unit, water, office):  # noqa: F811
    order = to_completed(report(resident, unit, water), office)
    path = f"{URL}/{order.pk}"
    assert post(client, resident, f"{path}/rate", {"stars": 4, "comment": "好"}).status_code == 200
    again = post(client, resident, f"{path}/rate", {"stars": 1})
    assert again.status_code in (400, 409)
    order.refresh_from_db()
    assert order.rating == 4


def test_cancel_before_dispatch(client, resident, unit, water):  # noqa: F811
    order = report(resident, unit, water)
    response = post(client, resident, f"{URL}/{order.pk}/cancel", {"reason": "不用了"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert WorkOrder.objects.get().status == WorkOrderStatus.CANCELLED
