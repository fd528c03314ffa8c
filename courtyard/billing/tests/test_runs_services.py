"""Bill runs (生成周期账单): the preview counts and totals every bill and problem without
writing; the job writes draft bills priced by the rules, once per unit, item and period; a
second run only fills gaps; publishing is once, and tells each payer once."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from courtyard.billing.choices import BillRunStatus, BillStatus
from courtyard.billing.models import Bill, BillRun, ChargeRate, ParkingSpace
from courtyard.billing.runs import services as runs_services
from courtyard.billing.runs.services import (
    generate_bills,
    preview_bill_run,
    publish_bill_run,
    start_bill_run,
)
from courtyard.core.exceptions import StateConflict
from courtyard.core.models import Message
from courtyard.residents.tests.helpers import resident_in
from tests.factories import BuildingFactory, EntranceFactory, UnitFactory, make_user

from .factories import make_bill, make_reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def fee(items):
    return items["property-fee"]


@pytest.fixture
def water(items):
    return items["water"]


@pytest.fixture
def power(items):
    return items["electricity"]


def choice(estate, *items, period="2026-10", cycle="month", buildings=()):
    return {
        "estate": estate,
        "buildings": list(buildings),
        "cycle": cycle,
        "period": period,
        "items": list(items),
    }


def run_now(actor, **chosen):
    """Start a run and do its job's work here (the job queue runs after commit)."""
    run = start_bill_run(actor, **chosen)
    generate_bills(run)
    run.refresh_from_db()
    return run


def problem(preview_or_run, code):
    return next((p for p in preview_or_run.problems if p["code"] == code), None)


# Preview ------------------------------------------------------------------------------------


def test_preview_counts_bills_and_totals_per_item_without_writing(
    finance, estate, unit, owner, fee, water
):
    make_reading(unit, "water", "2026-10", "120", previous="100")  # 20 t: 15 × 3.50 + 5 × 5.25
    preview = preview_bill_run(finance, **choice(estate, fee, water))

    totals = {total.item.code: total for total in preview.totals}
    assert totals["property-fee"].count == 1
    assert totals["property-fee"].amount == Decimal("221.25")  # 88.50 m² × 2.50
    assert totals["water"].amount == Decimal("78.75")
    assert preview.bill_count == 2 and preview.total_amount == Decimal("300.00")
    assert preview.problems == [] and not preview.blocking
    assert not Bill.objects.exists() and not BillRun.objects.exists()


def test_preview_lists_every_problem(finance, estate, unit, owner, fee, water, power):
    entrance = unit.entrance
    flagged = UnitFactory(entrance=entrance, room_no="1202", area="70.00")
    no_area = UnitFactory(entrance=entrance, room_no="1203", area="0")
    parking_use = UnitFactory(entrance=entrance, room_no="B101", area="12.00", use="parking")
    UnitFactory(entrance=entrance, room_no="1204", area="50.00")  # nobody owns it
    resident_in(no_area, phone="13800000004")
    resident_in(flagged, phone="13800000002")
    resident_in(parking_use, phone="13800000003")
    make_reading(unit, "water", "2026-10", "110", previous="100")
    make_reading(flagged, "water", "2026-10", "500", previous="100", is_flagged=True)
    make_bill(unit, fee, "221.25", status=BillStatus.DRAFT, payer=owner)

    preview = preview_bill_run(finance, **choice(estate, fee, water))

    assert problem(preview, "existing")["count"] == 1
    assert problem(preview, "flagged_reading")["examples"] == [
        f"{entrance.building.name} {entrance.name} 1202"
    ]
    missing = problem(preview, "missing_reading")
    assert missing["count"] == 3 and missing["skips"]  # no_area, parking_use, 1204
    assert problem(preview, "no_area")["count"] == 1
    no_owner = problem(preview, "no_owner")
    assert no_owner["count"] == 1 and not no_owner["skips"]  # 1204: billed without payer
    assert problem(preview, "not_applicable")["count"] == 1  # parking units pay no fee
    codes = {total.item.code: total.count for total in preview.totals}
    assert codes == {"property-fee": 2, "water": 1}  # flagged 1202 and 1204; unit's water


