"""API: estates, buildings, entrances, units.

Lists take the filter sets' query parameters plus ``limit``/``offset``; objects carry their
parents' ids; writes go through the same services as the web pages.
"""

from datetime import datetime
from decimal import Decimal

from django.http import HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from courtyard.core.api import Id, Pagination, SmallInt, api_access, filter_query, filtered
from courtyard.core.references import resolve
from courtyard.core.scoping import get_for_action
from courtyard.core.versions import expect_version, set_etag

from . import selectors, services
from .choices import Occupancy, UnitUse
from .filters import BuildingFilterSet, EntranceFilterSet, EstateFilterSet, UnitFilterSet
from .models import Building, Entrance, Estate

router = Router(tags=["property"])

EstateQuery = filter_query(EstateFilterSet)
BuildingQuery = filter_query(BuildingFilterSet)
EntranceQuery = filter_query(EntranceFilterSet)
UnitQuery = filter_query(UnitFilterSet)


def _with_parent(user, changes, name, source):
    """Replace a parent id in PATCH changes by the record; null means "leave it"."""
    if changes.get(name) is None:
        changes.pop(name, None)
    else:
        changes[name] = resolve(user, source, changes[name])
    return changes


# Estates ------------------------------------------------------------------------------------


class EstateOut(Schema):
    id: int
    name: str
    code: str
    address: str
    phone: str
    description: str
    created_at: datetime
    updated_at: datetime


class EstateIn(Schema):
    name: str
    code: str
    address: str = ""
    phone: str = ""
    description: str = ""


class EstatePatch(Schema):
    """A field left out keeps its value; ``null`` is refused where the record holds none."""

    name: str = None
    code: str = None
    address: str = None
    phone: str = None
    description: str = None


@router.get("/estates", response=list[EstateOut])
@api_access("estates.view_estate")
@paginate(Pagination)
def list_estates(request, filters: Query[EstateQuery]):
    return filtered(EstateFilterSet, request, selectors.visible_estates(request.user))


@router.post("/estates", response={201: EstateOut})
@api_access("estates.add_estate")
def create_estate(request, payload: EstateIn):
    return Status(201, services.create_estate(request.user, **payload.dict()))


@router.get("/estates/{pk}", response=EstateOut)
@api_access("estates.view_estate")
def get_estate(request, pk: int, response: HttpResponse):
    estate = get_for_action(Estate.objects.all(), request.user, "view", pk=pk)
    return set_etag(response, estate)


@router.patch("/estates/{pk}", response=EstateOut)
@api_access("estates.change_estate")
def update_estate(request, pk: int, payload: EstatePatch, response: HttpResponse):
    estate = get_for_action(Estate.objects.all(), request.user, "change", pk=pk)
    expect_version(request, estate)
    estate = services.update_estate(request.user, estate, **payload.dict(exclude_unset=True))
    return set_etag(response, estate)


@router.delete("/estates/{pk}", response={204: None})
@api_access("estates.delete_estate")
def delete_estate(request, pk: int):
    estate = get_for_action(Estate.objects.all(), request.user, "delete", pk=pk)
    services.delete_estate(request.user, estate)
    return Status(204, None)


# Buildings ----------------------------------------------------------------------------------


class BuildingOut(Schema):
    id: int
    estate: int
    name: str
    floors: int | None
    description: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_estate(obj):
        return obj.estate_id


class BuildingIn(Schema):
    estate: Id
    name: str
    floors: SmallInt | None = None
    description: str = ""


class BuildingPatch(Schema):
    """A field left out keeps its value; ``null`` clears the floors and is refused elsewhere
    (an estate of null is left out)."""

    estate: Id | None = None
    name: str = None
    floors: SmallInt | None = None
    description: str = None


@router.get("/buildings", response=list[BuildingOut])
@api_access("estates.view_building")
@paginate(Pagination)
def list_buildings(request, filters: Query[BuildingQuery]):
    return filtered(BuildingFilterSet, request, selectors.visible_buildings(request.user))


@router.post("/buildings", response={201: BuildingOut})
@api_access("estates.add_building")
def create_building(request, payload: BuildingIn):
    data = payload.dict()
    data["estate"] = resolve(request.user, Estate, data["estate"])
    return Status(201, services.create_building(request.user, **data))


@router.get("/buildings/{pk}", response=BuildingOut)
@api_access("estates.view_building")
def get_building(request, pk: int, response: HttpResponse):
    building = get_for_action(Building.objects.all(), request.user, "view", pk=pk)
    return set_etag(response, building)


@router.patch("/buildings/{pk}", response=BuildingOut)
@api_access("estates.change_building")
def update_building(request, pk: int, payload: BuildingPatch, response: HttpResponse):
    building = get_for_action(Building.objects.all(), request.user, "change", pk=pk)
    expect_version(request, building)
    changes = _with_parent(request.user, payload.dict(exclude_unset=True), "estate", Estate)
    return set_etag(response, services.update_building(request.user, building, **changes))


