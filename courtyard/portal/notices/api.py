"""API for residents' announcements: ``/portal/notices`` — my notices (pinned on top, unread
first), one notice in my own words, ``/read``, ``/confirm`` (a must-read), ``/like`` (POST
likes, DELETE unlikes) and ``/comments`` (GET lists, POST adds). A notice I am not in the
audience of is "not found"; an ended one takes no likes or comments (409 ``not_published``).
"""

from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from courtyard.core.access import RESIDENT, acts_on
from courtyard.core.api import Pagination, api_access
from courtyard.notices import selectors as notice_selectors
from courtyard.notices import services as notice_services
from courtyard.notices.models import Notice

from .selectors import as_read, excerpt, listed_files, reader_receipts, visible_comments

router = Router(tags=["portal"])


class NoticeRowOut(Schema):
    id: int
    title: str
    excerpt: str
    category: str
    category_label: str
    pinned: bool
    must_read: bool
    published_at: datetime | None
    effective_from: datetime
    effective_to: datetime | None
    read_at: datetime | None
    confirmed_at: datetime | None
    liked_at: datetime | None


class NoticePageOut(Schema):
    items: list[NoticeRowOut]
    count: int


class FileOut(Schema):
    id: int
    purpose: str
    name: str
    mime_type: str
    size: int
    url: str


class PortalNoticeOut(NoticeRowOut):
    content: str
    likes: int
    files: list[FileOut]


class ReplyOut(Schema):
    id: int
    author: str
    body: str
    created_at: datetime


class CommentOut(Schema):
    id: int
    author: str
    mine: bool
    body: str
    hidden: bool
    hidden_reason: str
    created_at: datetime
    replies: list[ReplyOut]


class CommentIn(Schema):
    body: str


def _row(notice, receipt):
    """One of my notices as a row: my copy of its title and my receipt's stamps."""
    as_read(notice, receipt)
    return {
        "id": notice.pk,
        "title": notice.reader_title,
        "excerpt": excerpt(notice.reader_content),
        "category": notice.category,
        "category_label": str(notice.get_category_display()),
        "pinned": notice.pinned,
        "must_read": notice.must_read,
        "published_at": notice.published_at,
        "effective_from": notice.effective_from,
        "effective_to": notice.effective_to,
        "read_at": receipt.read_at if receipt else None,
        "confirmed_at": receipt.confirmed_at if receipt else None,
        "liked_at": receipt.liked_at if receipt else None,
    }


def _detail(user, notice_id):
    """One of my notices with its content, likes and files (read again: after an action)."""
    notice = notice_selectors.portal_notice(user, notice_id)
    receipt = notice_selectors.my_receipt(user, notice)
    posters, files = listed_files(notice)
    return {
        **_row(notice, receipt),
        "content": notice.reader_content,
        "likes": notice_selectors.like_count(notice),
        "files": [
            {
                "id": file.pk,
                "purpose": file.purpose,
                "name": file.original_name,
                "mime_type": file.mime_type,
                "size": file.size,
                "url": reverse("core:attachment", args=[file.pk]),
            }
            for file in [*posters, *files]
        ],
    }


def _comment(comment):
    return {
        "id": comment.pk,
        "author": str(comment.author_label),
        "mine": comment.is_mine,
        "body": comment.body,
        "hidden": comment.is_hidden,
        "hidden_reason": comment.hidden_reason if comment.is_hidden else "",
        "created_at": comment.created_at,
        "replies": [
            {
                "id": reply.pk,
                "author": _("Estate office"),
                "body": reply.body,
                "created_at": reply.created_at,
            }
            for reply in comment.shown_replies
        ],
    }


@router.get("/portal/notices", response=NoticePageOut)
@api_access(RESIDENT)
def list_my_notices(request, paging: Query[Pagination.Input]):
    """My notices, a page at a time (``limit`` at most 500): ``{"items", "count"}``."""
    notices = notice_selectors.portal_notices(request.user)
    limit, offset = min(paging.limit, Pagination.MAX_LIMIT), paging.offset
    page = list(notices[offset : offset + limit])
    receipts = reader_receipts(request.user, [notice.pk for notice in page])
    return {
        "items": [_row(notice, receipts.get(notice.pk)) for notice in page],
        "count": notices.count(),
    }


@router.get("/portal/notices/{notice_id}", response=PortalNoticeOut)
@api_access(RESIDENT)
@acts_on(Notice)
def get_my_notice(request, notice_id: int):
    """One of my notices (reading it is ``/read``: fetching does not count as reading)."""
    return _detail(request.user, notice_id)


@router.post("/portal/notices/{notice_id}/read", response=PortalNoticeOut)
@api_access(RESIDENT)
@acts_on(Notice)
def read_my_notice(request, notice_id: int):
    notice = notice_selectors.portal_notice(request.user, notice_id)
    notice_services.mark_read(request.user, notice)
    return _detail(request.user, notice_id)


@router.post("/portal/notices/{notice_id}/confirm", response=PortalNoticeOut)
@api_access(RESIDENT)
@acts_on(Notice)
def confirm_my_notice(request, notice_id: int):
    """I have read and understood a must-read notice (409 ``not_must_read`` otherwise)."""
    notice = notice_selectors.portal_notice(request.user, notice_id)
    notice_services.confirm_read(request.user, notice)
    return _detail(request.user, notice_id)


@router.post("/portal/notices/{notice_id}/like", response=PortalNoticeOut)
@api_access(RESIDENT)
@acts_on(Notice)
def like_my_notice(request, notice_id: int):
    notice = notice_selectors.portal_notice(request.user, notice_id)
    notice_services.like(request.user, notice)
    return _detail(request.user, notice_id)


@router.delete("/portal/notices/{notice_id}/like", response=PortalNoticeOut)
@api_access(RESIDENT)
@acts_on(Notice)
def unlike_my_notice(request, notice_id: int):
    notice = notice_selectors.portal_notice(request.user, notice_id)
    notice_services.unlike(request.user, notice)
    return _detail(request.user, notice_id)


@router.get("/portal/notices/{notice_id}/comments", response=list[CommentOut])
@api_access(RESIDENT)
@acts_on(Notice)
@paginate(Pagination)
def list_comments(request, notice_id: int):
    """The comments I see: all but hidden ones (mine stay, marked), with staff replies."""
    notice = notice_selectors.portal_notice(request.user, notice_id)
    return [_comment(comment) for comment in visible_comments(request.user, notice)]


@router.post("/portal/notices/{notice_id}/comments", response={201: CommentOut})
@api_access(RESIDENT)
@acts_on(Notice)
def add_comment(request, notice_id: int, payload: CommentIn):
    notice = notice_selectors.portal_notice(request.user, notice_id)
    comment = notice_services.add_comment(request.user, notice, payload.body)
    comment.is_mine, comment.author_label, comment.shown_replies = True, _("Me"), []
    return Status(201, _comment(comment))
