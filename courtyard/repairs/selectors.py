"""Reads of work orders, always through the scope gate, without a query per row."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from courtyard.core import privacy
from courtyard.core.models import Attachment
from courtyard.core.scoping import restrict
from courtyard.core.timeline import events_for

from .choices import ASSIGNED_STATUSES, WorkOrderStatus
from .models import FollowUp, TechnicianSkill, WorkOrder

S = WorkOrderStatus
RELATED = (
    "estate",
    "building",
    "unit",
    "unit__estate",
    "unit__building",
    "unit__entrance",
    "category",
    "assignee",
)

# The list's tabs (报修列表): key → (label, filter).
TABS = {
    "all": (_("All"), Q()),
    "pending": (_("Pending"), Q(status=S.SUBMITTED)),
    "accepted": (_("Accepted"), Q(status=S.ACCEPTED)),
    "dispatched": (_("Dispatched"), Q(status=S.DISPATCHED)),
    "in_progress": (_("In progress"), Q(status=S.IN_PROGRESS)),
    "completed": (_("Completed"), Q(status=S.COMPLETED)),
    "closed": (_("Closed"), Q(status=S.CLOSED)),
    "cancelled": (_("Cancelled"), Q(status=S.CANCELLED)),
    "overdue": (_("Overdue"), None),  # computed at request time
}


def visible_work_orders(user, action="view"):
    """Every work order the user may see (function permission and data scope)."""
    return restrict(WorkOrder.objects.select_related(*RELATED), user, action)


# Who handles orders at the desk, and so may ask for a contact phone they see masked.
DESK_PERMISSIONS = (
    "repairs.accept_workorder",
    "repairs.dispatch_workorder",
    "repairs.change_workorder",
)


def sees_contact_phone(user, order):
    """The technician must call: the contact phone of an open order assigned to them."""
    return order.assignee_id == user.pk and order.is_open


def may_reveal_contact_phone(user, order):
    """The desk may have a masked contact phone shown in full (an action on the timeline)."""
    return (
        bool(order.contact_phone)
        and not privacy.sees_full_phone(user, order)
        and any(user.has_perm(permission) for permission in DESK_PERMISSIONS)
    )


# The pending list's orders: most urgent first, then oldest (the default), or newest first.
PENDING_SORTS = {
    "urgency": ("priority", "created_at", "id"),
    "newest": ("-created_at", "-id"),
}


def pending_work_orders(user, sort="urgency"):
    """待处理报修: new requests, most urgent first, then oldest first (or newest first)."""
    return (
        visible_work_orders(user)
        .filter(status=S.SUBMITTED)
        .order_by(*PENDING_SORTS.get(sort, PENDING_SORTS["urgency"]))
    )


def work_orders_by_tab(user, tab):
    """One tab of the list; an unknown tab is "all"."""
    orders = visible_work_orders(user)
    if tab == "overdue":
        return orders.filter(WorkOrder.overdue_q()).order_by("priority", "created_at", "id")
    label_filter = TABS.get(tab, TABS["all"])[1]
    return orders.filter(label_filter)


def my_work_orders(user, include_finished=False):
    """A technician's orders: dispatched and in progress first (most urgent, oldest)."""
    statuses = [*ASSIGNED_STATUSES]
    if include_finished:
        statuses += [S.COMPLETED, S.CLOSED]
    return (
        restrict(WorkOrder.objects.select_related(*RELATED), user, "view")
        .filter(assignee=user, status__in=statuses)
        .order_by("-status", "priority", "created_at", "id")
    )


def orders_for_resident(user):
    """A resident's own repair requests (reported by them or for them), newest first."""
    if not user.is_authenticated or not user.is_resident:
        return WorkOrder.objects.none()
    return (
        WorkOrder.objects.filter(Q(resident__user=user) | Q(reported_by=user))
        .select_related(*RELATED)
        .order_by("-created_at", "-id")
    )


def follow_ups_of(order, **lookup):
    """The follow-ups of an order (or those matching ``lookup``) with their authors and
    photos (two queries)."""
    content_type = ContentType.objects.get_for_model(FollowUp)
    follow_ups = list(
        order.follow_ups.filter(**lookup).select_related("author").order_by("created_at", "id")
    )
    photos = {}
    if follow_ups:
        for attachment in Attachment.objects.filter(
            content_type=content_type, object_id__in=[str(f.pk) for f in follow_ups]
        ).order_by("uploaded_at", "id"):
            photos.setdefault(attachment.object_id, []).append(attachment)
    for follow_up in follow_ups:
        follow_up.photos = photos.get(str(follow_up.pk), [])
    return follow_ups


def photos_of(order, purpose=None):
    """The order's attachments (report, completion, signature), oldest first."""
    qs = Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(WorkOrder), object_id=str(order.pk)
    ).order_by("uploaded_at", "id")
    return qs.filter(purpose=purpose) if purpose else qs


def timeline_of(order):
    """The order's business events, newest first."""
    return events_for(order)


def with_skills(technicians):
    """Technicians with their skills (``skill_rows``, categories joined) and their open
    load: three queries for a page of them."""
    return (
        technicians.select_related("department")
        .annotate(
            open_load=Count(
                "assigned_work_orders",
                filter=Q(assigned_work_orders__status__in=ASSIGNED_STATUSES),
                distinct=True,
            )
        )
        .prefetch_related(
            Prefetch(
                "repair_skills",
                queryset=TechnicianSkill.objects.select_related("category").order_by(
                    "category__sort_order", "category_id"
                ),
                to_attr="skill_rows",
            )
        )
    )


def with_follow_up_count(queryset):
    """Annotate lists that show the number of follow-ups (no query per row)."""
    return queryset.annotate(follow_up_count=Count("follow_ups"))
