"""API: approval requests — mine to decide (or submitted / decided by me), one, approve, reject;
and the approval flows, configured as on the flow pages.

Errors: 409 ``not_pending`` / ``level_decided`` / ``already_decided`` when the request or its
level is already decided; 403 ``own_request`` when the caller submitted the request,
``not_approver`` when they do not hold the current level's role; 404 when the request lies
outside the caller's data scope.

Flows (``core.change_approvalflow``): ``/approval-flows`` lists every registered kind's
default flow (no levels until configured) and the flows of the estates in the caller's
scope; ``/approval-flows/{kind}`` is the default flow (changing it needs an all-estates
scope: 403 otherwise), ``/approval-flows/{kind}/estates/{estate}`` an estate's own flow —
POST starts it from the default levels, PUT replaces its levels, DELETE makes the estate
follow the default again. Levels are given in order as ``{"role", "name"}``; no levels means
"approved at once".
"""

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.contrib.auth.models import Group
from django.http import Http404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from ..access import STAFF, acts_on
from ..api import Id, Pagination, SmallInt, api_access, id_of
from ..estate_model import estates_for
from ..models import ApprovalFlow, ApprovalRequest
from ..references import resolve, resolve_many
from . import services as approvals

router = Router(tags=["approvals"])

BOXES = {
    "awaiting": approvals.awaiting,
    "submitted": approvals.submitted_by,
    "decided": approvals.decided_by,
}


