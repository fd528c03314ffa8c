"""Resident bills (我的账单) in the portal: what I owe (unpaid first, per unit, with the total),
what I have paid (by month, a page at a time), one bill with its calculation and payments,
my payment history with the receipts, and how to pay at the office until online payment is
configured.

What a resident may read is ``selectors`` here: the published bills they pay, and those of
the units they live in now as owner or tenant; anything else is "not found".
"""

from dataclasses import dataclass, field

from django.core.paginator import Paginator

from courtyard.billing.choices import OUTSTANDING_STATUSES, PaymentStatus
from courtyard.billing.models import ZERO, Bill, Payment
from courtyard.billing.payments.selectors import receipt_lines
from courtyard.billing.payments.words import amount_in_words
from courtyard.billing.wiring import PAYMENT_INSTRUCTIONS
from courtyard.core import parameters
from courtyard.core.access import RESIDENT, access

from .. import selectors
from ..views import page
from .selectors import (
    BILL_RELATED,
    calculation,
    my_bill,
    my_bills,
    my_payment,
    my_payments,
    paid_newest_first,
    place_of,
)

PAID_PER_PAGE = 20  # paid bills on one page of "my bills", under their months


@dataclass
class Place:
    """The bills of one unit (or parking space) on "my bills"."""

    label: str
    bills: list = field(default_factory=list)

    @property
    def owed(self):
        return sum((bill.outstanding for bill in self.bills), ZERO)


def by_place(bills):
    places = {}
    for bill in bills:
        places.setdefault(place_of(bill), Place(place_of(bill))).bills.append(bill)
    return list(places.values())


@dataclass
class Month:
    """The paid bills of one month on "my bills"."""

    first_day: object
    bills: list = field(default_factory=list)


def by_month(bills):
    months = {}
    for bill in bills:
        first_day = bill.month_of.replace(day=1)
        months.setdefault(first_day, Month(first_day)).bills.append(bill)
    return list(months.values())


def payment_instructions():
    return parameters.get(PAYMENT_INSTRUCTIONS)


@access(RESIDENT)
def bill_list(request):
    user = request.user
    bills = my_bills(user).select_related(*BILL_RELATED)
    unpaid = list(
        bills.filter(status__in=OUTSTANDING_STATUSES).order_by("due_date", "item__sort_order", "pk")
    )
    paid = Paginator(paid_newest_first(bills), PAID_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        # What I owe comes first, whole; the paid history is read a page at a time after it.
        "unpaid_places": by_place(unpaid) if paid.number == 1 else [],
        "paid": paid,
        "paid_months": by_month(paid.object_list),
        "owed": sum((bill.outstanding for bill in unpaid), ZERO),
        "overdue": [bill for bill in unpaid if bill.is_overdue],
        "instructions": payment_instructions(),
    }
    return page(request, "portal/bill_list.html", context)


@access(RESIDENT, model=Bill)
def bill_detail(request, pk):
    bill = my_bill(request.user, pk)
    allocations = (
        bill.allocations.filter(payment__status=PaymentStatus.VALID)
        .select_related("payment")
        .order_by("payment__paid_at")
    )
    context = {
        "bill": bill,
        "place": place_of(bill),
        "calculation": calculation(bill),
        "allocations": list(allocations),
        "instructions": payment_instructions() if bill.outstanding else "",
    }
    return page(request, "portal/bill_detail.html", context)


@access(RESIDENT)
def payment_list(request):
    payments = list(
        my_payments(request.user).select_related("estate").order_by("-paid_at", "-pk")[:100]
    )
    return page(request, "portal/bill_payments.html", {"payments": payments})


@access(RESIDENT, model=Payment)
def payment_receipt(request, pk):
    """My receipt: the office's printable receipt (收据), in the portal's frame."""
    payment = my_payment(request.user, pk)
    lines = receipt_lines(payment)
    places = list(dict.fromkeys(line["place"] for line in lines if line["place"]))
    context = {
        "payment": payment,
        "lines": lines,
        "places": places,
        "amount_in_words": amount_in_words(payment.amount),
    }
    return page(request, "portal/bill_receipt.html", context)


@access(RESIDENT)
def how_to_pay(request):
    homes = selectors.my_homes(request.user)
    context = {"instructions": payment_instructions(), "offices": selectors.office_contacts(homes)}
    return page(request, "portal/bill_how_to_pay.html", context)
