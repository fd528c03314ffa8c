"""The work order's state machine: every transition, every refusal, permissions and scope."""

import base64
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from courtyard.core.exceptions import StateConflict
from courtyard.core.files import attachments_of
from courtyard.core.models import Message
from courtyard.core.timeline import events_for
from courtyard.repairs import hooks, selectors, services
from courtyard.repairs.choices import WorkOrderStatus as S
from courtyard.repairs.models import FollowUp, WorkOrder

from .conftest import TECH_PERMS, photo, png_bytes

pytestmark = pytest.mark.django_db


def verbs(order):
    return list(events_for(order).order_by("at", "id").values_list("verb", flat=True))


def put(order, status, **fields):
    """Move an order straight to a state (the set-up of a refusal test)."""
    WorkOrder.objects.filter(pk=order.pk).update(status=status, **fields)
    order.refresh_from_db()
    return order


# Creating -----------------------------------------------------------------------------------


def test_staff_create_numbers_deadlines_and_timeline(new_order, clerk, unit, water, resident_user):
    year = timezone.localdate().year
    assert new_order.number == f"BX-{year}-000001"
    assert new_order.status == S.SUBMITTED
    assert new_order.estate == unit.estate and new_order.building == unit.building
    assert new_order.priority == 1
    assert new_order.response_due == new_order.created_at + timedelta(hours=4)
    assert new_order.resolution_due == new_order.created_at + timedelta(hours=24)
    assert verbs(new_order) == ["submitted"]
    second = services.create_work_order(
        clerk, category=water, description="灯不亮", urgency="normal", source="walk_in", unit=unit
    )
    assert second.number == f"BX-{year}-000002"


def test_staff_create_links_the_resident_by_phone(resident_user, clerk, unit, water):
    order = services.create_work_order(
        clerk, category=water, description="漏水", unit=unit, contact_phone="13900000009"
    )
    assert order.resident.user == resident_user


def test_numbers_are_sequential_per_estate_and_year(clerk, supervisor, unit, other_unit, water):
    boss = services.create_work_order
    admin = supervisor.__class__.objects.create_superuser("root", password="x#Courtyard1")
    first = boss(admin, category=water, description="a", unit=unit)
    other = boss(admin, category=water, description="b", unit=other_unit)
    again = boss(admin, category=water, description="c", unit=unit)
    assert first.number.endswith("-000001") and again.number.endswith("-000002")
    assert other.number.endswith("-000001")
    assert services.next_number(unit.estate_id, 2030) == "BX-2030-000001"


def test_public_area_needs_a_location(clerk, unit, water):
    with pytest.raises(ValidationError) as error:
        services.create_work_order(
            clerk, category=water, description="路灯坏了", building=unit.building
        )
    assert "location" in error.value.message_dict
    order = services.create_work_order(
        clerk, category=water, description="路灯坏了", building=unit.building, location="东门"
    )
    assert order.unit is None and order.estate == unit.estate and "东门" in order.place


def test_create_refusals(clerk, unit, other_unit, water, categories):
    no_add = services.create_work_order.__wrapped__ if False else services.create_work_order
    from tests.factories import make_user

    viewer = make_user("viewer", "repairs.view_workorder", estates=[unit.estate])
    with pytest.raises(PermissionDenied):
        no_add(viewer, category=water, description="x", unit=unit)
    with pytest.raises(Http404):
        services.create_work_order(clerk, category=water, description="x", unit=other_unit)
    with pytest.raises(ValidationError) as error:
        services.create_work_order(clerk, category=water, description=" ", unit=unit)
    assert "description" in error.value.message_dict
    water.is_active = False
    water.save()
    with pytest.raises(ValidationError) as error:
        services.create_work_order(clerk, category=water, description="x", unit=unit)
    assert "category" in error.value.message_dict
    assert not WorkOrder.objects.exists()


