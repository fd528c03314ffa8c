"""Periodic work of the repairs module: SLA breach notices and closing completed orders."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from courtyard.core import parameters
from courtyard.core.audit import change_source
from courtyard.core.choices import MessageChannel
from courtyard.core.messaging import queue_message
from courtyard.core.timeline import record_event

from . import rollup
from .choices import UNRESOLVED_STATUSES, UNRESPONDED_STATUSES, WorkOrderStatus
from .models import WorkOrder

BATCH = 500
BREACHES = {
    # kind: (statuses with the deadline running, deadline field, notified field)
    "response": (UNRESPONDED_STATUSES, "response_due", "response_breach_notified_at"),
    "resolution": (UNRESOLVED_STATUSES, "resolution_due", "resolution_breach_notified_at"),
}


def supervisors():
    """Active staff holding repairs.dispatch_workorder, each with their data scope loaded."""
    from courtyard.accounts.models import ScopeGrant

    from .services import _scope_of

    now = timezone.now()
    permission = Permission.objects.filter(
        content_type__app_label="repairs", codename="dispatch_workorder"
    )
    grants = ScopeGrant.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    ).prefetch_related("estates", "buildings")
    users = list(
        get_user_model()
        .objects.filter(is_active=True, kind="staff")
        .filter(Q(groups__permissions__in=permission) | Q(user_permissions__in=permission))
        .distinct()
        .prefetch_related(Prefetch("scope_grants", queryset=grants, to_attr="live_grants"))
    )
    for user in users:
        user._courtyard_scope = _scope_of(user.live_grants)
    return users


def notify_sla_breaches(now=None):
    """Message the supervisors of each order whose response or resolution deadline has
    passed, once per breach (a reopened order's new deadline is a new breach)."""
    now = now or timezone.now()
    people = None
    sent = 0
    with change_source("task"):
        for kind, (statuses, due_field, notified_field) in BREACHES.items():
            breached = list(
                WorkOrder.objects.filter(
                    status__in=statuses,
                    **{f"{due_field}__lt": now, f"{notified_field}__isnull": True},
                )
                .select_related("estate", "building", "unit", "unit__entrance", "category")
                .order_by(due_field)[:BATCH]
            )
            if breached and people is None:
                people = supervisors()
            for order in breached:
                with transaction.atomic():
                    # Claim the breach first: a concurrent run finds it claimed.
                    claimed = WorkOrder.objects.filter(
                        pk=order.pk, status__in=statuses, **{f"{notified_field}__isnull": True}
                    ).update(**{notified_field: now})
                    if not claimed:
                        continue
                    _notify_breach(order, kind, due_field, people)
                    sent += 1
    return sent


def _notify_breach(order, kind, due_field, people):
    due = timezone.localtime(getattr(order, due_field))
    if kind == "response":
        text = _("Work order %(number)s (%(place)s) was not accepted by %(due)s.")
    else:
        text = _("Work order %(number)s (%(place)s) was not completed by %(due)s.")
    body = text % {"number": order.number, "place": order.place, "due": f"{due:%Y-%m-%d %H:%M}"}
    record_event(order, None, f"{kind}_breached", body)
    for user in people:
        if user._courtyard_scope.covers(order.estate_id, order.building_id):
            queue_message(
                MessageChannel.APP,
                user.get_username(),
                body,
                user=user,
                subject=_("Repair deadline missed: %(number)s") % {"number": order.number},
                purpose=f"repair_{kind}_breach",
            )


def close_completed_orders(now=None):
    """Close the orders completed longer than ``repairs.auto_close_days`` ago."""
    now = now or timezone.now()
    days = parameters.get("repairs.auto_close_days")
    cutoff = now - datetime.timedelta(days=days)
    closed = 0
    ids = list(
        WorkOrder.objects.filter(
            status=WorkOrderStatus.COMPLETED, completed_at__lt=cutoff
        ).values_list("pk", flat=True)[:BATCH]
    )
    with change_source("task"):
        for pk in ids:
            with transaction.atomic():
                order = (
                    WorkOrder.objects.select_for_update()
                    .filter(pk=pk, status=WorkOrderStatus.COMPLETED, completed_at__lt=cutoff)
                    .first()
                )
                if order is None:  # the resident answered meanwhile
                    continue
                order.status = WorkOrderStatus.CLOSED
                order.closed_at = now
                order.closed_automatically = True
                order.save(
                    update_fields=["status", "closed_at", "closed_automatically", "updated_at"]
                )
                rollup.order_changed(order)
                record_event(
                    order,
                    None,
                    "closed",
                    _("Closed automatically %(days)s days after completion") % {"days": days},
                    automatic=True,
                )
                closed += 1
    return closed


@db_periodic_task(crontab(minute="*/5"))
def sla_breach_task():
    notify_sla_breaches()


@db_periodic_task(crontab(minute="7"))
def auto_close_task():
    close_completed_orders()


@db_periodic_task(crontab(minute="*/5"))
def refresh_figures_task():
    """The statistics' days left stale (a summing that failed after a commit) and new days."""
    rollup.refresh_stale()


@db_periodic_task(crontab(hour="3", minute="17"))
def rebuild_figures_task():
    """Every day of the statistics summed again, orders written around the services included."""
    rollup.rebuild()
