"""API for residents' repairs: ``/portal/repair-categories`` (what a report may choose) and
``/portal/work-orders`` — my reports, one report with its
progress, a new report (without photos: those go through the portal page) and my actions on it
(confirm, reject, rate, cancel). Someone else's order is "not found"."""

from datetime import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from courtyard.core.access import RESIDENT, acts_on
from courtyard.core.api import ApiError, Id, Int, Pagination, api_access, id_of
from courtyard.core.files import attachments_of
from courtyard.core.timeline import events_for
from courtyard.repairs import services as repair_services
from courtyard.repairs.choices import Urgency
from courtyard.repairs.models import RepairCategory, WorkOrder

from .. import selectors
from .selectors import my_order, my_orders

router = Router(tags=["portal"])


class WorkOrderFields(Schema):
    id: int
    number: str
    status: str
    status_label: str
    category: int = id_of("category")
    category_name: str
    urgency: str
    description: str
    unit: int | None = id_of("unit")
    created_at: datetime


class WorkOrderRowOut(WorkOrderFields):
    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())

    @staticmethod
    def resolve_category_name(obj):
        return obj.category.shown_name


class PortalWorkOrderEventOut(Schema):
    verb: str
    message: str
    actor: str
    at: datetime


class PhotoOut(Schema):
    id: int
    purpose: str
    name: str
    url: str


class PortalWorkOrderOut(WorkOrderFields):
    place: str
    preferred_time: str
    assignee: str
    work_done: str
    is_paid: bool
    cost: Decimal
    accepted_at: datetime | None
    dispatched_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    reopen_count: int
    rating: int | None
    rating_comment: str
    photos: list[PhotoOut]
    timeline: list[PortalWorkOrderEventOut]


class PortalWorkOrderIn(Schema):
    unit: Id
    category: Id
    description: str
    urgency: str = Urgency.NORMAL
    preferred_time: str = ""


class PortalReasonIn(Schema):
    reason: str


class WorkOrderRatingIn(Schema):
    stars: Int
    comment: str = ""


def detail(order):
    """My order as the detail schema: its photos and timeline in two more queries."""
    data = {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "category": order.category_id,
        "category_name": order.category.shown_name,
        "urgency": order.urgency,
        "description": order.description,
        "unit": order.unit_id,
        "created_at": order.created_at,
    }
    data.update(
        place=str(order.place),
        preferred_time=order.preferred_time,
        assignee=order.assignee.display_name if order.assignee else "",
        work_done=order.work_done,
        is_paid=order.is_paid,
        cost=order.cost,
        cancel_reason=order.cancel_reason,
        reopen_count=order.reopen_count,
        rating=order.rating,
        rating_comment=order.rating_comment,
        **{
            name: getattr(order, name)
            for name in (
                "accepted_at",
                "dispatched_at",
                "started_at",
                "completed_at",
                "closed_at",
                "cancelled_at",
            )
        },
        photos=[
            {
                "id": photo.pk,
                "purpose": photo.purpose,
                "name": photo.original_name,
                "url": reverse("core:attachment", args=[photo.pk]),
            }
            for photo in attachments_of(order).order_by("uploaded_at", "pk")
            if photo.purpose in ("report", "completion")
        ],
        timeline=[
            {
                "verb": event.verb,
                "message": event.message,
                "actor": event.actor.display_name if event.actor else "",
                "at": event.at,
            }
            for event in events_for(order).order_by("at", "pk")
        ],
    )
    return data


class PortalRepairCategoryOut(Schema):
    id: int
    name: str


@router.get("/portal/repair-categories", response=list[PortalRepairCategoryOut])
@api_access(RESIDENT)
@paginate(Pagination)
def list_repair_categories(request):
    """The repair categories a new report may choose (the active ones, in their order)."""
    return repair_services.active_categories().order_by("sort_order", "pk")


@router.get("/portal/work-orders", response=list[WorkOrderRowOut])
@api_access(RESIDENT)
@paginate(Pagination)
def list_my_work_orders(request):
    return my_orders(request.user).order_by("-created_at", "-pk")


@router.get("/portal/work-orders/{order_id}", response=PortalWorkOrderOut)
@api_access(RESIDENT)
@acts_on(WorkOrder)
def get_my_work_order(request, order_id: int):
    return detail(my_order(request.user, order_id))


@router.post("/portal/work-orders", response={201: PortalWorkOrderOut})
@api_access(RESIDENT)
def create_my_work_order(request, payload: PortalWorkOrderIn):
    home = selectors.my_home(request.user, payload.unit)
    if home is None:
        raise ApiError(400, "unit: " + _("Choose one of your units."), "not_my_unit")
    category = RepairCategory.objects.filter(pk=payload.category, is_active=True).first()
    if category is None:
        raise ApiError(400, "category: " + _("Choose a repair category."), "invalid_category")
    if payload.urgency not in Urgency.values:
        raise ApiError(400, "urgency: " + _("Choose a valid urgency."), "invalid_urgency")
    order = repair_services.submit_from_portal(
        request.user,
        unit=home.unit,
        category=category,
        description=payload.description,
        urgency=payload.urgency,
        preferred_time=payload.preferred_time,
    )
    return Status(201, detail(my_order(request.user, order.pk)))


@router.post("/portal/work-orders/{order_id}/confirm", response=PortalWorkOrderOut)
@api_access(RESIDENT)
@acts_on(WorkOrder)
def confirm_my_work_order(request, order_id: int):
    repair_services.confirm_completion(request.user, my_order(request.user, order_id))
    return detail(my_order(request.user, order_id))


@router.post("/portal/work-orders/{order_id}/reject", response=PortalWorkOrderOut)
@api_access(RESIDENT)
@acts_on(WorkOrder)
def reject_my_work_order(request, order_id: int, payload: PortalReasonIn):
    order = my_order(request.user, order_id)
    repair_services.reject_completion(request.user, order, reason=payload.reason)
    return detail(my_order(request.user, order_id))


@router.post("/portal/work-orders/{order_id}/rate", response=PortalWorkOrderOut)
@api_access(RESIDENT)
@acts_on(WorkOrder)
def rate_my_work_order(request, order_id: int, payload: WorkOrderRatingIn):
    order = my_order(request.user, order_id)
    repair_services.rate(request.user, order, stars=payload.stars, comment=payload.comment)
    return detail(my_order(request.user, order_id))


@router.post("/portal/work-orders/{order_id}/cancel", response=PortalWorkOrderOut)
@api_access(RESIDENT)
@acts_on(WorkOrder)
def cancel_my_work_order(request, order_id: int, payload: PortalReasonIn):
    order = my_order(request.user, order_id)
    repair_services.cancel(request.user, order, reason=payload.reason)
    return detail(my_order(request.user, order_id))