def test_the_unit_of_an_order_agrees_with_the_building_and_estate_named(clerk, unit, water):
    from tests.factories import BuildingFactory, EstateFactory

    other_building = BuildingFactory(estate=unit.estate)
    with pytest.raises(ValidationError) as error:
        services.create_work_order(
            clerk, category=water, description="x", unit=unit, building=other_building
        )
    assert error.value.error_dict["unit"][0].code == "wrong_building"
    with pytest.raises(ValidationError) as error:
        services.create_work_order(
            clerk, category=water, description="x", unit=unit, estate=EstateFactory()
        )
    assert error.value.error_dict["unit"][0].code == "wrong_estate"
    assert not WorkOrder.objects.exists()
    order = services.create_work_order(
        clerk,
        category=water,
        description="x",
        unit=unit,
        building=unit.building,
        estate=unit.estate,
    )
    assert order.unit == unit


def test_photos_are_checked_by_content_and_counted(clerk, unit, water):
    fake = SimpleUploadedFile("leak.png", b"not an image at all", content_type="image/png")
    with pytest.raises(ValidationError) as error:
        services.create_work_order(
            clerk, category=water, description="x", unit=unit, photos=[photo(), fake]
        )
    assert error.value.error_dict["photos"][0].code == "bad_file_type"
    with pytest.raises(ValidationError) as error:
        services.create_work_order(
            clerk, category=water, description="x", unit=unit, photos=[photo() for _ in range(10)]
        )
    assert error.value.error_dict["photos"][0].code == "too_many_photos"
    assert not WorkOrder.objects.exists()
    order = services.create_work_order(
        clerk, category=water, description="x", unit=unit, photos=[photo() for _ in range(9)]
    )
    assert selectors.photos_of(order, "report").count() == 9


def test_too_large_photo_is_refused(clerk, unit, water, settings):
    settings.UPLOAD_MAX_BYTES = 100
    big = photo(content=png_bytes() + b"\0" * 200)
    with pytest.raises(ValidationError) as error:
        services.create_work_order(clerk, category=water, description="x", unit=unit, photos=[big])
    assert error.value.error_dict["photos"][0].code == "file_too_large"


# The resident's report ----------------------------------------------------------------------


def test_resident_reports_for_their_own_unit(resident_user, unit, water):
    order = services.submit_from_portal(
        resident_user,
        unit=unit,
        category=water,
        description="卫生间漏水",
        urgency="emergency",
        preferred_time="周六上午",
        photos=[photo()],
    )
    assert order.source == "portal" and order.reported_by == resident_user
    assert order.resident.user == resident_user and order.contact_phone == "13900000009"
    assert order.response_due == order.created_at + timedelta(minutes=30)
    assert order.resolution_due == order.created_at + timedelta(hours=4)
    assert selectors.orders_for_resident(resident_user).get() == order


def test_resident_cannot_report_for_another_unit(resident_user, other_unit, water):
    with pytest.raises(ValidationError) as error:
        services.submit_from_portal(
            resident_user, unit=other_unit, category=water, description="x", urgency="normal"
        )
    assert error.value.error_dict["unit"][0].code == "not_your_unit"


def test_resident_who_moved_out_cannot_report(resident_user, unit, water):
    resident_user.resident.occupancies.update(status="ended")
    with pytest.raises(ValidationError):
        services.submit_from_portal(
            resident_user, unit=unit, category=water, description="x", urgency="normal"
        )


def test_staff_cannot_use_the_portal_report(clerk, unit, water):
    with pytest.raises(PermissionDenied):
        services.submit_from_portal(
            clerk, unit=unit, category=water, description="x", urgency="normal"
        )


def test_resident_at_most_nine_photos(resident_user, unit, water):
    with pytest.raises(ValidationError):
        services.submit_from_portal(
            resident_user,
            unit=unit,
            category=water,
            description="x",
            urgency="normal",
            photos=[photo() for _ in range(10)],
        )
    assert not WorkOrder.objects.exists()


# The whole way ------------------------------------------------------------------------------


