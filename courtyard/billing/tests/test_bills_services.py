"""Bills: temporary bills for a unit or a resident (a work order only once), publishing drafts
with one message per payer, deleting drafts, voiding published bills with a reason — and every
refusal changes nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from courtyard.billing.bills.services import (
    create_temporary_bill,
    delete_draft_bill,
    publish_bills,
    void_bill,
)
from courtyard.billing.choices import BillStatus
from courtyard.billing.models import Bill, Payment, PaymentAllocation
from courtyard.core.exceptions import StateConflict
from courtyard.core.models import Message
from courtyard.core.timeline import events_for
from courtyard.repairs.models import RepairCategory, WorkOrder
from courtyard.residents.models import Resident
from courtyard.residents.tests.helpers import resident_in
from tests.factories import UnitFactory, make_user

from .factories import make_bill

pytestmark = pytest.mark.django_db


@pytest.fixture
def deposit(items):
    return items["renovation-deposit"]


@pytest.fixture
def fee(items):
    return items["property-fee"]


def work_order(unit):
    category = RepairCategory.objects.get_or_create(code="pipes", defaults={"name": "管道"})[0]
    return WorkOrder.objects.create(
        number="BX-2026-000001",
        estate_id=unit.estate_id,
        building_id=unit.building_id,
        unit=unit,
        category=category,
        description="更换水管",
        is_paid=True,
        cost=Decimal("180.00"),
    )


# Temporary bills ----------------------------------------------------------------------------


def test_temporary_bill_of_a_unit_is_a_draft_for_its_owner(finance, unit, owner, deposit):
    bill = create_temporary_bill(
        finance, item=deposit, amount="2000", unit=unit, note="装修押金 1201"
    )

    assert bill.kind == "temporary" and bill.status == BillStatus.DRAFT
    assert bill.amount == Decimal("2000.00") and bill.payer == owner
    assert (bill.estate_id, bill.building_id, bill.unit_id) == (
        unit.estate_id,
        unit.building_id,
        unit.pk,
    )
    assert bill.due_date == timezone.localdate() + timedelta(days=deposit.due_days)
    assert bill.period == "" and bill.note == "装修押金 1201"
    assert [e.verb for e in events_for(bill)] == ["created"]
    assert not Message.objects.exists()


def test_temporary_bill_of_a_resident_takes_the_estate_of_their_home(finance, unit, owner, items):
    bill = create_temporary_bill(
        finance, item=items["penalty"], amount="50.5", payer=owner, due_date=date(2026, 12, 1)
    )
    assert bill.unit is None and bill.payer == owner
    assert (bill.estate_id, bill.building_id) == (unit.estate_id, unit.building_id)
    assert bill.amount == Decimal("50.50") and bill.due_date == date(2026, 12, 1)


def test_temporary_bill_for_someone_living_nowhere_is_refused(finance, items):
    stranger = Resident.objects.create(name="路人", status="current")
    with pytest.raises(ValidationError) as error:
        create_temporary_bill(finance, item=items["penalty"], amount="10", payer=stranger)
    assert error.value.error_dict["payer"][0].code == "no_occupancy"
    with pytest.raises(ValidationError) as error:
        create_temporary_bill(finance, item=items["penalty"], amount="10")
    assert error.value.error_dict["unit"][0].code == "no_payer"
    assert not Bill.objects.exists()


@pytest.mark.parametrize("amount", ["-5", "0", "abc", "1.234", ""])
def test_temporary_bill_refuses_a_bad_amount(finance, unit, deposit, amount):
    with pytest.raises(ValidationError) as error:
        create_temporary_bill(finance, item=deposit, amount=amount, unit=unit)
    assert error.value.code == "bad_amount"
    assert not Bill.objects.exists()


def test_temporary_bill_published_at_once_tells_the_payer(
    finance, unit, owner, deposit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        bill = create_temporary_bill(finance, item=deposit, amount="2000", unit=unit, publish=True)
    bill.refresh_from_db()
    assert bill.status == BillStatus.UNPAID and bill.published_at is not None
    message = Message.objects.get()
    assert message.channel == "sms" and message.recipient == "13800000001"
    assert "装修押金" in message.body and "¥2000.00" in message.body


def test_a_work_order_is_billed_only_once(finance, unit, owner, items):
    order = work_order(unit)
    first = create_temporary_bill(
        finance, item=items["repair"], amount=order.cost, unit=unit, work_order=order
    )
    with pytest.raises(ValidationError) as error:
        create_temporary_bill(
            finance, item=items["repair"], amount=order.cost, unit=unit, work_order=order
        )
    assert error.value.code == "already_billed"
    assert list(Bill.objects.all()) == [first]


def test_the_paid_repair_hook_bills_as_the_system(unit, owner, items):
    order = work_order(unit)
    bill = create_temporary_bill(
        None, item=items["repair"], amount=order.cost, unit=unit, work_order=order
    )
    assert bill.created_by is None and bill.payer == owner


def test_the_payer_of_a_unit_bill_lives_in_or_owns_it(finance, unit, owner, items):
    tenant = resident_in(unit, name="李雷", role="tenant", phone="13900000002")
    neighbour = resident_in(UnitFactory(entrance=unit.entrance), name="张伟")
    bill = create_temporary_bill(
        finance, item=items["penalty"], amount="10", unit=unit, payer=tenant
    )
    assert bill.payer == tenant
    with pytest.raises(ValidationError) as error:
        create_temporary_bill(
            finance, item=items["penalty"], amount="10", unit=unit, payer=neighbour
        )
    assert error.value.error_dict["payer"][0].code == "payer_not_of_unit"
    assert "张伟" in error.value.error_dict["payer"][0].message
    assert list(Bill.objects.all()) == [bill]


def test_a_moved_out_resident_is_no_payer_of_the_unit(finance, unit, owner, items):
    former = resident_in(unit, name="赵前", role="tenant", status="archived")
    with pytest.raises(ValidationError) as error:
        create_temporary_bill(finance, item=items["penalty"], amount="10", unit=unit, payer=former)
    assert error.value.error_dict["payer"][0].code == "payer_not_of_unit"


def test_a_work_order_on_a_bill_is_the_units_or_of_its_estate(
    finance, unit, owner, items, other_estate
):
    elsewhere = work_order(UnitFactory(entrance=unit.entrance))
    with pytest.raises(ValidationError) as error:
        create_temporary_bill(
            finance, item=items["repair"], amount="1", unit=unit, work_order=elsewhere
        )
    assert error.value.error_dict["work_order"][0].code == "work_order_elsewhere"
    far = work_order(UnitFactory(entrance__building__estate=other_estate))
    far.number = "BX-2026-000002"
    far.save(update_fields=["number"])
    with pytest.raises(ValidationError) as error:
        create_temporary_bill(
            finance, item=items["repair"], amount="1", payer=owner, work_order=far
        )
    assert error.value.error_dict["work_order"][0].code == "work_order_elsewhere"
    assert not Bill.objects.exists()
    # A public-area repair of the estate may be charged to a unit or to a person there.
    elsewhere.unit = None
    elsewhere.save(update_fields=["unit"])
    bill = create_temporary_bill(
        finance, item=items["repair"], amount="1", unit=unit, work_order=elsewhere
    )
    assert bill.work_order == elsewhere


def test_temporary_bill_needs_the_permission_and_the_scope(unit, other_estate, deposit):
    with pytest.raises(PermissionDenied):
        create_temporary_bill(
            make_user("viewer", "billing.view_bill"), item=deposit, amount="1", unit=unit
        )
    outsider = make_user("outsider", "billing.add_bill", estates=[other_estate])
    with pytest.raises(Http404):
        create_temporary_bill(outsider, item=deposit, amount="1", unit=unit)
    assert not Bill.objects.exists()


def test_temporary_bill_refuses_an_inactive_item(finance, unit, deposit):
    deposit.is_active = False
    deposit.save()
    with pytest.raises(ValidationError):
        create_temporary_bill(finance, item=deposit, amount="1", unit=unit)


# Publishing ---------------------------------------------------------------------------------


def test_publish_selected_drafts_one_message_per_payer(
    finance, unit, owner, fee, items, django_capture_on_commit_callbacks
):
    drafts = [
        make_bill(unit, fee, "221.25", status=BillStatus.DRAFT, payer=owner),
        make_bill(unit, items["water"], "35.00", status=BillStatus.DRAFT, payer=owner),
    ]
    left = make_bill(unit, fee, "99.00", status=BillStatus.DRAFT, payer=owner, period="2026-11")

    with django_capture_on_commit_callbacks(execute=True):
        assert publish_bills(finance, Bill.objects.filter(pk__in=[b.pk for b in drafts])) == 2

    assert Bill.objects.filter(status=BillStatus.UNPAID).count() == 2
    left.refresh_from_db()
    assert left.status == BillStatus.DRAFT
    message = Message.objects.get()
    assert "¥256.25" in message.body and "2026-10" in message.body
    assert [e.verb for e in events_for(drafts[0])] == ["published"]


def test_publish_skips_published_bills_and_refuses_when_none_is_a_draft(finance, unit, fee):
    published = make_bill(unit, fee, status=BillStatus.UNPAID)
    draft = make_bill(unit, fee, status=BillStatus.DRAFT, period="2026-11")
    assert publish_bills(finance, [published, draft]) == 1
    with pytest.raises(StateConflict) as error:
        publish_bills(finance, [published, draft])
    assert error.value.code == "nothing_to_publish"


def test_publish_needs_the_permission_and_every_bill_in_scope(finance, unit, fee, other_estate):
    draft = make_bill(unit, fee, status=BillStatus.DRAFT)
    foreign = make_bill(
        UnitFactory(entrance__building__estate=other_estate), fee, status=BillStatus.DRAFT
    )
    with pytest.raises(PermissionDenied):
        publish_bills(make_user("viewer", "billing.view_bill"), [draft])
    with pytest.raises(Http404):
        publish_bills(finance, [draft, foreign])
    assert set(Bill.objects.values_list("status", flat=True)) == {BillStatus.DRAFT}


# Deleting and voiding -----------------------------------------------------------------------


def test_delete_a_draft(finance, unit, fee):
    draft = make_bill(unit, fee, status=BillStatus.DRAFT)
    delete_draft_bill(finance, draft)
    assert not Bill.objects.exists()


def test_a_published_bill_cannot_be_deleted(finance, unit, fee):
    bill = make_bill(unit, fee)
    with pytest.raises(StateConflict) as error:
        delete_draft_bill(finance, bill)
    assert error.value.code == "not_draft"
    assert Bill.objects.exists()


def test_delete_needs_the_permission_and_the_scope(unit, fee, other_estate):
    draft = make_bill(unit, fee, status=BillStatus.DRAFT)
    with pytest.raises(PermissionDenied):
        delete_draft_bill(make_user("viewer", "billing.view_bill"), draft)
    with pytest.raises(Http404):
        delete_draft_bill(make_user("far", "billing.delete_bill", estates=[other_estate]), draft)
    assert Bill.objects.exists()


def test_void_a_published_bill_with_a_reason(finance, unit, fee):
    bill = make_bill(unit, fee)
    void_bill(finance, bill, "  面积登记有误，重开  ")
    bill.refresh_from_db()
    assert bill.status == BillStatus.VOID and bill.void_reason == "面积登记有误，重开"
    assert bill.voided_by == finance and bill.voided_at is not None
    assert bill.amount == Decimal("100.00")  # never edited
    assert [e.verb for e in events_for(bill)] == ["voided"]


def test_void_refusals(finance, unit, fee):
    bill = make_bill(unit, fee)
    with pytest.raises(ValidationError) as error:
        void_bill(finance, bill, " ")
    assert error.value.error_dict["reason"][0].code == "reason_required"
    draft = make_bill(unit, fee, status=BillStatus.DRAFT, period="2026-11")
    with pytest.raises(StateConflict) as error:
        void_bill(finance, draft, "错误")
    assert error.value.code == "not_published"
    void_bill(finance, bill, "错误")
    with pytest.raises(StateConflict) as error:
        void_bill(finance, bill, "错误")
    assert error.value.code == "already_void"


def test_a_bill_with_money_allocated_cannot_be_voided(finance, unit, owner, fee):
    bill = make_bill(unit, fee, status=BillStatus.PARTIAL, paid_amount=Decimal("40.00"))
    payment = Payment.objects.create(
        number="SK-2026-000001", estate_id=unit.estate_id, amount="40.00", method="cash"
    )
    PaymentAllocation.objects.create(payment=payment, bill=bill, amount="40.00")
    with pytest.raises(StateConflict) as error:
        void_bill(finance, bill, "错误")
    assert error.value.code == "has_payments"
    bill.refresh_from_db()
    assert bill.status == BillStatus.PARTIAL

    # Once the payment is voided (its money no longer on the bill), the bill may go.
    payment.status = "void"
    payment.save()
    Bill.objects.filter(pk=bill.pk).update(paid_amount=0, status=BillStatus.UNPAID)
    void_bill(finance, bill, "错误")


def test_void_needs_its_own_permission_and_the_scope(unit, fee, other_estate):
    bill = make_bill(unit, fee)
    changer = make_user("changer", "billing.change_bill", "billing.view_bill")
    with pytest.raises(PermissionDenied):
        void_bill(changer, bill, "错误")
    with pytest.raises(Http404):
        void_bill(make_user("far", "billing.void_bill", estates=[other_estate]), bill, "错误")
    bill.refresh_from_db()
    assert bill.status == BillStatus.UNPAID