class ApprovalFields(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    status: str
    estate: int | None = id_of("estate")
    subject_type: str
    subject_id: str
    submitted_by: int = id_of("submitted_by")
    submitted_by_name: str
    submitted_at: datetime
    current_level: int
    level_count: int
    decided_at: datetime | None


class ApprovalOut(ApprovalFields):
    """A request read from the database (the list): fields computed from the model."""

    @staticmethod
    def resolve_kind_label(obj):
        return str(approvals.kind_label(obj.kind))

    @staticmethod
    def resolve_subject_type(obj):
        return f"{obj.content_type.app_label}.{obj.content_type.model}"

    @staticmethod
    def resolve_subject_id(obj):
        return obj.object_id

    @staticmethod
    def resolve_submitted_by_name(obj):
        return obj.submitted_by.display_name


def _out(approval):
    return {
        "id": approval.pk,
        "kind": approval.kind,
        "kind_label": str(approvals.kind_label(approval.kind)),
        "title": approval.title,
        "status": approval.status,
        "estate": approval.estate_id,
        "subject_type": f"{approval.content_type.app_label}.{approval.content_type.model}",
        "subject_id": approval.object_id,
        "submitted_by": approval.submitted_by_id,
        "submitted_by_name": approval.submitted_by.display_name,
        "submitted_at": approval.submitted_at,
        "current_level": approval.current_level,
        "level_count": approval.level_count,
        "decided_at": approval.decided_at,
    }


class LevelOut(Schema):
    number: int
    name: str
    role_name: str
    state: str
    decided_by: int | None
    decided_by_name: str | None
    comment: str
    at: datetime | None


class ApprovalDetailOut(ApprovalFields):
    levels: list[LevelOut]
    may_decide: bool


class ApproveIn(Schema):
    comment: str = ""
    level: SmallInt | None = None


class RejectIn(Schema):
    reason: str
    level: SmallInt | None = None


def _visible(request, pk):
    found = approvals.visible_request(request.user, pk)
    if found is None:
        raise Http404
    return found


def _detail(request, approval):
    levels = []
    for row in approvals.progress(approval):
        decision = row["decision"]
        levels.append(
            {
                "number": row["number"],
                "name": row["name"],
                "role_name": row["role_name"],
                "state": row["state"],
                "decided_by": decision.decided_by_id if decision else None,
                "decided_by_name": decision.decided_by.display_name if decision else None,
                "comment": decision.comment if decision else "",
                "at": decision.at if decision else None,
            }
        )
    return _out(approval) | {
        "levels": levels,
        "may_decide": approvals.may_decide(request.user, approval),
    }


@router.get("/approvals", response=list[ApprovalOut])
@api_access(STAFF)
@paginate(Pagination)
def list_approvals(request, box: Literal["awaiting", "submitted", "decided"] = "awaiting"):
    return BOXES[box](request.user).select_related("content_type")


@router.get("/approvals/{pk}", response=ApprovalDetailOut)
@api_access(STAFF)
@acts_on(ApprovalRequest)
def get_approval(request, pk: int):
    return _detail(request, _visible(request, pk))


@router.post("/approvals/{pk}/approve", response=ApprovalDetailOut)
@api_access(STAFF)
@acts_on(ApprovalRequest)
def approve(request, pk: int, payload: ApproveIn):
    approval = _visible(request, pk)
    approvals.approve(request.user, approval, payload.comment, level=payload.level)
    return _detail(request, approval)


@router.post("/approvals/{pk}/reject", response=ApprovalDetailOut)
@api_access(STAFF)
@acts_on(ApprovalRequest)
def reject(request, pk: int, payload: RejectIn):
    approval = _visible(request, pk)
    approvals.reject(request.user, approval, payload.reason, level=payload.level)
    return _detail(request, approval)


# Flows --------------------------------------------------------------------------------------

FLOW_PERMISSION = "core.change_approvalflow"


class FlowLevelOut(Schema):
    order: int
    role: int
    role_name: str
    name: str


class FlowOut(Schema):
    kind: str
    kind_label: str
    estate: int | None = Field(description="None: the default flow, for estates without one.")
    estate_name: str
    levels: list[FlowLevelOut]
    updated_at: datetime | None


class FlowLevelIn(Schema):
    role: Id
    name: str = Field("", max_length=100)


class FlowIn(Schema):
    levels: list[FlowLevelIn] = Field(max_length=20)


def _flow_out(kind, estate, flow):
    return {
        "kind": kind.key,
        "kind_label": str(kind.label),
        "estate": estate.pk if estate else None,
        "estate_name": estate.name if estate else "",
        "levels": [
            {"order": lv.order, "role": lv.role_id, "role_name": lv.role.name, "name": lv.name}
            for lv in approvals.flow_levels(flow)
        ],
        "updated_at": flow.updated_at if flow else None,
    }


def _kind(key):
    kind = approvals.get_kind(key)
    if kind is None:
        raise Http404
    return kind


def _estate(request, pk):
    return resolve(request.user, estates_for(request.user), pk)


def _own_flow(kind, estate):
    flow = ApprovalFlow.objects.filter(kind=kind.key, estate=estate).first()
    if flow is None:
        raise Http404
    return flow


def _set_levels(request, kind, estate, payload):
    wanted = [level.role for level in payload.levels]
    # A role named twice reaches the service twice, which refuses it (duplicate).
    roles = {role.pk: role for role in resolve_many(request.user, Group, wanted)}
    flow = approvals.set_flow_levels(
        request.user,
        kind.key,
        estate,
        [roles[pk] for pk in wanted],
        [level.name for level in payload.levels],
    )
    return _flow_out(kind, estate, flow)


@router.get("/approval-flows", response=list[FlowOut])
@api_access(FLOW_PERMISSION)
@paginate(Pagination)
def list_approval_flows(request, kind: str | None = None):
    rows = []
    for row in approvals.flows_for(request.user):
        if kind is None or row.kind.key == kind:
            rows.append(_flow_out(row.kind, None, row.default))
            rows.extend(_flow_out(row.kind, flow.estate, flow) for flow in row.estates)
    return rows


@router.get("/approval-flows/{kind}", response=FlowOut)
@api_access(FLOW_PERMISSION)
def get_default_flow(request, kind: str):
    kind = _kind(kind)
    return _flow_out(kind, None, ApprovalFlow.objects.filter(kind=kind.key, estate=None).first())


@router.put("/approval-flows/{kind}", response=FlowOut)
@api_access(FLOW_PERMISSION)
def set_default_flow(request, kind: str, payload: FlowIn):
    return _set_levels(request, _kind(kind), None, payload)


@router.get("/approval-flows/{kind}/estates/{estate}", response=FlowOut)
@api_access(FLOW_PERMISSION)
@acts_on(settings.COURTYARD_ESTATE_MODEL)
def get_estate_flow(request, kind: str, estate: int):
    kind, estate = _kind(kind), _estate(request, estate)
    return _flow_out(kind, estate, _own_flow(kind, estate))


@router.post("/approval-flows/{kind}/estates/{estate}", response={201: FlowOut})
@api_access(FLOW_PERMISSION)
@acts_on(settings.COURTYARD_ESTATE_MODEL)
def start_estate_flow(request, kind: str, estate: int):
    kind, estate = _kind(kind), _estate(request, estate)
    flow = approvals.start_estate_flow(request.user, kind.key, estate)
    return Status(201, _flow_out(kind, estate, flow))


@router.put("/approval-flows/{kind}/estates/{estate}", response=FlowOut)
@api_access(FLOW_PERMISSION)
@acts_on(settings.COURTYARD_ESTATE_MODEL)
def set_estate_flow(request, kind: str, estate: int, payload: FlowIn):
    return _set_levels(request, _kind(kind), _estate(request, estate), payload)


@router.delete("/approval-flows/{kind}/estates/{estate}", response={204: None})
@api_access(FLOW_PERMISSION)
@acts_on(settings.COURTYARD_ESTATE_MODEL)
def delete_estate_flow(request, kind: str, estate: int):
    kind, estate = _kind(kind), _estate(request, estate)
    approvals.delete_flow(request.user, _own_flow(kind, estate))
    return Status(204, None)