def test_full_flow_with_messages_and_timeline(
    new_order, clerk, tech, resident_user, django_capture_on_commit_callbacks
):
    order = new_order
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(clerk, order)
    assert order.status == S.ACCEPTED and order.accepted_at is not None
    services.dispatch(clerk, order, assignee=tech, note="请30分钟内联系业主")
    assert order.status == S.DISPATCHED and order.assignee == tech
    assert order.dispatch_note == "请30分钟内联系业主"
    services.start(tech, order)
    assert order.status == S.IN_PROGRESS and order.started_at is not None
    follow_up = services.add_follow_up(tech, order, text="已关阀门", photos=[photo()])
    assert selectors.follow_ups_of(order)[0].photos[0].pk == attachments_of(follow_up).get().pk
    services.complete(
        tech, order, work_done="更换三通", materials="三通×1", cost="35.50", photos=[photo()]
    )
    assert order.status == S.COMPLETED and order.cost == Decimal("35.50")
    services.confirm_completion(resident_user, order)
    assert order.status == S.CLOSED and order.closed_at is not None
    services.rate(resident_user, order, stars=5, comment="很及时")
    order.refresh_from_db()
    assert order.rating == 5 and order.rated_at is not None
    assert verbs(order) == [
        "submitted",
        "accepted",
        "dispatched",
        "started",
        "followed_up",
        "completed",
        "confirmed",
        "rated",
    ]
    events = list(events_for(order))
    assert all(e.actor is not None for e in events)
    to_resident = Message.objects.filter(recipient_user=resident_user, channel="app")
    assert sorted(to_resident.values_list("purpose", flat=True)) == [
        "repair_accepted",
        "repair_completed",
        "repair_dispatched",
    ]
    assert Message.objects.filter(recipient_user=tech, purpose="repair_dispatched_to_you").exists()
    assert not Message.objects.filter(channel="sms").exists()


def test_sms_to_resident_when_switched_on(new_order, clerk, resident_user):
    from courtyard.core import parameters

    parameters.set_value("repairs.notify_resident_by_sms", True)
    services.accept(clerk, new_order)
    sms = Message.objects.get(channel="sms")
    assert sms.recipient == "13900000009" and new_order.number in sms.body


def test_accept_and_dispatch_in_one_step(new_order, clerk, tech):
    services.dispatch(clerk, new_order, assignee=tech)
    assert new_order.status == S.DISPATCHED and new_order.accepted_at is not None
    assert verbs(new_order) == ["submitted", "accepted", "dispatched"]


def test_one_step_dispatch_needs_the_accept_permission(new_order, tech, estate):
    from tests.factories import make_user

    dispatcher = make_user(
        "dispatcher", "repairs.view_workorder", "repairs.dispatch_workorder", estates=[estate]
    )
    with pytest.raises(PermissionDenied):
        services.dispatch(dispatcher, new_order, assignee=tech)


def test_reassignment_keeps_the_history(new_order, clerk, tech, tech2):
    services.dispatch(clerk, new_order, assignee=tech)
    services.start(tech, new_order)
    services.dispatch(clerk, new_order, assignee=tech2, note="李师傅请假")
    assert new_order.assignee == tech2 and new_order.status == S.DISPATCHED
    assert new_order.started_at is None
    assert verbs(new_order)[-1] == "reassigned"
    event = events_for(new_order).first()
    assert event.data["previous_assignee"] == tech.pk and event.data["assignee"] == tech2.pk
    with pytest.raises(ValidationError) as error:
        services.dispatch(clerk, new_order, assignee=tech2)
    assert error.value.error_dict["assignee"][0].code == "already_assigned"


def test_dispatch_only_to_a_technician_in_scope(new_order, clerk, other_unit):
    from tests.factories import make_user

    with pytest.raises(ValidationError) as error:
        services.dispatch(clerk, new_order, assignee=clerk)
    assert error.value.error_dict["assignee"][0].code == "not_technician"
    far = make_user("far", *TECH_PERMS, estates=[other_unit.estate])
    with pytest.raises(ValidationError) as error:
        services.dispatch(clerk, new_order, assignee=far)
    assert error.value.error_dict["assignee"][0].code == "out_of_scope"
    far.is_active = False
    far.save()
    with pytest.raises(ValidationError):
        services.dispatch(clerk, new_order, assignee=far)
    new_order.refresh_from_db()
    assert new_order.status == S.SUBMITTED and new_order.assignee is None