def test_preview_of_a_published_period_says_so(finance, estate, unit, owner, fee):
    run = run_now(finance, **choice(estate, fee))
    publish_bill_run(finance, run)

    preview = preview_bill_run(finance, **choice(estate, fee))

    assert "published" in preview.blocking
    assert problem(preview, "already_published")


def test_preview_refuses_bad_input(finance, estate, fee, items):
    with pytest.raises(ValidationError) as error:
        preview_bill_run(finance, **choice(estate, fee, period="2026-13"))
    assert "period" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        preview_bill_run(finance, **choice(estate))
    assert error.value.error_dict["items"][0].code == "no_items"
    with pytest.raises(ValidationError) as error:
        preview_bill_run(finance, **choice(estate, items["renovation-deposit"]))
    assert error.value.error_dict["items"][0].code == "not_periodic"
    with pytest.raises(ValidationError) as error:
        preview_bill_run(finance, **choice(estate, fee, period="2026-Q4", cycle="quarter"))
    assert error.value.error_dict["items"][0].code == "wrong_cycle"


def test_preview_refuses_a_building_of_another_estate(finance, estate, other_estate, fee):
    with pytest.raises(ValidationError):
        preview_bill_run(
            finance, **choice(estate, fee, buildings=[BuildingFactory(estate=other_estate)])
        )


def test_run_needs_the_permission_and_the_scope(estate, other_estate, fee):
    clerk = make_user("clerk", "billing.view_bill", estates=[estate])
    with pytest.raises(PermissionDenied):
        preview_bill_run(clerk, **choice(estate, fee))
    with pytest.raises(PermissionDenied):
        start_bill_run(clerk, **choice(estate, fee))
    runner = make_user("runner", "billing.add_billrun", estates=[estate])
    with pytest.raises(Http404):
        preview_bill_run(runner, **choice(other_estate, fee))
    with pytest.raises(Http404):
        start_bill_run(runner, **choice(other_estate, fee))
    assert not BillRun.objects.exists()


def test_a_building_scoped_user_runs_only_their_buildings(estate, unit, owner, fee):
    other = UnitFactory(entrance=EntranceFactory(building__estate=estate), area="60.00")
    keeper = make_user("keeper", "billing.add_billrun", buildings=[unit.building])
    with pytest.raises(Http404):
        preview_bill_run(keeper, **choice(estate, fee))  # the whole estate is not theirs
    with pytest.raises(Http404):
        preview_bill_run(keeper, **choice(estate, fee, buildings=[other.building]))
    run = run_now(keeper, **choice(estate, fee, buildings=[unit.building]))
    assert list(Bill.objects.values_list("unit", flat=True)) == [unit.pk]
    assert run.bill_count == 1


# Generating ---------------------------------------------------------------------------------


def test_run_creates_draft_bills_priced_with_payer_and_due_date(
    finance, estate, unit, owner, fee, water, power
):
    make_reading(unit, "water", "2026-10", "120", previous="100")
    make_reading(unit, "electricity", "2026-10", "1300", previous="1000")

    run = run_now(finance, **choice(estate, fee, water, power))

    bills = {bill.item.code: bill for bill in Bill.objects.select_related("item")}
    assert set(bills) == {"property-fee", "water", "electricity"}
    fee_bill = bills["property-fee"]
    assert fee_bill.status == BillStatus.DRAFT and fee_bill.kind == "periodic"
    assert fee_bill.amount == Decimal("221.25") and fee_bill.quantity == Decimal("88.50")
    assert fee_bill.detail == {"area": "88.50", "months": 1, "rate": "2.5000"}
    assert fee_bill.payer == owner and fee_bill.bill_run == run
    assert (fee_bill.estate_id, fee_bill.building_id) == (unit.estate_id, unit.building_id)
    assert fee_bill.period == "2026-10" and fee_bill.period_start == date(2026, 10, 1)
    assert fee_bill.period_end == date(2026, 10, 31)
    assert fee_bill.due_date == date(2026, 10, 16)  # 15 days after the period starts
    assert fee_bill.created_by == finance
    assert bills["water"].amount == Decimal("78.75")
    assert bills["water"].due_date == date(2026, 11, 15)  # metered: 15 days after the month
    assert bills["water"].detail["tiers"][1] == {"usage": "5.00", "rate": "5.25"}
    assert bills["electricity"].amount == Decimal("186.00")  # 300 kWh × 0.62
    assert run.status == BillRunStatus.GENERATED and run.bill_count == 3
    assert run.total_amount == Decimal("486.00")


