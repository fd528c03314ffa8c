"""Property-based test (hypothesis) of payment allocation against the ledger's invariants.

Random sequences of payments (whole, partial, over several bills, sometimes too large or on
a bill that cannot be paid), voids and deposit refunds run through the services; after every
step the database agrees with a plain model of the money, and ``check_ledger`` finds nothing.
Each generated sequence runs in a transaction that is rolled back, so sequences start clean.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courtyard.billing import ledger
from courtyard.billing.choices import BillKind, BillStatus, PaymentStatus
from courtyard.billing.models import Bill, Payment, PaymentAllocation, Refund
from courtyard.billing.payments import services
from courtyard.core.exceptions import StateConflict

from .factories import make_bill

ZERO = Decimal("0.00")
PROFILE = settings(
    database=None,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def cents(n):
    return Decimal(n).scaleb(-2)


class Model:
    """The money as it should be: paid and refunded per bill, the payments and their parts."""

    def __init__(self, bills):
        self.amount = {bill.pk: bill.amount for bill in bills}
        self.paid = {bill.pk: ZERO for bill in bills}
        self.refunded = {bill.pk: ZERO for bill in bills}
        self.payments = {}  # pk → {bill pk: amount}, valid payments only

    def outstanding(self, pk):
        return self.amount[pk] - self.paid[pk]

    def status(self, pk):
        if self.paid[pk] == ZERO:
            return BillStatus.UNPAID
        return BillStatus.PAID if self.paid[pk] == self.amount[pk] else BillStatus.PARTIAL

    def check(self):
        stored = {bill.pk: bill for bill in Bill.objects.filter(pk__in=self.amount)}
        for pk, bill in stored.items():
            assert bill.paid_amount == self.paid[pk], pk
            assert bill.refunded_amount == self.refunded[pk], pk
            assert bill.status == self.status(pk), pk
            assert bill.amount == bill.paid_amount + bill.outstanding
        valid = Payment.objects.filter(status=PaymentStatus.VALID)
        assert set(valid.values_list("pk", flat=True)) == set(self.payments)
        assert sum((p.amount for p in valid), ZERO) == sum(self.paid.values(), ZERO)
        assert sum((r.amount for r in Refund.objects.all()), ZERO) == sum(
            self.refunded.values(), ZERO
        )
        assert ledger.find_breaks() == []


@st.composite
def bill_amounts(draw):
    return [cents(draw(st.integers(1, 200_000))) for _ in range(draw(st.integers(2, 4)))]


def pay_step(data, actor, model, bills, draft):
    """Pay some bills; sometimes a part too large, or a bill that cannot be paid."""
    chosen = data.draw(st.lists(st.sampled_from(bills), min_size=1, max_size=3, unique_by=id))
    include_draft = data.draw(st.integers(0, 9)) == 0
    allocations, valid = [], not include_draft
    for bill in chosen:
        owed = model.outstanding(bill.pk)
        if owed == ZERO:
            amount = cents(data.draw(st.integers(1, 1000)))
            valid = False  # already paid
        elif data.draw(st.integers(0, 7)) == 0:
            amount = owed + cents(data.draw(st.integers(1, 1000)))
            valid = False  # more than it owes
        else:
            amount = cents(data.draw(st.integers(1, int(owed * 100))))
        allocations.append((Bill.objects.get(pk=bill.pk), amount))
    if include_draft:
        allocations.append((draft, Decimal("1.00")))
    before = (Payment.objects.count(), PaymentAllocation.objects.count())
    if not valid:
        # Refused as a mistake (400) or, for a bill already paid, as its state (409).
        with pytest.raises((ValidationError, StateConflict)):
            services.record_payment(actor, allocations=allocations, method="cash")
        assert (Payment.objects.count(), PaymentAllocation.objects.count()) == before
        return
    payment = services.record_payment(actor, allocations=allocations, method="wechat")
    parts = {bill.pk: amount for bill, amount in allocations}
    assert payment.amount == sum(parts.values(), ZERO)
    for pk, amount in parts.items():
        model.paid[pk] += amount
    model.payments[payment.pk] = parts


def void_step(data, actor, model):
    if not model.payments:
        return
    pk = data.draw(st.sampled_from(sorted(model.payments)))
    parts = model.payments[pk]
    refused = any(model.paid[b] - amount < model.refunded[b] for b, amount in parts.items())
    payment = Payment.objects.get(pk=pk)
    if refused:
        with pytest.raises(ValidationError):
            services.void_payment(actor, payment, "refunded deposit")
        return
    services.void_payment(actor, payment, "entered twice")
    for bill_pk, amount in parts.items():
        model.paid[bill_pk] -= amount
    del model.payments[pk]


def refund_step(data, actor, model, deposit):
    refundable = model.paid[deposit.pk] - model.refunded[deposit.pk]
    too_much = refundable == ZERO or data.draw(st.integers(0, 5)) == 0
    if too_much:
        amount = refundable + cents(data.draw(st.integers(1, 500)))
        with pytest.raises(ValidationError):
            services.refund_deposit(actor, deposit, amount=amount, method="cash", reason="x")
        return
    amount = cents(data.draw(st.integers(1, int(refundable * 100))))
    services.refund_deposit(actor, deposit, amount=amount, method="cash", reason="验收合格")
    model.refunded[deposit.pk] += amount


@PROFILE
@given(amounts=bill_amounts(), data=st.data())
def test_random_payments_voids_and_refunds_keep_the_ledger(finance, unit, items, data, amounts):
    with transaction.atomic():
        fee = items["property-fee"]
        bills = [
            make_bill(unit, fee, str(amount), period=f"2026-{i + 1:02d}")
            for i, amount in enumerate(amounts)
        ]
        deposit = make_bill(unit, items["renovation-deposit"], "2000.00", kind=BillKind.TEMPORARY)
        draft = make_bill(unit, items["water"], "10", status=BillStatus.DRAFT)
        bills.append(deposit)
        model = Model(bills)
        for _ in range(data.draw(st.integers(1, 12))):
            step = data.draw(st.sampled_from(["pay", "pay", "pay", "void", "refund"]))
            if step == "pay":
                pay_step(data, finance, model, bills, draft)
            elif step == "void":
                void_step(data, finance, model)
            else:
                refund_step(data, finance, model, deposit)
            model.check()
        transaction.set_rollback(True)
