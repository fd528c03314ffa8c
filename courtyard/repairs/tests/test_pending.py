"""The pending repairs page (待处理报修): the work order list's search and filters, newest
first on demand, and what arrived since the user's last look marked new."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courtyard.repairs import services
from courtyard.repairs.models import PendingListVisit, WorkOrder

PENDING = reverse("repairs:pending")


def order_in(unit, category, user, **fields):
    fields.setdefault("description", "楼道灯不亮")
    fields.setdefault("urgency", "normal")
    fields.setdefault("source", "phone")
    return services.create_work_order(user, category=category, unit=unit, **fields)


def reported(order, when):
    WorkOrder.objects.filter(pk=order.pk).update(created_at=when)


# The service -------------------------------------------------------------------------------


def test_first_look_marks_nothing_new(clerk):
    assert services.look_at_pending(clerk) is None
    assert PendingListVisit.objects.filter(user=clerk).exists()


def test_a_look_after_a_pause_starts_from_the_previous_one(clerk):
    start = timezone.now() - datetime.timedelta(hours=3)
    services.look_at_pending(clerk, now=start)
    # Paging and filtering within one look keep the same markers.
    assert services.look_at_pending(clerk, now=start + datetime.timedelta(minutes=5)) is None
    later = start + datetime.timedelta(hours=2)
    assert services.look_at_pending(clerk, now=later) == start + datetime.timedelta(minutes=5)
    again = later + datetime.timedelta(minutes=10)
    assert services.look_at_pending(clerk, now=again) == start + datetime.timedelta(minutes=5)


# The page ----------------------------------------------------------------------------------


def test_pending_list_searches_and_filters_like_the_work_order_list(
    client, clerk, unit, water, categories
):
    leak = order_in(unit, water, clerk, description="厨房水管漏水")
    door = order_in(unit, categories["door_access"], clerk, description="门禁卡失灵")
    client.force_login(clerk)
    found = client.get(PENDING, {"q": "漏水"}).content.decode()
    assert leak.number in found and door.number not in found
    by_category = client.get(PENDING, {"category": categories["door_access"].pk})
    content = by_category.content.decode()
    assert door.number in content and leak.number not in content
    assert 'name="q"' in content and 'name="urgency"' in content


def test_pending_list_sorts_newest_first_on_demand(client, clerk, unit, water):
    now = timezone.now()
    old_emergency = order_in(unit, water, clerk, description="旧的紧急", urgency="emergency")
    fresh_normal = order_in(unit, water, clerk, description="刚报的普通")
    reported(old_emergency, now - datetime.timedelta(days=3))
    client.force_login(clerk)
    default = client.get(PENDING).content.decode()
    assert default.index(old_emergency.number) < default.index(fresh_normal.number)
    newest = client.get(PENDING, {"sort": "newest"}).content.decode()
    assert newest.index(fresh_normal.number) < newest.index(old_emergency.number)


def test_pending_list_marks_what_arrived_since_the_last_look(client, clerk, unit, water):
    before = order_in(unit, water, clerk, description="上次看过的")
    reported(before, timezone.now() - datetime.timedelta(hours=2))
    PendingListVisit.objects.create(
        user=clerk, seen_at=timezone.now() - datetime.timedelta(hours=1)
    )
    arrived = order_in(unit, water, clerk, description="新来的")
    client.force_login(clerk)

    content = client.get(PENDING).content.decode()

    assert "1 new since your last look" in content
    card = content[content.index(f'data-order="{arrived.number}"') :]
    assert "wo-new" in card[: card.index("</a>") + 200]
    old_card = content[content.index(f'data-order="{before.number}"') :]
    assert "wo-new" not in old_card[: old_card.index("wo-pending-description")]
    only_new = client.get(PENDING, {"new": "1"}).content.decode()
    assert arrived.number in only_new and before.number not in only_new


def test_pending_list_queries_do_not_grow_with_the_rows(client, clerk, unit, water):
    PendingListVisit.objects.create(
        user=clerk, seen_at=timezone.now() - datetime.timedelta(hours=1)
    )
    for number in range(3):
        order_in(unit, water, clerk, description=f"问题{number}")
    client.force_login(clerk)
    client.get(PENDING)
    with CaptureQueriesContext(connection) as few:
        assert client.get(PENDING, {"sort": "newest"}).status_code == 200
    for number in range(10):
        order_in(unit, water, clerk, description=f"更多{number}")
    with CaptureQueriesContext(connection) as more:
        client.get(PENDING, {"sort": "newest"})
    assert len(more) == len(few)


@pytest.mark.parametrize("sort", ["", "bogus"])
def test_an_unknown_sort_is_the_default(client, clerk, sort):
    client.force_login(clerk)
    assert client.get(PENDING, {"sort": sort}).status_code == 200
