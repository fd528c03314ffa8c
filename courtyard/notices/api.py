"""API: announcements for staff — list with the list page's filters (and the state), one
notice, create / change / delete drafts, and one action endpoint per step of the workflow
(never a writable ``status``): ``/submit``, ``/approve`` and ``/reject`` (the decision on the
notice's latest approval request, through the approval engine), ``/publish``, ``/withdraw``;
and the figures: ``/statistics`` and ``/unread`` (the audience members who have not read it).

A step not allowed from the current state answers 409 with the service's ``code``
(``not_editable``, ``not_submittable``, ``empty_audience``, ``not_approved``,
``not_yet_effective``, ``not_withdrawable``, ``not_pending`` …); bad input 400 with the
fields' errors. A draft's files take ``multipart/form-data`` as the form does:
``/attachments`` (an attachment or a poster) and ``/images`` (an image for the content, as the
editor inserts it), each checked by its content.
"""

from datetime import datetime
from typing import Literal

import django_filters
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from courtyard.core import privacy
from courtyard.core.access import STAFF, acts_on
from courtyard.core.api import Id, Pagination, api_access, filter_query, filtered, id_of
from courtyard.core.approvals import services as approvals
from courtyard.core.approvals.api import ApproveIn, RejectIn
from courtyard.core.exceptions import StateConflict
from courtyard.core.files import attachments_of
from courtyard.core.references import resolve_many
from courtyard.core.scoping import get_for_action
from courtyard.core.versions import expect_version, set_etag
from courtyard.estates.models import Building, Estate, Unit
from courtyard.residents.models import Resident

from . import selectors, services
from .audience import audience_count, audience_warning
from .choices import AttachmentPurpose, AudienceKind, NoticeCategory, NoticeStatus
from .filters import NoticeFilterSet
from .models import Notice

router = Router(tags=["notices"])
AUDIENCE_MODELS = {"estates": Estate, "buildings": Building, "units": Unit, "residents": Resident}


class NoticeApiFilterSet(NoticeFilterSet):
    """The list page's filters plus the state (the page has tabs for states)."""

    status = django_filters.ChoiceFilter(choices=NoticeStatus.choices)

    class Meta(NoticeFilterSet.Meta):
        fields = [*NoticeFilterSet.Meta.fields, "status"]


NoticeQuery = filter_query(NoticeApiFilterSet)


class NoticeOut(Schema):
    id: int
    title: str
    category: str
    category_label: str
    status: str
    status_label: str
    pinned: bool
    must_read: bool
    effective_from: datetime
    effective_to: datetime | None
    audience_kind: str
    estates: list[int]
    channels: list[str]
    resend_on_publish: bool
    author: int | None = id_of("created_by")
    author_name: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    approved_at: datetime | None
    published_at: datetime | None
    expired_at: datetime | None
    withdrawn_at: datetime | None
    reject_reason: str
    withdraw_reason: str

    @staticmethod
    def resolve_category_label(obj):
        return str(obj.get_category_display())

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())

    @staticmethod
    def resolve_estates(obj):
        return [estate.pk for estate in obj.estates.all()]

    @staticmethod
    def resolve_author_name(obj):
        return obj.created_by.display_name if obj.created_by_id else ""


class NoticeAttachmentOut(Schema):
    id: int
    purpose: str
    name: str
    mime_type: str
    size: int
    url: str


class NoticeApprovalOut(Schema):
    id: int
    status: str
    current_level: int
    level_count: int
    submitted_at: datetime
    decided_at: datetime | None


class NoticeDetailOut(NoticeOut):
    content: str
    buildings: list[int]
    units: list[int]
    residents: list[int]
    audience_count: int
    audience_warning: str
    attachments: list[NoticeAttachmentOut]
    approval: NoticeApprovalOut | None

    @staticmethod
    def resolve_buildings(obj):
        return list(obj.buildings.values_list("pk", flat=True))

    @staticmethod
    def resolve_units(obj):
        return list(obj.units.values_list("pk", flat=True))

    @staticmethod
    def resolve_residents(obj):
        return list(obj.residents.values_list("pk", flat=True))

    @staticmethod
    def resolve_attachments(obj):
        return [_file(file) for file in attachments_of(obj).order_by("uploaded_at", "pk")]


class NoticeFileIn(Schema):
    """A file of a draft: an attachment to download or a poster shown under the text."""

    purpose: Literal["attachment", "poster"] = AttachmentPurpose.ATTACHMENT.value


class NoticeIn(Schema):
    title: str
    content: str = ""
    category: NoticeCategory = NoticeCategory.NOTICE
    pinned: bool = False
    must_read: bool = False
    effective_from: datetime
    effective_to: datetime | None = None
    audience_kind: AudienceKind = AudienceKind.ESTATES
    estates: list[Id]
    buildings: list[Id] = []
    units: list[Id] = []
    residents: list[Id] = []
    channels: list[str] = []
    resend_on_publish: bool = False