def test_the_staff_covering_an_order_are_those_whose_live_scope_reaches_it(
    new_order, unit, tech, other_unit
):
    from courtyard.accounts.models import ScopeGrant
    from tests.factories import make_user

    local = make_user("local", buildings=[unit.building])
    far = make_user("far", *TECH_PERMS, estates=[other_unit.estate])
    lapsed = make_user("lapsed", estates=[unit.estate])
    ScopeGrant.objects.filter(user=lapsed).update(expires_at=timezone.now() - timedelta(hours=1))
    everywhere = make_user("everywhere")
    resident = make_user("13900000001", kind="resident", estates=[unit.estate])
    root = make_user("root", superuser=True, all_estates=False)
    covering = set(services.staff_covering(new_order))
    assert {tech, local, everywhere, root} <= covering
    assert not {far, lapsed, resident} & covering


def test_a_technician_starts_and_completes_only_their_own(new_order, clerk, tech, tech2):
    services.dispatch(clerk, new_order, assignee=tech)
    with pytest.raises(PermissionDenied):
        services.start(tech2, new_order)
    services.start(tech, new_order)
    with pytest.raises(PermissionDenied):
        services.complete(tech2, new_order, work_done="x")


def test_a_supervisor_may_record_for_the_technician(new_order, clerk, tech, supervisor):
    services.dispatch(clerk, new_order, assignee=tech)
    services.start(supervisor, new_order)
    services.complete(supervisor, new_order, work_done="电话确认已修好")
    assert new_order.status == S.COMPLETED


# Completion -----------------------------------------------------------------------------------


@pytest.fixture
def working(new_order, clerk, tech):
    services.dispatch(clerk, new_order, assignee=tech)
    services.start(tech, new_order)
    return new_order


def test_completion_needs_work_done_and_a_valid_cost(working, tech):
    with pytest.raises(ValidationError) as error:
        services.complete(tech, working, work_done="", cost="-1")
    assert set(error.value.message_dict) == {"work_done", "cost"}
    with pytest.raises(ValidationError):
        services.complete(tech, working, work_done="x", cost="1.234")
    with pytest.raises(ValidationError):
        services.complete(tech, working, work_done="x", cost="abc")
    working.refresh_from_db()
    assert working.status == S.IN_PROGRESS


def test_signature_required_by_category(working, tech, water):
    water.requires_signature = True
    water.save()
    with pytest.raises(ValidationError) as error:
        services.complete(tech, working, work_done="x")
    assert error.value.error_dict["signature"][0].code == "signature_required"
    with pytest.raises(ValidationError):
        services.complete(tech, working, work_done="x", signature="data:image/png;base64,!!")
    with pytest.raises(ValidationError):
        services.complete(
            tech,
            working,
            work_done="x",
            signature="data:image/png;base64," + base64.b64encode(b"GIF89a").decode(),
        )
    signature = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    services.complete(tech, working, work_done="x", signature=signature)
    stored = selectors.photos_of(working, "signature").get()
    assert stored.mime_type == "image/png"


def test_paid_repair_hook_called_once(working, tech, resident_user):
    calls = []

    def handler(order, actor):
        calls.append((order.pk, order.cost, actor))

    WorkOrder.objects.filter(pk=working.pk).update(is_paid=True)
    working.refresh_from_db()
    hooks.register_paid_repair_handler(handler)
    try:
        services.complete(tech, working, work_done="换龙头", cost="80")
        assert calls == [(working.pk, Decimal("80"), tech)]
        WorkOrder.objects.filter(pk=working.pk).update(resident=resident_user.resident)
        working.refresh_from_db()
        services.reject_completion(resident_user, working, reason="还在漏")
        services.start(tech, working)
        services.complete(tech, working, work_done="再换", cost="80")
        assert len(calls) == 1
    finally:
        hooks.unregister_paid_repair_handler(handler)


def test_free_repair_calls_no_hook(working, tech):
    calls = []

    def handler(order, actor):
        calls.append(order)

    hooks.register_paid_repair_handler(handler)
    try:
        services.complete(tech, working, work_done="x")
    finally:
        hooks.unregister_paid_repair_handler(handler)
    assert calls == []


def test_a_failing_hook_rolls_the_completion_back(working, tech):
    def broken(order, actor):
        raise RuntimeError("billing down")

    WorkOrder.objects.filter(pk=working.pk).update(is_paid=True)
    working.refresh_from_db()
    hooks.register_paid_repair_handler(broken)
    try:
        with pytest.raises(RuntimeError):
            services.complete(tech, working, work_done="x", cost="10")
    finally:
        hooks.unregister_paid_repair_handler(broken)
    working.refresh_from_db()
    assert working.status == S.IN_PROGRESS and working.charge_raised_at is None


