"""Two people editing the same charge item or rate (DESIGN §3, "Concurrent edits"): the second
save from a stale page or a stale If-Match is refused instead of silently overwriting."""

from decimal import Decimal

import pytest
from django.urls import reverse

from courtyard.billing.models import ChargeRate
from tests.concurrent_edits import assert_refused_keeping_typed, if_match_round, save_twice
from tests.factories import make_user

from .conftest import billing_permissions

pytestmark = pytest.mark.django_db


@pytest.fixture
def chief(db):
    return make_user("chief", *billing_permissions())


def test_a_stale_charge_item_form_keeps_what_was_typed(chief, items):
    water = items["water"]
    url = reverse("billing:chargeitem_edit", args=[water.pk])
    stale = save_twice(chief, url, {"due_days": 20}, {"name": "生活用水费"})
    assert_refused_keeping_typed(stale, "生活用水费")
    water.refresh_from_db()
    assert water.due_days == 20 and water.name != "生活用水费"


def test_a_stale_rate_form_keeps_what_was_typed(finance, items, estate):
    own = ChargeRate.objects.create(item=items["electricity"], estate=estate, rate=Decimal("0.5"))
    url = reverse("billing:chargerate_edit", args=[own.pk])
    stale = save_twice(finance, url, {"rate": "0.66"}, {"rate": "0.77"})
    assert_refused_keeping_typed(stale, "0.77")
    own.refresh_from_db()
    assert own.rate == Decimal("0.66")


def test_the_api_answers_412_to_a_stale_if_match(client, api, chief, items):
    headers = api(chief).headers
    water = items["water"]
    if_match_round(
        client, headers, f"/api/v1/charge-items/{water.pk}", {"due_days": 20}, {"due_days": 25}
    )
    rate = ChargeRate.objects.filter(item=items["property-fee"], estate=None).first()
    if_match_round(
        client, headers, f"/api/v1/charge-rates/{rate.pk}", {"rate": "3.60"}, {"rate": "3.70"}
    )
    water.refresh_from_db()
    rate.refresh_from_db()
    assert water.due_days == 20 and rate.rate == Decimal("3.60")
