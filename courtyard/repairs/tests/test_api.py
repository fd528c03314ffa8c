"""The work-orders API: list with filters, detail, create, every action, and error bodies."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courtyard.repairs import services
from courtyard.repairs.models import RepairCategory, WorkOrder
from tests.factories import UnitFactory, make_user, permissions
from tests.permission_matrix import ModelPermissionMatrix

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(clerk):
    """The clerk as the default role has it: also seeing estates, buildings and categories
    (the filters offer those)."""
    clerk.groups.get().permissions.add(
        *permissions("estates.view_estate", "estates.view_building", "repairs.view_repaircategory")
    )
    return clerk.__class__.objects.get(pk=clerk.pk)


def test_list_is_paginated_scoped_and_filtered(
    api,
    desk,
    clerk,
    new_order,
    unit,
    other_unit,
    water,
    categories,
    tech,
    django_assert_max_num_queries,
):
    admin = make_user("root", superuser=True)
    services.create_work_order(admin, category=water, description="别处", unit=other_unit)
    second = services.create_work_order(
        clerk,
        category=categories["elevator"],
        description="电梯异响",
        urgency="emergency",
        building=unit.building,
        location="1栋电梯",
    )
    services.dispatch(clerk, second, assignee=tech)
    body = api(desk).get("/work-orders", limit=1).json()
    assert body["count"] == 2 and len(body["items"]) == 1
    assert api(admin).get("/work-orders").json()["count"] == 3

    def numbers(**params):
        return [o["number"] for o in api(desk).get("/work-orders", **params).json()["items"]]

    assert numbers(status="dispatched") == [second.number]
    assert numbers(urgency="urgent") == [new_order.number]
    assert numbers(urgency="emergency") == [second.number]
    assert numbers(category=categories["elevator"].pk) == [second.number]
    assert numbers(unit=unit.pk) == [new_order.number]
    assert numbers(building=unit.building_id, estate=unit.estate_id) == [
        second.number,
        new_order.number,
    ]
    assert numbers(assignee=tech.pk) == [second.number]
    assert numbers(q="电梯") == [second.number]
    assert numbers(overdue="true") == []
    for i in range(6):  # no query per row: the same bound for 8 rows as for 1
        services.create_work_order(clerk, category=water, description=str(i), unit=unit)
    token = api(desk)
    with django_assert_max_num_queries(12):
        answer = token.get("/work-orders", unit=unit.pk).json()
    assert len(answer["items"]) == 7, answer
    newest = [o["number"] for o in answer["items"]]
    window = token.get("/work-orders", unit=unit.pk, limit=3, offset=2).json()
    assert window["count"] == 7 and [o["number"] for o in window["items"]] == newest[2:5]


def test_overdue_filter(api, clerk, new_order):
    WorkOrder.objects.filter(pk=new_order.pk).update(
        response_due=timezone.now() - timedelta(minutes=1)
    )
    body = api(clerk).get("/work-orders", overdue="true").json()
    assert [o["number"] for o in body["items"]] == [new_order.number]
    assert body["items"][0]["response_overdue"] is True


def test_bad_filter_is_a_400(api, clerk, new_order):
    response = api(clerk).get("/work-orders", status="lost")
    assert response.status_code == 400 and response.json()["code"] == "invalid_filter"


def test_detail_with_follow_ups_and_timeline(api, clerk, tech, new_order):
    services.dispatch(clerk, new_order, assignee=tech, note="请30分钟内联系业主")
    services.add_follow_up(tech, new_order, text="已联系业主")
    item = api(clerk).get(f"/work-orders/{new_order.pk}").json()
    assert item["status"] == "dispatched" and item["assignee"] == tech.pk
    assert (item["estate"], item["building"], item["unit"]) == (
        new_order.estate_id,
        new_order.building_id,
        new_order.unit_id,
    )
    assert item["follow_ups"][0]["text"] == "已联系业主"
    assert [e["verb"] for e in item["timeline"]] == [
        "followed_up",
        "dispatched",
        "accepted",
        "submitted",
    ]


def test_create(api, clerk, unit, water):
    response = api(clerk).post(
        "/work-orders",
        {
            "category": water.pk,
            "description": "水表漏水",
            "urgency": "urgent",
            "source": "phone",
            "unit": unit.pk,
            "contact_phone": "13900000009",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].endswith("-000001") and body["status"] == "submitted"
    assert body["unit"] == unit.pk and body["response_due"]


def test_create_errors(api, clerk, unit, other_unit, water):
    response = api(clerk).post(
        "/work-orders", {"category": water.pk, "description": "", "unit": unit.pk}
    )
    assert response.status_code == 400 and "description" in {
        e["field"] for e in response.json()["errors"]
    }
    response = api(clerk).post(
        "/work-orders", {"category": water.pk, "description": "x", "unit": other_unit.pk}
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = api(clerk).post(
        "/work-orders", {"category": water.pk, "description": "x", "urgency": "soon"}
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"
    viewer = make_user("viewer", "repairs.view_workorder", estates=[unit.estate])
    response = api(viewer).post(
        "/work-orders", {"category": water.pk, "description": "x", "unit": unit.pk}
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not WorkOrder.objects.exists()


def test_the_whole_way_through_the_api(api, client, clerk, tech, supervisor, new_order):
    base = f"/work-orders/{new_order.pk}"
    assert api(clerk).post(f"{base}/accept").json()["status"] == "accepted"
    listing = api(clerk).get(f"{base}/candidates").json()
    candidates = listing["items"]
    assert listing["count"] == len(candidates)
    assert candidates[0]["id"] == tech.pk and candidates[0]["suggested"]
    response = api(clerk).post(
        f"{base}/dispatch", {"assignee": tech.pk, "note": "请30分钟内联系业主"}
    )
    assert response.status_code == 200 and response.json()["assignee_name"] == "李师傅"
    assert api(tech).post(f"{base}/start").json()["status"] == "in_progress"
    response = client.post(
        f"/api/v1{base}/follow-ups", {"text": "需要换三通"}, headers=api(tech).headers
    )
    assert response.status_code == 201 and response.json()["text"] == "需要换三通"
    response = api(tech).post(
        f"{base}/complete", {"work_done": "更换三通", "materials": "三通", "cost": "35.50"}
    )
    assert response.json()["status"] == "completed" and response.json()["cost"] == "35.50"
    assert api(supervisor).post(f"{base}/close").json()["status"] == "closed"
    body = api(supervisor).post(f"{base}/reopen", {"reason": "又漏了"}).json()
    assert body["status"] == "dispatched" and body["reopen_count"] == 1
    assert api(clerk).post(f"{base}/cancel", {"reason": "业主不需要了"}).json()["status"] == (
        "cancelled"
    )


def test_wrong_state_is_a_409_with_a_code(api, clerk, supervisor, new_order):
    response = api(supervisor).post(f"/work-orders/{new_order.pk}/close")
    assert response.status_code == 409
    assert (
        response.json()["code"] == "not_completed" and new_order.number in response.json()["detail"]
    )
    response = api(supervisor).post(f"/work-orders/{new_order.pk}/start")
    assert response.status_code == 409 and response.json()["code"] == "not_dispatched"
    api(clerk).post(f"/work-orders/{new_order.pk}/accept")
    response = api(clerk).post(f"/work-orders/{new_order.pk}/accept")
    assert response.status_code == 409 and response.json()["code"] == "not_submitted"


def test_dispatch_errors(api, clerk, new_order, other_unit):
    base = f"/work-orders/{new_order.pk}/dispatch"
    response = api(clerk).post(base, {"assignee": clerk.pk})
    assert response.status_code == 400 and response.json()["code"] == "not_technician"
    response = api(clerk).post(base, {"assignee": 999999})
    assert response.status_code == 404
    response = api(clerk).post(base, {})
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"


def test_action_permission_and_scope(api, clerk, tech, new_order, other_unit):
    response = api(tech).post(f"/work-orders/{new_order.pk}/accept")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    elsewhere = make_user(
        "elsewhere",
        "repairs.view_workorder",
        "repairs.accept_workorder",
        estates=[other_unit.estate],
    )
    response = api(elsewhere).post(f"/work-orders/{new_order.pk}/accept")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert api(elsewhere).get(f"/work-orders/{new_order.pk}").status_code == 404
    assert api(elsewhere).get("/work-orders").json()["count"] == 0
    new_order.refresh_from_db()
    assert new_order.status == "submitted"


def test_reason_required(api, clerk, new_order):
    response = api(clerk).post(f"/work-orders/{new_order.pk}/cancel", {"reason": " "})
    assert response.status_code == 400 and "reason" in {
        e["field"] for e in response.json()["errors"]
    }


def test_residents_and_anonymous_are_refused(api, client, resident_user, new_order):
    assert client.get("/api/v1/work-orders").status_code == 401
    response = api(resident_user).get("/work-orders")
    assert response.status_code == 403


def test_patch_corrects_details(api, supervisor, clerk, new_order, categories):
    base = f"/work-orders/{new_order.pk}"
    response = api(supervisor).patch(
        base, {"urgency": "emergency", "category": categories["pipes"].pk, "location": ""}
    )
    assert response.status_code == 200, response.content
    assert response.json()["urgency"] == "emergency"
    assert response.json()["category"] == categories["pipes"].pk
    assert api(clerk).patch(base, {"description": "y"}).status_code == 403
    assert api(supervisor).patch(base, {"urgency": "soon"}).status_code == 400
    api(supervisor).post(f"{base}/cancel", {"reason": "重复"})
    response = api(supervisor).patch(base, {"description": "y"})
    assert response.status_code == 409 and response.json()["code"] == "not_open"


class TestWorkOrderApiMatrix(ModelPermissionMatrix):
    """401 anonymous, 403 without the permission, 200 in scope, 404 outside (the pages have
    their own matrix in test_views)."""

    model = WorkOrder
    url_names = {}
    api_list = "/api/v1/work-orders"
    api_detail = "/api/v1/work-orders/{pk}"

    def make_object(self, estate):
        category, _created = RepairCategory.objects.get_or_create(
            code="water_electric", defaults={"name": "水电"}
        )
        unit = UnitFactory(entrance__building__estate=estate)
        admin = make_user(f"maker{estate.pk}", superuser=True)
        return services.create_work_order(admin, category=category, description="x", unit=unit)


# Follow-ups with photos ---------------------------------------------------------------------


def test_a_follow_up_takes_photos_as_the_page_does(api, client, clerk, tech, new_order):
    from courtyard.core.models import Attachment

    from .conftest import photo

    services.dispatch(clerk, new_order, assignee=tech)
    response = client.post(
        f"/api/v1/work-orders/{new_order.pk}/follow-ups",
        {"text": "拍了现场照片", "photos": [photo("a.png"), photo("b.png")]},
        headers=api(tech).headers,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["text"] == "拍了现场照片"
    assert [p["name"] for p in body["photos"]] == ["a.png", "b.png"]
    assert Attachment.objects.filter(purpose="photo").count() == 2


def test_a_follow_up_photo_is_checked_by_content(api, client, clerk, tech, new_order):
    from courtyard.repairs.models import FollowUp

    from .conftest import photo

    services.dispatch(clerk, new_order, assignee=tech)
    response = client.post(
        f"/api/v1/work-orders/{new_order.pk}/follow-ups",
        {"text": "照片", "photos": [photo("fake.png", b"MZ not an image at all")]},
        headers=api(tech).headers,
    )
    assert response.status_code == 400 and "photos" in response.content.decode()
    assert not FollowUp.objects.exists()
