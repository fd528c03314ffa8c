"""Staff pages of payments: the cashier (收银), the printable receipt (收据), the payment
records (缴费记录) with their detail, voiding a payment, and deposit refunds (退押金).

The cashier finds a unit by its room number or a person by name or phone, sees what they
owe, ticks bills (amounts prefilled with what each owes; a part may be paid), says how the
money came and records it; the receipt follows. The page remembers what each bill showed
when it was drawn: a bill paid or changed by someone else since then is refused (409) with
everything typed kept.
"""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courtyard.core.access import access
from courtyard.core.exceptions import StateConflict
from courtyard.core.files import attachments_of
from courtyard.core.generic import (
    ObjectDetailView,
    ObjectExportView,
    ObjectHistoryView,
    ObjectListView,
    apply_service_errors,
)
from courtyard.core.modules import NavItem
from courtyard.core.references import resolve, resolve_many
from courtyard.core.timeline import events_for
from courtyard.estates.models import Unit
from courtyard.residents.models import Resident

from ..choices import PaymentStatus
from ..models import Bill, Payment, Refund
from ..pricing import to_money
from . import jobs as payments_jobs  # noqa: F401  (registers the export job)
from . import selectors, services
from .filters import PaymentFilterSet, RefundFilterSet
from .forms import CashierForm, RefundForm, VoidForm
from .tables import PaymentTable, RefundTable
from .words import amount_in_words

PAYMENTS = Payment.objects.select_related(*selectors.PAYMENT_RELATED).prefetch_related(
    selectors.ALLOCATIONS
)
REFUNDS = Refund.objects.select_related("estate", "operator", "bill", "bill__item", "bill__unit")


def error_text(error):
    if isinstance(error, StateConflict):
        return str(error.message)
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("No permission.")


# The cashier ---------------------------------------------------------------------------------


def _chosen(request, name):
    value = request.POST.get(name) or request.GET.get(name) or ""
    return int(value) if value.isdigit() else None


def _who(request):
    """The unit or the person the cashier chose (404 outside the scope), and their bills."""
    user = request.user
    unit_id, resident_id = _chosen(request, "unit"), _chosen(request, "resident")
    if unit_id is not None:
        unit = resolve(user, Unit.objects.select_related("estate", "building", "entrance"), unit_id)
        payers = selectors.occupants_of(unit)
        return {"unit": unit, "payers": payers}, selectors.outstanding_for_unit(user, unit)
    if resident_id is not None:
        resident = resolve(user, Resident, resident_id)
        return (
            {"resident": resident, "payers": [resident]},
            selectors.outstanding_for_resident(user, resident),
        )
    return {}, None


def _rows(bills, data=None):
    """The bill rows of the form: ticked or not, the amount typed, what the page showed."""
    rows = []
    chosen = set(data.getlist("bill")) if data is not None else set()
    for bill in bills:
        outstanding = bill.amount - bill.paid_amount
        typed = data.get(f"amount_{bill.pk}") if data is not None else None
        rows.append(
            {
                "bill": bill,
                "place": selectors.place_of(bill),
                "outstanding": outstanding,
                "checked": str(bill.pk) in chosen,
                "amount": typed if typed is not None else f"{outstanding:.2f}",
                "seen": bill.paid_amount,
            }
        )
    return rows


def _total(rows):
    total = Decimal("0.00")
    for row in rows:
        if row["checked"]:
            try:
                total += Decimal(str(row["amount"]).strip().replace(",", ""))
            except InvalidOperation:
                continue
    return to_money(total)


def _allocations(request):
    """The ticked bills as the page showed them (their paid amount then), with the amounts."""
    ids = [int(pk) for pk in request.POST.getlist("bill") if pk.isdigit()]
    bills = resolve_many(request.user, selectors.payable_bills(request.user), ids)
    found = {bill.pk: bill for bill in bills}
    allocations = []
    for pk in ids:
        bill = found[pk]
        seen = request.POST.get(f"seen_{pk}")
        try:
            seen = Decimal(seen) if seen is not None else None
        except InvalidOperation:
            seen = None
        if seen is not None and seen != bill.paid_amount:
            # Someone paid it after the page was drawn: let the service say so.
            bill.paid_amount = seen
            services.settle(bill)
        allocations.append((bill, request.POST.get(f"amount_{pk}", "")))
    return allocations


@access("billing.add_payment")
def cashier(request):
    """收银: find a unit or a person, tick their bills, record the payment, print the receipt."""
    query = (request.GET.get("q") or "").strip()
    estate_id = request.session.get("estate_id")
    who, bills = _who(request)
    form = CashierForm(request.POST or None, request.FILES or None, payers=who.get("payers", ()))
    if bills is not None and "payer" not in form.initial and who.get("payers"):
        form.initial["payer"] = who["payers"][0].pk
    status = 200
    rows = _rows(bills, request.POST if request.method == "POST" else None) if bills else []
    if request.method == "POST" and bills is not None:
        status = 400
        if form.is_valid():
            try:
                payment = services.record_payment(
                    request.user, allocations=_allocations(request), **form.service_kwargs()
                )
            except StateConflict as error:
                form.add_error(None, error_text(error))
                status = 409
            except ValidationError as error:
                apply_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, error_text(error))
                status = 403
            else:
                messages.success(
                    request,
                    _("Payment recorded: receipt %(number)s, %(amount)s.")
                    % {"number": payment.number, "amount": payment.amount},
                )
                return redirect("billing:payment_receipt", payment.pk)
    context = {
        "query": query,
        "units": selectors.find_units(request.user, query, estate_id) if query else [],
        "residents": selectors.find_residents(request.user, query, estate_id) if query else [],
        "rows": rows,
        "total": _total(rows),
        "ticked": sum(1 for row in rows if row["checked"]),
        "owed": sum((row["outstanding"] for row in rows), Decimal("0.00")),
        "form": form,
        **who,
    }
    return render(request, "billing/payments_cashier.html", context, status=status)


