"""The register's API: lists with filters and pagination, detail, writes, and error bodies."""

from unittest.mock import ANY

import pytest

from courtyard.estates.models import Building, Unit
from tests.factories import EntranceFactory, UnitFactory, make_user

pytestmark = pytest.mark.django_db


def test_unit_list_is_paginated_and_scoped(api, clerk, unit, other_unit):
    UnitFactory(entrance=unit.entrance, room_no="102")
    body = api(clerk).get("/units", limit=1).json()
    assert body["count"] == 2 and len(body["items"]) == 1
    second = api(clerk).get("/units", limit=1, offset=1).json()["items"][0]
    assert {body["items"][0]["room_no"], second["room_no"]} == {"101", "102"}


def test_unit_carries_its_parents_and_status(api, clerk, unit):
    item = api(clerk).get(f"/units/{unit.pk}").json()
    assert (item["estate"], item["building"], item["entrance"]) == (
        unit.estate_id,
        unit.building_id,
        unit.entrance_id,
    )
    assert item["status"] == "vacant" and item["area"] == "89.50"


def test_unit_list_takes_the_filter_parameters(api, clerk, unit):
    UnitFactory(entrance=unit.entrance, room_no="102", status="rented", area="150.00")
    assert [u["room_no"] for u in api(clerk).get("/units", status="rented").json()["items"]] == [
        "102"
    ]
    assert api(clerk).get("/units", area_min="100").json()["count"] == 1
    assert api(clerk).get("/units", entrance=unit.entrance_id).json()["count"] == 2
    assert api(clerk).get("/units", q="101").json()["count"] == 1


def test_bad_filter_is_a_400_with_a_code(api, clerk, unit):
    response = api(clerk).get("/units", status="castle")
    assert response.status_code == 400 and response.json()["code"] == "invalid_filter"