@router.delete("/buildings/{pk}", response={204: None})
@api_access("estates.delete_building")
def delete_building(request, pk: int):
    building = get_for_action(Building.objects.all(), request.user, "delete", pk=pk)
    services.delete_building(request.user, building)
    return Status(204, None)


# Entrances ----------------------------------------------------------------------------------


class EntranceOut(Schema):
    id: int
    estate: int
    building: int
    name: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_estate(obj):
        return obj.estate_id

    @staticmethod
    def resolve_building(obj):
        return obj.building_id


class EntranceIn(Schema):
    building: Id
    name: str


class EntrancePatch(Schema):
    """A field left out keeps its value (a building of null too); a null name is refused."""

    building: Id | None = None
    name: str = None


@router.get("/entrances", response=list[EntranceOut])
@api_access("estates.view_entrance")
@paginate(Pagination)
def list_entrances(request, filters: Query[EntranceQuery]):
    return filtered(EntranceFilterSet, request, selectors.visible_entrances(request.user))


@router.post("/entrances", response={201: EntranceOut})
@api_access("estates.add_entrance")
def create_entrance(request, payload: EntranceIn):
    building = resolve(request.user, Building, payload.building)
    return Status(201, services.create_entrance(request.user, building=building, name=payload.name))


@router.get("/entrances/{pk}", response=EntranceOut)
@api_access("estates.view_entrance")
def get_entrance(request, pk: int):
    return get_for_action(Entrance.objects.all(), request.user, "view", pk=pk)


@router.patch("/entrances/{pk}", response=EntranceOut)
@api_access("estates.change_entrance")
def update_entrance(request, pk: int, payload: EntrancePatch):
    entrance = get_for_action(Entrance.objects.all(), request.user, "change", pk=pk)
    changes = _with_parent(request.user, payload.dict(exclude_unset=True), "building", Building)
    return services.update_entrance(request.user, entrance, **changes)


@router.delete("/entrances/{pk}", response={204: None})
@api_access("estates.delete_entrance")
def delete_entrance(request, pk: int):
    entrance = get_for_action(Entrance.objects.all(), request.user, "delete", pk=pk)
    services.delete_entrance(request.user, entrance)
    return Status(204, None)


# Units --------------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    estate: int
    building: int
    entrance: int
    label: str
    room_no: str
    floor: int
    area: Decimal
    use: UnitUse
    status: Occupancy
    note: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_estate(obj):
        return obj.estate_id

    @staticmethod
    def resolve_building(obj):
        return obj.building_id

    @staticmethod
    def resolve_entrance(obj):
        return obj.entrance_id

    @staticmethod
    def resolve_label(obj):
        return str(obj)


class UnitIn(Schema):
    entrance: Id
    room_no: str
    floor: SmallInt
    area: Decimal
    use: UnitUse = UnitUse.RESIDENTIAL
    status: Occupancy = Occupancy.VACANT
    note: str = ""


class UnitPatch(Schema):
    """A field left out keeps its value (an entrance of null too); ``null`` is refused
    elsewhere, the unit holding none."""

    entrance: Id | None = None
    room_no: str = None
    floor: SmallInt = None
    area: Decimal = None
    use: UnitUse = None
    status: Occupancy = None
    note: str = None


@router.get("/units", response=list[UnitOut])
@api_access("estates.view_unit")
@paginate(Pagination)
def list_units(request, filters: Query[UnitQuery]):
    return filtered(UnitFilterSet, request, selectors.visible_units(request.user))


@router.post("/units", response={201: UnitOut})
@api_access("estates.add_unit")
def create_unit(request, payload: UnitIn):
    data = payload.dict()
    entrances = Entrance.objects.select_related("building")
    data["entrance"] = resolve(request.user, entrances, data["entrance"])
    return Status(201, services.create_unit(request.user, **data))


@router.get("/units/{pk}", response=UnitOut)
@api_access("estates.view_unit")
def get_unit(request, pk: int, response: HttpResponse):
    unit = get_for_action(selectors.visible_units(request.user), request.user, "view", pk=pk)
    return set_etag(response, unit)


@router.patch("/units/{pk}", response=UnitOut)
@api_access("estates.change_unit")
def update_unit(request, pk: int, payload: UnitPatch, response: HttpResponse):
    unit = get_for_action(
        selectors.visible_units(request.user, "change"), request.user, "change", pk=pk
    )
    expect_version(request, unit)
    entrances = Entrance.objects.select_related("building")
    changes = _with_parent(request.user, payload.dict(exclude_unset=True), "entrance", entrances)
    return set_etag(response, services.update_unit(request.user, unit, **changes))


@router.delete("/units/{pk}", response={204: None})
@api_access("estates.delete_unit")
def delete_unit(request, pk: int):
    unit = get_for_action(
        selectors.visible_units(request.user, "delete"), request.user, "delete", pk=pk
    )
    services.delete_unit(request.user, unit)
    return Status(204, None)
