"""API: residents — list (the list page's filters), detail, create (= submit a registration
for approval), update (the same field rules as the pages), archive.

Phones (by core.privacy) and ID numbers come masked unless the caller holds
``residents.view_full_identity``; documents and the owner's signed confirmation are uploaded
on the pages only.
"""

from datetime import date, datetime

from django.db import transaction
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from courtyard.core import privacy
from courtyard.core.api import (
    Id,
    Pagination,
    api_access,
    filter_query,
    filtered,
    id_of,
    resource,
)
from courtyard.core.approvals import services as approvals
from courtyard.core.references import resolve
from courtyard.core.scoping import get_for_action
from courtyard.estates.models import Unit

from . import selectors, services
from .choices import OccupancyStatus, RegistrationStatus, ResidentKind, ResidentStatus, Role
from .filters import ResidentFilterSet
from .models import Resident
from .tables import shown_id

router = Router(tags=["residents"])


class ResidentPagination(Pagination):
    """A search's page and count from one query, as on the list page (see counted_slice)."""

    def paginate_queryset(self, queryset, pagination, **params):
        if not selectors.is_narrowed(queryset):
            return super().paginate_queryset(queryset, pagination, **params)
        limit = max(1, min(pagination.limit, 500))
        offset = max(0, pagination.offset)
        items, count = selectors.counted_slice(queryset, offset, limit)
        return {"items": items, "count": queryset.count() if count is None else count}


ResidentQuery = filter_query(ResidentFilterSet)


def _identity(obj, context):
    """Mark ``obj`` with whether the caller sees ID numbers in full (the right is looked up
    once per request)."""
    request = context.get("request") if context else None
    full = getattr(request, "_residents_full_identity", None)
    if full is None:
        user = getattr(request, "user", None)
        full = bool(user and user.has_perm(selectors.FULL_IDENTITY))
        if request is not None:
            request._residents_full_identity = full
    obj.full_identity = full
    return obj


class OccupancyOut(Schema):
    id: int
    unit: int = id_of("unit")
    estate: int = id_of("estate")
    building: int = id_of("building")
    label: str
    role: Role
    relation: str
    move_in: date | None
    move_out: date | None
    status: OccupancyStatus

    @staticmethod
    def resolve_label(obj):
        return f"{obj.estate.name} {obj.building.name} {obj.unit.entrance.name} {obj.unit.room_no}"


class ResidentOut(Schema):
    id: int
    name: str
    kind: ResidentKind
    company_name: str
    id_number: str
    phone: str
    email: str
    emergency_contact: str
    emergency_phone: str
    note: str
    status: ResidentStatus
    units: list[int]
    occupancies: list[OccupancyOut]
    portal_account: bool
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_id_number(obj, context):
        return shown_id(_identity(obj, context))

    resolve_phone = privacy.phone_resolver("phone")
    resolve_emergency_phone = privacy.phone_resolver("emergency_phone")

    @staticmethod
    def resolve_occupancies(obj):
        found = getattr(obj, "current_occupancies", None)
        if found is None:
            found = selectors.occupancies_of(obj)
        return found

    @staticmethod
    def resolve_units(obj):
        return sorted(
            {o.unit_id for o in ResidentOut.resolve_occupancies(obj) if o.status == "current"}
        )

    @staticmethod
    def resolve_portal_account(obj):
        return obj.user_id is not None


class RegistrationApprovalOut(Schema):
    id: int
    status: str
    current_level: int
    level_count: int


class RegistrationOut(Schema):
    id: int
    unit: int = id_of("unit")
    estate: int = id_of("estate")
    building: int = id_of("building")
    resident: int = id_of("resident")
    role: Role
    move_in: date
    status: RegistrationStatus
    approval: RegistrationApprovalOut | None
    created_at: datetime

    @staticmethod
    def resolve_approval(obj):
        request = approvals.latest_request(obj)
        if request is None:
            return None
        return {
            "id": request.pk,
            "status": request.status,
            "current_level": request.current_level,
            "level_count": len(request.levels),
        }


class MemberIn(Schema):
    name: str
    id_number: str = ""
    phone: str = ""
    relation: str = ""


class RegistrationIn(Schema):
    unit: Id
    role: Role = Role.OWNER
    name: str
    kind: ResidentKind = ResidentKind.INDIVIDUAL
    company_name: str = ""
    id_number: str = ""
    phone: str = ""
    email: str = ""
    emergency_contact: str = ""
    emergency_phone: str = ""
    move_in: date
    previous_owner_move_out: date | None = None
    note: str = ""
    members: list[MemberIn] = []


class ResidentPatch(Schema):
    phone: str | None = None
    email: str | None = None
    emergency_contact: str | None = None
    emergency_phone: str | None = None
    note: str | None = None
    name: str | None = None
    kind: ResidentKind | None = None
    company_name: str | None = None
    id_number: str | None = None
    confirmation_note: str | None = None


class ArchiveIn(Schema):
    reason: str = ""


@router.get("/residents", response=list[ResidentOut])
@api_access("residents.view_resident")
@paginate(ResidentPagination)
def list_residents(request, filters: Query[ResidentQuery], history: bool = False):
    """Current residents (``history=true``: the archived ones), with the list page's filters."""
    user = request.user
    queryset = selectors.history_residents(user) if history else selectors.current_residents(user)
    return filtered(ResidentFilterSet, request, queryset).order_by("name", "pk")


@router.post("/residents", response={201: RegistrationOut})
@api_access("residents.add_resident")
def create_resident(request, payload: RegistrationIn):
    """Submit a registration for approval; it takes effect on the final approval."""
    data = payload.dict()
    units = Unit.objects.select_related("estate", "building", "entrance")
    unit = resolve(request.user, units, data.pop("unit"))
    members = [services.PersonInput(role=Role.MEMBER, **member) for member in data.pop("members")]
    main = services.PersonInput(
        **{k: data.pop(k) for k in ("role", "name", "kind", "company_name", "id_number")},
        **{k: data.pop(k) for k in ("phone", "email", "emergency_contact", "emergency_phone")},
    )
    registration = services.submit_registration(
        request.user, unit=unit, main=main, members=members, **data
    )
    return Status(201, registration)


def _update_resident(user, resident, confirmation_note="", **changes):
    """The contact fields and the core ones (each through its service) in one transaction."""
    contact = {k: v for k, v in changes.items() if k in services.CONTACT_FIELDS}
    core = {k: v for k, v in changes.items() if k in services.CORE_FIELDS}
    with transaction.atomic():
        if contact:
            services.update_resident(user, resident, **contact)
        if core:
            services.change_core(
                user, resident, confirmation_note=confirmation_note, require_file=False, **core
            )
    resident.refresh_from_db()
    return resident


resource(
    router,
    "/residents",
    Resident,
    name="resident",
    rows=selectors.visible_residents,
    out=ResidentOut,
    listed=False,
    update=(ResidentPatch, _update_resident),
    docs={
        "update": "Contact fields with the change permission; name, kind, company name and ID "
        "number only with ``residents.change_core_resident`` and a ``confirmation_note``."
    },
)


@router.post("/residents/{pk}/archive", response=ResidentOut)
@api_access("residents.delete_resident")
def archive_resident(request, pk: int, payload: ArchiveIn):
    resident = get_for_action(Resident.objects.all(), request.user, "delete", pk=pk)
    return services.archive_resident(request.user, resident, payload.reason)
