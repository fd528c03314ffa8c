"""Resident bills (我的账单) in the portal: what I owe (unpaid first, per unit, with the total),
what I have paid (by month, a page at a time), one bill with its calculation and payments,
my payment history with the receipts, and how to pay at the office until online payment is
configured.

A resident sees the published bills they pay, and those of the units they live in now as
owner or tenant; anything else, even by its number, is "not found".
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from courtyard.billing.choices import OUTSTANDING_STATUSES, PUBLISHED_STATUSES, PaymentStatus
from courtyard.billing.choices import Pricing as P
from courtyard.billing.models import ZERO, Bill, Payment, PaymentAllocation
from courtyard.billing.payments.views import receipt_lines
from courtyard.billing.payments.words import amount_in_words
from courtyard.billing.pricing import to_money
from courtyard.billing.wiring import PAYMENT_INSTRUCTIONS
from courtyard.core import parameters
from courtyard.core.access import RESIDENT, access
from courtyard.core.money import grouped
from courtyard.residents.choices import MAIN_ROLES, OccupancyStatus
from courtyard.residents.models import Occupancy

from .. import selectors
from ..views import page

PAID_PER_PAGE = 20  # paid bills on one page of "my bills", under their months
BILL_RELATED = ("item", "estate", "unit__building", "unit__entrance", "parking_space")


def my_units(user):
    """The units I live in now as owner or tenant (a household member pays nothing here)."""
    return Occupancy.objects.filter(
        resident__user=user,
        resident__archived_at__isnull=True,
        status=OccupancyStatus.CURRENT,
        role__in=MAIN_ROLES,
    ).values("unit_id")


def my_bills(user):
    """Published bills that name me as payer or belong to a unit I live in (voided: gone)."""
    return Bill.objects.filter(status__in=PUBLISHED_STATUSES).filter(
        Q(payer__user=user) | Q(unit_id__in=my_units(user))
    )


def my_bill(user, pk):
    bill = my_bills(user).select_related(*BILL_RELATED).filter(pk=pk).first()
    if bill is None:
        raise Http404
    return bill


def my_payments(user):
    """Valid payments I made, or that settled one of my bills."""
    mine = PaymentAllocation.objects.filter(bill__in=my_bills(user)).values("payment_id")
    return Payment.objects.filter(status=PaymentStatus.VALID).filter(
        Q(payer__user=user) | Q(pk__in=mine)
    )


def place_of(bill):
    """1号楼 2单元 1201, or the parking space."""
    if bill.unit_id:
        unit = bill.unit
        return f"{bill.estate.name} {unit.building.name} {unit.entrance.name} {unit.room_no}"
    if bill.parking_space_id:
        return _("%(estate)s parking space %(code)s") % {
            "estate": bill.estate.name,
            "code": bill.parking_space.code,
        }
    return bill.estate.name


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


def paid_newest_first(bills):
    """Settled bills, the latest month first: a periodic bill in the month it is for, another
    (a repair, a deposit) in the month it was due."""
    return (
        bills.exclude(status__in=OUTSTANDING_STATUSES)
        .annotate(month_of=Coalesce("period_start", "due_date"))
        .order_by("-month_of", "item__sort_order", "-pk")
    )


def by_month(bills):
    months = {}
    for bill in bills:
        first_day = bill.month_of.replace(day=1)
        months.setdefault(first_day, Month(first_day)).bills.append(bill)
    return list(months.values())


def shown_rate(value):
    """2.5000 → 2.50, 0.6250 → 0.625: a rate with the decimals it has, at least two."""
    rate = Decimal(str(value))
    cents = rate.quantize(Decimal("0.01"))
    return cents if rate == cents else rate.normalize()


def calculation(bill):
    """How the amount came about, as lines a resident can follow."""
    detail, pricing = bill.detail or {}, bill.item.pricing
    if pricing == P.PER_AREA and "area" in detail:
        return [
            _("%(area)s m² × ¥%(rate)s per m² per month × %(months)s month(s)")
            % {
                "area": detail["area"],
                "rate": shown_rate(detail.get("rate", bill.unit_price)),
                "months": detail.get("months", 1),
            }
        ]
    if pricing in (P.PER_UNIT, P.PER_SPACE) and "months" in detail:
        return [
            _("¥%(rate)s per month × %(months)s month(s)")
            % {"rate": shown_rate(bill.unit_price), "months": detail["months"]}
        ]
    if pricing == P.METERED and "usage" in detail:
        lines = [_("Usage %(usage)s") % {"usage": detail["usage"]}]
        for tier in detail.get("tiers") or [{"usage": detail["usage"], "rate": bill.unit_price}]:
            lines.append(
                _("%(usage)s × ¥%(rate)s = ¥%(amount)s")
                % {
                    "usage": tier["usage"],
                    "rate": shown_rate(tier["rate"]),
                    "amount": grouped(to_money(Decimal(tier["usage"]) * Decimal(tier["rate"]))),
                }
            )
        return lines
    return [bill.note] if bill.note else []


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


@access(RESIDENT)
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


def my_payment(user, pk):
    lines = PaymentAllocation.objects.select_related(
        "bill__item", "bill__unit__building", "bill__unit__entrance", "bill__parking_space"
    ).order_by("pk")
    payment = (
        my_payments(user)
        .select_related("estate", "operator")
        .prefetch_related(Prefetch("allocations", queryset=lines))
        .filter(pk=pk)
        .first()
    )
    if payment is None:
        raise Http404
    return payment


@access(RESIDENT)
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