# Receipt -------------------------------------------------------------------------------------


def payment_for(request, pk, action="view"):
    try:
        return selectors.visible_payments(request.user, action).get(pk=pk)
    except Payment.DoesNotExist:
        raise Http404


@access("billing.view_payment", model=Payment)
def payment_receipt(request, pk):
    """收据: the printable receipt of one payment."""
    payment = payment_for(request, pk)
    lines = selectors.receipt_lines(payment)
    places = []
    for line in lines:
        if line["place"] and line["place"] not in places:
            places.append(line["place"])
    context = {
        "payment": payment,
        "lines": lines,
        "places": places,
        "amount_in_words": amount_in_words(payment.amount),
    }
    return render(request, "billing/receipt.html", context)


# Payment records -----------------------------------------------------------------------------


class PaymentListView(ObjectListView):
    """缴费记录: payments in the scope, filtered by payer, room, time, item, method, status."""

    queryset = PAYMENTS
    filterset_class = PaymentFilterSet
    table_class = PaymentTable
    export_job = "billing.export_payments"
    template_name = "billing/payments_list.html"

    def can(self, action):
        # Payments are recorded at the cashier, not through an add form.
        return action != "add" and super().can(action)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm("billing.add_payment"):
            context["cashier_url"] = reverse("billing:cashier")
        return context


class PaymentExportView(ObjectExportView):
    queryset = PAYMENTS
    filterset_class = PaymentFilterSet
    table_class = PaymentTable
    export_job = "billing.export_payments"


class PaymentDetailView(ObjectDetailView):
    queryset = PAYMENTS
    template_name = "billing/payments_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        payment = context["object"]
        user = self.request.user
        valid = payment.status == PaymentStatus.VALID
        lines = selectors.receipt_lines(payment)
        for line in lines:
            bill = line["bill"]
            line["refundable"] = (
                valid
                and bill.item.is_deposit
                and bill.paid_amount > bill.refunded_amount
                and user.has_perm("billing.add_refund")
            )
        context.update(
            lines=lines,
            evidence=list(attachments_of(payment)),
            events=list(events_for(payment)),
            can_void=valid and user.has_perm("billing.void_payment"),
            can_change=False,
            can_delete=False,
        )
        return context


class PaymentHistoryView(ObjectHistoryView):
    queryset = PAYMENTS


@access("billing.void_payment", model=Payment)
def payment_void(request, pk):
    """冲销: void a payment with a reason; its bills owe the money again."""
    payment = payment_for(request, pk, "void")
    form = VoidForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.void_payment(request.user, payment, form.cleaned_data["reason"])
            except StateConflict as error:
                form.add_error(None, error_text(error))
                status = 409
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request, _("Payment %(number)s voided.") % {"number": payment.number}
                )
                return redirect(payment.get_absolute_url())
    context = {"form": form, "payment": payment, "lines": selectors.receipt_lines(payment)}
    return render(request, "billing/payments_void.html", context, status=status)


# Deposit refunds -----------------------------------------------------------------------------


@access("billing.add_refund", model=Bill)
def refund_add(request, bill_pk):
    """退押金: pay back (part of) a deposit bill's paid money."""
    bill = selectors.refundable_bill(request.user, bill_pk)
    refundable = bill.paid_amount - bill.refunded_amount
    form = RefundForm(request.POST or None, initial={"amount": f"{refundable:.2f}"})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                refund = services.refund_deposit(request.user, bill, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Refund %(number)s recorded: %(amount)s.")
                    % {"number": refund.number, "amount": refund.amount},
                )
                return redirect("billing:refund_list")
    context = {
        "form": form,
        "bill": bill,
        "place": selectors.place_of(bill),
        "refundable": refundable,
        "refunds": list(bill.refunds.select_related("operator").order_by("-refunded_at")),
    }
    return render(request, "billing/payments_refund.html", context, status=status)


class RefundListView(ObjectListView):
    queryset = REFUNDS
    filterset_class = RefundFilterSet
    table_class = RefundTable

    def can(self, action):
        # A refund starts from the deposit's payment, not from an add form.
        return action != "add" and super().can(action)


urlpatterns = [
    path("cashier/", cashier, name="cashier"),
    path("payments/", PaymentListView.as_view(), name="payment_list"),
    path("payments/export/", PaymentExportView.as_view(), name="payment_export"),
    path("payments/<int:pk>/", PaymentDetailView.as_view(), name="payment_detail"),
    path("payments/<int:pk>/history/", PaymentHistoryView.as_view(), name="payment_history"),
    path("payments/<int:pk>/receipt/", payment_receipt, name="payment_receipt"),
    path("payments/<int:pk>/void/", payment_void, name="payment_void"),
    path("refunds/", RefundListView.as_view(), name="refund_list"),
    path("refunds/add/<int:bill_pk>/", refund_add, name="refund_add"),
]

NAV = [
    NavItem(gettext_lazy("Cashier"), "billing:cashier", "billing.add_payment"),
    NavItem(gettext_lazy("Payment records"), "billing:payment_list", "billing.view_payment"),
    NavItem(gettext_lazy("Deposit refunds"), "billing:refund_list", "billing.view_refund"),
]
