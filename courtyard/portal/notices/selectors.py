"""What a resident reads of announcements in the portal, as the pages, the API and the
must-read pop-up show it: my copy of a notice (my name and room filled in), its files, the
comments I see. Which notices are mine is ``courtyard.notices.selectors``'."""

import re
from html import unescape

from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from courtyard.core.files import attachments_of
from courtyard.notices import selectors as notice_selectors
from courtyard.notices.choices import AttachmentPurpose, NoticeCategory
from courtyard.notices.models import NoticeReceipt

EXCERPT_LENGTH = 60
CATEGORY_COLOURS = {
    NoticeCategory.NOTICE: "blue",
    NoticeCategory.EVENT: "green",
    NoticeCategory.OUTAGE: "orange",
    NoticeCategory.EMERGENCY: "red",
}
CATEGORY_ICONS = {
    NoticeCategory.NOTICE: "ti-speakerphone",
    NoticeCategory.EVENT: "ti-confetti",
    NoticeCategory.OUTAGE: "ti-droplet-off",
    NoticeCategory.EMERGENCY: "ti-alert-triangle",
}
# Inline images are in the content already; the files listed are these.
LISTED_FILES = (AttachmentPurpose.POSTER, AttachmentPurpose.ATTACHMENT)
RECEIPT_RELATED = ("resident", "unit__estate", "unit__building", "unit__entrance")


def reader_receipts(user, notice_ids):
    """My receipts of these notices, with what the reader's copy needs, by notice (one query)."""
    receipts = NoticeReceipt.objects.filter(notice_id__in=notice_ids, resident__user=user)
    return {r.notice_id: r for r in receipts.select_related(*RECEIPT_RELATED)}


def as_read(notice, receipt):
    """The notice as I read it: my name and room filled in, its category's colour and icon."""
    notice.reader_title, notice.reader_content = notice_selectors.reader_copy(notice, receipt)
    notice.badge_colour = CATEGORY_COLOURS.get(notice.category, "secondary")
    notice.icon = CATEGORY_ICONS.get(notice.category, "ti-speakerphone")
    return notice


def excerpt(html):
    """The first words of a notice's content, as text."""
    text = re.sub(r"\s+", " ", unescape(strip_tags(html.replace("<", " <")))).strip()
    return Truncator(text).chars(EXCERPT_LENGTH)


def listed_files(notice):
    """(posters, attachments): posters are images shown, attachments links; both served
    through the permission check."""
    files = list(
        attachments_of(notice).filter(purpose__in=LISTED_FILES).order_by("uploaded_at", "pk")
    )
    posters = [
        f
        for f in files
        if f.purpose == AttachmentPurpose.POSTER and f.mime_type.startswith("image/")
    ]
    return posters, [f for f in files if f not in posters]


def visible_comments(user, notice):
    """What a reader sees under a notice: the comments not hidden, and my own hidden ones
    (marked as hidden, so I know why they are gone for others), each with its staff replies."""
    shown = []
    for comment in notice_selectors.notice_comments(notice):
        comment.is_mine = comment.created_by_id == user.pk
        if comment.is_hidden and not comment.is_mine:
            continue
        comment.author_label = _("Me") if comment.is_mine else masked_name(comment.resident)
        comment.shown_replies = [reply for reply in comment.replies.all() if not reply.is_hidden]
        shown.append(comment)
    return shown


def masked_name(resident):
    """Another reader as their neighbours see them: the surname, the rest masked (张**)."""
    name = resident.name if resident is not None else ""
    return name[:1] + "*" * min(len(name) - 1, 2) if name else _("Resident")
