"""Configurable multi-level approval, shared by every module that needs one.

A module registers its kind of record once, from its ``AppConfig.ready()``::

    approvals.register_kind(
        "residents.registration",
        label=_("Resident registration"),
        on_approved=make_registration_effective,   # (request, actor)
        on_rejected=return_registration,           # (request, actor, reason)
    )

and its service calls ``approvals.submit(actor, subject, kind=..., estate_id=..., title=...)``.
An administrator configures, per kind, a default flow and optionally one flow per estate:
none, one or several levels, each naming the role (Django group) whose members decide.
The levels are copied into the request when it is submitted, so a change of configuration
never alters a running request. With no levels the request is approved at once and
``on_approved`` runs inside the submitter's transaction.

An estate without its own flow follows the default one — a new estate included, so the
review the company configured applies there from its first day. A request that nobody could
decide never starts: submission is refused (409 ``no_approver``) when a level has no
approver besides the submitter (for example in a new estate whose only user in scope is the
administrator who submits), saying which level and role lack one; give a colleague that
role and the estate, or give the estate its own flow (possibly without levels).

Rules: an approver is an active staff member who holds the current level's role (or a
superuser) and whose data scope covers the request's estate; nobody decides their own
submission (403 ``own_request``), nor the same request twice; only a pending request at the
level the approver saw can be decided (a double click is a 409, not a second approval); a
rejection needs a reason. Every decision is audited, written to the subject's timeline, and
the next approvers or the submitter are told through app messages. ``decision_refusal``
says why someone may not decide, for the pages and the API alike.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..choices import ApprovalDecisionKind, ApprovalStatus, MessageChannel
from ..estate_model import estate_model, estates_for
from ..exceptions import Refused, StateConflict
from ..messaging import queue_message, register_purposes
from ..models import ApprovalDecision, ApprovalFlow, ApprovalLevel, ApprovalRequest
from ..scoping import require_action, require_company_wide, scope_q, user_scope
from ..timeline import record_event

# The registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalKind:
    """A kind of record that goes through approval, and what approval or rejection does."""

    key: str
    label: str
    on_approved: Callable
    on_rejected: Callable


_KINDS: dict[str, ApprovalKind] = {}


def register_kind(key, *, label, on_approved, on_rejected):
    """Register (or replace) a kind of record; call from the module's ``AppConfig.ready()``."""
    _KINDS[key] = ApprovalKind(key, label, on_approved, on_rejected)
    return _KINDS[key]


def kinds():
    """The registered kinds, by label."""
    return sorted(_KINDS.values(), key=lambda kind: str(kind.label))


def get_kind(key):
    return _KINDS.get(key)


def kind_label(key):
    kind = _KINDS.get(key)
    return kind.label if kind else key


# Configuration ------------------------------------------------------------------------------


def resolve_flow(kind, estate_id):
    """The estate's own flow for ``kind``, else the default flow, else None."""
    flows = {
        flow.estate_id: flow
        for flow in ApprovalFlow.objects.filter(
            Q(estate__isnull=True) | Q(estate_id=estate_id), kind=kind
        )
    }
    return flows.get(estate_id) or flows.get(None)


def flow_levels(flow):
    if flow is None:
        return []
    return list(flow.levels.select_related("role").order_by("order"))


def set_flow_levels(actor, kind, estate, roles, names=None):
    """Replace the levels of ``kind``'s flow for ``estate`` (None: the default flow).

    ``roles`` are Groups in level order; an empty list means "approved at once". Running
    requests keep the levels they were submitted with.
    """
    require_action(actor, ApprovalFlow, "change")
    _check_flow_scope(actor, estate)
    if kind not in _KINDS:
        raise ValidationError(_("Unknown kind of approval: %(kind)s") % {"kind": kind})
    roles = list(roles)
    names = list(names or [])
    if len({role.pk for role in roles}) != len(roles):
        raise ValidationError(
            {
                "roles": ValidationError(
                    _("A role can appear only once in a flow."), code="duplicate"
                )
            }
        )
    with transaction.atomic():
        flow, _created = ApprovalFlow.objects.select_for_update().get_or_create(
            kind=kind, estate=estate, defaults={"updated_by": actor}
        )
        flow.levels.all().delete()
        for order, role in enumerate(roles, start=1):
            name = names[order - 1] if order <= len(names) else ""
            ApprovalLevel.objects.create(flow=flow, order=order, role=role, name=name or "")
        flow.updated_by = actor
        flow.save(update_fields=["updated_by", "updated_at"])
    return flow


