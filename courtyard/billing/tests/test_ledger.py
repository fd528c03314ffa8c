"""``check_ledger``: every invariant is checked, every break printed, the exit is non-zero."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from courtyard.billing import ledger
from courtyard.billing.choices import BillStatus
from courtyard.billing.models import Bill, Payment, PaymentAllocation, Refund
from courtyard.billing.payments import services
from tests.factories import UnitFactory

from .factories import make_bill

D = Decimal


@pytest.fixture
def paid(finance, unit, items, owner):
    """Two bills, one paid in full and one in part, by one payment."""
    fee = items["property-fee"]
    bills = [
        make_bill(unit, fee, "300.00", period="2026-09", payer=owner),
        make_bill(unit, fee, "200.00", period="2026-10", payer=owner),
    ]
    payment = services.record_payment(
        finance, allocations=[(bills[0], "300"), (bills[1], "50")], method="cash"
    )
    return payment, bills


def rules():
    return sorted({found.rule for found in ledger.find_breaks()})


def run_check():
    from io import StringIO

    out = StringIO()
    call_command("check_ledger", stdout=out)
    return out.getvalue()


def test_a_healthy_ledger_has_no_breaks(paid):
    assert ledger.find_breaks() == []
    assert "no breaks" in run_check()


def test_a_paid_amount_without_payments_is_a_break(paid):
    _payment, bills = paid
    Bill.objects.filter(pk=bills[1].pk).update(paid_amount=D("60.00"))
    found = ledger.find_breaks()
    assert [(b.rule, b.pk) for b in found] == [("bill_paid", bills[1].pk)]
    assert "paid 60.00, valid allocations sum to 50.00" in found[0].detail


def test_a_voided_payment_still_counted_on_its_bills_is_a_break(paid):
    payment, _bills = paid
    Payment.objects.filter(pk=payment.pk).update(status="void")
    assert rules() == ["bill_paid"]
    assert len(ledger.find_breaks()) == 2


def test_a_status_that_does_not_fit_the_paid_amount_is_a_break(paid, unit, items):
    _payment, bills = paid
    Bill.objects.filter(pk=bills[1].pk).update(status=BillStatus.PAID)
    Bill.objects.filter(pk=bills[0].pk).update(status=BillStatus.PARTIAL)
    unpaid = make_bill(unit, items["water"], "10")
    Bill.objects.filter(pk=unpaid.pk).update(status=BillStatus.PARTIAL)
    found = [(b.rule, b.pk) for b in ledger.find_breaks()]
    assert found == [
        ("bill_status", bills[0].pk),
        ("bill_status", bills[1].pk),
        ("bill_status", unpaid.pk),
    ]


def test_allocations_that_do_not_sum_to_the_payment_are_a_break(paid):
    payment, _bills = paid
    Payment.objects.filter(pk=payment.pk).update(amount=D("351.00"))
    found = ledger.find_breaks()
    assert [(b.rule, b.pk) for b in found] == [("payment_allocations", payment.pk)]
    assert "amount 351.00, allocations sum to 350.00" in found[0].detail


def test_refunds_beyond_what_was_paid_or_on_a_non_deposit_are_breaks(paid, finance):
    _payment, bills = paid
    Refund.objects.create(
        number="TK-2026-999999",
        estate_id=bills[1].estate_id,
        bill=bills[1],
        amount=D("80.00"),
        method="cash",
        reason="x",
        operator=finance,
    )
    Bill.objects.filter(pk=bills[1].pk).update(refunded_amount=D("80.00"))
    assert rules() == ["bill_refunded", "refund_not_deposit"]


def test_an_allocation_on_another_estates_bill_is_a_break(paid, other_estate, items):
    payment, _bills = paid
    elsewhere = make_bill(
        UnitFactory(entrance__building__estate=other_estate),
        items["water"],
        "5",
        status=BillStatus.PARTIAL,
        paid_amount=D("1.00"),
    )
    PaymentAllocation.objects.create(payment=payment, bill=elsewhere, amount=D("1.00"))
    Payment.objects.filter(pk=payment.pk).update(amount=D("351.00"))
    assert rules() == ["allocation_estate"]


def test_the_command_prints_every_break_and_exits_non_zero(paid, capsys):
    payment, bills = paid
    Bill.objects.filter(pk=bills[0].pk).update(paid_amount=D("299.00"))
    Payment.objects.filter(pk=payment.pk).update(amount=D("1.00"))
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("check_ledger", stdout=out)
    assert "3 ledger break(s)" in str(error.value)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert any(line.startswith(f"bill_status: bill {bills[0].pk}") for line in lines)
    assert any(line.startswith(f"bill_paid: bill {bills[0].pk}") for line in lines)
    assert any(line.startswith(f"payment_allocations: payment {payment.pk}") for line in lines)


def test_the_check_is_a_few_queries_whatever_the_size(
    finance, unit, items, owner, django_assert_max_num_queries
):
    fee = items["property-fee"]
    for month in range(1, 13):
        bill = make_bill(unit, fee, "100", period=f"2025-{month:02d}", payer=owner)
        services.record_payment(finance, allocations=[(bill, "60")], method="cash")
    with django_assert_max_num_queries(len(ledger.CHECKS)):
        assert ledger.find_breaks() == []
