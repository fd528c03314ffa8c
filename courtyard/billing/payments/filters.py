"""Filter sets of the payment records (缴费记录) and refunds: pages, API and the Excel export.

Conditions on a payment's bills (room, charge item) are ``EXISTS`` subqueries on the
allocations, never joins, so a payment of several bills stays one row and the count exact.
"""

import re

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from courtyard.core.filters import BaseFilterSet
from courtyard.core.forms import DateInput
from courtyard.estates.models import Estate

from ..choices import PaymentMethod, PaymentStatus
from ..items.filters import PlaceFilterMixin
from ..models import ChargeItem, Payment, PaymentAllocation, Refund

DATE = DateInput()


def _with_bill(**lookup):
    return Exists(PaymentAllocation.objects.filter(payment_id=OuterRef("pk"), **lookup))


class PaymentFilterSet(PlaceFilterMixin, BaseFilterSet):
    search_fields = ("number", "reference")
    resident = django_filters.CharFilter(method="filter_resident", label=_("Payer (name or phone)"))
    room = django_filters.CharFilter(method="filter_room", label=_("Room number"))
    estate = django_filters.ModelChoiceFilter(queryset=Estate.objects.all(), label=_("Estate"))
    paid_from = django_filters.DateFilter(
        field_name="paid_at", lookup_expr="date__gte", label=_("Paid from"), widget=DATE
    )
    paid_to = django_filters.DateFilter(
        field_name="paid_at", lookup_expr="date__lte", label=_("Paid to"), widget=DATE
    )
    item = django_filters.ModelChoiceFilter(
        queryset=ChargeItem.objects.all(), method="filter_item", label=_("Charge item")
    )
    method = django_filters.ChoiceFilter(choices=PaymentMethod.choices, label=_("Method"))
    status = django_filters.ChoiceFilter(choices=PaymentStatus.choices, label=_("Status"))

    class Meta:
        model = Payment
        fields = [
            "q",
            "resident",
            "room",
            "estate",
            "paid_from",
            "paid_to",
            "item",
            "method",
            "status",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_places()
        # Charge items are no secret: whoever may see payments may pick one.
        self.filters["item"].queryset = ChargeItem.objects.all()
        self.form.fields["item"].queryset = ChargeItem.objects.all()
        self.form.fields["q"].label = _("Receipt number or reference")

    def filter_resident(self, queryset, name, value):
        value = re.sub(r"\s", "", value or "")
        if not value:
            return queryset
        if re.fullmatch(r"\d{4}|\d{11}", value):
            lookup = "phone" if len(value) == 11 else "phone_last4"
            return queryset.filter(**{f"payer__{lookup}": value})
        return queryset.filter(Q(payer_name__icontains=value) | Q(payer__name__icontains=value))

    def filter_room(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(_with_bill(bill__unit__room_no=value))

    def filter_item(self, queryset, name, value):
        return queryset.filter(_with_bill(bill__item=value)) if value else queryset


class RefundFilterSet(PlaceFilterMixin, BaseFilterSet):
    search_fields = ("number", "reference", "reason", "bill__unit__room_no")
    estate = django_filters.ModelChoiceFilter(queryset=Estate.objects.all(), label=_("Estate"))
    refunded_from = django_filters.DateFilter(
        field_name="refunded_at", lookup_expr="date__gte", label=_("Refunded from"), widget=DATE
    )
    refunded_to = django_filters.DateFilter(
        field_name="refunded_at", lookup_expr="date__lte", label=_("Refunded to"), widget=DATE
    )
    method = django_filters.ChoiceFilter(choices=PaymentMethod.choices, label=_("Method"))

    class Meta:
        model = Refund
        fields = ["q", "estate", "refunded_from", "refunded_to", "method"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_places()
