"""The bulk loader: ids in the order of the rows, conflicts skipped, SQLite's variable limit."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courtyard.billing.choices import BillKind, BillStatus
from courtyard.billing.models import Bill
from courtyard.billing.tests.factories import make_bill, seed_charge_items
from courtyard.core import bulk
from courtyard.core.models import Message
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

MESSAGE_COLUMNS = ("channel", "recipient", "subject", "body", "purpose", "status")
MESSAGE_COLUMNS += ("attempts", "last_error", "provider_ref", "created_at")
BILL_COLUMNS = ("created_at", "updated_at", "kind", "estate_id", "building_id", "unit_id")
BILL_COLUMNS += ("item_id", "period", "quantity", "unit_price", "amount", "paid_amount")
BILL_COLUMNS += ("refunded_amount", "detail", "note", "status", "due_date", "void_reason")
BILL_COLUMNS += ("reminder_count",)


def messages(count, start=0):
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    return [
        ("sms", f"1380000{i:04d}", "", f"body {i}", "test.bulk", "queued", 0, "", "", now)
        for i in range(start, start + count)
    ]


def bill_row(unit, item, kind=BillKind.PERIODIC, amount="100.00"):
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    period = "2026-10" if kind == BillKind.PERIODIC else ""
    money = Decimal(amount)
    return (now, now, kind.value, unit.estate_id, unit.building_id, unit.pk, item.pk, period) + (
        Decimal("1"),
        money,
        money,
        Decimal("0"),
        Decimal("0"),
        "{}",
        "",
        BillStatus.DRAFT.value,
        ops.adapt_datefield_value(date(2026, 10, 15)),
        "",
        0,
    )


def test_ids_come_back_in_the_order_of_the_rows():
    rows = messages(5)
    ids = bulk.insert(Message, MESSAGE_COLUMNS, rows)

    assert len(ids) == 5
    recipients = dict(Message.objects.filter(pk__in=ids).values_list("pk", "recipient"))
    assert [recipients[pk] for pk in ids] == [row[1] for row in rows]


def test_no_rows_write_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert bulk.insert(Message, MESSAGE_COLUMNS, []) == []
    assert len(queries) == 0


def sqlite_statements():
    """The INSERT statements the driver runs, as their numbers of rows (SQLite)."""
    statements = []
    connection.ensure_connection()
    connection.connection.set_trace_callback(statements.append)
    return statements


def rows_of(statements):
    return [sql.count("), (") + 1 for sql in statements if sql.startswith("INSERT")]


def test_rows_beyond_one_statement_are_written_in_batches():
    """More values than SQLite's variables allowed in one statement before 3.32 (999) and
    after (32,766), each statement within the limit of this SQLite; PostgreSQL copies them."""
    rows = messages(7000)
    sqlite = connection.vendor == "sqlite"
    statements = sqlite_statements() if sqlite else []
    try:
        ids = bulk.insert(Message, MESSAGE_COLUMNS, rows)
    finally:
        if sqlite:
            connection.connection.set_trace_callback(None)

    assert len(ids) == 7000 == len(set(ids))
    recipients = dict(Message.objects.filter(pk__in=ids).values_list("pk", "recipient"))
    assert [recipients[pk] for pk in ids] == [row[1] for row in rows]
    if sqlite:
        sizes = rows_of(statements)
        assert sum(sizes) == 7000 and len(sizes) > 1
        assert max(sizes) * len(MESSAGE_COLUMNS) <= bulk.variable_limit()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's statements")
def test_a_batch_is_the_largest_power_of_two_the_limit_allows_and_the_rest_in_halves(
    monkeypatch,
):
    monkeypatch.setattr(bulk, "variable_limit", lambda: 65)  # 6 rows of 10: 4 a statement
    rows = messages(15)
    statements = sqlite_statements()
    try:
        ids = bulk.insert(Message, MESSAGE_COLUMNS, rows)
    finally:
        connection.connection.set_trace_callback(None)

    assert rows_of(statements) == [4, 4, 4, 2, 1]
    recipients = dict(Message.objects.filter(pk__in=ids).values_list("pk", "recipient"))
    assert [recipients[pk] for pk in ids] == [row[1] for row in rows]


def test_skipping_conflicts_returns_the_ids_of_the_rows_written_only():
    """A periodic bill of a unit, item and period exists (a partial unique constraint): the
    row repeating it is skipped; a temporary bill of the same unit and item is not covered."""
    items = seed_charge_items()
    fee = items["property-fee"]
    billed, unbilled = UnitFactory(), UnitFactory()
    make_bill(billed, fee, status=BillStatus.DRAFT)
    rows = [
        bill_row(unbilled, fee),
        bill_row(billed, fee),
        bill_row(billed, fee, kind=BillKind.TEMPORARY, amount="7.00"),
    ]

    ids = bulk.insert(Bill, BILL_COLUMNS, rows, skip_conflicts=True)

    assert len(ids) == 2
    written = dict(Bill.objects.filter(pk__in=ids).values_list("pk", "unit_id"))
    assert [written[pk] for pk in ids] == [unbilled.pk, billed.pk]
    assert Bill.objects.get(pk=ids[1]).kind == BillKind.TEMPORARY
    assert Bill.objects.filter(unit=billed, kind=BillKind.PERIODIC).count() == 1


def test_a_second_load_writes_only_its_own_rows():
    """Temporary bills have no unique constraint: a second load in the same transaction
    writes its rows once, not the first load's again (the staging table is emptied)."""
    items = seed_charge_items()
    unit = UnitFactory()
    first = [bill_row(unit, items["property-fee"], kind=BillKind.TEMPORARY)] * 2
    second = [bill_row(unit, items["water"], kind=BillKind.TEMPORARY)] * 3

    assert len(bulk.insert(Bill, BILL_COLUMNS, first, skip_conflicts=True)) == 2
    assert len(bulk.insert(Bill, BILL_COLUMNS, second, skip_conflicts=True)) == 3
    assert Bill.objects.filter(unit=unit).count() == 5


def test_every_row_skipped_returns_no_ids():
    items = seed_charge_items()
    unit = UnitFactory()
    rows = [bill_row(unit, items["property-fee"])]
    bulk.insert(Bill, BILL_COLUMNS, rows, skip_conflicts=True)

    assert bulk.insert(Bill, BILL_COLUMNS, rows, skip_conflicts=True) == []
    assert Bill.objects.filter(unit=unit).count() == 1


def test_a_conflict_is_an_error_unless_skipped():
    items = seed_charge_items()
    unit = UnitFactory()
    rows = [bill_row(unit, items["property-fee"])] * 2

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(Bill, BILL_COLUMNS, rows)
    assert not Bill.objects.filter(unit=unit).exists()