def test_estate_and_unit_use_rates_apply(finance, estate, unit, owner, fee):
    shop = UnitFactory(entrance=unit.entrance, room_no="S1", area="50.00", use="shop")
    ChargeRate.objects.create(item=fee, estate=estate, rate="3.00")

    run_now(finance, **choice(estate, fee))

    amounts = dict(Bill.objects.values_list("unit", "amount"))
    assert amounts[unit.pk] == Decimal("265.50")  # the estate's 3.00 over the default 2.50
    # The estate's rate for any use comes before the default rate for shops (rate_for).
    assert amounts[shop.pk] == Decimal("150.00")
    ChargeRate.objects.create(item=fee, estate=estate, unit_use="shop", rate="5.00")
    other = UnitFactory(entrance=unit.entrance, room_no="S2", area="10.00", use="shop")
    run_now(finance, **choice(estate, fee))
    assert Bill.objects.get(unit=other).amount == Decimal("50.00")


def test_second_run_of_the_period_creates_no_duplicates_and_fills_gaps(
    finance, estate, unit, owner, fee, water
):
    late = UnitFactory(entrance=unit.entrance, room_no="1299", area="60.00")
    make_reading(unit, "water", "2026-10", "110", previous="100")
    first = run_now(finance, **choice(estate, fee, water))
    assert first.bill_count == 3  # late's water reading is missing
    assert problem(first, "missing_reading")["count"] == 1

    again = run_now(finance, **choice(estate, fee, water))
    assert again.bill_count == 0 and Bill.objects.count() == 3

    make_reading(late, "water", "2026-10", "8", previous="0")
    gaps = run_now(finance, **choice(estate, fee, water))
    assert gaps.bill_count == 1
    assert Bill.objects.filter(unit=late, item=water).get().bill_run == gaps
    assert Bill.objects.count() == 4


def test_bills_a_concurrent_run_wrote_first_are_skipped_not_duplicated(
    finance, estate, unit, owner, fee
):
    run = start_bill_run(finance, **choice(estate, fee))
    walk = runs_services.Walk(runs_services.scope_of(run))
    writer = runs_services.BillWriter(run, walk.scope)
    walk.run(writer.add)
    make_bill(unit, fee, "1.00", status=BillStatus.DRAFT)  # another run got there first
    writer.flush()
    assert Bill.objects.get().amount == Decimal("1.00")


def test_run_of_a_published_period_is_refused(finance, estate, unit, owner, fee, water):
    run = run_now(finance, **choice(estate, fee))
    publish_bill_run(finance, run)

    with pytest.raises(StateConflict) as error:
        start_bill_run(finance, **choice(estate, fee, water))
    assert error.value.code == "already_published"
    assert BillRun.objects.count() == 1
    # Another item of the same period is a different run.
    assert start_bill_run(finance, **choice(estate, water)).pk


def test_a_run_of_other_buildings_is_not_blocked_by_a_published_one(
    finance, estate, unit, owner, fee
):
    other = UnitFactory(entrance=EntranceFactory(building__estate=estate), area="60.00")
    run = run_now(finance, **choice(estate, fee, buildings=[unit.building]))
    publish_bill_run(finance, run)

    whole = run_now(finance, **choice(estate, fee))

    assert whole.bill_count == 1
    assert Bill.objects.filter(bill_run=whole).get().unit == other