# The resident's answers ---------------------------------------------------------------------


@pytest.fixture
def done(working, tech, resident_user):
    assert working.resident.user == resident_user
    services.complete(tech, working, work_done="更换三通")
    return working


def test_resident_rejects_completion(done, resident_user, tech):
    before_due = done.resolution_due
    services.reject_completion(resident_user, done, reason="还在滴水")
    assert done.status == S.DISPATCHED and done.reopen_count == 1
    assert done.completed_at is None and done.resolution_due > before_due
    assert Message.objects.filter(recipient_user=tech, purpose="repair_reopened").exists()
    with pytest.raises(ValidationError):
        services.reject_completion(resident_user, done, reason="")


def test_staff_reopen_and_close(done, supervisor, clerk):
    with pytest.raises(PermissionDenied):
        services.close(clerk, done)
    services.close(supervisor, done)
    assert done.status == S.CLOSED
    services.reopen(supervisor, done, reason="业主来电说又坏了")
    assert done.status == S.DISPATCHED and done.reopen_count == 1 and done.closed_at is None


def test_rating_rules(done, resident_user):
    with pytest.raises(ValidationError) as error:
        services.rate(resident_user, done, stars=6)
    assert error.value.error_dict["stars"][0].code == "invalid_rating"
    with pytest.raises(ValidationError):
        services.rate(resident_user, done, stars="x")
    services.rate(resident_user, done, stars=4, comment="不错")
    with pytest.raises(StateConflict) as conflict:
        services.rate(resident_user, done, stars=5)
    assert conflict.value.code == "already_rated"
    done.refresh_from_db()
    assert done.rating == 4


def test_rating_only_when_completed(new_order, resident_user):
    with pytest.raises(StateConflict) as conflict:
        services.rate(resident_user, new_order, stars=5)
    assert conflict.value.code == "not_completed"


def test_another_resident_cannot_touch_the_order(done, unit):
    from courtyard.accounts.models import User

    stranger = User.objects.create_user(username="13700000000", kind="resident")
    for action in (
        lambda: services.confirm_completion(stranger, done),
        lambda: services.reject_completion(stranger, done, reason="x"),
        lambda: services.rate(stranger, done, stars=1),
        lambda: services.cancel(stranger, done, reason="x"),
    ):
        with pytest.raises(Http404):
            action()


def test_staff_cannot_answer_for_the_resident(done, supervisor):
    with pytest.raises(PermissionDenied):
        services.confirm_completion(supervisor, done)


def test_resident_cancels_only_before_dispatch(resident_user, unit, water, clerk, tech):
    order = services.submit_from_portal(
        resident_user, unit=unit, category=water, description="x", urgency="normal"
    )
    services.cancel(resident_user, order, reason="自己修好了")
    assert order.status == S.CANCELLED and order.cancel_reason == "自己修好了"
    second = services.submit_from_portal(
        resident_user, unit=unit, category=water, description="y", urgency="normal"
    )
    services.dispatch(clerk, second, assignee=tech)
    with pytest.raises(StateConflict) as conflict:
        services.cancel(resident_user, second, reason="不用了")
    assert conflict.value.code == "already_dispatched"


def test_staff_cancel_needs_a_reason_and_tells_the_technician(new_order, clerk, tech):
    services.dispatch(clerk, new_order, assignee=tech)
    with pytest.raises(ValidationError):
        services.cancel(clerk, new_order, reason="  ")
    services.cancel(clerk, new_order, reason="重复报修")
    assert new_order.status == S.CANCELLED
    assert Message.objects.filter(recipient_user=tech, purpose="repair_cancelled").exists()


# Every refused transition -------------------------------------------------------------------