def start_estate_flow(actor, kind, estate):
    """Give ``estate`` its own flow for ``kind``, starting from the default flow's levels."""
    if ApprovalFlow.objects.filter(kind=kind, estate=estate).exists():
        raise StateConflict(_("This estate already has its own flow."), "flow_exists")
    levels = flow_levels(resolve_flow(kind, None))
    return set_flow_levels(
        actor, kind, estate, [level.role for level in levels], [level.name for level in levels]
    )


def delete_flow(actor, flow):
    """Remove an estate's own flow, so that the estate follows the default flow again."""
    require_action(actor, ApprovalFlow, "change")
    _check_flow_scope(actor, flow.estate)
    if flow.estate_id is None:
        raise StateConflict(
            _("The default flow cannot be removed; give it no levels instead."), "default_flow"
        )
    with transaction.atomic():
        flow.delete()


def _check_flow_scope(actor, estate):
    if estate is None:  # the default flow is a company-wide setting
        require_company_wide(
            actor, _("Only users whose data scope covers all estates may change the default flow.")
        )
    elif not user_scope(actor).covers(estate.pk):
        raise PermissionDenied(_("This estate is outside your data scope."))


@dataclass(frozen=True)
class KindFlows:
    """A registered kind with its default flow (None until configured) and estates' own."""

    kind: ApprovalKind
    default: ApprovalFlow | None
    estates: list


def flows_for(user):
    """Every registered kind with its flows: the default, and those of the estates in the
    user's data scope; estates, levels and roles fetched in three queries."""
    flows = ApprovalFlow.objects.select_related("estate").prefetch_related("levels__role")
    visible = set(estates_for(user).values_list("pk", flat=True))
    by_kind = {}
    for flow in flows.order_by("estate__name"):
        by_kind.setdefault(flow.kind, []).append(flow)
    return [
        KindFlows(
            kind,
            next((f for f in by_kind.get(kind.key, []) if f.estate_id is None), None),
            [f for f in by_kind.get(kind.key, []) if f.estate_id in visible],
        )
        for kind in kinds()
    ]


# Submitting and deciding --------------------------------------------------------------------


def submit(actor, subject, *, kind, estate_id, title):
    """Submit ``subject`` for approval under ``kind``'s flow for the estate.

    Refused (409) while another request of the same subject is pending; a resubmission
    starts again at level 1. Without levels the request is approved at once and the kind's
    ``on_approved`` has run when this returns.
    """
    registered = _KINDS.get(kind)
    if registered is None:
        raise ValueError(f"approval kind {kind!r} is not registered")
    content_type = ContentType.objects.get_for_model(subject)
    with transaction.atomic():
        pending = ApprovalRequest.objects.filter(
            content_type=content_type, object_id=str(subject.pk), status=ApprovalStatus.PENDING
        )
        if pending.exists():
            raise StateConflict(
                _("This record is already awaiting approval; wait for the decision."),
                "already_pending",
            )
        levels = [
            {"role": level.role_id, "role_name": level.role.name, "name": level.name}
            for level in flow_levels(resolve_flow(kind, estate_id))
        ]
        request = ApprovalRequest(
            kind=kind,
            content_type=content_type,
            object_id=str(subject.pk),
            estate_id=estate_id,
            title=str(title)[:200],
            submitted_by=actor,
            levels=levels,
            current_level=1,
            current_role_id=levels[0]["role"] if levels else None,
        )
        _check_someone_may_decide(request)
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError:
            # Another submission of the same record won the race.
            raise StateConflict(
                _("This record is already awaiting approval; wait for the decision."),
                "already_pending",
            )
        request.subject = subject
        record_event(
            subject,
            actor,
            "approval_submitted",
            _("Submitted for approval: %(title)s") % {"title": request.title},
            request=request.pk,
            levels=len(levels),
        )
        if not levels:
            _finish_approved(request, actor, registered)
        else:
            _notify_level(request)
    return request


