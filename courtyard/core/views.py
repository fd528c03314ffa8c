"""Core pages: home, jobs, protected file downloads, the estate filter, error pages."""

from django.http import FileResponse, Http404, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .access import SIGNED_IN, STAFF, access
from .estate_model import estates_for
from .files import can_view_attachment
from .jobs import visible_jobs
from .models import Attachment, Job, Message


@access(STAFF)
def home(request):
    from .home import overview

    return render(request, "core/home.html", overview(request))


@access(STAFF, model=Job)
def job_detail(request, pk):
    job = get_object_or_404(visible_jobs(request.user), pk=pk)
    template = "core/partials/job_status.html" if request.htmx else "core/job_detail.html"
    return render(request, template, {"job": job})


@access(STAFF, model=Job)
def job_download(request, pk):
    job = get_object_or_404(visible_jobs(request.user), pk=pk)
    if not job.output_file:
        raise Http404
    return FileResponse(job.output_file.open("rb"), as_attachment=True, filename=job.output_name)


@access(SIGNED_IN, model=Attachment)
def attachment_download(request, pk):
    attachment = get_object_or_404(Attachment.objects.select_related("content_type"), pk=pk)
    if not can_view_attachment(request.user, attachment):
        raise Http404
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.mime_type,
        as_attachment=attachment.mime_type == "application/pdf" and "inline" not in request.GET,
        filename=attachment.original_name,
    )


@require_POST
@access(STAFF)
def set_estate(request):
    """The top bar's estate filter: remembered in the session, checked against the scope."""
    estate_id = request.POST.get("estate") or None
    if estate_id:
        if not estates_for(request.user).filter(pk=estate_id).exists():
            raise Http404
        request.session["estate_id"] = int(estate_id)
    else:
        request.session.pop("estate_id", None)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    return HttpResponseRedirect(target)


@access(STAFF)
def inbox(request):
    """My app notices (the bell in the top bar)."""
    items = Message.objects.filter(recipient_user=request.user, channel="app")[:50]
    if request.method == "POST":
        Message.objects.filter(
            recipient_user=request.user, channel="app", read_at__isnull=True
        ).update(read_at=timezone.now())
        return HttpResponseRedirect(request.path)
    return render(request, "core/inbox.html", {"items": items})


def _shell_template(request):
    """Staff see errors inside the shell; visitors and residents on the plain centred page."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and not user.is_resident:
        return "base.html"
    return "base_simple.html"


def _error_page(request, status, title, text, icon):
    context = {
        "base_template": _shell_template(request),
        "status": status,
        "title": title,
        "text": text,
        "icon": icon,
    }
    return render(request, "core/error.html", context, status=status)


def csrf_failure(request, reason=""):
    return _error_page(
        request,
        403,
        _("Your session form has expired"),
        _("The form could not be verified. Go back, reload the page and try again."),
        "ti-refresh-alert",
    )


def permission_denied(request, exception=None):
    context = {"base_template": _shell_template(request), "reason": str(exception or "")}
    return render(request, "core/403.html", context, status=403)


def not_found(request, exception=None):
    return _error_page(
        request,
        404,
        _("Not found"),
        _("The page or record does not exist, or is outside your data scope."),
        "ti-map-search",
    )


def server_error(request):
    # Rendered without the request: the shell's context needs the database, which may be
    # what failed.
    context = {
        "base_template": "base_simple.html",
        "status": 500,
        "title": _("Something went wrong"),
        "text": _("The error has been logged. Please try again."),
        "icon": "ti-alert-triangle",
    }
    return HttpResponseServerError(render_to_string("core/error.html", context))