ALLOWED = {
    "accept": {S.SUBMITTED},
    "dispatch": {S.SUBMITTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS},
    "start": {S.DISPATCHED},
    "follow_up": {S.SUBMITTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.COMPLETED},
    "complete": {S.IN_PROGRESS},
    "close": {S.COMPLETED},
    "cancel": {S.SUBMITTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.COMPLETED},
    "reopen": {S.COMPLETED, S.CLOSED},
    "confirm": {S.COMPLETED},
    "reject": {S.COMPLETED},
    "rate": {S.COMPLETED, S.CLOSED},
}
CODES = {
    "accept": "not_submitted",
    "dispatch": "not_dispatchable",
    "start": "not_dispatched",
    "follow_up": "not_open",
    "complete": "not_in_progress",
    "close": "not_completed",
    "cancel": "not_open",
    "reopen": "not_completed",
    "confirm": "not_completed",
    "reject": "not_completed",
    "rate": "not_completed",
}


def run(action, order, staff, resident, tech2):
    calls = {
        "accept": lambda: services.accept(staff, order),
        "dispatch": lambda: services.dispatch(staff, order, assignee=tech2),
        "start": lambda: services.start(staff, order),
        "follow_up": lambda: services.add_follow_up(staff, order, text="看过了"),
        "complete": lambda: services.complete(staff, order, work_done="修好"),
        "close": lambda: services.close(staff, order),
        "cancel": lambda: services.cancel(staff, order, reason="重复"),
        "reopen": lambda: services.reopen(staff, order, reason="又坏了"),
        "confirm": lambda: services.confirm_completion(resident, order),
        "reject": lambda: services.reject_completion(resident, order, reason="没修好"),
        "rate": lambda: services.rate(resident, order, stars=3),
    }
    return calls[action]()


@pytest.mark.parametrize(
    ("action", "status"),
    [(a, s) for a in ALLOWED for s in S.values if s not in ALLOWED[a]],
)
def test_refused_transitions(action, status, new_order, supervisor, resident_user, tech, tech2):
    order = put(new_order, status, assignee=tech)
    before = WorkOrder.objects.filter(pk=order.pk).values().get()
    events = events_for(order).count()
    with pytest.raises(StateConflict) as conflict:
        run(action, order, supervisor, resident_user, tech2)
    assert conflict.value.code == CODES[action]
    assert WorkOrder.objects.filter(pk=order.pk).values().get() == before
    assert events_for(order).count() == events
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize(
    ("action", "status"),
    [(a, s) for a in ALLOWED for s in ALLOWED[a]],
)
def test_allowed_transitions(action, status, new_order, supervisor, resident_user, tech, tech2):
    order = put(new_order, status, assignee=tech)
    run(action, order, supervisor, resident_user, tech2)
    order.refresh_from_db()
    expected = {
        "accept": S.ACCEPTED,
        "dispatch": S.DISPATCHED,
        "start": S.IN_PROGRESS,
        "follow_up": status,
        "complete": S.COMPLETED,
        "close": S.CLOSED,
        "cancel": S.CANCELLED,
        "reopen": S.DISPATCHED,
        "confirm": S.CLOSED,
        "reject": S.DISPATCHED,
        "rate": status,
    }[action]
    assert order.status == expected


STAFF_ACTIONS = {
    "accept": ("repairs.accept_workorder", S.SUBMITTED),
    "dispatch": ("repairs.dispatch_workorder", S.ACCEPTED),
    "start": ("repairs.complete_workorder", S.DISPATCHED),
    "follow_up": ("repairs.followup_workorder", S.IN_PROGRESS),
    "complete": ("repairs.complete_workorder", S.IN_PROGRESS),
    "close": ("repairs.close_workorder", S.COMPLETED),
    "cancel": ("repairs.cancel_workorder", S.ACCEPTED),
    "reopen": ("repairs.close_workorder", S.CLOSED),
}


@pytest.mark.parametrize("action", STAFF_ACTIONS)
def test_each_action_needs_its_permission(action, new_order, estate, tech, tech2, resident_user):
    from tests.factories import make_user

    permission, status = STAFF_ACTIONS[action]
    order = put(new_order, status, assignee=tech)
    others = [p for p, _s in STAFF_ACTIONS.values() if p != permission]
    without = make_user("without", "repairs.view_workorder", *set(others), estates=[estate])
    with pytest.raises(PermissionDenied):
        run(action, order, without, resident_user, tech2)
    holder = make_user(
        "holder",
        "repairs.view_workorder",
        permission,
        "repairs.dispatch_workorder",
        estates=[estate],
    )
    if action == "accept":
        holder = make_user("acceptor", "repairs.accept_workorder", estates=[estate])
    run(action, order, holder, resident_user, tech2)


