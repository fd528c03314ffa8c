"""API: charge items with their rates (``charge-items``, ``charge-rates``) and parking spaces
(``parking-spaces``). Writes go through the same services as the pages."""

from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from courtyard.core.access import acts_on
from courtyard.core.api import Id, Int, Pagination, api_access, filter_query, filtered
from courtyard.core.references import resolve
from courtyard.core.scoping import get_for_action
from courtyard.core.versions import expect_version, set_etag
from courtyard.estates.models import Estate, Unit
from courtyard.residents.models import Resident, Vehicle

from ..choices import ParkingKind
from ..models import ChargeItem, ParkingSpace
from . import selectors, services
from .filters import ChargeItemFilterSet, ParkingSpaceFilterSet

router = Router(tags=["billing"])

ChargeItemQuery = filter_query(ChargeItemFilterSet)
ParkingSpaceQuery = filter_query(ParkingSpaceFilterSet)


# Charge items and rates ---------------------------------------------------------------------


class TierSchema(Schema):
    upto: Decimal | None = None
    rate: Decimal


class RateOut(Schema):
    id: int
    item: int
    estate: int | None
    unit_use: str
    rate: Decimal
    tiers: list[TierSchema]

    @staticmethod
    def resolve_item(obj):
        return obj.item_id

    @staticmethod
    def resolve_estate(obj):
        return obj.estate_id


class ChargeItemOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    pricing: str
    cycle: str
    meter_type: str
    due_days: int
    applies_to: list[str]
    is_deposit: bool
    is_active: bool
    sort_order: int
    rates: list[RateOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_rates(obj):
        return obj.visible_rates


class ChargeItemIn(Schema):
    code: str
    name: str
    kind: str
    pricing: str
    cycle: str = ""
    meter_type: str = ""
    due_days: Int = 15
    applies_to: list[str] = []
    is_deposit: bool = False
    is_active: bool = True
    sort_order: Int = 0


class ChargeItemPatch(Schema):
    name: str | None = None
    kind: str | None = None
    pricing: str | None = None
    cycle: str | None = None
    meter_type: str | None = None
    due_days: Int | None = None
    applies_to: list[str] | None = None
    is_deposit: bool | None = None
    is_active: bool | None = None
    sort_order: Int | None = None


class ChargeRateIn(Schema):
    estate: Id | None = None
    unit_use: str = ""
    rate: Decimal
    tiers: list[TierSchema] = []


class RatePatch(Schema):
    rate: Decimal | None = None
    tiers: list[TierSchema] | None = None


def _items(user):
    rates = selectors.visible_rates(user).order_by("estate_id", "unit_use")
    return selectors.visible_items(user).prefetch_related(
        Prefetch("rates", queryset=rates, to_attr="visible_rates")
    )


def _tiers(tiers):
    return [{"upto": tier.upto, "rate": tier.rate} for tier in tiers]


@router.get("/charge-items", response=list[ChargeItemOut])
@api_access("billing.view_chargeitem")
@paginate(Pagination)
def list_charge_items(request, filters: Query[ChargeItemQuery]):
    return filtered(ChargeItemFilterSet, request, _items(request.user))


@router.get("/charge-items/{pk}", response=ChargeItemOut)
@api_access("billing.view_chargeitem")
def get_charge_item(request, pk: int, response: HttpResponse):
    item = get_for_action(_items(request.user), request.user, "view", pk=pk)
    return set_etag(response, item)


@router.post("/charge-items", response={201: ChargeItemOut})
@api_access("billing.add_chargeitem")
def create_charge_item(request, payload: ChargeItemIn):
    item = services.create_charge_item(request.user, **payload.dict())
    return Status(201, _items(request.user).get(pk=item.pk))


@router.patch("/charge-items/{pk}", response=ChargeItemOut)
@api_access("billing.change_chargeitem")
def update_charge_item(request, pk: int, payload: ChargeItemPatch, response: HttpResponse):
    item = get_for_action(ChargeItem.objects.all(), request.user, "change", pk=pk)
    expect_version(request, item)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    services.update_charge_item(request.user, item, **changes)
    return set_etag(response, _items(request.user).get(pk=item.pk))


@router.delete("/charge-items/{pk}", response={204: None})
@api_access("billing.delete_chargeitem")
def delete_charge_item(request, pk: int):
    item = get_for_action(ChargeItem.objects.all(), request.user, "delete", pk=pk)
    services.delete_charge_item(request.user, item)
    return Status(204, None)


@router.post("/charge-items/{pk}/rates", response={201: RateOut})
@api_access("billing.add_chargerate")
@acts_on(ChargeItem)
def create_rate(request, pk: int, payload: ChargeRateIn):
    item = get_for_action(ChargeItem.objects.all(), request.user, "view", pk=pk)
    rate = services.create_rate(
        request.user,
        item=item,
        estate=resolve(request.user, Estate, payload.estate),
        unit_use=payload.unit_use,
        rate=payload.rate,
        tiers=_tiers(payload.tiers),
    )
    return Status(201, rate)


@router.get("/charge-rates/{pk}", response=RateOut)
@api_access("billing.view_chargerate")
def get_rate(request, pk: int, response: HttpResponse):
    rate = selectors.visible_rates(request.user).filter(pk=pk).first()
    if rate is None:
        raise Http404
    return set_etag(response, rate)


@router.patch("/charge-rates/{pk}", response=RateOut)
@api_access("billing.change_chargerate")
def update_rate(request, pk: int, payload: RatePatch, response: HttpResponse):
    rate = selectors.visible_rates(request.user, "change").filter(pk=pk).first()
    if rate is None:
        raise Http404
    expect_version(request, rate)
    changes = {}
    if payload.rate is not None:
        changes["rate"] = payload.rate
    if payload.tiers is not None:
        changes["tiers"] = _tiers(payload.tiers)
    return set_etag(response, services.update_rate(request.user, rate, **changes))


@router.delete("/charge-rates/{pk}", response={204: None})
@api_access("billing.delete_chargerate")
def delete_rate(request, pk: int):
    rate = selectors.visible_rates(request.user, "delete").filter(pk=pk).first()
    if rate is None:
        raise Http404
    services.delete_rate(request.user, rate)
    return Status(204, None)


# Parking spaces -----------------------------------------------------------------------------


class ParkingSpaceOut(Schema):
    id: int
    estate: int
    code: str
    kind: str
    area: str
    resident: int | None
    resident_name: str
    vehicle: int | None
    plate: str
    unit: int | None
    is_active: bool
    note: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_estate(obj):
        return obj.estate_id

    @staticmethod
    def resolve_resident(obj):
        return obj.resident_id

    @staticmethod
    def resolve_resident_name(obj):
        return obj.resident.name if obj.resident_id else ""

    @staticmethod
    def resolve_vehicle(obj):
        return obj.vehicle_id

    @staticmethod
    def resolve_plate(obj):
        return obj.vehicle.plate if obj.vehicle_id else ""

    @staticmethod
    def resolve_unit(obj):
        return obj.unit_id


class ParkingSpaceIn(Schema):
    estate: Id
    code: str
    kind: str = ParkingKind.RENTED
    area: str = ""
    resident: Id | None = None
    vehicle: Id | None = None
    unit: Id | None = None
    is_active: bool = True
    note: str = ""


class ParkingSpacePatch(Schema):
    estate: Id | None = None
    code: str | None = None
    kind: str | None = None
    area: str | None = None
    resident: Id | None = None
    vehicle: Id | None = None
    unit: Id | None = None
    is_active: bool | None = None
    note: str | None = None


LINKS = {"resident": Resident, "vehicle": Vehicle, "unit": Unit}


def _space_values(user, values):
    """Ids of a payload replaced by the records, found in the user's scope."""
    for name, model in {"estate": Estate, **LINKS}.items():
        if name in values:
            values[name] = resolve(user, model, values[name])
    return values


@router.get("/parking-spaces", response=list[ParkingSpaceOut])
@api_access("billing.view_parkingspace")
@paginate(Pagination)
def list_parking_spaces(request, filters: Query[ParkingSpaceQuery]):
    queryset = selectors.visible_parking_spaces(request.user).order_by("estate_id", "code")
    return filtered(ParkingSpaceFilterSet, request, queryset)


@router.get("/parking-spaces/{pk}", response=ParkingSpaceOut)
@api_access("billing.view_parkingspace")
def get_parking_space(request, pk: int):
    return get_for_action(
        selectors.visible_parking_spaces(request.user), request.user, "view", pk=pk
    )


@router.post("/parking-spaces", response={201: ParkingSpaceOut})
@api_access("billing.add_parkingspace")
def create_parking_space(request, payload: ParkingSpaceIn):
    values = _space_values(request.user, payload.dict())
    return Status(201, services.create_parking_space(request.user, **values))


@router.patch("/parking-spaces/{pk}", response=ParkingSpaceOut)
@api_access("billing.change_parkingspace")
def update_parking_space(request, pk: int, payload: ParkingSpacePatch):
    space = get_for_action(ParkingSpace.objects.all(), request.user, "change", pk=pk)
    changes = payload.dict(exclude_unset=True)
    # null clears a link (resident, vehicle, unit); for the other fields it means "leave it".
    changes = {k: v for k, v in changes.items() if v is not None or k in LINKS}
    return services.update_parking_space(
        request.user, space, **_space_values(request.user, changes)
    )


@router.delete("/parking-spaces/{pk}", response={204: None})
@api_access("billing.delete_parkingspace")
def delete_parking_space(request, pk: int):
    space = get_for_action(ParkingSpace.objects.all(), request.user, "delete", pk=pk)
    services.delete_parking_space(request.user, space)
    return Status(204, None)
