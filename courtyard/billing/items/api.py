"""API: charge items with their rates (``charge-items``, ``charge-rates``) and parking spaces
(``parking-spaces``). Writes go through the same services as the pages."""

from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch
from ninja import Router, Schema, Status

from courtyard.core.access import acts_on
from courtyard.core.api import Id, Int, api_access, id_of, resource
from courtyard.core.references import resolve
from courtyard.core.scoping import get_for_action
from courtyard.estates.models import Estate, Unit
from courtyard.residents.models import Resident, Vehicle

from ..choices import ParkingKind
from ..models import ChargeItem, ChargeRate, ParkingSpace
from . import selectors, services
from .filters import ChargeItemFilterSet, ParkingSpaceFilterSet

router = Router(tags=["billing"])


# Charge items and rates ---------------------------------------------------------------------


class TierSchema(Schema):
    upto: Decimal | None = None
    rate: Decimal


class RateOut(Schema):
    id: int
    item: int = id_of("item")
    estate: int | None = id_of("estate")
    unit_use: str
    rate: Decimal
    tiers: list[TierSchema]


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


def _items(user, action="view"):
    """Charge items with the rates the user may see."""
    rates = selectors.visible_rates(user).order_by("estate_id", "unit_use")
    return selectors.visible_items(user, action).prefetch_related(
        Prefetch("rates", queryset=rates, to_attr="visible_rates")
    )


def _tiers(tiers):
    return [{"upto": tier.upto, "rate": tier.rate} for tier in tiers]


resource(
    router,
    "/charge-items",
    ChargeItem,
    name="charge_item",
    rows=_items,
    out=ChargeItemOut,
    filterset=ChargeItemFilterSet,
    create=(ChargeItemIn, services.create_charge_item),
    update=(ChargeItemPatch, services.update_charge_item),
    delete=services.delete_charge_item,
    reread=True,
)


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


resource(
    router,
    "/charge-rates",
    ChargeRate,
    name="rate",
    rows=selectors.visible_rates,
    out=RateOut,
    listed=False,
    update=(RatePatch, services.update_rate),
    delete=services.delete_rate,
)


# Parking spaces -----------------------------------------------------------------------------


class ParkingSpaceOut(Schema):
    id: int
    estate: int = id_of("estate")
    code: str
    kind: str
    area: str
    resident: int | None = id_of("resident")
    resident_name: str
    vehicle: int | None = id_of("vehicle")
    plate: str
    unit: int | None = id_of("unit")
    is_active: bool
    note: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_resident_name(obj):
        return obj.resident.name if obj.resident_id else ""

    @staticmethod
    def resolve_plate(obj):
        return obj.vehicle.plate if obj.vehicle_id else ""


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


# null clears a link (resident, vehicle, unit); for the other fields it means "leave it".
resource(
    router,
    "/parking-spaces",
    ParkingSpace,
    name="parking_space",
    rows=selectors.visible_parking_spaces,
    out=ParkingSpaceOut,
    filterset=ParkingSpaceFilterSet,
    order=("estate_id", "code"),
    create=(ParkingSpaceIn, services.create_parking_space),
    update=(ParkingSpacePatch, services.update_parking_space),
    delete=services.delete_parking_space,
    references={"estate": Estate, "resident": Resident, "vehicle": Vehicle, "unit": Unit},
    clearable=("resident", "vehicle", "unit"),
)