def approve(actor, request, comment="", *, level=None):
    """Approve ``request`` at its current level (or at ``level``, the level the approver saw)."""
    with transaction.atomic():
        fresh = _lock_for_decision(actor, request, level)
        decision_level = fresh.current_level
        ApprovalDecision.objects.create(
            request=fresh,
            level=decision_level,
            decided_by=actor,
            decision=ApprovalDecisionKind.APPROVE,
            comment=comment.strip(),
        )
        subject = fresh.subject
        record_event(
            subject,
            actor,
            "approval_level_approved",
            _("Approved at level %(level)s of %(count)s by %(name)s")
            % {"level": decision_level, "count": fresh.level_count, "name": _name(actor)},
            request=fresh.pk,
            level=decision_level,
            comment=comment.strip(),
        )
        if decision_level >= fresh.level_count:
            _finish_approved(fresh, actor, _KINDS.get(fresh.kind))
        else:
            fresh.current_level = decision_level + 1
            fresh.current_role_id = fresh.levels[decision_level]["role"]
            fresh.save(update_fields=["current_level", "current_role"])
            _notify_level(fresh)
    _refresh(request, fresh)
    return request


def reject(actor, request, reason, *, level=None):
    """Reject ``request`` at its current level; the reason goes back to the submitter."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Give a reason for the rejection."), code="required")}
        )
    with transaction.atomic():
        fresh = _lock_for_decision(actor, request, level)
        ApprovalDecision.objects.create(
            request=fresh,
            level=fresh.current_level,
            decided_by=actor,
            decision=ApprovalDecisionKind.REJECT,
            comment=reason,
        )
        fresh.status = ApprovalStatus.REJECTED
        fresh.decided_at = timezone.now()
        fresh.current_role = None
        fresh.save(update_fields=["status", "decided_at", "current_role"])
        record_event(
            fresh.subject,
            actor,
            "approval_rejected",
            _("Rejected at level %(level)s by %(name)s: %(reason)s")
            % {"level": fresh.current_level, "name": _name(actor), "reason": reason},
            request=fresh.pk,
            level=fresh.current_level,
            reason=reason,
        )
        kind = _KINDS.get(fresh.kind)
        if kind is not None:
            kind.on_rejected(fresh, actor, reason)
        _notify_submitter(
            fresh,
            _("Rejected: %(title)s") % {"title": fresh.title},
            _("%(kind)s “%(title)s” was rejected by %(name)s. Reason: %(reason)s")
            % {
                "kind": kind_label(fresh.kind),
                "title": fresh.title,
                "name": _name(actor),
                "reason": reason,
            },
        )
    _refresh(request, fresh)
    return request


def _lock_for_decision(actor, request, level):
    """The request, locked, after every check an approver must pass."""
    seen_level = level if level is not None else request.current_level
    fresh = (
        ApprovalRequest.objects.select_for_update()
        .select_related("submitted_by")
        .get(pk=request.pk)
    )
    if fresh.status != ApprovalStatus.PENDING:
        raise StateConflict(
            _("This request has already been decided (%(status)s).")
            % {"status": fresh.get_status_display()},
            "not_pending",
        )
    if int(seen_level) != fresh.current_level:
        raise StateConflict(
            _("Level %(level)s of this request has already been decided.") % {"level": seen_level},
            "level_decided",
        )
    refusal = decision_refusal(actor, fresh)
    if refusal is not None:
        raise refusal
    return fresh


def _finish_approved(request, actor, kind):
    request.status = ApprovalStatus.APPROVED
    request.decided_at = timezone.now()
    request.current_role = None
    request.save(update_fields=["status", "decided_at", "current_role"])
    record_event(
        request.subject,
        actor,
        "approval_approved",
        _("Approved — in effect"),
        request=request.pk,
    )
    if kind is not None:
        kind.on_approved(request, actor)
    if request.level_count:
        _notify_submitter(
            request,
            _("Approved: %(title)s") % {"title": request.title},
            _("%(kind)s “%(title)s” has been approved and is in effect.")
            % {"kind": kind_label(request.kind), "title": request.title},
        )


def _refresh(request, fresh):
    """Bring the caller's object up to date with the decided request."""
    for field in ("status", "current_level", "current_role_id", "decided_at"):
        setattr(request, field, getattr(fresh, field))