def test_quarterly_run_sums_the_quarters_readings(finance, estate, unit, owner, water, fee):
    water.cycle = "quarter"
    water.save()
    for month, reading in (("2026-10", "10"), ("2026-11", "20"), ("2026-12", "30")):
        make_reading(unit, "water", month, reading, previous=str(int(reading) - 10))

    run = run_now(finance, **choice(estate, water, period="2026-Q4", cycle="quarter"))

    bill = Bill.objects.get(bill_run=run)
    assert bill.quantity == Decimal("30.00") and bill.amount == Decimal("131.25")
    assert bill.period_end == date(2026, 12, 31)


def test_reviewed_flagged_reading_is_billed(finance, estate, unit, owner, water):
    from django.utils import timezone

    make_reading(unit, "water", "2026-10", "40", is_flagged=True, reviewed_at=timezone.now())
    assert run_now(finance, **choice(estate, water)).bill_count == 1


def test_parking_spaces_are_billed_to_their_user(finance, estate, unit, owner, items):
    parking = items["parking"]
    tenant = resident_in(UnitFactory(entrance=unit.entrance, room_no="9"), phone="139")
    ParkingSpace.objects.create(estate=estate, code="P-001", resident=tenant)
    ParkingSpace.objects.create(estate=estate, code="P-002", kind="owned", unit=unit)
    ParkingSpace.objects.create(estate=estate, code="P-003", is_active=False)

    run = run_now(finance, **choice(estate, parking))

    bills = {b.parking_space.code: b for b in Bill.objects.select_related("parking_space")}
    assert set(bills) == {"P-001", "P-002"}
    assert bills["P-001"].payer == tenant and bills["P-001"].amount == Decimal("300.00")
    assert bills["P-002"].payer == owner and bills["P-002"].amount == Decimal("80.00")
    assert bills["P-002"].unit == unit
    assert run.bill_count == 2
    assert run_now(finance, **choice(estate, parking)).bill_count == 0


def test_a_failed_run_leaves_no_bills(finance, estate, unit, owner, fee, monkeypatch):
    UnitFactory(entrance=unit.entrance, room_no="2", area="50.00")
    monkeypatch.setattr(runs_services, "CHUNK", 1)
    run = start_bill_run(finance, **choice(estate, fee))
    calls = []

    def broken(done, total):
        calls.append(done)
        if done == 1:
            raise RuntimeError("worker stopped")

    with pytest.raises(RuntimeError):
        generate_bills(run, progress=broken)
    run.refresh_from_db()
    assert run.status == BillRunStatus.FAILED
    assert not Bill.objects.exists()


