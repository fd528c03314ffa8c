"""Staff pages of bills (账单管理): the list with its filters and totals, a bill's page with
its calculation, payments, reminders and timeline, and the actions — publish drafts (one or
a selection), delete a draft, void a published bill, raise a temporary bill (新增临时账单).

Every change goes through one service in ``bills_services``; a refusal comes back as a
message on the page it came from (409 when the bill's state no longer allows it).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from courtyard.core.access import AccessMixin, access
from courtyard.core.exceptions import StateConflict
from courtyard.core.generic import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectExportView,
    ObjectHistoryView,
    ObjectListView,
    apply_service_errors,
)
from courtyard.core.modules import NavItem
from courtyard.core.references import resolve_many
from courtyard.core.scoping import restrict

from ..choices import OUTSTANDING_STATUSES, PUBLISHED_STATUSES, BillStatus
from ..models import Bill
from . import jobs as bills_jobs
from . import selectors as bills_selectors
from . import services
from .filters import BillFilterSet
from .forms import TemporaryBillForm, VoidForm
from .selectors import BILLS
from .tables import BillTable, place_of


def error_text(error):
    if isinstance(error, StateConflict):
        return str(error.message)
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("No permission.")


def bill_for(request, pk, action="view"):
    """The bill the user may ``action``: 404 outside the scope (the permission is declared)."""
    try:
        return restrict(BILLS, request.user, action).get(pk=pk)
    except (Bill.DoesNotExist, ValueError):
        raise Http404


def back(request, fallback):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


# The list -----------------------------------------------------------------------------------


class BillListView(ObjectListView):
    """账单管理: every bill in the scope, filtered, with the totals of what is shown."""

    queryset = BILLS
    filterset_class = BillFilterSet
    table_class = BillTable
    export_job = bills_jobs.EXPORT_JOB
    template_name = "billing/bills_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            totals_url=reverse("billing:bill_totals"),
            can_publish=user.has_perm("billing.publish_bill"),
            can_run=user.has_perm("billing.add_billrun"),
        )
        return context

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "object-table":
            return ["billing/bills_table.html"]  # the table, and the totals out of band
        return [self.template_name]


class BillTotalsView(BillListView):
    """The totals of the list as filtered, loaded by the page after it shows: summing a
    million bills takes a while, the page should not wait for it."""

    def get(self, request, *args, **kwargs):
        _filterset, queryset = self.filtered()
        totals = bills_selectors.totals(queryset)
        return render(request, "billing/bills_totals.html", {"totals": totals})


class BillExportView(ObjectExportView):
    queryset = BILLS
    filterset_class = BillFilterSet
    table_class = BillTable
    export_job = bills_jobs.EXPORT_JOB


# One bill -----------------------------------------------------------------------------------


def actions_for(user, bill):
    """The buttons a user sees on a bill: what its state and their rights allow (the
    services decide again)."""
    may = user.has_perm
    status = bill.status
    return {
        "publish": status == BillStatus.DRAFT and may("billing.publish_bill"),
        "delete": status == BillStatus.DRAFT and may("billing.delete_bill"),
        "void": status in PUBLISHED_STATUSES and may("billing.void_bill"),
        "remind": status in OUTSTANDING_STATUSES and may("billing.add_reminder"),
        "collect": status in OUTSTANDING_STATUSES and may("billing.add_payment"),
    }


class BillDetailView(ObjectDetailView):
    queryset = BILLS.select_related(
        "bill_run__published_by", "work_order", "created_by", "voided_by"
    )
    template_name = "billing/bills_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        bill = context["object"]
        allocations = list(bills_selectors.allocations_of(bill))
        actions = actions_for(self.request.user, bill)
        context.update(
            place=place_of(bill),
            calculation=bills_selectors.calculation(bill),
            allocations=allocations,
            reminders=list(bills_selectors.reminders_of(bill)),
            timeline=bills_selectors.timeline_of(bill, allocations),
            actions=actions,
            any_action=any(actions.values()),
            void_form=VoidForm(),
        )
        return context


class BillHistoryView(ObjectHistoryView):
    queryset = BILLS


class BillDeleteView(ObjectDeleteView):
    queryset = BILLS
    delete_service = services.delete_draft_bill

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["object"].status != BillStatus.DRAFT:  # say so before the click
            context["in_use"] = _(
                "Only a draft can be deleted; void a published bill with a reason instead."
            )
        return context


def refused(request, bill, error):
    """Back on the bill's page with the refusal on top."""
    messages.error(request, error_text(error))
    view = BillDetailView()
    view.setup(request, pk=bill.pk)
    response = view.get(request, pk=bill.pk)
    response.status_code = 409 if isinstance(error, StateConflict) else 400
    return response


