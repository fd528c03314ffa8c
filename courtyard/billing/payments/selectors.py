"""Reads of payments and of what a cashier may take money for, always through the scope."""

import re

from django.core.exceptions import PermissionDenied
from django.db.models import DecimalField, F, Func, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from courtyard.core.references import referable, resolve
from courtyard.core.scoping import has_action, narrow_to_estate, restrict
from courtyard.estates.models import Unit
from courtyard.residents.choices import OccupancyStatus, Role
from courtyard.residents.models import GRAM_LENGTH, NameGram, Occupancy, Resident

from ..choices import OUTSTANDING_STATUSES
from ..models import ZERO, Bill, Payment, PaymentAllocation, Refund

UNIT_RELATED = ("unit", "unit__building", "unit__entrance", "parking_space")
ALLOCATIONS = Prefetch(
    "allocations",
    queryset=PaymentAllocation.objects.select_related(
        "bill",
        "bill__item",
        "bill__unit",
        "bill__unit__building",
        "bill__unit__entrance",
        "bill__parking_space",
    ).order_by("bill__period_start", "bill_id"),
)
PAYMENT_RELATED = ("estate", "payer", "operator", "voided_by")
SEARCH_LIMIT = 20
MONEY = DecimalField(max_digits=14, decimal_places=2)


def visible_payments(user, action="view"):
    """Payments the user may see, with their allocations' bills (no query per row)."""
    return restrict(
        Payment.objects.select_related(*PAYMENT_RELATED).prefetch_related(ALLOCATIONS),
        user,
        action,
    )


def visible_refunds(user, action="view"):
    return restrict(
        Refund.objects.select_related("estate", "operator", "bill", "bill__item", "bill__unit"),
        user,
        action,
    )


def payable_bills(user):
    """Bills of the cashier's scope (every status: a refusal must be able to say why)."""
    if not has_action(user, Payment, "add"):
        return Bill.objects.none()
    return referable(user, Bill.objects.select_related("item", "payer", *UNIT_RELATED))


def place_of(bill):
    """Where a bill belongs: building and room, or the parking space."""
    if bill.unit_id:
        unit = bill.unit
        return f"{unit.building.name} {unit.entrance.name} {unit.room_no}"
    if bill.parking_space_id:
        return bill.parking_space.code
    return ""


def receipt_lines(payment):
    """The lines of a payment's receipt (收据): each bill it settled, with its item, period,
    place and the amount put on it (the office's receipt and the resident's alike)."""
    return [
        {
            "item": allocation.bill.item.name,
            "period": allocation.bill.period
            or (allocation.bill.note or allocation.bill.get_kind_display()),
            "place": place_of(allocation.bill),
            "amount": allocation.amount,
            "bill": allocation.bill,
        }
        for allocation in payment.allocations.all()
    ]


# The cashier's search -----------------------------------------------------------------------


def _in_scope(queryset, user, estate_id):
    return narrow_to_estate(referable(user, queryset), estate_id)


def _owed(user):
    """What each unit owes (its bills and those of spaces billed to it, as the cashier lists
    them), as one subquery: the search shows it in the same query as the units."""
    bills = (
        payable_bills(user)
        .filter(status__in=OUTSTANDING_STATUSES)
        .filter(Q(unit=OuterRef("pk")) | Q(parking_space__unit=OuterRef("pk")))
        .order_by()
        .annotate(total=Func(F("amount") - F("paid_amount"), function="SUM"))
        .values("total")
    )
    return Coalesce(Subquery(bills, output_field=MONEY), ZERO)


def find_units(user, text, estate_id=None):
    """Units whose room number is ``text`` (else starts with it), in the cashier's scope, each
    with ``owed``: what it owes now."""
    text = (text or "").strip()
    if not text or not has_action(user, Payment, "add"):
        return []
    units = _in_scope(
        Unit.objects.select_related("estate", "building", "entrance"), user, estate_id
    )
    units = units.annotate(owed=_owed(user))
    order = ("estate_id", "building__name", "entrance__name", "room_no")
    # The exact number first: it is what a cashier types, and the room number's index finds it.
    found = list(units.filter(room_no=text).order_by(*order)[:SEARCH_LIMIT])
    return found or list(units.filter(room_no__startswith=text).order_by(*order)[:SEARCH_LIMIT])


def find_residents(user, text, estate_id=None):
    """People living in the cashier's scope found by name, phone or its last 4 digits."""
    text = re.sub(r"\s", "", text or "")
    if not text or not has_action(user, Payment, "add"):
        return Resident.objects.none()
    occupancies = _in_scope(
        Occupancy.objects.filter(status=OccupancyStatus.CURRENT), user, estate_id
    )
    people = Resident.objects.filter(pk__in=occupancies.values("resident_id"))
    if re.fullmatch(r"\d{11}", text):
        people = people.filter(phone=text)
    elif re.fullmatch(r"\d{4}", text):
        people = people.filter(phone_last4=text)
    else:
        people = people.filter(pk__in=NameGram.matching(text))
        if len(text) > GRAM_LENGTH:
            people = people.filter(Q(name__icontains=text) | Q(company_name__icontains=text))
    homes = Prefetch(
        "occupancies",
        queryset=occupancies.select_related("unit", "unit__building", "unit__entrance"),
        to_attr="homes",
    )
    return people.prefetch_related(homes).order_by("name", "pk")[:SEARCH_LIMIT]


def occupants_of(unit):
    """The unit's current people, owners first: who may be named as the payer."""
    order = {Role.OWNER: 0, Role.TENANT: 1, Role.MEMBER: 2}
    occupancies = Occupancy.objects.filter(unit=unit, status=OccupancyStatus.CURRENT)
    people = {}
    for occupancy in sorted(
        occupancies.select_related("resident"), key=lambda o: (order.get(o.role, 3), o.pk)
    ):
        people.setdefault(occupancy.resident_id, occupancy.resident)
    return list(people.values())


def outstanding_for_unit(user, unit):
    """What a unit owes: its bills and those of parking spaces billed to it, oldest first."""
    bills = payable_bills(user).filter(status__in=OUTSTANDING_STATUSES)
    return bills.filter(Q(unit=unit) | Q(parking_space__unit=unit)).order_by(
        "due_date", "period", "item__sort_order", "pk"
    )


def outstanding_for_resident(user, resident):
    """What a person owes: bills naming them as payer, and the bills of the units they live in."""
    homes = Occupancy.objects.filter(resident=resident, status=OccupancyStatus.CURRENT).values(
        "unit_id"
    )
    bills = payable_bills(user).filter(status__in=OUTSTANDING_STATUSES)
    return bills.filter(
        Q(payer=resident) | Q(unit__in=homes) | Q(parking_space__unit__in=homes)
    ).order_by("due_date", "period", "item__sort_order", "pk")


def refundable_bill(user, pk):
    """A bill the user may refund on (its item decides whether it is a deposit): 404 else."""
    if not has_action(user, Refund, "add"):
        raise PermissionDenied
    return resolve(user, Bill.objects.select_related("item", "payer", *UNIT_RELATED), pk)
