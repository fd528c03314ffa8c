"""The announcement's state machine, declared once: the services check it, the staff page
draws its buttons from it and the portal offers what it allows. Readers see the published and
expired notices (``choices.READABLE_STATUSES``) and respond (like, comment) to published ones.

    draft → pending_review → approved → published → expired
    pending_review → rejected (back to the author with the reason)
    approved / published → withdrawn (not once expired); a withdrawn or rejected notice is
    edited like a draft and submitted again

Approving and rejecting are the approval engine's (``core.approvals``, which decides who may),
expiring is the periodic task's: they name no permission.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courtyard.core.exceptions import StateConflict
from courtyard.core.states import StateMachine, Transition

from .choices import EDITABLE_STATUSES, WITHDRAWABLE_STATUSES, NoticeStatus
from .models import Notice

S = NoticeStatus
AWAITING_REVIEW = gettext_lazy("The announcement is awaiting review; wait for the decision.")
NOT_PENDING = gettext_lazy("This announcement is no longer awaiting review.")


def _running(user, notice):
    return not notice.has_ended


def _in_effect(user, notice):
    """Published by hand only between its start and its end."""
    if not notice.has_started:
        raise StateConflict(
            _("The announcement takes effect on %(date)s; it is published then.")
            % {"date": f"{timezone.localtime(notice.effective_from):%Y-%m-%d %H:%M}"},
            "not_yet_effective",
        )
    if notice.has_ended:
        raise StateConflict(_("The announcement's end has passed."), "already_ended")
    return True


def _never_published(user, notice):
    return not notice.was_published


NOTICE = StateMachine(
    Notice,
    [
        Transition(
            "edit",
            EDITABLE_STATUSES,
            None,
            "change",
            code="not_editable",
            refusals={
                S.PENDING_REVIEW: AWAITING_REVIEW,
                S.APPROVED: gettext_lazy("The announcement is approved; withdraw it to edit it."),
                S.PUBLISHED: gettext_lazy("The announcement is published; withdraw it to edit it."),
                S.EXPIRED: gettext_lazy("An expired announcement can no longer be edited."),
            },
        ),
        Transition(
            "submit",
            EDITABLE_STATUSES,
            S.PENDING_REVIEW,
            "submit",
            code="not_submittable",
            message=gettext_lazy(
                "Only a draft, rejected or withdrawn announcement can be submitted."
            ),
            refusals={
                S.PENDING_REVIEW: (
                    gettext_lazy(
                        "The announcement is already awaiting review; wait for the decision."
                    ),
                    "already_pending",
                )
            },
        ),
        Transition(
            "approve", [S.PENDING_REVIEW], S.APPROVED, code="not_pending", message=NOT_PENDING
        ),
        Transition(
            "reject", [S.PENDING_REVIEW], S.REJECTED, code="not_pending", message=NOT_PENDING
        ),
        Transition(
            "publish",
            [S.APPROVED],
            S.PUBLISHED,
            "publish",
            code="not_approved",
            message=gettext_lazy("Only an approved announcement can be published."),
            refusals={
                S.PUBLISHED: (
                    gettext_lazy("The announcement is already published."),
                    "already_published",
                )
            },
            guard=_in_effect,
        ),
        Transition(
            "withdraw",
            WITHDRAWABLE_STATUSES,
            S.WITHDRAWN,
            "withdraw",
            code="not_withdrawable",
            message=gettext_lazy(
                "Only an approved or published announcement before its end can be withdrawn."
            ),
            guard=_running,
        ),
        Transition("expire", [S.APPROVED, S.PUBLISHED], S.EXPIRED),
        Transition(
            "delete",
            [S.DRAFT, S.REJECTED],
            None,
            "delete",
            code="not_deletable",
            message=gettext_lazy("Only a draft that was never published can be deleted."),
            guard=_never_published,
        ),
        # Readers, from the portal, on a notice they are in the audience of.
        Transition(
            "respond",
            [S.PUBLISHED],
            None,
            portal=True,
            code="not_published",
            message=gettext_lazy("This announcement has ended."),
        ),
    ],
)
