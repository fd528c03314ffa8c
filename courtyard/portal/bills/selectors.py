"""What a resident reads of their bills and payments, for the portal's pages and its API alike.

A resident sees the published bills they pay, and those of the units they live in now as
owner or tenant; anything else, even by its number, is "not found".
"""

from decimal import Decimal

from django.db.models import Prefetch, Q
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from courtyard.billing.choices import OUTSTANDING_STATUSES, PUBLISHED_STATUSES, PaymentStatus
from courtyard.billing.choices import Pricing as P
from courtyard.billing.models import Bill, Payment, PaymentAllocation
from courtyard.billing.pricing import to_money
from courtyard.core.money import grouped
from courtyard.residents.choices import MAIN_ROLES, OccupancyStatus
from courtyard.residents.models import Occupancy

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


def paid_newest_first(bills):
    """Settled bills, the latest month first: a periodic bill in the month it is for, another
    (a repair, a deposit) in the month it was due."""
    return (
        bills.exclude(status__in=OUTSTANDING_STATUSES)
        .annotate(month_of=Coalesce("period_start", "due_date"))
        .order_by("-month_of", "item__sort_order", "-pk")
    )


def my_payments(user):
    """Valid payments I made, or that settled one of my bills."""
    mine = PaymentAllocation.objects.filter(bill__in=my_bills(user)).values("payment_id")
    return Payment.objects.filter(status=PaymentStatus.VALID).filter(
        Q(payer__user=user) | Q(pk__in=mine)
    )


def my_payment(user, pk):
    """One of my payments with its receipt's lines (the bills it settled) loaded."""
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
