"""Two cashiers at the same moment, in real threads with their own connections (PostgreSQL:
real row locks). On SQLite the same refusal is shown without threads in
test_payments_services (``test_a_bill_paid_meanwhile_is_refused``): the second cashier's
bill is re-read under the lock and found paid."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from courtyard.billing import ledger
from courtyard.billing.models import Bill, Payment
from courtyard.billing.payments import services
from courtyard.core.exceptions import StateConflict
from tests.factories import make_user

from .factories import make_bill

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def at_once(*calls):
    """Run the calls in threads released together; each result is "ok" or the error code."""
    barrier = threading.Barrier(len(calls))
    results = []

    def run(call):
        try:
            prepared = call()
            barrier.wait()
            prepared()
            results.append("ok")
        except (StateConflict, ValidationError) as error:
            results.append(getattr(error, "code", None) or "invalid")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


@pytest.fixture
def cashiers(estate):
    return [make_user(f"cashier{i}", "billing.add_payment", estates=[estate]) for i in range(2)]


def paying(cashier, bill_ids, amount):
    """Load the bills as the cashier's page did, then (after the barrier) pay them."""

    def prepare():
        bills = [Bill.objects.get(pk=pk) for pk in bill_ids]
        return lambda: services.record_payment(
            cashier, allocations=[(bill, amount) for bill in bills], method="cash"
        )

    return prepare


def test_two_cashiers_paying_one_bill_exactly_one_succeeds(cashiers, unit, items):
    bill = make_bill(unit, items["property-fee"], "300.00")
    results = at_once(
        paying(cashiers[0], [bill.pk], "300.00"), paying(cashiers[1], [bill.pk], "300.00")
    )
    assert results == ["changed_meanwhile", "ok"]
    stored = Bill.objects.get(pk=bill.pk)
    assert stored.paid_amount == Decimal("300.00") and stored.status == "paid"
    assert Payment.objects.count() == 1
    assert ledger.find_breaks() == []


def test_two_payments_of_two_bills_in_opposite_order_do_not_deadlock(cashiers, unit, items):
    fee = items["property-fee"]
    first = make_bill(unit, fee, "100.00", period="2026-09")
    second = make_bill(unit, fee, "100.00", period="2026-10")
    results = at_once(
        paying(cashiers[0], [first.pk, second.pk], "100.00"),
        paying(cashiers[1], [second.pk, first.pk], "100.00"),
    )
    assert results == ["changed_meanwhile", "ok"]
    assert Payment.objects.count() == 1
    assert ledger.find_breaks() == []


def test_payments_of_different_bills_at_once_get_distinct_receipt_numbers(cashiers, unit, items):
    fee = items["property-fee"]
    bills = [make_bill(unit, fee, "50.00", period=f"2026-0{month}") for month in (1, 2)]
    results = at_once(
        paying(cashiers[0], [bills[0].pk], "50.00"), paying(cashiers[1], [bills[1].pk], "50.00")
    )
    assert results == ["ok", "ok"]
    numbers = set(Payment.objects.values_list("number", flat=True))
    assert len(numbers) == 2
    assert ledger.find_breaks() == []