class NoticePatch(Schema):
    title: str | None = None
    content: str | None = None
    category: NoticeCategory | None = None
    pinned: bool | None = None
    must_read: bool | None = None
    effective_from: datetime | None = None
    effective_to: datetime | None = None  # null clears the end
    audience_kind: AudienceKind | None = None
    estates: list[Id] | None = None
    buildings: list[Id] | None = None
    units: list[Id] | None = None
    residents: list[Id] | None = None
    channels: list[str] | None = None
    resend_on_publish: bool | None = None


class NoticePublishIn(Schema):
    resend: bool | None = None  # default: the notice's "send again on publishing"


class PublishOut(Schema):
    audience: int
    messages: int
    notice: NoticeDetailOut


class WithdrawIn(Schema):
    reason: str = ""


class StatisticsOut(Schema):
    audience: int
    read: int
    unread: int
    read_rate: float
    confirmed: int
    liked: int
    comments: int
    hidden_comments: int
    deliveries: dict[str, int]


class UnreadOut(Schema):
    """An audience member who has not read the notice; the phone as core.privacy lets the
    caller see it."""

    resident: int = id_of("resident")
    name: str
    phone: str
    unit: int | None = id_of("unit")
    place: str

    @staticmethod
    def resolve_name(obj):
        return obj.resident.name

    resolve_phone = privacy.phone_resolver("resident.phone")

    @staticmethod
    def resolve_place(obj):
        return str(obj.unit) if obj.unit_id else ""


# Helpers --------------------------------------------------------------------------------------


def _aware(value):
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _draft_data(user, data):
    """The payload for the service: times made aware, the audience's ids as records found
    through the data scope (one outside it is a 404, as if it did not exist)."""
    for name in ("effective_from", "effective_to"):
        if name in data:
            data[name] = _aware(data[name])
    for name, model in AUDIENCE_MODELS.items():
        if data.get(name) is not None:
            data[name] = resolve_many(user, model, data[name])
    return data


def _file(attachment):
    return {
        "id": attachment.pk,
        "purpose": attachment.purpose,
        "name": attachment.original_name,
        "mime_type": attachment.mime_type,
        "size": attachment.size,
        "url": reverse("core:attachment", args=[attachment.pk]),
    }


def _notice(request, pk, action="view"):
    return get_for_action(Notice.objects.all(), request.user, action, pk=pk)


def _detail(notice):
    """A notice read again for the detail schema: its audience, files and latest approval
    request (a few more queries, one notice)."""
    notice = Notice.objects.select_related("created_by").get(pk=notice.pk)
    notice.audience_count = audience_count(notice)
    notice.audience_warning = str(audience_warning(notice) or "") if notice.is_editable else ""
    notice.approval = approvals.latest_request(notice)
    return notice


def _with_approval(request, pk):
    """The notice and its latest approval request, for a decision on it: 404 unless the
    caller may see the request (its submitter, an approver, a viewer in scope) or the notice;
    409 ``not_pending`` when it was never submitted."""
    notice = Notice.objects.filter(pk=pk).first()
    if notice is None:
        raise Http404
    approval = approvals.latest_request(notice)
    if approval is not None and approvals.can_view(request.user, approval):
        return notice, approval
    if not selectors.visible_notices(request.user).filter(pk=pk).exists():
        raise Http404
    raise StateConflict(_("This announcement is not awaiting review."), "not_pending")


# Drafts ---------------------------------------------------------------------------------------


@router.get("/notices", response=list[NoticeOut])
@api_access("notices.view_notice")
@paginate(Pagination)
def list_notices(request, filters: Query[NoticeQuery]):
    notices = (
        selectors.visible_notices(request.user)
        .prefetch_related("estates")
        .order_by("-created_at", "-id")
    )
    return filtered(NoticeApiFilterSet, request, notices)


@router.post("/notices", response={201: NoticeDetailOut})
@api_access("notices.add_notice")
def create_notice(request, payload: NoticeIn):
    notice = services.create_notice(request.user, **_draft_data(request.user, payload.dict()))
    return Status(201, _detail(notice))


@router.get("/notices/{pk}", response=NoticeDetailOut)
@api_access("notices.view_notice")
def get_notice(request, pk: int, response: HttpResponse):
    return set_etag(response, _detail(_notice(request, pk)))


