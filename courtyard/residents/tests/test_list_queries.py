"""The resident list's SQL forms: the scope and unit filters as EXISTS or as sets, the room
search as a list of ids; whichever form runs, the same people come back, each once, and
never anyone outside the scope."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from courtyard.accounts.models import ApiToken
from courtyard.residents import selectors
from courtyard.residents.filters import HistoryResidentFilterSet, ResidentFilterSet
from courtyard.residents.models import Occupancy, Resident
from tests.factories import BuildingFactory, EntranceFactory, UnitFactory, make_user

from .conftest import RESIDENT_PERMS
from .helpers import resident_in


@pytest.fixture
def register(estate, entrance, other_unit):
    """Two buildings in the clerk's estate with a room 1205 each, one outside the scope."""
    inside = UnitFactory(entrance=entrance, room_no="1205", floor=12)
    second = UnitFactory(
        entrance=EntranceFactory(building=BuildingFactory(estate=estate, name="2栋")),
        room_no="1205",
        floor=12,
    )
    outside = UnitFactory(entrance=other_unit.entrance, room_no="1205", floor=12)
    both = resident_in(inside, name="王建国", phone="13900001205")
    link(both, second, "owner")  # two units in scope, one row
    straddles = resident_in(inside, name="李建国", role="member", phone="13900002222")
    link(straddles, outside, "owner")  # one unit in scope, one outside: still visible, once
    hidden = resident_in(outside, name="赵建国", phone="13900001205")
    moved = resident_in(second, name="孙丽", status="archived")
    return {"both": both, "straddles": straddles, "hidden": hidden, "moved": moved}


def link(person, unit, role):
    Occupancy.objects.create(
        resident=person,
        unit=unit,
        estate_id=unit.estate_id,
        building_id=unit.building_id,
        role=role,
        status="current",
    )


def listed(user, params=None, history=False):
    """(count, names, SQL of the count) of the list as the page computes them."""
    request = RequestFactory().get("/", params or {})
    request.user, request.session = user, {}
    queryset = selectors.history_residents(user) if history else selectors.current_residents(user)
    filterset_class = HistoryResidentFilterSet if history else ResidentFilterSet
    filterset = filterset_class(params or None, queryset, request=request)
    if params:
        assert filterset.is_valid(), filterset.errors
        queryset = filterset.qs
    with CaptureQueriesContext(connection) as ctx:
        count = queryset.count()
    names = [r.name for r in queryset.order_by("name", "pk")]
    assert len(names) == count, "the count and the rows disagree"
    return count, sorted(names), ctx.captured_queries[-1]["sql"]


@pytest.mark.django_db
def test_plain_list_is_counted_from_sets_and_agrees_with_the_rows(clerk, register):
    count, names, sql = listed(clerk)
    assert names == ["李建国", "王建国"]
    assert "EXISTS" not in sql and '"id" IN (SELECT' in sql
    # The page itself reads the scope as EXISTS (a page in name order stops early).
    with CaptureQueriesContext(connection) as ctx:
        list(selectors.current_residents(clerk)[:25])
    assert "EXISTS" in ctx.captured_queries[0]["sql"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [{"q": "建国"}, {"q": "1205"}, {"q": "13900001205"}, {"room": "1205"}],
    ids=["name", "phone last 4", "phone", "room"],
)
def test_searches_stay_narrow_and_in_scope(clerk, register, params):
    count, names, sql = listed(clerk, params)
    assert "赵建国" not in names  # outside the scope, though the search matches
    assert names == sorted(set(names))  # a person with two units is one row
    assert "EXISTS" in sql  # counted from the few people found, no set over the register
    if "room" in params or params["q"] == "建国":
        assert names == ["李建国", "王建国"]


@pytest.mark.django_db
def test_room_search_for_everyone_finds_each_person_once(admin, register):
    count, names, _sql = listed(admin, {"room": "1205"})
    assert names == ["李建国", "王建国", "赵建国"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, expected",
    [
        ({"role": "owner"}, ["李建国", "王建国"]),
        ({"role": "member"}, ["李建国"]),
        ({"occupied": "yes"}, []),  # the factory's units are vacant
        ({"occupied": "no"}, ["李建国", "王建国"]),
        ({"kind": "individual"}, ["李建国", "王建国"]),
    ],
)
def test_broad_filters_counted_from_sets(clerk, register, params, expected):
    count, names, sql = listed(clerk, params)
    assert names == expected
    assert "EXISTS" not in sql


@pytest.mark.django_db
def test_estate_and_building_filters(estate, register):
    admin = make_user("boss", *RESIDENT_PERMS, "estates.view_estate", "estates.view_building")
    assert listed(admin, {"estate": str(estate.pk)})[1] == ["李建国", "王建国"]
    building = register["both"].occupancies.order_by("pk").last().building
    assert listed(admin, {"building": str(building.pk)})[1] == ["王建国"]


@pytest.mark.django_db
def test_history_list(clerk, register):
    count, names, sql = listed(clerk, history=True)
    assert names == ["孙丽"]
    assert "EXISTS" in sql  # the archived are few: counted from them, not from the scope
    assert listed(clerk, {"room": "1205"}, history=True)[1] == ["孙丽"]


@pytest.mark.django_db
def test_no_scope_means_nobody_in_either_form(register):
    nobody = make_user("nowhere", *RESIDENT_PERMS, all_estates=False)
    assert listed(nobody)[:2] == (0, [])
    assert listed(nobody, {"q": "建国"})[:2] == (0, [])
    assert not selectors.visible_residents(nobody).exists()


@pytest.mark.django_db
def test_top_bar_estate_and_api_count(client, clerk, estate, register):
    from courtyard.core.scoping import narrow_to_estate

    narrowed = narrow_to_estate(selectors.current_residents(clerk), estate.pk)
    assert narrowed.count() == 2 == len(narrowed)
    assert Resident.objects.count() == 4
    auth = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(clerk)[1]}"}
    body = client.get("/api/v1/residents", {"room": "1205"}, **auth).json()
    assert body["count"] == 2 and {i["name"] for i in body["items"]} == {"王建国", "李建国"}
    assert client.get("/api/v1/residents", **auth).json()["count"] == 2