@pytest.mark.parametrize("action", STAFF_ACTIONS)
def test_out_of_scope_is_not_found(action, new_order, other_unit, tech, tech2, resident_user):
    from tests.factories import make_user

    permission, status = STAFF_ACTIONS[action]
    order = put(new_order, status, assignee=tech)
    elsewhere = make_user(
        "elsewhere", *{p for p, _s in STAFF_ACTIONS.values()}, estates=[other_unit.estate]
    )
    with pytest.raises(Http404):
        run(action, order, elsewhere, resident_user, tech2)


def test_a_building_scope_covers_its_orders(new_order, unit, tech):
    from tests.factories import make_user

    local = make_user("local", "repairs.accept_workorder", buildings=[unit.building])
    services.accept(local, new_order)
    assert new_order.status == S.ACCEPTED


# Concurrency --------------------------------------------------------------------------------


def test_two_dispatches_of_one_order_exactly_one_wins(new_order, clerk, supervisor, tech, tech2):
    """Both callers loaded the order as accepted; the second re-reads under the lock."""
    services.accept(clerk, new_order)
    first = WorkOrder.objects.get(pk=new_order.pk)
    second = WorkOrder.objects.get(pk=new_order.pk)
    services.dispatch(clerk, first, assignee=tech)
    with pytest.raises(StateConflict) as conflict:
        services.dispatch(supervisor, second, assignee=tech2, note="我来派")
    assert conflict.value.code == "changed_meanwhile"
    stored = WorkOrder.objects.get(pk=new_order.pk)
    assert stored.assignee == tech and stored.dispatch_note == ""
    assert verbs(stored).count("dispatched") == 1
    assert Message.objects.filter(purpose="repair_dispatched_to_you").count() == 1


def test_the_same_accept_twice_is_refused(new_order, clerk):
    again = WorkOrder.objects.get(pk=new_order.pk)
    services.accept(clerk, new_order)
    with pytest.raises(StateConflict):
        services.accept(clerk, again)
    assert verbs(new_order).count("accepted") == 1


# Technician candidates ----------------------------------------------------------------------


def test_candidates_with_skills_load_and_suggestion(
    new_order,
    unit,
    other_unit,
    water,
    categories,
    tech,
    tech2,
    clerk,
    django_assert_max_num_queries,
):
    from courtyard.repairs.models import TechnicianSkill
    from tests.factories import make_user

    busy = make_user("busy", *TECH_PERMS, estates=[unit.estate], full_name="赵师傅")
    TechnicianSkill.objects.create(user=busy, category=water)
    make_user("far", *TECH_PERMS, estates=[other_unit.estate])
    building_only = make_user("local", *TECH_PERMS, buildings=[unit.building])
    for i in range(2):
        extra = services.create_work_order(clerk, category=water, description=f"{i}", unit=unit)
        services.dispatch(clerk, extra, assignee=busy)
    with django_assert_max_num_queries(8):
        candidates = services.technician_candidates(new_order)
    names = [c.user.username for c in candidates]
    assert names[0] == "tech1" and candidates[0].suggested
    assert set(names) == {"tech1", "busy", "tech2", "local"}
    assert building_only.username in names
    loads = {c.user.username: c.open_load for c in candidates}
    assert loads == {"tech1": 0, "busy": 2, "tech2": 0, "local": 0}
    assert [c.suggested for c in candidates].count(True) == 1
    user, skills, load, suggested = candidates[0]
    assert skills == [water] and load == 0 and suggested


def test_no_suggestion_without_a_skilled_technician(new_order, tech2, categories):
    new_order.category = categories["elevator"]
    candidates = services.technician_candidates(new_order)
    assert [c.user for c in candidates] == [tech2] and not candidates[0].suggested


# SLA ----------------------------------------------------------------------------------------

T0 = timezone.make_aware(datetime(2026, 3, 2, 9, 0))


@pytest.fixture
def clock(monkeypatch):
    """A frozen, settable clock for the services, the model properties and the tasks."""

    class Clock:
        now = T0

        def set(self, moment):
            self.now = moment

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


