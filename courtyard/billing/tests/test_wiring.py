"""Billing through the hooks of the modules below it, driven by those modules' own services:
the residents "in arrears" filter and archive check, and the bill of a paid repair."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from courtyard.billing import wiring
from courtyard.billing.choices import BillKind, BillStatus
from courtyard.billing.models import Bill
from courtyard.core.exceptions import StateConflict
from courtyard.core.models import Message
from courtyard.repairs import services as repair_services
from courtyard.repairs.models import RepairCategory, TechnicianSkill
from courtyard.repairs.tests.conftest import CLERK_PERMS, TECH_PERMS
from courtyard.residents import services as resident_services
from courtyard.residents.models import Occupancy
from courtyard.residents.tests.helpers import resident_in
from tests.factories import UnitFactory, make_user

from .factories import make_bill

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def installed():
    """The hooks as the app installs them (another module's test may have cleared them)."""
    wiring.install()


# Archive check -------------------------------------------------------------------------------


@pytest.fixture
def moved_out(owner):
    Occupancy.objects.filter(resident=owner).update(status="ended", move_out=TODAY)
    return owner


@pytest.fixture
def archivist(estate):
    return make_user("archivist", "residents.delete_resident", estates=[estate])


def test_archiving_is_refused_while_the_person_owes(archivist, moved_out, unit, items):
    make_bill(unit, items["property-fee"], "300.00", payer=moved_out, period="2026-08")
    bill = make_bill(unit, items["water"], "45.50", payer=moved_out, period="2026-09")
    Bill.objects.filter(pk=bill.pk).update(status=BillStatus.PARTIAL, paid_amount="25.50")
    with pytest.raises(StateConflict) as refusal:
        resident_services.archive_resident(archivist, moved_out)
    assert "王芳 owes ¥320.00 on unpaid bills" in str(refusal.value.message)
    moved_out.refresh_from_db()
    assert moved_out.archived_at is None


def test_settled_drafts_and_voided_bills_do_not_stop_the_archive(archivist, moved_out, unit, items):
    make_bill(unit, items["property-fee"], payer=moved_out, status=BillStatus.PAID)
    make_bill(unit, items["water"], payer=moved_out, status=BillStatus.DRAFT, period="2026-09")
    make_bill(unit, items["water"], payer=moved_out, status=BillStatus.VOID, period="2026-08")
    resident_services.archive_resident(archivist, moved_out, reason="搬离")
    moved_out.refresh_from_db()
    assert moved_out.archived_at is not None


# Arrears filter on the residents list ------------------------------------------------------


@pytest.fixture
def people(estate, unit, owner, items):
    """The owner pays an overdue bill; a tenant and a member live in an overdue unit whose
    bill names nobody; a neighbour's bill is not yet due; a stranger owes nothing."""
    fee = items["property-fee"]
    make_bill(unit, fee, payer=owner, due_date=TODAY - timedelta(days=3))
    rented = UnitFactory(entrance=unit.entrance, room_no="502")
    tenant = resident_in(rented, name="李雷", role="tenant", phone="13900000002")
    member = resident_in(rented, name="李小雷", role="member", phone="13900000003")
    make_bill(rented, fee, due_date=TODAY - timedelta(days=1))
    later = UnitFactory(entrance=unit.entrance, room_no="503")
    neighbour = resident_in(later, name="韩梅梅", phone="13900000004")
    make_bill(later, fee, payer=neighbour, due_date=TODAY + timedelta(days=5))
    stranger = resident_in(UnitFactory(entrance=unit.entrance), name="赵敏", phone="13900000005")
    return {
        "owner": owner,
        "tenant": tenant,
        "member": member,
        "neighbour": neighbour,
        "stranger": stranger,
    }


def names(response):
    return sorted(row["object"].name for row in response.context["rows"])


def test_the_residents_list_filters_people_in_arrears(client, estate, people):
    client.force_login(make_user("desk", "residents.view_resident", estates=[estate]))
    in_arrears = client.get("/residents/", {"arrears": "yes"})
    assert in_arrears.status_code == 200
    assert names(in_arrears) == ["李雷", "王芳"]
    assert names(client.get("/residents/", {"arrears": "no"})) == ["李小雷", "赵敏", "韩梅梅"]


def test_a_moved_out_tenant_is_no_longer_in_arrears_for_the_unit(client, estate, people):
    Occupancy.objects.filter(resident=people["tenant"]).update(status="ended")
    client.force_login(make_user("desk", "residents.view_resident", estates=[estate]))
    assert "李雷" not in names(client.get("/residents/", {"arrears": "yes"}))


# Paid repairs --------------------------------------------------------------------------------


@pytest.fixture
def repair(estate, unit, owner):
    category = RepairCategory.objects.create(code="pipes", name="管道")
    clerk = make_user("clerk", *CLERK_PERMS, estates=[estate])
    tech = make_user("tech", *TECH_PERMS, estates=[estate])
    TechnicianSkill.objects.create(user=tech, category=category)
    order = repair_services.create_work_order(
        clerk, category=category, description="更换阀门", unit=unit, is_paid=True
    )
    repair_services.dispatch(clerk, order, assignee=tech)
    repair_services.start(tech, order)
    return order, tech


def test_completing_a_paid_repair_raises_one_published_bill(repair, items, owner, unit):
    order, tech = repair
    repair_services.complete(tech, order, work_done="换阀门", cost="120.50")

    bill = Bill.objects.get()
    assert (bill.kind, bill.item.code, bill.work_order, bill.unit) == (
        BillKind.TEMPORARY,
        "repair",
        order,
        unit,
    )
    assert bill.amount == Decimal("120.50") and bill.payer == owner
    assert bill.status == BillStatus.UNPAID and bill.published_at is not None
    assert order.number in bill.note
    assert Message.objects.filter(recipient=owner.phone).exists()


def test_a_paid_repair_is_billed_to_its_reporter_only_while_they_live_there(
    repair, items, owner, unit
):
    order, tech = repair
    tenant = resident_in(unit, name="李雷", role="tenant", phone="13900000002")
    Occupancy.objects.filter(resident=owner).update(status="ended", move_out=TODAY)
    order.resident = tenant
    order.save(update_fields=["resident"])
    Occupancy.objects.filter(resident=tenant).update(status="ended", move_out=TODAY)

    repair_services.complete(tech, order, work_done="换阀门", cost="120.50")

    bill = Bill.objects.get()
    assert bill.work_order == order and bill.unit == unit and bill.payer is None


def test_a_repair_completed_again_is_not_billed_twice(repair, items, owner):
    order, tech = repair
    repair_services.complete(tech, order, work_done="换阀门", cost="120.50")
    resident_user = make_user("13800000001", kind="resident")
    owner.user = resident_user
    owner.save(update_fields=["user"])
    order.refresh_from_db()
    order.resident = owner
    order.save(update_fields=["resident"])
    repair_services.reject_completion(resident_user, order, reason="还在漏")
    repair_services.start(tech, order)
    repair_services.complete(tech, order, work_done="再换", cost="120.50")
    assert Bill.objects.count() == 1


def test_a_repair_without_cost_or_repair_item_raises_nothing(repair, items):
    order, tech = repair
    items["repair"].is_active = False
    items["repair"].save()
    repair_services.complete(tech, order, work_done="换阀门", cost="60")
    assert not Bill.objects.exists()


def test_a_free_cost_raises_nothing(repair, items):
    order, tech = repair
    repair_services.complete(tech, order, work_done="拧紧", cost="0")
    assert not Bill.objects.exists()


def test_the_portal_payment_text_is_a_system_parameter():
    from courtyard.core import parameters

    assert "Pay at the estate office" in str(parameters.get(wiring.PAYMENT_INSTRUCTIONS))
    parameters.set_value(wiring.PAYMENT_INSTRUCTIONS, "物业服务中心（1号楼101）收费，9:00–17:00")
    assert parameters.get(wiring.PAYMENT_INSTRUCTIONS).startswith("物业服务中心")