@router.patch("/notices/{pk}", response=NoticeDetailOut)
@api_access("notices.change_notice")
def update_notice(request, pk: int, payload: NoticePatch, response: HttpResponse):
    notice = expect_version(request, _notice(request, pk))
    changes = {
        name: value
        for name, value in payload.dict(exclude_unset=True).items()
        if value is not None or name == "effective_to"
    }
    changes = _draft_data(request.user, changes)
    return set_etag(response, _detail(services.update_notice(request.user, notice, **changes)))


@router.delete("/notices/{pk}", response={204: None})
@api_access("notices.delete_notice")
def delete_notice(request, pk: int):
    services.delete_notice(request.user, _notice(request, pk))
    return Status(204, None)


# Files ----------------------------------------------------------------------------------------


@router.post("/notices/{pk}/attachments", response={201: NoticeAttachmentOut})
@api_access("notices.change_notice")
def add_notice_file(request, pk: int, upload: File[UploadedFile], payload: Form[NoticeFileIn]):
    """An attachment (PDF, JPEG or PNG) or a poster (JPEG or PNG, shown under the text) of a
    draft, as the form takes them: ``multipart/form-data`` with ``upload`` and ``purpose``;
    checked by content and size (400 ``bad_file_type``, ``file_too_large``)."""
    notice = expect_version(request, _notice(request, pk, "change"))
    attachment = services.add_file(request.user, notice, upload, purpose=payload.purpose)
    return Status(201, _file(attachment))


@router.delete("/notices/{pk}/attachments/{attachment_id}", response={204: None})
@api_access("notices.change_notice")
def remove_notice_file(request, pk: int, attachment_id: Id):
    """Remove an attachment or a poster of a draft (an inline image stays: the content links
    it; 404 as for any id that is not one of the notice's files)."""
    notice = expect_version(request, _notice(request, pk, "change"))
    services.remove_file(request.user, notice, attachment_id)
    return Status(204, None)


@router.post("/notices/{pk}/images", response={201: NoticeAttachmentOut})
@api_access("notices.change_notice")
def add_notice_image(request, pk: int, image: File[UploadedFile]):
    """An image for the content, as the editor inserts it: ``multipart/form-data`` with
    ``image`` (JPEG or PNG, checked by content); link its ``url`` in an ``<img>`` of the
    content. The notice's files list it with the purpose ``image``."""
    notice = _notice(request, pk, "change")
    return Status(201, _file(services.add_image(request.user, notice, image)))


# The workflow ---------------------------------------------------------------------------------


@router.post("/notices/{pk}/submit", response=NoticeDetailOut)
@api_access("notices.submit_notice")
def submit_notice(request, pk: int):
    return _detail(services.submit_notice(request.user, _notice(request, pk)))


@router.post("/notices/{pk}/approve", response=NoticeDetailOut)
@api_access(STAFF)
@acts_on(Notice)
def approve_notice(request, pk: int, payload: ApproveIn):
    """Approve the notice's pending request at its current level (approvers of that level)."""
    notice, approval = _with_approval(request, pk)
    approvals.approve(request.user, approval, payload.comment, level=payload.level)
    return _detail(notice)


@router.post("/notices/{pk}/reject", response=NoticeDetailOut)
@api_access(STAFF)
@acts_on(Notice)
def reject_notice(request, pk: int, payload: RejectIn):
    """Reject the notice's pending request; it goes back to its author with the reason."""
    notice, approval = _with_approval(request, pk)
    approvals.reject(request.user, approval, payload.reason, level=payload.level)
    return _detail(notice)


@router.post("/notices/{pk}/publish", response=PublishOut)
@api_access("notices.publish_notice")
def publish_notice(request, pk: int, payload: NoticePublishIn):
    notice = _notice(request, pk)
    result = services.publish_notice(request.user, notice, resend=payload.resend)
    return {"audience": result.audience, "messages": result.messages, "notice": _detail(notice)}


@router.post("/notices/{pk}/withdraw", response=NoticeDetailOut)
@api_access("notices.withdraw_notice")
def withdraw_notice(request, pk: int, payload: WithdrawIn):
    notice = _notice(request, pk)
    return _detail(services.withdraw_notice(request.user, notice, reason=payload.reason))


# Figures --------------------------------------------------------------------------------------


@router.get("/notices/{pk}/statistics", response=StatisticsOut)
@api_access("notices.view_notice_statistics")
def notice_statistics(request, pk: int):
    notice = _notice(request, pk)
    figures = selectors.notice_statistics(notice)
    return {
        **vars(figures),
        "unread": figures.unread,
        "read_rate": figures.read_rate,
        "deliveries": selectors.delivery_counts(notice),
    }


@router.get("/notices/{pk}/unread", response=list[UnreadOut])
@api_access("notices.view_notice_statistics")
@paginate(Pagination)
def notice_unread(request, pk: int):
    """The audience members who have not read the notice, by building and room."""
    return selectors.unread_audience(_notice(request, pk))