@access("billing.publish_bill", model=Bill)
def bill_publish(request, pk):
    bill = bill_for(request, pk)
    if request.method != "POST":
        return redirect(bill.get_absolute_url())
    try:
        services.publish_bills(request.user, [bill])
    except (StateConflict, ValidationError) as error:
        return refused(request, bill, error)
    messages.success(request, _("Published; the payer has been told."))
    return redirect(bill.get_absolute_url())


@access("billing.void_bill", model=Bill)
def bill_void(request, pk):
    """作废: a published bill voided with a reason (the form keeps what was typed)."""
    bill = bill_for(request, pk)
    form = VoidForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.void_bill(request.user, bill, form.cleaned_data["reason"])
            except StateConflict as error:
                form.add_error(None, error_text(error))
                status = 409
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("The bill has been voided."))
                return redirect(bill.get_absolute_url())
    context = {"form": form, "object": bill, "place": place_of(bill)}
    return render(request, "billing/bills_void.html", context, status=status)


@access("billing.publish_bill")
def bills_publish_selected(request):
    """【发布】 the drafts ticked on the list."""
    if request.method != "POST":
        return redirect("billing:bill_list")
    ids = [int(value) for value in request.POST.getlist("bill") if value.isdigit()]
    fallback = back(request, reverse("billing:bill_list"))
    if not ids:
        messages.error(request, _("Tick the draft bills to publish first."))
        return redirect(fallback)
    try:
        count = services.publish_bills(request.user, resolve_many(request.user, Bill, ids))
    except (StateConflict, ValidationError) as error:
        messages.error(request, error_text(error))
        return redirect(fallback)
    messages.success(request, _("%(count)s bills published.") % {"count": count})
    return redirect(fallback)


# A temporary bill ---------------------------------------------------------------------------


class TemporaryBillView(AccessMixin, TemplateView):
    """新增临时账单: a deposit, a penalty or another one-off charge of a unit or a resident."""

    access = "billing.add_bill"
    template_name = "billing/bills_add.html"

    def make_form(self, data=None):
        initial = {"estate": self.request.session.get("estate_id")}
        for name in ("unit", "payer", "item"):
            value = self.request.GET.get("resident" if name == "payer" else name, "")
            if value.isdigit():
                initial[name] = int(value)
        return TemporaryBillForm(data, user=self.request.user, initial=initial)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.make_form()))

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                bill = services.create_temporary_bill(request.user, **form.service_kwargs())
            except ValidationError as error:
                apply_service_errors(form, error)
            except (StateConflict, PermissionDenied) as error:
                form.add_error(None, error_text(error))
            else:
                done = _("Published; the payer has been told.") if bill.published_at else ""
                messages.success(request, " ".join(filter(None, [_("Bill created."), done])))
                return redirect(bill.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


@access("billing.add_bill")
def bill_add_picker(request):
    """The estate → building → entrance → room → payer selects of the form (htmx)."""
    values = request.GET.dict()
    order = ["estate", "building", "entrance", "unit", "payer"]
    for index, name in enumerate(order):
        if values.get(name, "") != values.get(f"prev_{name}", ""):
            for later in order[index + 1 :]:
                values.pop(later, None)
            break
    form = TemporaryBillForm(user=request.user, initial=values)
    return render(request, "billing/bills_picker.html", {"form": form})


urlpatterns = [
    path("bills/", BillListView.as_view(), name="bill_list"),
    path("bills/add/", TemporaryBillView.as_view(), name="bill_add"),
    path("bills/add/picker/", bill_add_picker, name="bill_add_picker"),
    path("bills/export/", BillExportView.as_view(), name="bill_export"),
    path("bills/totals/", BillTotalsView.as_view(), name="bill_totals"),
    path("bills/publish/", bills_publish_selected, name="bill_publish_selected"),
    path("bills/<int:pk>/", BillDetailView.as_view(), name="bill_detail"),
    path("bills/<int:pk>/history/", BillHistoryView.as_view(), name="bill_history"),
    path("bills/<int:pk>/delete/", BillDeleteView.as_view(), name="bill_delete"),
    path("bills/<int:pk>/void/", bill_void, name="bill_void"),
    path("bills/<int:pk>/publish/", bill_publish, name="bill_publish"),
]

NAV = [
    NavItem(gettext_lazy("Bills"), "billing:bill_list", "billing.view_bill"),
]
