"""Filter set of the meter readings list: the sidebar, the API query and the Excel export."""

import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from courtyard.core.filters import BaseFilterSet
from courtyard.estates.models import Building, Estate

from ..choices import MeterType
from ..items.filters import PlaceFilterMixin
from ..models import MeterReading

MONTH = forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"})
REVIEW_CHOICES = (
    ("needs_review", _("Flagged, awaiting review")),
    ("accepted", _("Flagged, accepted")),
    ("flagged", _("Flagged (any)")),
    ("normal", _("Not flagged")),
)


class MonthFilter(django_filters.CharFilter):
    """A month written YYYY-MM; anything else is a filter error, not an empty list."""

    field_class = forms.RegexField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MONTH)
        super().__init__(*args, **kwargs)
        self.extra.update(
            regex=re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"),
            error_messages={"invalid": _("Write the month like 2026-11.")},
        )


class MeterReadingFilterSet(PlaceFilterMixin, BaseFilterSet):
    search_fields = ("unit__room_no",)
    estate = django_filters.ModelChoiceFilter(queryset=Estate.objects.all(), label=_("Estate"))
    building = django_filters.ModelChoiceFilter(
        queryset=Building.objects.select_related("estate"), label=_("Building")
    )
    meter_type = django_filters.ChoiceFilter(choices=MeterType.choices, label=_("Meter"))
    period = MonthFilter(label=_("Month"))
    period_from = MonthFilter(field_name="period", lookup_expr="gte", label=_("From month"))
    period_to = MonthFilter(field_name="period", lookup_expr="lte", label=_("To month"))
    review = django_filters.ChoiceFilter(
        choices=REVIEW_CHOICES, method="filter_review", label=_("Flag")
    )

    class Meta:
        model = MeterReading
        fields = ["q", "estate", "building", "meter_type", "period", "review"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_places()
        self.form.fields["q"].label = _("Room number")

    def filter_review(self, queryset, name, value):
        if value == "needs_review":
            return queryset.filter(is_flagged=True, reviewed_at__isnull=True)
        if value == "accepted":
            return queryset.filter(is_flagged=True, reviewed_at__isnull=False)
        if value == "flagged":
            return queryset.filter(is_flagged=True)
        return queryset.filter(is_flagged=False)
