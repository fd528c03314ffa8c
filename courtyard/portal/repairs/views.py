"""Resident repairs (报修) in the portal: report a repair for one of my units, follow it, confirm
or reject the completion, rate it, cancel it before it is dispatched. The rules live in
``courtyard.repairs.services``; these views only collect input and show the outcome."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courtyard.accounts.views import form_status
from courtyard.core.access import RESIDENT, access
from courtyard.core.exceptions import StateConflict
from courtyard.core.files import attachments_of
from courtyard.core.generic import apply_service_errors
from courtyard.core.timeline import events_for
from courtyard.repairs import services as repair_services
from courtyard.repairs.choices import PhotoPurpose, WorkOrderStatus
from courtyard.repairs.models import WorkOrder
from courtyard.repairs.states import WORK_ORDER

from .. import selectors
from ..views import page
from . import forms as repair_forms
from .selectors import my_order, my_orders

STATUS_COLOURS = {
    WorkOrderStatus.SUBMITTED: "blue",
    WorkOrderStatus.ACCEPTED: "cyan",
    WorkOrderStatus.DISPATCHED: "indigo",
    WorkOrderStatus.IN_PROGRESS: "orange",
    WorkOrderStatus.COMPLETED: "green",
    WorkOrderStatus.CLOSED: "secondary",
    WorkOrderStatus.CANCELLED: "secondary",
}


def decorate(order):
    order.badge_colour = STATUS_COLOURS.get(order.status, "secondary")
    return order


@access(RESIDENT)
def repair_list(request):
    orders = [
        decorate(order) for order in my_orders(request.user).order_by("-created_at", "-pk")[:100]
    ]
    for order in orders:
        order.awaits_confirmation = WORK_ORDER.allows(request.user, order, "confirm")
    return page(request, "portal/repairs_list.html", {"orders": orders})


@access(RESIDENT)
def repair_new(request):
    homes = selectors.my_homes(request.user)
    form = repair_forms.RepairForm(homes, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = repair_services.submit_from_portal(
                request.user,
                unit=data["unit"],
                category=data["category"],
                description=data["description"],
                urgency=data["urgency"],
                preferred_time=data["preferred_time"],
                photos=data["photos"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied:
            form.add_error("unit", _("Choose one of your units."))
        else:
            messages.success(
                request,
                _("Your repair request %(number)s has been sent to the estate office.")
                % {"number": order.number},
            )
            return redirect("portal:repair_detail", pk=order.pk)
    context = {"form": form, "homes": homes}
    return page(request, "portal/repairs_new.html", context, status=form_status(form))


def detail_context(user, order, **forms):
    photos = list(attachments_of(order).order_by("uploaded_at", "pk"))
    actions = WORK_ORDER.buttons(user, order)
    return {
        "order": decorate(order),
        "events": list(events_for(order).order_by("-at", "-pk")),
        "report_photos": [p for p in photos if p.purpose == PhotoPurpose.REPORT],
        "completion_photos": [p for p in photos if p.purpose == PhotoPurpose.COMPLETION],
        "can_confirm": actions["confirm"],
        # One question at a time: the page asks to confirm (or reject) the repair first and
        # offers the rating after that; the API takes a rating whenever the service does.
        "can_rate": actions["rate"] and not actions["confirm"],
        "can_cancel": actions["resident_cancel"],
        "stars": range(1, 6),
        "reject_form": forms.get("reject_form") or repair_forms.RejectForm(),
        "rate_form": forms.get("rate_form") or repair_forms.RateForm(),
        "cancel_form": forms.get("cancel_form") or repair_forms.CancelForm(),
    }


@access(RESIDENT, model=WorkOrder)
def repair_detail(request, pk):
    order = my_order(request.user, pk)
    return page(request, "portal/repairs_detail.html", detail_context(request.user, order))


def _act(request, pk, form_class, form_name, action, success):
    """Run one resident action on my order; show the form again with the service's errors."""
    order = my_order(request.user, pk)
    form = form_class(request.POST) if form_class else None
    if form is None or form.is_valid():
        try:
            action(order, **(form.cleaned_data if form else {}))
        except ValidationError as error:
            if form is None:
                messages.error(request, " ".join(error.messages))
                return redirect("portal:repair_detail", pk=pk)
            apply_service_errors(form, error)
        except StateConflict as conflict:
            messages.error(request, str(conflict.message))
            return redirect("portal:repair_detail", pk=pk)
        else:
            messages.success(request, success)
            return redirect("portal:repair_detail", pk=pk)
    order = my_order(request.user, pk)
    context = detail_context(request.user, order, **{form_name: form})
    context["open_form"] = form_name
    return page(request, "portal/repairs_detail.html", context, status=400)


@require_POST
@access(RESIDENT, model=WorkOrder)
def repair_confirm(request, pk):
    return _act(
        request,
        pk,
        None,
        "",
        lambda order: repair_services.confirm_completion(request.user, order),
        _("Thank you: the repair is confirmed and closed."),
    )


@require_POST
@access(RESIDENT, model=WorkOrder)
def repair_reject(request, pk):
    return _act(
        request,
        pk,
        repair_forms.RejectForm,
        "reject_form",
        lambda order, reason: repair_services.reject_completion(request.user, order, reason=reason),
        _("We are sorry: the repair has been sent back to the technician."),
    )


@require_POST
@access(RESIDENT, model=WorkOrder)
def repair_rate(request, pk):
    return _act(
        request,
        pk,
        repair_forms.RateForm,
        "rate_form",
        lambda order, stars, comment: repair_services.rate(
            request.user, order, stars=stars, comment=comment
        ),
        _("Thank you for your rating."),
    )


@require_POST
@access(RESIDENT, model=WorkOrder)
def repair_cancel(request, pk):
    return _act(
        request,
        pk,
        repair_forms.CancelForm,
        "cancel_form",
        lambda order, reason: repair_services.cancel(request.user, order, reason=reason),
        _("Your repair request has been cancelled."),
    )