def _name(user):
    return getattr(user, "display_name", None) or user.get_username()


# Who may decide -----------------------------------------------------------------------------


def _is_staff(user):
    return user.is_authenticated and user.is_active and not getattr(user, "is_resident", False)


def _may_decide_level(user, request, level):
    """Whether ``user`` holds the role of ``level`` (1-based) and covers the estate."""
    if not _is_staff(user) or not 1 <= level <= request.level_count:
        return False
    if not user_scope(user).covers(request.estate_id):
        return False
    if user.is_superuser:
        return True
    return request.levels[level - 1]["role"] in _group_ids(user)


def _group_ids(user):
    cached = getattr(user, "_courtyard_group_ids", None)
    if cached is None:
        cached = set(user.groups.values_list("pk", flat=True))
        user._courtyard_group_ids = cached
    return cached


def decision_refusal(user, request):
    """Why ``user`` may not approve or reject ``request`` now (the exception a decision
    raises: Refused or StateConflict), or None when they may."""
    if request.status != ApprovalStatus.PENDING:
        return StateConflict(
            _("This request has already been decided (%(status)s).")
            % {"status": request.get_status_display()},
            "not_pending",
        )
    if request.submitted_by_id == user.pk:
        return Refused(
            _("You submitted this request: nobody may decide their own request."),
            "own_request",
        )
    if not _is_staff(user) or not user_scope(user).covers(request.estate_id):
        return Refused(_("This request's estate is outside your data scope."), "outside_scope")
    if not _may_decide_level(user, request, request.current_level):
        return Refused(
            _("Level %(level)s is decided by the role “%(role)s”, which you do not hold.")
            % {
                "level": request.current_level,
                "role": request.levels[request.current_level - 1]["role_name"],
            },
            "not_approver",
        )
    if request.decisions.filter(decided_by=user).exists():
        return StateConflict(
            _("You have already decided on this request; another approver must decide this level."),
            "already_decided",
        )
    return None


def may_decide(user, request):
    """Whether ``user`` may approve or reject ``request`` now."""
    return decision_refusal(user, request) is None


def _check_someone_may_decide(request):
    """Refuse a submission that would wait for ever: a level nobody but the submitter (or
    nobody at all) may decide in the request's estate."""
    users = get_user_model().objects.filter(is_active=True).exclude(pk=request.submitted_by_id)
    for number, level in enumerate(request.levels, start=1):
        candidates = users.filter(Q(groups__pk=level["role"]) | Q(is_superuser=True)).distinct()
        if not any(_may_decide_level(user, request, number) for user in candidates):
            raise StateConflict(
                _(
                    "Nobody could approve this: level %(level)s is decided by the role"
                    " “%(role)s”, and no active staff member other than you holds it with this"
                    " estate in their data scope. Give a colleague that role and this estate,"
                    " or give the estate its own approval flow."
                )
                % {"level": number, "role": level["role_name"]},
                "no_approver",
            )


def can_view(user, request):
    """The submitter, anyone who may decide at some level, and viewers within their scope."""
    if not _is_staff(user):
        return False
    if request.submitted_by_id == user.pk:
        return True
    if not user_scope(user).covers(request.estate_id):
        return False
    if user.has_perm("core.view_approvalrequest"):
        return True
    return (
        any(_may_decide_level(user, request, level) for level in range(1, request.level_count + 1))
        or request.decisions.filter(decided_by=user).exists()
    )


def approvers_of_level(request, level):
    """The users who may decide ``request`` at ``level``, except its submitter."""
    role_id = request.levels[level - 1]["role"]
    members = (
        get_user_model()
        .objects.filter(groups__pk=role_id, is_active=True)
        .exclude(pk=request.submitted_by_id)
    )
    # Members hold the role by construction; the data scope is checked user by user.
    return [
        user for user in members if _is_staff(user) and user_scope(user).covers(request.estate_id)
    ]


