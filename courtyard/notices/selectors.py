"""Reads of announcements: staff lists through the scope gate, a resident's notices through
their receipts, and a notice's statistics in aggregate queries."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q
from django.http import Http404

from courtyard.core.scoping import restrict
from courtyard.core.timeline import events_for

from . import variables
from .choices import NoticeStatus
from .models import Notice, NoticeComment, NoticeDelivery, NoticeReceipt

S = NoticeStatus


# Staff -------------------------------------------------------------------------------------


def visible_notices(user, action="view"):
    """Every notice the user may ``action``: the permission, and one of its estates in scope."""
    return restrict(Notice.objects.select_related("created_by"), user, action)


def notice_comments(notice, *, include_hidden=True):
    """A notice's residents' comments, oldest first, each with its staff replies (two
    queries). Readers see no hidden comment; staff see them marked."""
    replies = NoticeComment.objects.select_related("created_by").order_by("created_at", "id")
    comments = NoticeComment.objects.filter(notice=notice, parent__isnull=True)
    if not include_hidden:
        comments = comments.filter(is_hidden=False)
        replies = replies.filter(is_hidden=False)
    return (
        comments.select_related("resident", "created_by", "hidden_by")
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("created_at", "id")
    )


def comments_page(notice, page=1, per_page=20):
    """(comments, has_more): one page of a notice's comments for staff, newest first, with
    the replies of those shown only (two queries, whatever the number of comments)."""
    start = (max(page, 1) - 1) * per_page
    found = list(
        notice_comments(notice).order_by("-created_at", "-id")[start : start + per_page + 1]
    )
    return found[:per_page], len(found) > per_page


@dataclass
class NoticeStatistics:
    """The figures of one notice's detail page."""

    audience: int
    read: int
    confirmed: int
    liked: int
    comments: int
    hidden_comments: int

    @property
    def unread(self):
        return self.audience - self.read

    @property
    def read_rate(self):
        """Read share in percent (one decimal), 0 for no audience."""
        return round(self.read * 100 / self.audience, 1) if self.audience else 0


def notice_statistics(notice):
    """Audience (the receipts written at publishing), reads, confirmations, likes and
    comments of one notice: two aggregate queries, whatever the audience."""
    receipts = NoticeReceipt.objects.filter(notice_id=notice.pk).aggregate(
        audience=Count("*"),
        read=Count("read_at"),
        confirmed=Count("confirmed_at"),
        liked=Count("liked_at"),
    )
    comments = NoticeComment.objects.filter(notice_id=notice.pk, parent__isnull=True).aggregate(
        comments=Count("*"), hidden_comments=Count("pk", filter=Q(is_hidden=True))
    )
    return NoticeStatistics(**receipts, **comments)


def delivery_counts(notice):
    """{channel: messages} of a notice's pushes, every round.

    Each publishing records what it wrote on the timeline; adding those up answers at once,
    where counting a notice's deliveries took 150 ms at 200,000 of them (SQLite). A notice
    published before the figures were recorded is counted."""
    counts = Counter()
    for data in events_for(notice).filter(verb="published").values_list("data", flat=True):
        if "channels" not in data:
            return _counted_deliveries(notice)
        counts.update(data["channels"])
    return dict(counts)


def _counted_deliveries(notice):
    rows = (
        NoticeDelivery.objects.filter(notice_id=notice.pk)
        .order_by()
        .values_list("channel")
        .annotate(n=Count("*"))
    )
    return dict(rows)


def unread_audience(notice):
    """The audience members who have not read the notice (the unread list and its export),
    by unit (units are numbered building by building, room by room), then person.

    The order is the partial index ``notice_receipt_unread``'s: a page of the list reads
    its rows from the index, where sorting by building and room names sorted every unread
    receipt (105 ms for 40,000 of them, SQLite)."""
    return (
        NoticeReceipt.objects.filter(notice_id=notice.pk, read_at__isnull=True)
        .select_related("resident", "unit__estate", "unit__building", "unit__entrance")
        .order_by("unit_id", "resident_id")
    )


def like_count(notice):
    """The likes of one notice, from the partial index of liked receipts (the portal's
    figure; the full statistics read every receipt)."""
    return NoticeReceipt.objects.filter(notice_id=notice.pk, liked_at__isnull=False).count()


# Residents (the portal) --------------------------------------------------------------------


def portal_notices(user):
    """The published notices ``user`` (a resident) is in the audience of: pinned on top,
    then unread first, newest first. Each carries ``my_read_at``, ``my_confirmed_at`` and
    ``my_liked_at`` from the reader's receipt (one join, no query per row)."""
    if not user.is_authenticated or not getattr(user, "is_resident", False):
        return Notice.objects.none()
    return (
        Notice.objects.filter(
            status=S.PUBLISHED,
            receipts__resident__user=user,
            receipts__resident__archived_at__isnull=True,
        )
        .annotate(
            my_read_at=F("receipts__read_at"),
            my_confirmed_at=F("receipts__confirmed_at"),
            my_liked_at=F("receipts__liked_at"),
            my_unit_id=F("receipts__unit_id"),
        )
        .order_by("-pinned", F("my_read_at").asc(nulls_first=True), "-published_at", "-id")
    )


def portal_notice(user, pk):
    """One of the reader's published notices, else 404."""
    notice = portal_notices(user).filter(pk=pk).first()
    if notice is None:
        raise Http404
    return notice


def must_read_pending(user):
    """The must-read notices the reader has not confirmed yet (the pop-up), oldest first."""
    return (
        portal_notices(user)
        .filter(must_read=True, my_confirmed_at__isnull=True)
        .order_by("published_at", "id")
    )


def my_receipt(user, notice):
    return (
        NoticeReceipt.objects.filter(notice_id=notice.pk, resident__user=user)
        .select_related("resident", "unit__estate", "unit__building", "unit__entrance")
        .first()
    )


def reader_copy(notice, receipt):
    """(title, content) of ``notice`` as its reader sees them: their name, room and estate
    filled in (values HTML-escaped in the content)."""
    unit = receipt.unit if receipt is not None else None
    context = variables.reader_context(
        name=receipt.resident.name if receipt is not None else "",
        estate_name=unit.estate.name if unit else "",
        building=unit.building.name if unit else "",
        entrance=unit.entrance.name if unit else "",
        room_no=unit.room_no if unit else "",
    )
    return (
        variables.render(notice.title, context),
        variables.render(notice.content, context, html=True),
    )
