"""API: approval requests — mine to decide (or submitted / decided by me), one, approve, reject.

Errors: 409 ``not_pending`` / ``level_decided`` / ``already_decided`` when the request or its
level is already decided; 403 when the caller is not an approver of the current level or
submitted the request; 404 when the request lies outside the caller's data scope.
"""

from datetime import datetime
from typing import Literal

from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import paginate

from . import approvals
from .access import STAFF
from .api import Pagination, api_access

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
    estate: int | None
    subject_type: str
    subject_id: str
    submitted_by: int
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
    def resolve_estate(obj):
        return obj.estate_id

    @staticmethod
    def resolve_subject_type(obj):
        return f"{obj.content_type.app_label}.{obj.content_type.model}"

    @staticmethod
    def resolve_subject_id(obj):
        return obj.object_id

    @staticmethod
    def resolve_submitted_by(obj):
        return obj.submitted_by_id

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
    level: int | None = None


class RejectIn(Schema):
    reason: str
    level: int | None = None


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
def get_approval(request, pk: int):
    return _detail(request, _visible(request, pk))


@router.post("/approvals/{pk}/approve", response=ApprovalDetailOut)
@api_access(STAFF)
def approve(request, pk: int, payload: ApproveIn):
    approval = _visible(request, pk)
    approvals.approve(request.user, approval, payload.comment, level=payload.level)
    return _detail(request, approval)


@router.post("/approvals/{pk}/reject", response=ApprovalDetailOut)
@api_access(STAFF)
def reject(request, pk: int, payload: RejectIn):
    approval = _visible(request, pk)
    approvals.reject(request.user, approval, payload.reason, level=payload.level)
    return _detail(request, approval)
