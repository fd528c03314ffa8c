"""The demo fees and payments: a year of bills through the bill runs, most paid, some overdue
and reminded, readings with flags, parking, deposits; the ledger reconciles; idempotent."""

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F
from django.utils import timezone

from courtyard.accounts.models import User
from courtyard.billing import periods
from courtyard.billing.bills.services import PURPOSE_PUBLISHED
from courtyard.billing.choices import BillRunStatus, BillStatus, Cycle
from courtyard.billing.models import (
    Bill,
    BillRun,
    MeterReading,
    ParkingSpace,
    Payment,
    ReceiptSequence,
    Refund,
    Reminder,
)
from courtyard.billing.payments.services import record_payment
from courtyard.core.models import Message, TimelineEvent
from courtyard.portal.bills.views import my_bills, my_payments
from courtyard.repairs.models import RepairCategory
from courtyard.repairs.tests.conftest import CATEGORIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(items):
    for i, (code, name) in enumerate(CATEGORIES):  # the repairs data migration's rows
        RepairCategory.objects.get_or_create(code=code, defaults={"name": name, "sort_order": i})
    call_command("seed_demo", verbosity=0)


def test_a_year_of_published_monthly_bills_through_the_bill_runs(seeded):
    this_month = periods.containing(timezone.localdate(), Cycle.MONTH)
    runs = BillRun.objects.all()
    assert runs.count() == 24 and set(runs.values_list("status", flat=True)) == {
        BillRunStatus.PUBLISHED
    }
    labels = sorted(set(runs.values_list("period", flat=True)))
    assert len(labels) == 12 and labels[-1] < this_month.label
    items = Counter(Bill.objects.filter(kind="periodic").values_list("item__code", flat=True))
    assert set(items) == {"property-fee", "water", "electricity", "parking"}
    assert items["property-fee"] > 3000 and items["water"] > 2000
    assert not Bill.objects.filter(status=BillStatus.DRAFT).exists()
    # Published on the second of their month; fees due on the 16th, metered usage 15 days
    # after the month ends.
    fee = Bill.objects.filter(kind="periodic", item__code="property-fee").order_by("?").first()
    assert timezone.localtime(fee.published_at).day == 2 and fee.due_date.day == 16
    water = Bill.objects.filter(kind="periodic", item__code="water").order_by("?").first()
    assert water.due_date == water.period_end + datetime.timedelta(days=15)


def test_most_bills_are_paid_some_are_overdue_and_reminded(seeded):
    statuses = Counter(Bill.objects.values_list("status", flat=True))
    total = sum(statuses.values())
    assert statuses[BillStatus.PAID] > 0.8 * total
    assert statuses[BillStatus.UNPAID] > 50 and statuses[BillStatus.PARTIAL] >= 1
    overdue = Bill.objects.filter(status=BillStatus.UNPAID, due_date__lt=timezone.localdate())
    assert overdue.filter(due_date__lt=timezone.localdate() - timezone.timedelta(days=90)).exists()
    channels = Counter(Reminder.objects.values_list("channel", flat=True))
    assert channels["sms"] > 20 and channels["phone"] > 5 and channels["voice"] >= 1
    assert Reminder.objects.filter(channel="phone").exclude(outcome="").count() == channels["phone"]
    # Each bill's count is its reminders.
    counted = Bill.objects.annotate(n=Count("reminders")).exclude(reminder_count=F("n"))
    assert not counted.exists()
    assert not Reminder.objects.filter(created_at__gt=timezone.now()).exists()


def test_the_ledger_reconciles_and_receipts_run_in_time_order(seeded):
    out = StringIO()
    call_command("check_ledger", stdout=out)
    assert "no breaks found" in out.getvalue()
    for year in {p.paid_at.year for p in Payment.objects.all()}:
        numbers = list(
            Payment.objects.filter(number__startswith=f"SK-{year}-")
            .order_by("paid_at", "number")
            .values_list("number", flat=True)
        )
        assert numbers == sorted(numbers)
        assert ReceiptSequence.objects.get(prefix="SK", year=year).last_number == len(numbers)
    finance = User.objects.get(username="finance")
    unpaid = Bill.objects.filter(status=BillStatus.UNPAID).order_by("pk").first()
    payment = record_payment(finance, allocations=[(unpaid, unpaid.amount)], method="cash")
    year = timezone.localdate().year
    last = ReceiptSequence.objects.get(prefix="SK", year=year).last_number
    assert payment.number == f"SK-{year}-{last:06d}"


def test_readings_with_flags_parking_and_deposits(seeded):
    flagged = MeterReading.objects.filter(is_flagged=True)
    assert flagged.filter(reviewed_at__isnull=False).count() >= 2
    this_month = periods.containing(timezone.localdate(), Cycle.MONTH).label
    waiting = flagged.filter(reviewed_at__isnull=True)
    assert list(waiting.values_list("period", flat=True)) == [this_month]
    assert not MeterReading.objects.filter(reading__lt=F("previous_reading")).exists()
    assert ParkingSpace.objects.filter(kind="owned").exists()
    assert Bill.objects.filter(parking_space__isnull=False, status=BillStatus.PAID).exists()
    deposits = Bill.objects.filter(item__code="renovation-deposit")
    assert deposits.count() == 2 and set(deposits.values_list("status", flat=True)) == {"paid"}
    assert Refund.objects.get().bill.refunded_amount == 2000


def test_the_demo_resident_pays_at_the_counter_and_owes_last_month(seeded):
    resident = User.objects.get(username="13800000001")
    mine = my_bills(resident)
    last = max(mine.values_list("period", flat=True))
    assert set(mine.filter(period=last).values_list("status", flat=True)) == {"unpaid"}
    assert mine.filter(status="paid").count() >= 20
    payments = my_payments(resident)
    assert payments.count() >= 10
    recorded = TimelineEvent.objects.filter(
        content_type__model="payment", object_id__in=[str(p.pk) for p in payments]
    )
    assert recorded.count() == payments.count()


def test_the_outbox_holds_a_year_of_sent_messages(seeded):
    billing = Message.objects.filter(
        purpose__in=[PURPOSE_PUBLISHED, "billing.reminder", "payment_received"]
    )
    assert set(billing.values_list("purpose", flat=True)) == {
        PURPOSE_PUBLISHED,
        "billing.reminder",
        "payment_received",
    }
    assert not billing.filter(status="queued").exists()
    assert not billing.filter(created_at__gt=timezone.now()).exists()


def test_seeding_again_changes_nothing(seeded):
    counts = (Bill.objects.count(), Payment.objects.count(), Reminder.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Bill.objects.count(), Payment.objects.count(), Reminder.objects.count()) == counts
