"""The demo work orders: several hundred over a year, every state, consistent and idempotent."""

import datetime
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import F, Sum
from django.utils import timezone

from courtyard.accounts.models import User
from courtyard.core.models import TimelineEvent
from courtyard.repairs import services
from courtyard.repairs.choices import WorkOrderStatus as S
from courtyard.repairs.models import (
    FollowUp,
    RepairCategory,
    WorkOrder,
    WorkOrderDailyFigure,
    WorkOrderSequence,
)
from courtyard.repairs.statistics import rollup

from .conftest import CATEGORIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    for i, (code, name) in enumerate(CATEGORIES):  # the data migration's rows
        RepairCategory.objects.get_or_create(code=code, defaults={"name": name, "sort_order": i})
    call_command("seed_demo", verbosity=0)


def test_demo_work_orders_tell_a_story(seeded):
    orders = WorkOrder.objects.all()
    assert 500 <= orders.count() <= 700
    statuses = Counter(orders.values_list("status", flat=True))
    assert set(statuses) == set(S.values)
    assert statuses[S.CLOSED] > orders.count() / 2
    assert orders.filter(reopen_count=1).exists()
    assert orders.filter(rating__isnull=False).count() > 100
    assert orders.filter(closed_automatically=True).exists()
    assert orders.filter(WorkOrder.overdue_q()).exists()
    assert orders.filter(unit__isnull=True).exclude(location="").exists()
    assert orders.filter(status__in=(S.DISPATCHED, S.IN_PROGRESS), assignee__username="tech1")
    assert FollowUp.objects.exists()
    tech = User.objects.get(username="tech1")
    assert tech.repair_skills.count() >= 4
    demo = User.objects.get(username="13800000001")
    assert orders.filter(reported_by=demo).count() >= 3
    # Consistent timestamps.
    assert not orders.filter(accepted_at__lt=F("created_at")).exists()
    assert not orders.filter(dispatched_at__lt=F("accepted_at")).exists()
    assert not orders.filter(started_at__lt=F("dispatched_at")).exists()
    assert not orders.filter(completed_at__lt=F("started_at")).exists()
    assert not orders.filter(closed_at__lt=F("completed_at")).exists()
    assert not orders.filter(status=S.CLOSED, closed_at__isnull=True).exists()
    assert not orders.filter(status=S.COMPLETED, completed_at__isnull=True).exists()
    events = TimelineEvent.objects.filter(content_type__model="workorder", verb="submitted")
    assert events.count() == orders.count()
    statuses = set(orders.filter(reported_by=demo).values_list("status", flat=True))
    assert {S.SUBMITTED, S.IN_PROGRESS, S.COMPLETED} <= statuses


def test_demo_statistics_are_summed_in_the_rollup(seeded):
    first, today = rollup.first_day(), timezone.localdate()
    assert rollup.stale_days(first, today) == []
    assert WorkOrderDailyFigure.objects.aggregate(n=Sum("orders"))["n"] == WorkOrder.objects.count()


def test_demo_numbers_are_sequential_and_continue(seeded):
    for sequence in WorkOrderSequence.objects.all():
        numbers = sorted(
            WorkOrder.objects.filter(
                estate_id=sequence.estate_id, number__startswith=f"BX-{sequence.year}-"
            ).values_list("number", flat=True)
        )
        assert numbers == [f"BX-{sequence.year}-{n:06d}" for n in range(1, len(numbers) + 1)]
        assert sequence.last_number == len(numbers)
    order = WorkOrder.objects.order_by("-created_at").first()
    admin = User.objects.get(username="admin")
    new = services.create_work_order(
        admin,
        category=order.category,
        description="x",
        unit=order.unit,
        building=order.building,
        estate=order.estate,
        location=order.location or "x",
    )
    assert new.number > order.number


def test_demo_is_idempotent(seeded):
    count = WorkOrder.objects.count()
    call_command("seed_demo", verbosity=0)
    assert WorkOrder.objects.count() == count


def test_demo_roles_may_work_repairs(seeded):
    assert User.objects.get(username="service").has_perm("repairs.dispatch_workorder")
    assert User.objects.get(username="tech1").has_perm("repairs.complete_workorder")
    assert User.objects.get(username="supervisor").has_perm("repairs.close_workorder")


def test_demo_history_raises_no_breach_notices(seeded):
    """Its open orders past their deadlines were told at the time; only what breaches after
    seeding reaches the supervisors' bells."""
    from courtyard.core.models import Message
    from courtyard.repairs import tasks

    assert WorkOrder.objects.filter(WorkOrder.overdue_q()).exists()  # the history has them
    assert tasks.notify_sla_breaches() == 0
    assert not Message.objects.filter(purpose=tasks.BREACH_PURPOSE).exists()


@pytest.mark.django_db
def test_the_demo_residents_orders_reach_their_states_whenever_seeded(monkeypatch):
    """Seeded at 01:20 UTC the demo resident's order of two days ago was answered late and had
    not been started: the portal showed no repair in progress (the demo's history depends on
    the hour it is seeded at)."""
    seeded_at = datetime.datetime(2026, 12, 8, 1, 20, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: seeded_at)
    for i, (code, name) in enumerate(CATEGORIES):
        RepairCategory.objects.get_or_create(code=code, defaults={"name": name, "sort_order": i})
    call_command("seed_demo", verbosity=0)
    demo = User.objects.get(username="13800000001")
    statuses = set(WorkOrder.objects.filter(reported_by=demo).values_list("status", flat=True))
    assert {S.SUBMITTED, S.IN_PROGRESS, S.COMPLETED} <= statuses
