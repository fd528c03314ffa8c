"""Two people correcting the same work order (DESIGN §3, "Concurrent edits"): an edit of
details read before another change is refused; a transition acts on the stored order."""

import pytest

from courtyard.core.versions import StaleVersion
from courtyard.repairs import services
from courtyard.repairs.models import WorkOrder
from tests.concurrent_edits import if_match_round

pytestmark = pytest.mark.django_db


def test_an_edit_from_a_stale_copy_is_refused(supervisor, new_order):
    seen_by_other = WorkOrder.objects.get(pk=new_order.pk)
    services.update_work_order(supervisor, new_order, description="厨房水管爆裂")
    with pytest.raises(StaleVersion):
        services.update_work_order(supervisor, seen_by_other, location="阳台")
    new_order.refresh_from_db()
    assert new_order.description == "厨房水管爆裂" and new_order.location == ""


def test_a_transition_is_not_refused_by_an_edit_meanwhile(supervisor, clerk, new_order):
    seen_by_clerk = WorkOrder.objects.get(pk=new_order.pk)
    services.update_work_order(supervisor, new_order, description="厨房水管爆裂")
    services.accept(clerk, seen_by_clerk)
    new_order.refresh_from_db()
    assert new_order.status == "accepted" and new_order.description == "厨房水管爆裂"


def test_the_api_answers_412_to_a_stale_if_match(client, api, supervisor, new_order):
    if_match_round(
        client,
        api(supervisor).headers,
        f"/api/v1/work-orders/{new_order.pk}",
        {"description": "厨房水管爆裂"},
        {"description": "只是滴水"},
    )
    new_order.refresh_from_db()
    assert new_order.description == "厨房水管爆裂"
