"""The API route factory (``core.api.resource``): a model's list, get, create, patch and delete
routes from a declaration, behind the same gates as routes written out by hand.

A small API of buildings is declared here with plain services, and called with ninja's test
client as users holding some of the permissions, inside or outside the building's estate.
"""

import pytest
from django.db import transaction
from ninja import Router, Schema
from ninja.testing import TestClient

from courtyard.core.api import CourtyardAPI, Id, id_of, install_error_handlers, resource
from courtyard.core.filters import BaseFilterSet
from courtyard.core.scoping import restrict
from courtyard.estates.models import Building, Entrance, Estate
from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, make_user

pytestmark = pytest.mark.django_db

ALL = ("view", "add", "change", "delete")


class BuildingRowFilterSet(BaseFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Building
        fields = ["q", "estate"]


class BuildingRowOut(Schema):
    id: int
    estate: int = id_of("estate")
    name: str
    floors: int | None


class BuildingRowIn(Schema):
    estate: Id
    name: str
    floors: int | None = None


class BuildingRowPatch(Schema):
    estate: Id | None = None
    name: str = None
    floors: int | None = None


class EntranceRowOut(Schema):
    id: int
    building: int = id_of("building")
    name: str


class EntranceRowPatch(Schema):
    name: str = None


def buildings(user, action):
    return restrict(Building.objects.all(), user, action)


def create_building(user, **values):
    return Building.objects.create(**values)


def update_record(user, record, **changes):
    for field, value in changes.items():
        setattr(record, field, value)
    record.save()
    return record


def update_after_someone_else(user, building, **changes):
    """An edit that loses the race: someone else saves the record after it was read."""
    Building.objects.get(pk=building.pk).save()
    return update_record(user, building, **changes)


def delete_building(user, building):
    building.delete()


router = Router()
resource(
    router,
    "/buildings",
    Building,
    name="building",
    rows=buildings,
    out=BuildingRowOut,
    filterset=BuildingRowFilterSet,
    order=("name",),
    create=(BuildingRowIn, create_building),
    update=(BuildingRowPatch, update_record),
    delete=delete_building,
    references={"estate": Estate},
    clearable=("floors",),
)
resource(
    router,
    "/racing-buildings",
    Building,
    name="racing_building",
    rows=buildings,
    out=BuildingRowOut,
    listed=False,
    update=(BuildingRowPatch, update_after_someone_else),
)
resource(
    router,
    "/entrances",
    Entrance,
    name="entrance",
    rows=lambda user, action: restrict(Entrance.objects.all(), user, action),
    out=EntranceRowOut,
    listed=False,
    update=(EntranceRowPatch, update_record),
)
api = CourtyardAPI(urls_namespace="test-resource")
install_error_handlers(api)
api.add_router("/", router)
client = TestClient(api)


@pytest.fixture
def mine(db):
    return EstateFactory(name="Mine")


@pytest.fixture
def building(mine):
    return BuildingFactory(estate=mine, name="A", floors=18)


@pytest.fixture
def foreign(db):
    return BuildingFactory(estate=EstateFactory(name="Theirs"), name="F")


def clerk(estate, *actions):
    """A user of ``estate`` who may ``actions`` on buildings (and see the estates, which the
    estate filter offers)."""
    perms = ["estates.view_estate", *(f"estates.{action}_building" for action in actions)]
    return make_user(f"clerk-{'-'.join(actions) or 'none'}", *perms, estates=[estate])


# Reading ------------------------------------------------------------------------------------


def test_list_answers_the_rows_in_scope_a_page_at_a_time(mine, building, foreign):
    BuildingFactory(estate=mine, name="B")
    BuildingFactory(estate=mine, name="C")
    user = clerk(mine, "view")
    body = client.get("/buildings?limit=2&offset=1", user=user).json()
    assert body["count"] == 3
    assert [row["name"] for row in body["items"]] == ["B", "C"]
    assert body["items"][0]["estate"] == mine.pk


def test_list_takes_the_filter_sets_parameters(mine, building, foreign):
    BuildingFactory(estate=mine, name="Tower")
    user = clerk(mine, "view")
    assert [r["name"] for r in client.get("/buildings?q=tow", user=user).json()["items"]] == [
        "Tower"
    ]
    assert client.get(f"/buildings?estate={mine.pk}", user=user).json()["count"] == 2


def test_a_filter_naming_an_estate_outside_the_scope_is_a_400(mine, foreign):
    response = client.get(f"/buildings?estate={foreign.estate_id}", user=clerk(mine, "view"))
    assert response.status_code == 400 and response.json()["code"] == "invalid_filter"


def test_get_answers_the_record_with_its_etag(building):
    response = client.get(f"/buildings/{building.pk}", user=clerk(building.estate, "view"))
    assert response.status_code == 200
    assert response.json() == {
        "id": building.pk,
        "estate": building.estate_id,
        "name": "A",
        "floors": 18,
    }
    assert response["ETag"] == f'"{building.version}"'


def test_a_record_outside_the_scope_is_not_found(mine, foreign):
    user = clerk(mine, *ALL)
    for method, body in [("get", None), ("patch", {"name": "X"}), ("delete", None)]:
        response = getattr(client, method)(f"/buildings/{foreign.pk}", json=body, user=user)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), method
    foreign.refresh_from_db()
    assert foreign.name == "F"


