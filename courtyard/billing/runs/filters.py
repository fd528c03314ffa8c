"""Filter set of the bill run list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from courtyard.core.filters import BaseFilterSet
from courtyard.estates.models import Estate

from ..bills.filters import PeriodFilter
from ..choices import BillRunStatus
from ..items.filters import PlaceFilterMixin
from ..models import BillRun


class BillRunFilterSet(PlaceFilterMixin, BaseFilterSet):
    estate = django_filters.ModelChoiceFilter(queryset=Estate.objects.all(), label=_("Estate"))
    period = PeriodFilter(label=_("Period"))
    status = django_filters.ChoiceFilter(choices=BillRunStatus.choices, label=_("Status"))

    class Meta:
        model = BillRun
        fields = ["estate", "period", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_places()