def test_deadlines_and_breach_detection_with_a_frozen_clock(clock, clerk, unit, water, tech):
    order = services.create_work_order(
        clerk, category=water, description="x", urgency="normal", unit=unit
    )
    assert order.created_at == T0
    assert order.response_due == T0 + timedelta(hours=24)
    assert order.resolution_due == T0 + timedelta(hours=72)
    clock.set(T0 + timedelta(hours=23))
    assert not order.response_overdue and not order.is_overdue
    clock.set(T0 + timedelta(hours=25))
    assert order.response_overdue and not order.resolution_overdue
    assert WorkOrder.objects.filter(WorkOrder.overdue_q()).get() == order
    services.dispatch(clerk, order, assignee=tech)
    assert not order.response_overdue
    clock.set(T0 + timedelta(hours=73))
    assert order.resolution_overdue
    assert selectors.work_orders_by_tab(clerk, "overdue").get() == order


def test_deadlines_follow_the_parameters(clock, clerk, unit, water):
    from courtyard.core import parameters

    parameters.set_value("repairs.response_hours_urgent", "2.5")
    order = services.create_work_order(
        clerk, category=water, description="x", urgency="urgent", unit=unit
    )
    assert order.response_due == T0 + timedelta(hours=2, minutes=30)


def test_reopen_restarts_the_resolution_deadline(clock, done, resident_user):
    clock.set(T0 + timedelta(days=10))
    services.reject_completion(resident_user, done, reason="还漏")
    assert done.resolution_due == T0 + timedelta(days=10, hours=24)
    assert done.resolution_breach_notified_at is None


# Lists --------------------------------------------------------------------------------------


def test_pending_list_most_urgent_then_oldest(clock, clerk, unit, water, other_unit):
    made = []
    for i, urgency in enumerate(["normal", "emergency", "normal", "urgent"]):
        clock.set(T0 + timedelta(minutes=i))
        made.append(
            services.create_work_order(
                clerk, category=water, description=str(i), urgency=urgency, unit=unit
            )
        )
    pending = list(selectors.pending_work_orders(clerk))
    assert [o.description for o in pending] == ["1", "3", "0", "2"]


def test_lists_take_a_fixed_number_of_queries(clerk, unit, water, django_assert_num_queries):
    for i in range(5):
        services.create_work_order(clerk, category=water, description=str(i), unit=unit)
    with django_assert_num_queries(1):
        rows = [
            (o.place, o.category.name, o.estate.name) for o in selectors.visible_work_orders(clerk)
        ]
    assert len(rows) == 5


def test_my_work_orders_for_the_technician(new_order, clerk, tech, tech2):
    services.dispatch(clerk, new_order, assignee=tech)
    assert list(selectors.my_work_orders(tech)) == [new_order]
    assert not selectors.my_work_orders(tech2).exists()


# Corrections --------------------------------------------------------------------------------


def test_update_moves_the_running_deadlines(clock, clerk, supervisor, unit, water, categories):
    order = services.create_work_order(
        clerk, category=water, description="x", urgency="normal", unit=unit
    )
    clock.set(T0 + timedelta(hours=1))
    services.update_work_order(
        supervisor, order, urgency="emergency", category=categories["pipes"], description="爆管"
    )
    assert order.priority == 0 and order.category == categories["pipes"]
    assert order.response_due == T0 + timedelta(minutes=30)
    assert order.resolution_due == T0 + timedelta(hours=4)
    event = events_for(order).first()
    assert event.verb == "changed" and set(event.data["changes"]) == {
        "urgency",
        "category",
        "description",
    }
    services.update_work_order(supervisor, order, description="爆管")  # nothing changes
    assert events_for(order).filter(verb="changed").count() == 1


def test_update_rules(new_order, clerk, supervisor):
    with pytest.raises(PermissionDenied):
        services.update_work_order(clerk, new_order, description="y")
    with pytest.raises(ValidationError):
        services.update_work_order(supervisor, new_order, description=" ")
    with pytest.raises(TypeError):
        services.update_work_order(supervisor, new_order, status="closed")
    put(new_order, S.CANCELLED)
    with pytest.raises(StateConflict) as conflict:
        services.update_work_order(supervisor, new_order, description="y")
    assert conflict.value.code == "not_open"
