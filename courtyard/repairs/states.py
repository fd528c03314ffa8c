"""The work order's state machine, declared once: the services check it, the staff pages and
the technician's phone list draw their buttons from it, the portal offers what it allows.

    submitted → accepted → dispatched → in_progress → completed → closed
    cancelled from any open state (a resident only before dispatch)
    completed → dispatched when the resident rejects the result (or staff reopen it)

A wrong state is refused with the transition's code (409) and says where the order stands.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courtyard.core.exceptions import StateConflict
from courtyard.core.scoping import has_action
from courtyard.core.states import StateMachine, Transition

from .choices import ASSIGNED_STATUSES, OPEN_STATUSES, WorkOrderStatus
from .models import WorkOrder

S = WorkOrderStatus


def _wrong_state(order):
    return _("Work order %(number)s cannot be changed this way while it is “%(status)s”.") % {
        "number": order.number,
        "status": order.get_status_display(),
    }


def _accepts_too(user, order):
    """Dispatching a new request accepts it as well, so it takes that permission too."""
    if order.status == S.SUBMITTED and not has_action(user, WorkOrder, "accept"):
        raise PermissionDenied
    return True


def _own(user, order):
    """Technicians start and complete their own orders; a dispatcher may do it for them."""
    if order.assignee_id != user.pk and not has_action(user, WorkOrder, "dispatch"):
        raise PermissionDenied(_("This work order is assigned to someone else."))
    return True


def _not_rated(user, order):
    if order.rating is not None:
        raise StateConflict(_("This repair has already been rated."), "already_rated")
    return True


ON_THE_WAY = gettext_lazy("A technician is already on the way: call the office to cancel.")

WORK_ORDER = StateMachine(
    WorkOrder,
    [
        # The office and the technicians (repairs.<permission>_workorder).
        Transition("change", OPEN_STATUSES, None, "change", code="not_open"),
        Transition("accept", [S.SUBMITTED], S.ACCEPTED, "accept", code="not_submitted"),
        Transition(
            "dispatch",
            [S.SUBMITTED, S.ACCEPTED],
            S.DISPATCHED,
            "dispatch",
            code="not_dispatchable",
            guard=_accepts_too,
        ),
        Transition(
            "reassign", ASSIGNED_STATUSES, S.DISPATCHED, "dispatch", code="not_dispatchable"
        ),
        Transition(
            "start", [S.DISPATCHED], S.IN_PROGRESS, "complete", code="not_dispatched", guard=_own
        ),
        Transition("follow_up", OPEN_STATUSES, None, "followup", code="not_open"),
        Transition(
            "complete",
            [S.IN_PROGRESS],
            S.COMPLETED,
            "complete",
            code="not_in_progress",
            guard=_own,
        ),
        Transition("close", [S.COMPLETED], S.CLOSED, "close", code="not_completed"),
        Transition("reopen", [S.COMPLETED, S.CLOSED], S.DISPATCHED, "close", code="not_completed"),
        Transition("cancel", OPEN_STATUSES, S.CANCELLED, "cancel", code="not_open"),
        # The resident, from the portal, on an order of their own.
        Transition("confirm", [S.COMPLETED], S.CLOSED, portal=True, code="not_completed"),
        Transition("reject", [S.COMPLETED], S.DISPATCHED, portal=True, code="not_completed"),
        Transition(
            "rate",
            [S.COMPLETED, S.CLOSED],
            None,
            portal=True,
            code="not_completed",
            guard=_not_rated,
        ),
        Transition(
            "resident_cancel",
            [S.SUBMITTED, S.ACCEPTED],
            S.CANCELLED,
            portal=True,
            code="not_open",
            refusals={
                state: (ON_THE_WAY, "already_dispatched")
                for state in OPEN_STATUSES
                if state not in (S.SUBMITTED, S.ACCEPTED)
            },
        ),
    ],
    message=_wrong_state,
)
