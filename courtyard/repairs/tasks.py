"""Periodic work of the repairs module: SLA breach digests and closing completed orders."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from courtyard.core import parameters
from courtyard.core.audit import change_source
from courtyard.core.choices import MessageChannel
from courtyard.core.messaging import queue_message
from courtyard.core.timeline import record_event

from .choices import UNRESOLVED_STATUSES, UNRESPONDED_STATUSES, WorkOrderStatus
from .models import WorkOrder
from .statistics import rollup

BATCH = 500
DIGEST_LINES = 20
BREACH_PURPOSE = "repair_sla_breaches"
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
    """Tell the supervisors about the orders whose response or resolution deadline has passed,
    each breach once (a reopened order's new deadline is a new breach): one digest per
    supervisor per run, listing the breaches in their scope. Returns the breaches found."""
    now = now or timezone.now()
    breaches = []  # (order, text)
    with change_source("task"), transaction.atomic():
        for kind, (statuses, due_field, notified_field) in BREACHES.items():
            candidates = (
                WorkOrder.objects.filter(
                    status__in=statuses,
                    **{f"{due_field}__lt": now, f"{notified_field}__isnull": True},
                )
                .select_related("estate", "building", "unit", "unit__entrance", "category")
                .order_by(due_field)[:BATCH]
            )
            for order in candidates:
                # Claim the breach first: a concurrent run waits for this one, then finds it
                # claimed.
                claimed = WorkOrder.objects.filter(
                    pk=order.pk, status__in=statuses, **{f"{notified_field}__isnull": True}
                ).update(**{notified_field: now})
                if claimed:
                    text = _breach_text(order, kind, due_field)
                    record_event(order, None, f"{kind}_breached", text)
                    breaches.append((order, text))
        if breaches:
            _send_digests(breaches, supervisors())
    return len(breaches)


def _breach_text(order, kind, due_field):
    due = timezone.localtime(getattr(order, due_field))
    if kind == "response":
        text = _("Work order %(number)s (%(place)s) was not accepted by %(due)s.")
    else:
        text = _("Work order %(number)s (%(place)s) was not completed by %(due)s.")
    return text % {"number": order.number, "place": order.place, "due": f"{due:%Y-%m-%d %H:%M}"}


def _send_digests(breaches, people):
    """One app message per supervisor naming the breaches in their scope (at most
    DIGEST_LINES, then how many more), with a link to the overdue orders."""
    link = reverse("repairs:workorder_list") + "?overdue=true"
    for user in people:
        theirs = [
            text
            for order, text in breaches
            if user._courtyard_scope.covers(order.estate_id, order.building_id)
        ]
        if not theirs:
            continue
        lines = theirs[:DIGEST_LINES]
        if len(theirs) > DIGEST_LINES:
            lines.append(_("… and %(count)s more.") % {"count": len(theirs) - DIGEST_LINES})
        lines.append(_("Overdue work orders: %(link)s") % {"link": link})
        queue_message(
            MessageChannel.APP,
            user.get_username(),
            "\n".join(lines),
            user=user,
            subject=_("Repair deadlines missed: %(count)s") % {"count": len(theirs)},
            purpose=BREACH_PURPOSE,
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
