"""Reminders (催缴): one message per payer, one Reminder per bill, counts kept in bulk, every
refusal leaves nothing behind."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from courtyard.billing.choices import BillStatus
from courtyard.billing.models import Bill, Reminder
from courtyard.billing.reminders.services import remind
from courtyard.core.exceptions import StateConflict
from courtyard.core.models import Message
from courtyard.core.timeline import events_for
from courtyard.residents.tests.helpers import resident_in
from tests.factories import UnitFactory, make_user

from .factories import make_bill

pytestmark = pytest.mark.django_db


@pytest.fixture
def fee(items):
    return items["property-fee"]


@pytest.fixture
def water(items):
    return items["water"]


@pytest.fixture
def two_bills(unit, owner, fee, water):
    return [
        make_bill(unit, fee, "320.00", payer=owner, period="2026-09", due_date=date(2026, 9, 15)),
        make_bill(unit, water, "45.50", payer=owner, period="2026-10"),
    ]


def test_sms_sends_one_message_per_payer_and_one_reminder_per_bill(finance, two_bills, owner):
    reminders = remind(finance, two_bills, channel="sms")

    message = Message.objects.get()
    assert message.channel == "sms" and message.recipient == "13800000001"
    assert message.purpose == "billing.reminder"
    days = (timezone.localdate() - date(2026, 9, 15)).days
    assert "王芳您好" in message.body
    assert "物业费、水费（2026-09、2026-10）尚欠¥365.50" in message.body
    assert f"已逾期{days}天" in message.body
    assert len(reminders) == 2
    assert {r.message_id for r in Reminder.objects.all()} == {message.pk}
    assert {r.bill_id for r in Reminder.objects.all()} == {b.pk for b in two_bills}
    for bill in Bill.objects.all():
        assert bill.reminder_count == 1 and bill.last_reminded_at is not None
        assert [e.verb for e in events_for(bill)] == ["reminded"]


def test_the_message_names_each_unit_of_the_payer(finance, unit, owner, fee, estate):
    second = UnitFactory(entrance=unit.entrance, room_no="902")
    bills = [make_bill(unit, fee, payer=owner), make_bill(second, fee, payer=owner)]
    remind(finance, bills, channel="sms")
    body = Message.objects.get().body
    assert f"{unit.entrance.name}{unit.room_no}、" in body and f"{unit.entrance.name}902" in body


def test_each_payer_gets_one_message(finance, two_bills, fee, estate):
    other_unit = UnitFactory(entrance__building__estate=estate)
    tenant = resident_in(other_unit, name="李雷", phone="13900000002")
    third = make_bill(other_unit, fee, "200.00", payer=tenant)
    remind(finance, [*two_bills, third], channel="voice")
    messages = Message.objects.order_by("recipient")
    assert [(m.channel, m.recipient) for m in messages] == [
        ("voice", "13800000001"),
        ("voice", "13900000002"),
    ]
    assert Reminder.objects.filter(message__recipient="13900000002").get().bill == third


def test_a_bill_without_payer_reminds_the_units_current_owner(finance, unit, owner, fee):
    bill = make_bill(unit, fee)
    remind(finance, [bill], channel="sms")
    assert Message.objects.get().recipient == owner.phone


def test_a_second_reminder_counts_up(finance, two_bills):
    remind(finance, two_bills[:1], channel="sms")
    remind(finance, Bill.objects.all(), channel="sms")
    counts = dict(Bill.objects.values_list("pk", "reminder_count"))
    assert counts == {two_bills[0].pk: 2, two_bills[1].pk: 1}


def test_a_phone_call_records_the_outcome_without_a_message(finance, two_bills):
    remind(finance, two_bills, channel="phone", outcome="promised", note="月底前缴清")
    assert not Message.objects.exists()
    assert set(Reminder.objects.values_list("channel", "outcome", "note", "message")) == {
        ("phone", "promised", "月底前缴清", None)
    }
    event = events_for(two_bills[0]).get()
    assert event.message == "Reminded by Phone call by staff: Promised to pay"


def test_a_phone_call_needs_an_outcome(finance, two_bills):
    with pytest.raises(ValidationError) as error:
        remind(finance, two_bills, channel="phone")
    assert error.value.error_dict["outcome"][0].code == "outcome_required"
    assert not Reminder.objects.exists()


def test_bad_channel_and_empty_selection_are_refused(finance, two_bills):
    with pytest.raises(ValidationError) as error:
        remind(finance, [], channel="fax")
    assert set(error.value.error_dict) == {"bills", "channel"}


@pytest.mark.parametrize("status", [BillStatus.PAID, BillStatus.DRAFT, BillStatus.VOID])
def test_bills_that_are_not_outstanding_are_refused(finance, two_bills, status):
    Bill.objects.filter(pk=two_bills[1].pk).update(status=status)
    with pytest.raises(StateConflict) as error:
        remind(finance, two_bills, channel="sms")
    assert error.value.code == "not_outstanding"
    assert not Reminder.objects.exists() and not Message.objects.exists()
    assert not Bill.objects.filter(reminder_count__gt=0).exists()


def test_payers_without_a_phone_are_named_and_nothing_is_sent(finance, two_bills, fee, estate):
    other_unit = UnitFactory(entrance__building__estate=estate)
    silent = resident_in(other_unit, name="赵敏", phone="")
    bills = [*two_bills, make_bill(other_unit, fee, payer=silent)]
    with pytest.raises(ValidationError) as error:
        remind(finance, bills, channel="sms")
    assert [e.code for e in error.value.error_dict["bills"]] == ["no_phone"]
    assert "赵敏 has no phone number on record" in error.value.messages[0]
    assert not Message.objects.exists() and not Reminder.objects.exists()


def test_a_phone_call_does_not_need_a_phone_on_record(finance, unit, fee):
    silent = resident_in(UnitFactory(entrance=unit.entrance), name="赵敏", phone="")
    bill = make_bill(unit, fee, payer=silent)
    remind(finance, [bill], channel="phone", outcome="no_answer")
    assert Reminder.objects.get().outcome == "no_answer"


def test_reminding_needs_the_add_reminder_permission(estate, two_bills):
    viewer = make_user("viewer", "billing.view_bill", "billing.view_reminder", estates=[estate])
    with pytest.raises(PermissionDenied):
        remind(viewer, two_bills, channel="sms")


def test_bills_outside_the_scope_are_not_found(two_bills, other_estate):
    outsider = make_user("outsider", "billing.add_reminder", estates=[other_estate])
    with pytest.raises(Http404):
        remind(outsider, two_bills, channel="sms")
    assert not Reminder.objects.exists()


def test_the_number_of_queries_does_not_grow_with_the_bills(
    finance, unit, owner, fee, django_assert_num_queries
):
    start = date(2025, 1, 1)
    bills = [
        make_bill(unit, fee, payer=owner, period=f"2025-{m:02d}", due_date=start + timedelta(m))
        for m in range(1, 13)
    ]
    for selection in (bills, bills[:1]):
        cache.clear()
        actor = type(finance).objects.get(pk=finance.pk)  # nothing cached on the user yet
        # permissions (2), scope (3), the locked bills, the message texts, the message,
        # the reminders, the counts, the timelines, and the savepoint pair
        with django_assert_num_queries(13):
            remind(actor, selection, channel="sms")
