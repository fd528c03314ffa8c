"""Reads shared by every part of billing: rows through the one gate, rates, balances."""

from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from courtyard.core.scoping import restrict

from .choices import OUTSTANDING_STATUSES
from .models import ZERO, Bill, ChargeRate


def visible_bills(user, action="view"):
    return restrict(Bill.objects.all(), user, action)


def outstanding_bills(queryset=None):
    """Published, not yet settled bills (of ``queryset``, default all)."""
    queryset = Bill.objects.all() if queryset is None else queryset
    return queryset.filter(status__in=OUTSTANDING_STATUSES)


def overdue_bills(queryset=None, today=None):
    today = today or timezone.localdate()
    return outstanding_bills(queryset).filter(due_date__lt=today)


def outstanding_total(queryset):
    """The sum still owed on the bills of ``queryset`` (0.00 when none)."""
    return outstanding_bills(queryset).aggregate(
        total=Coalesce(
            Sum(F("amount") - F("paid_amount")),
            Value(ZERO),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    )["total"]


def rate_for(item, estate_id, unit_use="", rates=None):
    """The rate that applies to ``item`` in an estate for a unit use, most specific first:
    (estate, use) → (estate, any use) → (default, use) → (default, any use); None if none.

    ``rates`` may be the item's rates already fetched (a bill run prices thousands of units).
    """
    candidates = list(item.rates.all()) if rates is None else rates
    by_key = {(rate.estate_id, rate.unit_use): rate for rate in candidates}
    for key in ((estate_id, unit_use), (estate_id, ""), (None, unit_use), (None, "")):
        if key in by_key:
            return by_key[key]
    return None


def item_rates(items):
    """``{item_id: [ChargeRate, …]}`` for ``items`` in one query."""
    result = {item.pk: [] for item in items}
    for rate in ChargeRate.objects.filter(item__in=[item.pk for item in items]):
        result[rate.item_id].append(rate)
    return result
