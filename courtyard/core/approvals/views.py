"""Approval pages: my inbox (awaiting / submitted / decided), a request, and the flows."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ..access import STAFF, access
from ..estate_model import estates_for
from ..exceptions import StateConflict
from ..models import ApprovalFlow, ApprovalRequest
from ..scoping import has_action, may_change_company_wide
from . import services as approvals
from .forms import ApproveForm, EstateFlowForm, LevelFormSet, RejectForm

FLOW_PERMISSION = "core.change_approvalflow"
ESTATE = settings.COURTYARD_ESTATE_MODEL

BOXES = {
    "awaiting": (gettext_lazy("Awaiting my approval"), approvals.awaiting),
    "submitted": (gettext_lazy("My submissions"), approvals.submitted_by),
    "decided": (gettext_lazy("Decided by me"), approvals.decided_by),
}


# Inbox and detail ---------------------------------------------------------------------------


@access(STAFF)
def approval_inbox(request):
    box = request.GET.get("box", "awaiting")
    if box not in BOXES:
        box = "awaiting"
    page = Paginator(BOXES[box][1](request.user), 25).get_page(request.GET.get("page"))
    items = approvals.with_estate_names(page.object_list)
    for item in items:
        item.kind_label = approvals.kind_label(item.kind)
    tabs = [(key, label) for key, (label, _selector) in BOXES.items()]
    context = {"box": box, "tabs": tabs, "page": page, "items": items}
    return render(request, "core/approvals/inbox.html", context)


def _visible(request, pk):
    found = approvals.visible_request(request.user, pk)
    if found is None:
        raise Http404
    return found


def _detail(request, approval, approve_form=None, reject_form=None, status=200):
    refusal = approvals.decision_refusal(request.user, approval)
    may_decide = refusal is None
    initial = {"level": approval.current_level}
    subject = approval.subject
    context = {
        "approval": approval,
        "kind_label": approvals.kind_label(approval.kind),
        "estate_name": approvals.with_estate_names([approval])[0].estate_name,
        "subject": subject,
        "subject_url": _subject_url(request.user, subject),
        "levels": approvals.progress(approval),
        "may_decide": may_decide,
        # Why there are no buttons; a decided request says so in its status already.
        "refusal": refusal if approval.is_pending else None,
        "approve_form": approve_form or ApproveForm(initial=initial),
        "reject_form": reject_form or RejectForm(initial=initial),
    }
    return render(request, "core/approvals/detail.html", context, status=status)


def _subject_url(user, subject):
    """A link to the record, for those who may open it (else the link would be a 403)."""
    if subject is None or not hasattr(subject, "get_absolute_url"):
        return ""
    return subject.get_absolute_url() if has_action(user, type(subject), "view") else ""


@access(STAFF, model=ApprovalRequest)
def approval_detail(request, pk):
    return _detail(request, _visible(request, pk))


@require_POST
@access(STAFF, model=ApprovalRequest)
def approval_approve(request, pk):
    approval = _visible(request, pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _detail(request, approval, approve_form=form, status=400)
    try:
        approvals.approve(
            request.user,
            approval,
            form.cleaned_data["comment"],
            level=form.cleaned_data["level"],
        )
    except StateConflict as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(approval.get_absolute_url())
    messages.success(request, _("Approved."))
    return HttpResponseRedirect(approval.get_absolute_url())


@require_POST
@access(STAFF, model=ApprovalRequest)
def approval_reject(request, pk):
    approval = _visible(request, pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            approvals.reject(
                request.user,
                approval,
                form.cleaned_data["reason"],
                level=form.cleaned_data["level"],
            )
        except StateConflict as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(approval.get_absolute_url())
        except ValidationError as exc:
            form.add_error("reason", exc.message_dict.get("reason", exc.messages))
        else:
            messages.success(request, _("Rejected; the submitter has been told the reason."))
            return HttpResponseRedirect(approval.get_absolute_url())
    return _detail(request, approval, reject_form=form, status=400)


# Flow configuration -------------------------------------------------------------------------


def _kind_or_404(key):
    kind = approvals.get_kind(key)
    if kind is None:
        raise Http404
    return kind


def _estate_or_404(user, estate_id):
    if estate_id is None:
        return None
    estate = estates_for(user).filter(pk=estate_id).first()
    if estate is None:
        raise Http404
    return estate


@access(FLOW_PERMISSION)
def flow_list(request):
    """Every registered kind with its default flow and the estates that have their own."""
    context = {
        "rows": approvals.flows_for(request.user),
        "may_change_default": may_change_company_wide(request.user),
    }
    return render(request, "core/approvals/flow_list.html", context)


@access(FLOW_PERMISSION, model=ESTATE)
def flow_edit(request, kind, estate_id=None):
    kind = _kind_or_404(kind)
    estate = _estate_or_404(request.user, estate_id)
    flow = ApprovalFlow.objects.filter(kind=kind.key, estate=estate).first()
    initial = [
        {"order": level.order, "role": level.role, "name": level.name}
        for level in approvals.flow_levels(flow)
    ]
    formset = LevelFormSet(request.POST or None, initial=initial, prefix="levels")
    if request.method == "POST" and formset.is_valid():
        levels = formset.levels()
        try:
            approvals.set_flow_levels(
                request.user,
                kind.key,
                estate,
                [role for role, _name in levels],
                [name for _role, name in levels],
            )
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages)
        else:
            messages.success(request, _("The approval flow has been saved."))
            if "add_row" in request.POST:
                return HttpResponseRedirect(request.path)  # opens with a fresh empty row
            return HttpResponseRedirect(reverse("core:approval_flows"))
    context = {
        "kind": kind,
        "estate": estate,
        "flow": flow,
        "formset": formset,
        # An estate's own flow is the estate's; the default one is company-wide.
        "may_change": estate is not None or may_change_company_wide(request.user),
        "estate_form": EstateFlowForm(estates=_estates_without_flow(request.user, kind.key))
        if estate is None
        else None,
    }
    return render(request, "core/approvals/flow_edit.html", context)


def _estates_without_flow(user, kind):
    taken = ApprovalFlow.objects.filter(kind=kind, estate__isnull=False).values("estate")
    return estates_for(user).exclude(pk__in=taken)


@require_POST
@access(FLOW_PERMISSION)
def flow_add_estate(request, kind):
    """Start an estate's own flow: the editor opens with the default levels as a start."""
    kind = _kind_or_404(kind)
    form = EstateFlowForm(request.POST, estates=_estates_without_flow(request.user, kind.key))
    if not form.is_valid():
        messages.error(request, _("Choose an estate that has no flow of its own yet."))
        return HttpResponseRedirect(reverse("core:approval_flow", args=[kind.key]))
    estate = form.cleaned_data["estate"]
    approvals.start_estate_flow(request.user, kind.key, estate)
    messages.success(
        request,
        _("%(estate)s now has its own flow, starting from the default levels.")
        % {"estate": estate},
    )
    return HttpResponseRedirect(reverse("core:approval_flow_estate", args=[kind.key, estate.pk]))


@require_POST
@access(FLOW_PERMISSION, model=ESTATE)
def flow_delete_estate(request, kind, estate_id):
    kind = _kind_or_404(kind)
    estate = _estate_or_404(request.user, estate_id)
    flow = ApprovalFlow.objects.filter(kind=kind.key, estate=estate).first()
    if flow is None:
        raise Http404
    approvals.delete_flow(request.user, flow)
    messages.success(request, _("%(estate)s follows the default flow again.") % {"estate": estate})
    return HttpResponseRedirect(reverse("core:approval_flows"))
