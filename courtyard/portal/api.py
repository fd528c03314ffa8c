"""API for resident accounts: who am I, my units and my household."""

from datetime import date

from ninja import Router, Schema

from courtyard.core.access import RESIDENT
from courtyard.core.api import api_access

from . import selectors

router = Router(tags=["portal"])


class HouseholdMemberOut(Schema):
    name: str
    role: str
    relation: str
    phone: str  # masked


class PortalUnitOut(Schema):
    id: int
    estate: str
    building: str
    entrance: str
    room_no: str
    role: str
    since: date | None
    office_phone: str
    household: list[HouseholdMemberOut]


class PortalMeOut(Schema):
    id: int
    name: str
    phone: str
    email: str
    units: list[PortalUnitOut]


@router.get("/portal/me", response=PortalMeOut)
@api_access(RESIDENT)
def portal_me(request):
    user = request.user
    resident = selectors.resident_of(user)
    homes = selectors.my_homes(user)
    return {
        "id": user.pk,
        "name": resident.name if resident else user.full_name,
        "phone": user.phone or user.username,
        "email": (resident.email if resident else "") or user.email,
        "units": [
            {
                "id": home.unit.pk,
                "estate": home.estate.name,
                "building": home.unit.building.name,
                "entrance": home.unit.entrance.name,
                "room_no": home.unit.room_no,
                "role": home.occupancy.role,
                "since": home.occupancy.move_in,
                "office_phone": home.estate.phone,
                "household": [
                    {
                        "name": other.resident.name,
                        "role": other.role,
                        "relation": other.relation,
                        "phone": other.shown_phone,
                    }
                    for other in home.household
                ],
            }
            for home in homes
        ],
    }