def test_each_route_needs_its_actions_permission(mine, building):
    user = clerk(mine, "view")
    calls = [
        ("post", "/buildings", {"estate": mine.pk, "name": "New"}),
        ("patch", f"/buildings/{building.pk}", {"name": "X"}),
        ("delete", f"/buildings/{building.pk}", None),
    ]
    for method, path, body in calls:
        response = getattr(client, method)(path, json=body, user=user)
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    nobody = clerk(mine)
    assert client.get("/buildings", user=nobody).status_code == 403
    assert client.get(f"/buildings/{building.pk}", user=nobody).status_code == 403
    assert Building.objects.filter(name__in=["New", "X"]).count() == 0


# Writing ------------------------------------------------------------------------------------


def test_create_resolves_references_in_the_scope(mine):
    response = client.post(
        "/buildings", json={"estate": mine.pk, "name": "New"}, user=clerk(mine, "add")
    )
    assert response.status_code == 201
    assert response.json()["estate"] == mine.pk
    assert Building.objects.get(name="New").estate == mine


def test_create_naming_an_estate_outside_the_scope_is_not_found(mine, foreign):
    body = {"estate": foreign.estate_id, "name": "New"}
    response = client.post("/buildings", json=body, user=clerk(mine, "add"))
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert not Building.objects.filter(name="New").exists()


def test_patch_changes_what_is_sent_and_null_clears_only_clearable_fields(building):
    user = clerk(building.estate, "change")
    response = client.patch(
        f"/buildings/{building.pk}", json={"estate": None, "floors": None}, user=user
    )
    assert response.status_code == 200
    building.refresh_from_db()
    assert (building.estate.name, building.name, building.floors) == ("Mine", "A", None)
    assert response["ETag"] == f'"{building.version}"'


def test_patch_applies_if_match(building):
    user = clerk(building.estate, "change")
    path = f"/buildings/{building.pk}"
    stale = client.patch(path, json={"name": "X"}, user=user, headers={"If-Match": '"99"'})
    assert (stale.status_code, stale.json()["code"]) == (412, "precondition_failed")
    fresh = client.patch(
        path, json={"name": "X"}, user=user, headers={"If-Match": f'"{building.version}"'}
    )
    assert fresh.status_code == 200 and fresh.json()["name"] == "X"


def test_patch_of_a_record_changed_meanwhile_is_a_409(building):
    user = clerk(building.estate, *ALL)
    with transaction.atomic():  # the refused save spoils its transaction: the test's is kept
        response = client.patch(f"/racing-buildings/{building.pk}", json={"name": "X"}, user=user)
    assert (response.status_code, response.json()["code"]) == (409, "changed_meanwhile")
    building.refresh_from_db()
    assert building.name == "A"


def test_delete_answers_204(building):
    response = client.delete(f"/buildings/{building.pk}", user=clerk(building.estate, "delete"))
    assert response.status_code == 204
    assert not Building.objects.filter(pk=building.pk).exists()


# The document -------------------------------------------------------------------------------


def test_operations_are_named_and_documented_as_written_out_ones():
    paths = api.get_openapi_schema(path_prefix="")["paths"]
    detail = paths["/buildings/{pk}"]
    prefix = "courtyard_core_tests_test_api_resource_"
    assert {method: op["operationId"] for method, op in detail.items()} == {
        "get": f"{prefix}get_building",
        "patch": f"{prefix}update_building",
        "delete": f"{prefix}delete_building",
    }
    assert paths["/buildings"]["get"]["operationId"] == f"{prefix}list_buildings"
    assert {"q", "estate", "limit", "offset"} <= {
        p["name"] for p in paths["/buildings"]["get"]["parameters"]
    }
    assert set(detail["patch"]["responses"]) == {200, 400, 401, 403, 404, 409, 412}
    assert "If-Match" in {p["name"] for p in detail["patch"]["parameters"]}
    unversioned = paths["/entrances/{pk}"]["patch"]
    assert "412" not in unversioned["responses"]
    assert "If-Match" not in {p["name"] for p in unversioned["parameters"]}


def test_id_of_reads_the_column_without_a_query(django_assert_num_queries):
    entrance = Entrance.objects.get(pk=EntranceFactory().pk)
    with django_assert_num_queries(0):
        out = EntranceRowOut.model_validate(entrance)
    assert out.building == entrance.building_id
    assert EntranceRowOut.model_validate({"id": 1, "building": 2, "name": "x"}).building == 2
    schema = EntranceRowOut.model_json_schema(mode="serialization")
    assert "building" in schema["properties"] and "building_id" not in schema["properties"]