def test_job_reports_progress_and_result(
    finance, estate, unit, owner, fee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = start_bill_run(finance, **choice(estate, fee))
    run.refresh_from_db()
    job = run.job
    job.refresh_from_db()
    assert job.status == "succeeded" and job.total == 1 and job.done == 1
    assert job.result["run"] == run.pk
    assert run.status == BillRunStatus.GENERATED


# Publishing ---------------------------------------------------------------------------------


def test_publish_run_makes_drafts_unpaid_and_tells_each_payer_once(
    finance, estate, unit, owner, fee, water, django_capture_on_commit_callbacks
):
    from courtyard.accounts.models import User

    owner.user = User.objects.create_user("13800000001", kind="resident")
    owner.save()
    make_reading(unit, "water", "2026-10", "110", previous="100")
    second = UnitFactory(entrance=unit.entrance, room_no="1202", area="100.00")
    resident_in(second, name="李雷", phone="13900000009")
    run = run_now(finance, **choice(estate, fee, water))

    with django_capture_on_commit_callbacks(execute=True):
        count = publish_bill_run(finance, run)

    assert count == 3
    assert set(Bill.objects.values_list("status", flat=True)) == {BillStatus.UNPAID}
    assert Bill.objects.filter(published_at__isnull=True).count() == 0
    run.refresh_from_db()
    assert run.status == BillRunStatus.PUBLISHED and run.published_by == finance
    messages = Message.objects.order_by("channel", "recipient")
    assert [(m.channel, m.recipient) for m in messages] == [
        ("app", "13800000001"),
        ("sms", "13800000001"),
        ("sms", "13900000009"),
    ]
    wang = messages[0].body
    assert "王芳您好" in wang and "物业费、水费" in wang and "¥256.25" in wang  # 221.25 + 35
    assert "2026-10-16" in wang
    assert all(m.status == "sent" for m in messages)


def test_publish_run_only_once(finance, estate, unit, owner, fee):
    run = run_now(finance, **choice(estate, fee))
    publish_bill_run(finance, run)
    with pytest.raises(StateConflict) as error:
        publish_bill_run(finance, run)
    assert error.value.code == "already_published"
    assert Message.objects.count() == 1


def test_a_run_still_generating_cannot_be_published(finance, estate, unit, fee):
    run = start_bill_run(finance, **choice(estate, fee))
    with pytest.raises(StateConflict) as error:
        publish_bill_run(finance, run)
    assert error.value.code == "not_generated"


def test_publish_run_needs_the_permission_and_scope(finance, estate, other_estate, unit, fee):
    run = run_now(finance, **choice(estate, fee))
    with pytest.raises(PermissionDenied):
        publish_bill_run(make_user("runner", "billing.add_billrun"), run)
    stranger = make_user("stranger", "billing.publish_bill", estates=[other_estate])
    with pytest.raises(Http404):
        publish_bill_run(stranger, run)
    assert Bill.objects.get().status == BillStatus.DRAFT


def test_two_spaces_billed_to_one_unit_are_two_bills(finance, estate, unit, owner, items):
    parking = items["parking"]
    ParkingSpace.objects.create(estate=estate, code="P-1", unit=unit)
    ParkingSpace.objects.create(estate=estate, code="P-2", unit=unit)

    assert run_now(finance, **choice(estate, parking)).bill_count == 2
    assert set(Bill.objects.values_list("unit", flat=True)) == {unit.pk}


# What the preview promises -------------------------------------------------------------------


def test_preview_says_per_problem_kind_whether_bills_are_created_or_skipped(
    finance, estate, unit, owner, fee, water
):
    # Issue 19: "no owner: billed anyway" was followed by "the problems above are skipped".
    UnitFactory(entrance=unit.entrance, room_no="1204", area="50.00")  # nobody owns it
    make_bill(unit, fee, "221.25", status=BillStatus.DRAFT, payer=owner)

    preview = preview_bill_run(finance, **choice(estate, fee, water))

    outcomes = {p["code"]: (p["outcome"], p["effect"]) for p in preview.problems}
    assert outcomes["no_owner"] == ("no_payer", "1 bill is created without a payer")
    assert outcomes["missing_reading"] == ("skipped", "2 bills are not created")
    assert outcomes["existing"] == ("exists", "1 bill exists already and is not created again")
    assert (preview.bill_count, preview.without_payer_count, preview.skipped_count) == (1, 1, 2)


def months_from_now(count):
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def test_a_run_beyond_the_next_period_must_be_confirmed(finance, estate, unit, owner, fee):
    preview = preview_bill_run(finance, **choice(estate, fee, period=months_from_now(3)))
    assert preview.periods_ahead == 3 and preview.needs_confirmation
    assert "3 months ahead" in preview.ahead_note
    with pytest.raises(ValidationError) as refused:
        start_bill_run(finance, **choice(estate, fee, period=months_from_now(3)))
    assert refused.value.error_dict["confirm_ahead"][0].code == "period_far_ahead"
    assert not BillRun.objects.exists()

    run = start_bill_run(
        finance, **choice(estate, fee, period=months_from_now(3)), confirm_ahead=True
    )
    assert run.period == months_from_now(3)


def test_the_current_and_the_next_period_need_no_confirmation(finance, estate, unit, fee):
    for ahead in (0, 1):
        preview = preview_bill_run(finance, **choice(estate, fee, period=months_from_now(ahead)))
        assert preview.periods_ahead == ahead and not preview.needs_confirmation
        start_bill_run(finance, **choice(estate, fee, period=months_from_now(ahead)))
    preview = preview_bill_run(finance, **choice(estate, fee, period=months_from_now(1)))
    assert "1 month ahead" in preview.ahead_note