def test_create_unit(api, clerk, entrance):
    response = api(clerk).post(
        "/units", {"entrance": entrance.pk, "room_no": "1201", "floor": 12, "area": "89.5"}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["building"] == entrance.building_id
    assert Unit.objects.get().created_by == clerk


def test_duplicate_room_number_is_a_400_with_field_errors(api, clerk, unit):
    response = api(clerk).post(
        "/units", {"entrance": unit.entrance_id, "room_no": "101", "floor": 1, "area": "50"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "duplicate"
    assert [(e["field"], e["message"]) for e in body["errors"]] == [
        ("room_no", "This room number already exists.")
    ]


def test_create_unit_in_an_entrance_outside_the_scope_is_404(api, clerk, other_unit):
    response = api(clerk).post(
        "/units", {"entrance": other_unit.entrance_id, "room_no": "9", "floor": 1, "area": "50"}
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_update_unit_changes_only_what_is_sent(api, clerk, unit):
    response = api(clerk).patch(f"/units/{unit.pk}", {"status": "occupied"})
    assert response.status_code == 200, response.json()
    unit.refresh_from_db()
    assert (unit.status, unit.room_no) == ("occupied", "101")


def test_update_unit_validation_is_a_400(api, clerk, unit):
    response = api(clerk).patch(f"/units/{unit.pk}", {"area": "-1"})
    assert response.status_code == 400 and "area" in {e["field"] for e in response.json()["errors"]}


def test_delete_unit(api, clerk, unit):
    assert api(clerk).delete(f"/units/{unit.pk}").status_code == 204
    assert not Unit.objects.exists()


def test_delete_entrance_in_use_is_409(api, clerk, unit):
    response = api(clerk).delete(f"/entrances/{unit.entrance_id}")
    assert response.status_code == 409
    assert response.json()["code"] == "in_use" and "units (1)" in response.json()["detail"]


def test_out_of_scope_unit_is_404_everywhere(api, clerk, other_unit):
    client = api(clerk)
    for response in (
        client.get(f"/units/{other_unit.pk}"),
        client.patch(f"/units/{other_unit.pk}", {"note": "x"}),
        client.delete(f"/units/{other_unit.pk}"),
    ):
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_missing_permission_is_403(api, unit):
    user = make_user("reader", "estates.view_unit", estates=[unit.estate])
    client = api(user)
    assert client.get("/units").status_code == 200
    response = client.post(
        "/units", {"entrance": unit.entrance_id, "room_no": "1", "floor": 1, "area": "1"}
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert client.get("/buildings").status_code == 403


def test_without_a_token_is_401(client, unit):
    response = client.get("/api/v1/units")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_estates_crud(api, manager):
    client = api(manager)
    created = client.post("/estates", {"name": "新城", "code": "XC"}).json()
    assert client.get("/estates", q="新城").json()["count"] == 1
    assert client.patch(f"/estates/{created['id']}", {"phone": "021-1"}).json()["phone"] == "021-1"
    duplicate = client.post("/estates", {"name": "新城", "code": "XC"})
    assert duplicate.status_code == 400 and {e["field"] for e in duplicate.json()["errors"]} == {
        "name",
        "code",
    }
    assert client.delete(f"/estates/{created['id']}").status_code == 204


def test_buildings_carry_their_estate_and_filter_by_it(api, clerk, building, other_unit):
    body = api(clerk).get("/buildings", estate=building.estate_id).json()
    assert body["count"] == 1 and body["items"][0]["estate"] == building.estate_id
    created = api(clerk).post("/buildings", {"estate": building.estate_id, "name": "2栋"})
    assert created.status_code == 201
    assert Building.objects.filter(estate=building.estate, name="2栋").exists()


def test_entrances_carry_estate_and_building(api, clerk, building):
    created = api(clerk).post("/entrances", {"building": building.pk, "name": "3单元"}).json()
    assert (created["estate"], created["building"]) == (building.estate_id, building.pk)
    renamed = api(clerk).patch(f"/entrances/{created['id']}", {"name": "4单元"}).json()
    assert renamed["name"] == "4单元"


def test_unit_list_queries_do_not_grow_with_rows(
    api, clerk, entrance, django_assert_max_num_queries
):
    for number in range(40):
        UnitFactory(entrance=entrance, room_no=f"{number:04d}")
    client = api(clerk)
    client.get("/units")
    with django_assert_max_num_queries(9):  # token, user, permissions, scope: per request
        body = client.get("/units", limit=100).json()
    assert body["count"] == 40 and len(body["items"]) == 40


def test_every_operation_declares_its_access():
    from courtyard.estates.api import router

    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            assert getattr(operation.view_func, "courtyard_access", None), operation.view_func


def test_entrance_filter_does_not_need_the_building(api, clerk, unit):
    other = EntranceFactory(building=unit.building, name="2单元")
    UnitFactory(entrance=other, room_no="101")
    assert api(clerk).get("/units", entrance=other.pk).json()["count"] == 1


def test_openapi_lists_the_filter_parameters(client):
    schema = client.get("/api/v1/openapi.json").json()
    names = {p["name"] for p in schema["paths"]["/api/v1/units"]["get"]["parameters"]}
    assert {"q", "estate", "building", "entrance", "status", "area_min", "limit"} <= names


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("estates", "name"),
        ("estates", "code"),
        ("estates", "address"),
        ("estates", "phone"),
        ("estates", "description"),
        ("buildings", "name"),
        ("buildings", "description"),
        ("entrances", "name"),
        ("units", "room_no"),
        ("units", "floor"),
        ("units", "area"),
        ("units", "use"),
        ("units", "status"),
        ("units", "note"),
    ],
)
def test_null_in_a_field_that_cannot_be_empty_is_a_400(api, clerk, unit, kind, field):
    """The schema refuses null where the record holds no null (it answered 500)."""
    record = {"estates": unit.estate, "buildings": unit.building, "entrances": unit.entrance}.get(
        kind, unit
    )
    version = getattr(record, "version", None)
    response = api(clerk).patch(f"/{kind}/{record.pk}", {field: None})
    assert response.status_code == 400, response.json()
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, ANY)]
    record.refresh_from_db()
    assert getattr(record, "version", None) == version


def test_null_floors_clears_them(api, clerk, building):
    building.floors = 18
    building.save()
    response = api(clerk).patch(f"/buildings/{building.pk}", {"floors": None})
    assert response.status_code == 200 and response.json()["floors"] is None


def test_openapi_calls_nullable_only_what_may_be_empty(client):
    components = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    building = components["BuildingPatch"]["properties"]
    assert "anyOf" in building["floors"]
    assert building["description"]["type"] == "string"
    assert components["UnitPatch"]["properties"]["note"]["type"] == "string"
