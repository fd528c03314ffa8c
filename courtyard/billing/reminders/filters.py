"""Filter sets of the arrears list and the reminder records: the pages, the API, the export."""

from types import SimpleNamespace

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.core.filters import BaseFilterSet
from courtyard.core.forms import DateInput
from courtyard.core.scoping import narrow_to_estate, restrict
from courtyard.estates.models import Building, Estate

from ..choices import CallOutcome, ReminderChannel
from ..items.filters import PlaceFilterMixin
from ..models import Bill, ChargeItem, Reminder
from ..selectors import outstanding_bills, overdue_bills
from .selectors import filter_rows, group_rows

DATE = DateInput()


class ArrearsFilterSet(PlaceFilterMixin, BaseFilterSet):
    """The bills behind the list (estate, building, item, overdue or every unpaid one) and
    the rows kept (at least so many days overdue, owing at least so much)."""

    search_fields = ("unit__room_no", "payer__name", "parking_space__code")
    estate = django_filters.ModelChoiceFilter(queryset=Estate.objects.all(), label=_("Estate"))
    building = django_filters.ModelChoiceFilter(
        queryset=Building.objects.select_related("estate"), label=_("Building")
    )
    item = django_filters.ModelChoiceFilter(
        queryset=ChargeItem.objects.all(), label=_("Charge item")
    )
    min_days = django_filters.NumberFilter(
        method="on_rows", label=_("At least days overdue"), min_value=0
    )
    min_amount = django_filters.NumberFilter(
        method="on_rows", label=_("Owing at least (¥)"), min_value=0
    )
    include_not_due = django_filters.BooleanFilter(
        method="on_rows", label=_("Include bills not yet due"), widget=forms.CheckboxInput
    )

    class Meta:
        model = Bill
        fields = ["q", "estate", "building", "item", "min_days", "min_amount", "include_not_due"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_places()
        # Charge items are no secret: whoever may see bills may pick one.
        self.filters["item"].queryset = ChargeItem.objects.all()
        self.form.fields["item"].queryset = ChargeItem.objects.all()

    def on_rows(self, queryset, name, value):
        return queryset  # applied to the grouped rows, see ``rows``

    def value(self, name):
        if not self.is_bound or not self.is_valid():
            return None
        return self.form.cleaned_data.get(name)

    def bills(self, today=None):
        """The filtered bills: overdue ones, or every unpaid one when asked."""
        queryset = self.qs if self.is_bound and self.is_valid() else self.queryset
        if self.value("include_not_due"):
            return outstanding_bills(queryset)
        return overdue_bills(queryset, today)

    def rows(self, today=None):
        return filter_rows(
            group_rows(self.bills(today)),
            min_days=self.value("min_days"),
            min_amount=self.value("min_amount"),
            today=today or timezone.localdate(),
        )


class ReminderFilterSet(PlaceFilterMixin, BaseFilterSet):
    search_fields = ("bill__unit__room_no", "bill__payer__name", "note")
    estate = django_filters.ModelChoiceFilter(queryset=Estate.objects.all(), label=_("Estate"))
    building = django_filters.ModelChoiceFilter(
        queryset=Building.objects.select_related("estate"), label=_("Building")
    )
    channel = django_filters.ChoiceFilter(choices=ReminderChannel.choices, label=_("Channel"))
    outcome = django_filters.ChoiceFilter(choices=CallOutcome.choices, label=_("Call outcome"))
    created_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("From"), widget=DATE
    )
    created_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("To"), widget=DATE
    )
    bill = django_filters.NumberFilter(field_name="bill_id", widget=forms.HiddenInput)

    class Meta:
        model = Reminder
        fields = ["q", "estate", "building", "channel", "outcome", "created_from", "created_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_places()


def arrears_list(user, data, *, estate_id=None, request=None):
    """The arrears filter set over the bills the user may view (and the top bar's estate).

    Bills with neither a unit nor a payer belong to nobody who could be reminded: left out.
    """
    bills = narrow_to_estate(restrict(Bill.objects.all(), user, "view"), estate_id)
    bills = bills.exclude(unit__isnull=True, payer__isnull=True)
    request = request or SimpleNamespace(user=user, session={"estate_id": estate_id})
    return ArrearsFilterSet(data or None, bills, request=request)
