"""Periodic work: SLA breach notices (once per breach) and closing completed orders."""

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from courtyard.core import parameters
from courtyard.core.exceptions import StateConflict
from courtyard.core.models import Message
from courtyard.core.timeline import events_for
from courtyard.repairs import services, tasks
from courtyard.repairs.choices import WorkOrderStatus as S
from courtyard.repairs.models import WorkOrder
from tests.factories import make_user

from .conftest import SUPERVISOR_PERMS

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(datetime(2026, 3, 2, 9, 0))


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = T0

        def set(self, moment):
            self.now = moment

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


def breach_messages(user=None):
    messages = Message.objects.filter(purpose=tasks.BREACH_PURPOSE)
    return messages.filter(recipient_user=user) if user else messages


def test_breaches_are_notified_once_to_the_supervisors_in_scope(
    clock, clerk, supervisor, tech, unit, other_unit, water
):
    far_boss = make_user("far_boss", *SUPERVISOR_PERMS, estates=[other_unit.estate])
    order = services.create_work_order(
        clerk, category=water, description="x", urgency="urgent", unit=unit
    )
    clock.set(T0 + timedelta(hours=3))
    assert tasks.notify_sla_breaches() == 0
    clock.set(T0 + timedelta(hours=5))  # response deadline (4 h) passed
    assert tasks.notify_sla_breaches() == 1
    # clerk holds dispatch_workorder too: both people who can act are told, nobody elsewhere
    assert set(breach_messages().values_list("recipient_user__username", flat=True)) == {
        "clerk",
        "super",
    }
    assert not breach_messages(far_boss).exists() and not breach_messages(tech).exists()
    message = breach_messages(supervisor).get()
    assert order.number in message.body and "was not accepted" in message.body
    assert tasks.notify_sla_breaches() == 0  # once per breach
    order.refresh_from_db()
    assert order.response_breach_notified_at == T0 + timedelta(hours=5)
    assert events_for(order).filter(verb="response_breached").count() == 1

    services.dispatch(clerk, order, assignee=tech)
    clock.set(T0 + timedelta(hours=25))  # resolution deadline (24 h) passed
    assert tasks.notify_sla_breaches() == 1
    assert breach_messages(supervisor).filter(body__contains="was not completed").count() == 1
    assert tasks.notify_sla_breaches() == 0


def test_one_digest_per_supervisor_per_run(clock, clerk, supervisor, unit, other_unit, water):
    far_boss = make_user("far_boss", *SUPERVISOR_PERMS, estates=[other_unit.estate])
    here = [
        services.create_work_order(clerk, category=water, description="x", unit=unit)
        for _ in range(tasks.DIGEST_LINES + 2)
    ]
    boss = make_user("boss", superuser=True)
    there = services.create_work_order(boss, category=water, description="x", unit=other_unit)
    clock.set(T0 + timedelta(days=10))  # response and resolution deadlines of all passed
    assert tasks.notify_sla_breaches() == 2 * (len(here) + 1)
    digest = breach_messages(supervisor).get()  # one message, however many breaches
    assert digest.subject == f"Repair deadlines missed: {2 * len(here)}"
    assert "… and 24 more." in digest.body  # 44 breaches in their estate, 20 named
    assert "/repairs/?overdue=true" in digest.body
    theirs = breach_messages(far_boss).get()
    assert theirs.body.count("Work order") == 2 and str(there.place) in theirs.body
    assert theirs.subject == "Repair deadlines missed: 2"
    assert tasks.notify_sla_breaches() == 0
    assert breach_messages().count() == 3  # supervisor, clerk (may dispatch too), far_boss


def test_a_reopened_order_breaches_anew(clock, clerk, supervisor, tech, unit, water):
    order = services.create_work_order(clerk, category=water, description="x", unit=unit)
    services.dispatch(clerk, order, assignee=tech)
    services.start(tech, order)
    clock.set(T0 + timedelta(hours=80))
    tasks.notify_sla_breaches()
    services.complete(tech, order, work_done="x")
    services.reopen(supervisor, order, reason="又坏了")
    assert tasks.notify_sla_breaches() == 0
    clock.set(T0 + timedelta(hours=80 + 73))
    assert tasks.notify_sla_breaches() == 1
    assert breach_messages(supervisor).filter(body__contains="was not completed").count() == 2


def test_completed_and_cancelled_orders_do_not_breach(clock, clerk, tech, unit, water):
    order = services.create_work_order(clerk, category=water, description="x", unit=unit)
    services.cancel(clerk, order, reason="重复")
    clock.set(T0 + timedelta(days=30))
    assert tasks.notify_sla_breaches() == 0


def test_completed_orders_close_automatically(clock, clerk, tech, unit, water, resident_user):
    order = services.create_work_order(clerk, category=water, description="x", unit=unit)
    services.dispatch(clerk, order, assignee=tech)
    services.start(tech, order)
    services.complete(tech, order, work_done="x")
    clock.set(T0 + timedelta(days=6, hours=23))
    assert tasks.close_completed_orders() == 0
    clock.set(T0 + timedelta(days=7, minutes=1))
    assert tasks.close_completed_orders() == 1
    order.refresh_from_db()
    assert order.status == S.CLOSED and order.closed_automatically
    assert order.closed_at == T0 + timedelta(days=7, minutes=1)
    event = events_for(order).first()
    assert event.verb == "closed" and event.actor is None and event.data["automatic"]
    assert tasks.close_completed_orders() == 0


def test_auto_close_delay_is_a_parameter(clock, clerk, tech, unit, water):
    parameters.set_value("repairs.auto_close_days", "2")
    order = services.create_work_order(clerk, category=water, description="x", unit=unit)
    services.dispatch(clerk, order, assignee=tech)
    services.start(tech, order)
    services.complete(tech, order, work_done="x")
    clock.set(T0 + timedelta(days=2, minutes=1))
    assert tasks.close_completed_orders() == 1


def test_the_periodic_tasks_run(clerk, unit, water):
    tasks.sla_breach_task.call_local()
    tasks.auto_close_task.call_local()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_dispatches_at_once_on_postgresql(clerk, supervisor, tech, tech2, unit, water):
    """Two threads dispatch the same accepted order at the same moment: exactly one wins."""
    order = services.create_work_order(clerk, category=water, description="x", unit=unit)
    services.accept(clerk, order)
    barrier = threading.Barrier(2)
    results = []

    def attempt(actor, assignee):
        try:
            mine = WorkOrder.objects.get(pk=order.pk)
            barrier.wait()
            services.dispatch(actor, mine, assignee=assignee)
            results.append("ok")
        except StateConflict as conflict:
            results.append(conflict.code)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=attempt, args=(clerk, tech)),
        threading.Thread(target=attempt, args=(supervisor, tech2)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["changed_meanwhile", "ok"]
    assert events_for(WorkOrder.objects.get(pk=order.pk)).filter(verb="dispatched").count() == 1
