"""API: work orders for staff — list with filters, detail (follow-ups and timeline), create,
and one action endpoint per transition (never a writable ``status``).

A transition not allowed from the current state answers 409 with a ``code``
(``not_submitted``, ``not_in_progress``, ``changed_meanwhile`` …); follow-ups take photos
(multipart, as the pages); completion photos and signatures go through the pages.
"""

from datetime import datetime
from decimal import Decimal

import django_filters
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from courtyard.core import privacy
from courtyard.core.api import Id, Pagination, api_access, id_of, resource
from courtyard.core.paging import IdsFirst
from courtyard.core.references import resolve
from courtyard.core.scoping import get_for_action
from courtyard.estates.models import Building, Estate, Unit

from . import selectors, services
from .choices import Source, Urgency, WorkOrderStatus
from .filters import WorkOrderFilterSet
from .models import RepairCategory, WorkOrder
from .states import WORK_ORDER

router = Router(tags=["repairs"])


class WorkOrderApiFilterSet(WorkOrderFilterSet):
    """The list page's filters plus the state and the unit (the page has tabs for states)."""

    status = django_filters.ChoiceFilter(choices=WorkOrderStatus.choices)
    unit = django_filters.NumberFilter(field_name="unit_id")

    class Meta(WorkOrderFilterSet.Meta):
        fields = [*WorkOrderFilterSet.Meta.fields, "status", "unit"]


class WorkOrderOut(Schema):
    id: int
    number: str
    status: str
    estate: int = id_of("estate")
    building: int | None = id_of("building")
    unit: int | None = id_of("unit")
    place: str
    location: str
    category: int = id_of("category")
    category_name: str
    description: str
    urgency: str
    source: str
    contact_name: str
    contact_phone: str
    preferred_time: str
    is_paid: bool
    assignee: int | None = id_of("assignee")
    assignee_name: str
    dispatch_note: str
    resident: int | None = id_of("resident")
    created_at: datetime
    accepted_at: datetime | None
    dispatched_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    response_due: datetime | None
    resolution_due: datetime | None
    response_overdue: bool
    resolution_overdue: bool
    reopen_count: int
    work_done: str
    materials: str
    cost: Decimal
    rating: int | None
    rating_comment: str
    closed_automatically: bool

    resolve_contact_phone = privacy.phone_resolver("contact_phone")

    @staticmethod
    def resolve_category_name(obj):
        return obj.category.shown_name

    @staticmethod
    def resolve_assignee_name(obj):
        return obj.assignee.display_name if obj.assignee_id else ""


class WorkOrderPhotoOut(Schema):
    id: int
    purpose: str
    name: str
    mime_type: str
    size: int

    @staticmethod
    def resolve_name(obj):
        return obj.original_name


class FollowUpOut(Schema):
    id: int
    author: int = id_of("author")
    author_name: str
    text: str
    created_at: datetime
    photos: list[WorkOrderPhotoOut]

    @staticmethod
    def resolve_author_name(obj):
        return obj.author.display_name

    @staticmethod
    def resolve_photos(obj):
        return getattr(obj, "photos", [])


class WorkOrderEventOut(Schema):
    verb: str
    message: str
    actor: int | None = id_of("actor")
    actor_name: str
    at: datetime

    @staticmethod
    def resolve_actor_name(obj):
        return obj.actor.display_name if obj.actor_id else ""


class WorkOrderDetailOut(WorkOrderOut):
    follow_ups: list[FollowUpOut]
    timeline: list[WorkOrderEventOut]
    photos: list[WorkOrderPhotoOut]

    @staticmethod
    def resolve_follow_ups(obj):
        return selectors.follow_ups_of(obj)

    @staticmethod
    def resolve_timeline(obj):
        return list(selectors.timeline_of(obj))

    @staticmethod
    def resolve_photos(obj):
        return list(selectors.photos_of(obj))


class WorkOrderIn(Schema):
    category: Id
    description: str
    urgency: Urgency = Urgency.NORMAL
    source: Source = Source.PHONE
    unit: Id | None = None
    building: Id | None = None
    estate: Id | None = None
    location: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    preferred_time: str = ""
    is_paid: bool = False


class WorkOrderPatch(Schema):
    category: Id | None = None
    description: str | None = None
    urgency: Urgency | None = None
    location: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    preferred_time: str | None = None
    is_paid: bool | None = None


class DispatchIn(Schema):
    assignee: Id
    note: str = ""


class FollowUpIn(Schema):
    text: str


class CompleteIn(Schema):
    work_done: str
    materials: str = ""
    cost: Decimal = Decimal("0")


class WorkOrderReasonIn(Schema):
    reason: str


class CandidateOut(Schema):
    id: int
    name: str
    skills: list[str]
    open_load: int
    suggested: bool


def _order(request, pk, action):
    return get_for_action(WorkOrder.objects.select_related("category"), request.user, action, pk=pk)


def _fresh(order):
    return WorkOrder.objects.select_related(*selectors.RELATED).get(pk=order.pk)