# Messages -----------------------------------------------------------------------------------

register_purposes(
    {
        "approval_awaiting": gettext_lazy("Awaiting your approval"),
        "approval_decided": gettext_lazy("Approval decided"),
    }
)


def _notify_level(request):
    link = reverse("core:approval_detail", args=[request.pk])
    body = _(
        "%(kind)s “%(title)s” from %(name)s awaits your approval (level %(level)s of %(count)s)."
        " Open: %(link)s"
    ) % {
        "kind": kind_label(request.kind),
        "title": request.title,
        "name": _name(request.submitted_by),
        "level": request.current_level,
        "count": request.level_count,
        "link": link,
    }
    for user in approvers_of_level(request, request.current_level):
        queue_message(
            MessageChannel.APP,
            user.get_username(),
            body,
            user=user,
            subject=_("Awaiting your approval: %(title)s") % {"title": request.title},
            purpose="approval_awaiting",
        )


def _notify_submitter(request, subject, body):
    user = request.submitted_by
    link = reverse("core:approval_detail", args=[request.pk])
    queue_message(
        MessageChannel.APP,
        user.get_username(),
        f"{body} {_('Open: %(link)s') % {'link': link}}",
        user=user,
        subject=subject,
        purpose="approval_decided",
    )


# Reads --------------------------------------------------------------------------------------


def _subject_requests(subject):
    return ApprovalRequest.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk)
    ).select_related("submitted_by")


def latest_request(subject):
    """The latest approval request of ``subject``, or None."""
    return _subject_requests(subject).order_by("-submitted_at", "-id").first()


def requests_for(subject):
    """Every approval request of ``subject``, newest first, with their decisions."""
    return (
        _subject_requests(subject)
        .order_by("-submitted_at", "-id")
        .prefetch_related("decisions__decided_by")
    )


def _in_scope(queryset, user):
    q = scope_q(ApprovalRequest, user_scope(user))
    return queryset if q is None else queryset.filter(q)


def awaiting(user):
    """Pending requests ``user`` may decide now: their role, their scope, not their own."""
    if not _is_staff(user):
        return ApprovalRequest.objects.none()
    queryset = ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING).exclude(
        submitted_by=user
    )
    if not user.is_superuser:
        queryset = queryset.filter(current_role__in=user.groups.all())
    queryset = queryset.exclude(decisions__decided_by=user)
    return _in_scope(queryset, user).select_related("submitted_by")


def awaiting_count(user):
    """For the navigation badge: one COUNT query."""
    return awaiting(user).count()


def submitted_by(user):
    return ApprovalRequest.objects.filter(submitted_by=user).select_related("submitted_by")


def decided_by(user):
    return ApprovalRequest.objects.filter(
        pk__in=ApprovalDecision.objects.filter(decided_by=user).values("request")
    ).select_related("submitted_by")


def visible_request(user, pk):
    """One request ``user`` may see (see ``can_view``), else None."""
    request = (
        ApprovalRequest.objects.select_related("submitted_by", "content_type").filter(pk=pk).first()
    )
    if request is None or not can_view(user, request):
        return None
    return request


def with_estate_names(requests):
    """Give each request an ``estate_name`` with one query for the whole page."""
    requests = list(requests)
    ids = {r.estate_id for r in requests if r.estate_id is not None}
    names = dict(estate_model().objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    for request in requests:
        request.estate_name = names.get(request.estate_id, "")
    return requests


def progress(request):
    """Each level of ``request`` with its role, state and decision, for the detail page."""
    decisions = {d.level: d for d in request.decisions.select_related("decided_by")}
    rows = []
    for number, level in enumerate(request.levels, start=1):
        decision = decisions.get(number)
        if decision is not None:
            state = decision.decision
        elif request.status == ApprovalStatus.PENDING and number == request.current_level:
            state = "current"
        elif request.status == ApprovalStatus.PENDING:
            state = "waiting"
        else:
            state = "skipped"
        rows.append(
            {
                "number": number,
                "name": level.get("name") or "",
                "role_name": level.get("role_name") or "",
                "state": state,
                "decision": decision,
            }
        )
    return rows
