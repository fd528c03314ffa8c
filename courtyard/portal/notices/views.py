"""Announcements (公告) in the portal: my notices (pinned on top, then unread first), one notice
(opening it marks it read), like / unlike, comment, and the must-read confirmation that closes
the pop-up every portal page shows while one is pending (``templatetags/portal_notices.py``).

The rules live in ``courtyard.notices.services`` and ``selectors``; these views collect input
and show the outcome. A notice I am not in the audience of is "not found"; staff are refused.
"""

import re
from html import unescape

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courtyard.accounts.views import safe_next
from courtyard.core.access import RESIDENT, access
from courtyard.core.exceptions import StateConflict
from courtyard.core.files import attachments_of
from courtyard.core.generic import apply_service_errors
from courtyard.notices import selectors as notice_selectors
from courtyard.notices import services as notice_services
from courtyard.notices.choices import AttachmentPurpose, NoticeCategory
from courtyard.notices.models import NoticeReceipt

from ..views import page
from .forms import CommentForm, ConfirmForm

LISTED = 100  # the newest notices on "my notices"
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


def decorate(notice, receipt):
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
    """Posters (images shown) and attachments (links), served through the permission check."""
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


@access(RESIDENT)
def notice_list(request):
    notices = list(notice_selectors.portal_notices(request.user)[:LISTED])
    receipts = reader_receipts(request.user, [notice.pk for notice in notices])
    for notice in notices:
        decorate(notice, receipts.get(notice.pk))
        notice.excerpt = excerpt(notice.reader_content)
    return page(request, "portal/notice_list.html", {"notices": notices})


def detail_context(user, notice, comment_form=None):
    receipt = notice_selectors.my_receipt(user, notice)
    posters, files = listed_files(notice)
    return {
        "notice": decorate(notice, receipt),
        "receipt": receipt,
        "posters": posters,
        "files": files,
        "likes": notice_selectors.like_count(notice),
        "comments": visible_comments(user, notice),
        "comment_form": comment_form or CommentForm(),
        "confirm_form": ConfirmForm(),
    }


@access(RESIDENT)
def notice_detail(request, pk):
    notice = notice_selectors.portal_notice(request.user, pk)
    notice_services.mark_read(request.user, notice)
    return page(request, "portal/notice_detail.html", detail_context(request.user, notice))


def _detail_url(pk, anchor=""):
    return reverse("portal:notice_detail", args=[pk]) + anchor


def _toggle_like(request, pk, action):
    notice = notice_selectors.portal_notice(request.user, pk)
    try:
        action(request.user, notice)
    except StateConflict as conflict:
        messages.error(request, str(conflict.message))
    return redirect(_detail_url(pk, "#likes"))


@require_POST
@access(RESIDENT)
def notice_like(request, pk):
    return _toggle_like(request, pk, notice_services.like)


@require_POST
@access(RESIDENT)
def notice_unlike(request, pk):
    return _toggle_like(request, pk, notice_services.unlike)


@require_POST
@access(RESIDENT)
def notice_comment(request, pk):
    notice = notice_selectors.portal_notice(request.user, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            notice_services.add_comment(request.user, notice, form.cleaned_data["body"])
        except ValidationError as error:
            apply_service_errors(form, error)
        except StateConflict as conflict:
            messages.error(request, str(conflict.message))
            return redirect(_detail_url(pk))
        else:
            messages.success(request, _("Your comment has been posted."))
            return redirect(_detail_url(pk, "#comments"))
    context = detail_context(request.user, notice, comment_form=form)
    return page(request, "portal/notice_detail.html", context, status=400)


@require_POST
@access(RESIDENT)
def notice_confirm(request, pk):
    """The tick "I have read and understood" closes the must-read pop-up; back where I was."""
    notice = notice_selectors.portal_notice(request.user, pk)
    back = safe_next(request, _detail_url(pk))
    if not ConfirmForm(request.POST).is_valid():
        messages.error(request, _("Tick “I have read and understood” to confirm."))
        return redirect(back)
    try:
        notice_services.confirm_read(request.user, notice)
    except StateConflict as conflict:
        messages.error(request, str(conflict.message))
    else:
        messages.success(request, _("Thank you for confirming that you have read it."))
    return redirect(back)
