"""Announcements (公告) in the portal: my notices (pinned on top, then unread first), one notice
(opening it marks it read), like / unlike, comment, and the must-read confirmation that closes
the pop-up every portal page shows while one is pending (``templatetags/portal_notices.py``).

The rules live in ``courtyard.notices.services`` and ``selectors``, what a reader sees in
``selectors`` here; these views collect input and show the outcome. A notice I am not in the
audience of is "not found"; staff are refused.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courtyard.accounts.views import safe_next
from courtyard.core.access import RESIDENT, access
from courtyard.core.exceptions import StateConflict
from courtyard.core.generic import apply_service_errors
from courtyard.notices import selectors as notice_selectors
from courtyard.notices import services as notice_services
from courtyard.notices.models import Notice
from courtyard.notices.states import NOTICE

from ..views import page
from .forms import CommentForm, ConfirmForm
from .selectors import as_read, excerpt, listed_files, reader_receipts, visible_comments

LISTED = 100  # the newest notices on "my notices"


@access(RESIDENT)
def notice_list(request):
    notices = list(notice_selectors.portal_notices(request.user)[:LISTED])
    receipts = reader_receipts(request.user, [notice.pk for notice in notices])
    for notice in notices:
        as_read(notice, receipts.get(notice.pk))
        notice.excerpt = excerpt(notice.reader_content)
    return page(request, "portal/notice_list.html", {"notices": notices})


def detail_context(user, notice, comment_form=None):
    receipt = notice_selectors.my_receipt(user, notice)
    posters, files = listed_files(notice)
    return {
        "notice": as_read(notice, receipt),
        "receipt": receipt,
        "posters": posters,
        "files": files,
        "likes": notice_selectors.like_count(notice),
        "comments": visible_comments(user, notice),
        "can_respond": NOTICE.allows(user, notice, "respond"),
        "comment_form": comment_form or CommentForm(),
        "confirm_form": ConfirmForm(),
    }


@access(RESIDENT, model=Notice)
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
@access(RESIDENT, model=Notice)
def notice_like(request, pk):
    return _toggle_like(request, pk, notice_services.like)


@require_POST
@access(RESIDENT, model=Notice)
def notice_unlike(request, pk):
    return _toggle_like(request, pk, notice_services.unlike)


@require_POST
@access(RESIDENT, model=Notice)
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
@access(RESIDENT, model=Notice)
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
