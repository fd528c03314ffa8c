"""API: estates, buildings, entrances, units.

Lists take the filter sets' query parameters plus ``limit``/``offset``; objects carry their
parents' ids; writes go through the same services as the web pages.
"""

from datetime import datetime
from decimal import Decimal

from ninja import Router, Schema

from courtyard.core.api import Id, SmallInt, id_of, resource

from . import selectors, services
from .choices import Occupancy, UnitUse
from .filters import BuildingFilterSet, EntranceFilterSet, EstateFilterSet, UnitFilterSet
from .models import Building, Entrance, Estate, Unit

router = Router(tags=["property"])


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


resource(
    router,
    "/estates",
    Estate,
    name="estate",
    rows=selectors.visible_estates,
    out=EstateOut,
    filterset=EstateFilterSet,
    create=(EstateIn, services.create_estate),
    update=(EstatePatch, services.update_estate),
    delete=services.delete_estate,
)


# Buildings ----------------------------------------------------------------------------------


class BuildingOut(Schema):
    id: int
    estate: int = id_of("estate")
    name: str
    floors: int | None
    description: str
    created_at: datetime
    updated_at: datetime


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


resource(
    router,
    "/buildings",
    Building,
    name="building",
    rows=selectors.visible_buildings,
    out=BuildingOut,
    filterset=BuildingFilterSet,
    create=(BuildingIn, services.create_building),
    update=(BuildingPatch, services.update_building),
    delete=services.delete_building,
    references={"estate": Estate},
    clearable=("floors",),
)


# Entrances ----------------------------------------------------------------------------------


class EntranceOut(Schema):
    id: int
    estate: int = id_of("estate")
    building: int = id_of("building")
    name: str
    created_at: datetime
    updated_at: datetime


class EntranceIn(Schema):
    building: Id
    name: str


class EntrancePatch(Schema):
    """A field left out keeps its value (a building of null too); a null name is refused."""

    building: Id | None = None
    name: str = None


resource(
    router,
    "/entrances",
    Entrance,
    name="entrance",
    rows=selectors.visible_entrances,
    out=EntranceOut,
    filterset=EntranceFilterSet,
    create=(EntranceIn, services.create_entrance),
    update=(EntrancePatch, services.update_entrance),
    delete=services.delete_entrance,
    references={"building": Building},
)


# Units --------------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    estate: int = id_of("estate")
    building: int = id_of("building")
    entrance: int = id_of("entrance")
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


resource(
    router,
    "/units",
    Unit,
    name="unit",
    rows=selectors.visible_units,
    out=UnitOut,
    filterset=UnitFilterSet,
    create=(UnitIn, services.create_unit),
    update=(UnitPatch, services.update_unit),
    delete=services.delete_unit,
    references={"entrance": Entrance.objects.select_related("building")},
)