resource(
    router,
    "/work-orders",
    WorkOrder,
    name="work_order",
    rows=selectors.visible_work_orders,
    out=WorkOrderOut,
    detail=WorkOrderDetailOut,
    written=WorkOrderOut,
    filterset=WorkOrderApiFilterSet,
    order=("-created_at", "-id"),
    paging=IdsFirst,
    create=(WorkOrderIn, services.create_work_order),
    update=(WorkOrderPatch, services.update_work_order),
    references={
        "category": RepairCategory,
        "unit": Unit.objects.select_related("estate", "building"),
        "building": Building.objects.select_related("estate"),
        "estate": Estate,
    },
    reread=True,
)


@router.get("/work-orders/{pk}/candidates", response=list[CandidateOut])
@api_access(WORK_ORDER.permission("dispatch"))
@paginate(Pagination)
def work_order_candidates(request, pk: int):
    """Who may be dispatched, the suggested one first (then those with the skill, lightest
    load first)."""
    order = _order(request, pk, "dispatch")
    return [
        {
            "id": c.user.pk,
            "name": c.user.display_name,
            "skills": [s.name for s in c.skills],
            "open_load": c.open_load,
            "suggested": c.suggested,
        }
        for c in services.technician_candidates(order)
    ]


@router.post("/work-orders/{pk}/accept", response=WorkOrderOut)
@api_access(WORK_ORDER.permission("accept"))
def accept_work_order(request, pk: int):
    order = _order(request, pk, WORK_ORDER["accept"].permission)
    return _fresh(services.accept(request.user, order))


@router.post("/work-orders/{pk}/dispatch", response=WorkOrderOut)
@api_access(WORK_ORDER.permission("dispatch"))
def dispatch_work_order(request, pk: int, payload: DispatchIn):
    order = _order(request, pk, WORK_ORDER["dispatch"].permission)
    # Anyone working where the order is may be named (the service says why one is not a
    # fitting technician); anyone else is not found, so that ids do not reveal names.
    assignee = resolve(request.user, services.staff_covering(order), payload.assignee)
    return _fresh(services.dispatch(request.user, order, assignee=assignee, note=payload.note))


@router.post("/work-orders/{pk}/follow-ups", response={201: FollowUpOut})
@api_access(WORK_ORDER.permission("follow_up"))
def add_follow_up(
    request,
    pk: int,
    payload: Form[FollowUpIn],
    photos: File[list[UploadedFile]] = None,
):
    """A follow-up as the order page takes it: ``multipart/form-data`` with ``text`` and up to
    nine ``photos`` (JPEG or PNG, checked by content and size as on the pages)."""
    order = _order(request, pk, WORK_ORDER["follow_up"].permission)
    follow_up = services.add_follow_up(request.user, order, text=payload.text, photos=photos or ())
    return Status(201, selectors.follow_ups_of(order, pk=follow_up.pk)[0])


@router.post("/work-orders/{pk}/start", response=WorkOrderOut)
@api_access(WORK_ORDER.permission("start"))
def start_work_order(request, pk: int):
    order = _order(request, pk, WORK_ORDER["start"].permission)
    return _fresh(services.start(request.user, order))


@router.post("/work-orders/{pk}/complete", response=WorkOrderOut)
@api_access(WORK_ORDER.permission("complete"))
def complete_work_order(request, pk: int, payload: CompleteIn):
    order = _order(request, pk, WORK_ORDER["complete"].permission)
    return _fresh(services.complete(request.user, order, **payload.dict()))


@router.post("/work-orders/{pk}/close", response=WorkOrderOut)
@api_access(WORK_ORDER.permission("close"))
def close_work_order(request, pk: int):
    order = _order(request, pk, WORK_ORDER["close"].permission)
    return _fresh(services.close(request.user, order))


@router.post("/work-orders/{pk}/cancel", response=WorkOrderOut)
@api_access(WORK_ORDER.permission("cancel"))
def cancel_work_order(request, pk: int, payload: WorkOrderReasonIn):
    order = _order(request, pk, WORK_ORDER["cancel"].permission)
    return _fresh(services.cancel(request.user, order, reason=payload.reason))


@router.post("/work-orders/{pk}/reopen", response=WorkOrderOut)
@api_access(WORK_ORDER.permission("reopen"))
def reopen_work_order(request, pk: int, payload: WorkOrderReasonIn):
    order = _order(request, pk, WORK_ORDER["reopen"].permission)
    return _fresh(services.reopen(request.user, order, reason=payload.reason))


class ContactPhoneOut(Schema):
    contact_phone: str


@router.post("/work-orders/{pk}/reveal-phone", response=ContactPhoneOut)
@api_access("repairs.view_workorder")
def reveal_contact_phone(request, pk: int):
    """The contact phone in full for the desk, who sees it masked; recorded on the timeline."""
    order = _order(request, pk, "view")
    return {"contact_phone": services.reveal_contact_phone(request.user, order)}
