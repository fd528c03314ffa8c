"""The ledger's invariants, checked over the whole database in a few aggregate queries.

For every bill: amount = paid + outstanding (+ voided) — its status agrees with its paid
amount (draft, void and unpaid: nothing paid; partly paid: between nothing and the amount;
paid: the amount); its paid amount is the sum of its allocations from valid payments; its
refunded amount is the sum of its refunds, refunds are on deposits only, and never more than
was paid. For every payment: its allocations sum to its amount, on bills of its estate.

Each check is one query that returns only the rows that break it (grouping in the database,
never a query per row), so ``manage.py check_ledger`` is cheap on a healthy ledger of any size.
"""

from dataclasses import dataclass

from django.db.models import DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Round

from .choices import BillStatus, PaymentStatus
from .models import ZERO, Bill, Payment, PaymentAllocation, Refund
from .pricing import to_money

MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Break:
    """One broken invariant: which rule, which record, and the figures that disagree."""

    rule: str
    model: str
    pk: int
    detail: str

    def __str__(self):
        return f"{self.rule}: {self.model} {self.pk}: {self.detail}"


def _summed(path, condition=None):
    # Rounded to cents: SQLite sums decimals as floating point (0.05 + 0.01 ≠ 0.06 there).
    return Round(
        Coalesce(Sum(path, filter=condition), Value(ZERO), output_field=MONEY),
        2,
        output_field=MONEY,
    )


def bill_status_breaks():
    """Bills whose status does not fit their paid amount (or paid outside 0 … amount)."""
    consistent = (
        Q(status__in=(BillStatus.DRAFT, BillStatus.VOID, BillStatus.UNPAID), paid_amount=ZERO)
        | Q(status=BillStatus.PARTIAL, paid_amount__gt=ZERO, paid_amount__lt=F("amount"))
        | Q(status=BillStatus.PAID, paid_amount=F("amount"))
    )
    rows = Bill.objects.exclude(consistent & Q(amount__gt=ZERO)).values_list(
        "pk", "status", "amount", "paid_amount"
    )
    for pk, status, amount, paid in rows.order_by("pk").iterator():
        yield Break(
            "bill_status",
            "bill",
            pk,
            f"status {status} with amount {amount}, paid {paid}, outstanding {amount - paid}",
        )


def bill_paid_breaks():
    """Bills whose paid amount is not the sum of their valid payments' allocations."""
    rows = (
        Bill.objects.annotate(
            allocated=_summed(
                "allocations__amount", Q(allocations__payment__status=PaymentStatus.VALID)
            )
        )
        .exclude(paid_amount=F("allocated"))
        .values_list("pk", "paid_amount", "allocated")
    )
    for pk, paid, allocated in rows.order_by("pk").iterator():
        yield Break(
            "bill_paid", "bill", pk, f"paid {paid}, valid allocations sum to {to_money(allocated)}"
        )


def bill_refund_breaks():
    """Bills whose refunded amount is not the sum of their refunds, or exceeds what was paid."""
    rows = (
        Bill.objects.annotate(refunds_sum=_summed("refunds__amount"))
        .filter(
            ~Q(refunded_amount=F("refunds_sum"))
            | Q(refunded_amount__gt=F("paid_amount"))
            | Q(refunded_amount__lt=ZERO)
        )
        .values_list("pk", "paid_amount", "refunded_amount", "refunds_sum")
    )
    for pk, paid, refunded, refunds_sum in rows.order_by("pk").iterator():
        yield Break(
            "bill_refunded",
            "bill",
            pk,
            f"paid {paid}, refunded {refunded}, refunds sum to {to_money(refunds_sum)}",
        )


def refund_item_breaks():
    """Refunds on bills whose item is not a deposit."""
    rows = Refund.objects.filter(bill__item__is_deposit=False).values_list("pk", "bill_id")
    for pk, bill_id in rows.order_by("pk").iterator():
        yield Break("refund_not_deposit", "refund", pk, f"bill {bill_id} is not a deposit")


def payment_breaks():
    """Payments whose allocations do not sum to their amount."""
    rows = (
        Payment.objects.annotate(allocated=_summed("allocations__amount"))
        .exclude(amount=F("allocated"))
        .values_list("pk", "number", "amount", "allocated")
    )
    for pk, number, amount, allocated in rows.order_by("pk").iterator():
        yield Break(
            "payment_allocations",
            "payment",
            pk,
            f"{number}: amount {amount}, allocations sum to {to_money(allocated)}",
        )


def allocation_estate_breaks():
    """Allocations on a bill of another estate than their payment's."""
    rows = PaymentAllocation.objects.exclude(payment__estate_id=F("bill__estate_id")).values_list(
        "pk", "payment_id", "bill_id"
    )
    for pk, payment_id, bill_id in rows.order_by("pk").iterator():
        yield Break(
            "allocation_estate",
            "allocation",
            pk,
            f"payment {payment_id} and bill {bill_id} are of different estates",
        )


CHECKS = (
    bill_status_breaks,
    bill_paid_breaks,
    bill_refund_breaks,
    refund_item_breaks,
    payment_breaks,
    allocation_estate_breaks,
)


def iter_breaks():
    for check in CHECKS:
        yield from check()


def find_breaks():
    """Every break of every invariant (an empty list: the ledger reconciles)."""
    return list(iter_breaks())
