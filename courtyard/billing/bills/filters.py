"""Filter set of the bill list: the list's sidebar, the API query and the Excel export."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.core.filters import BaseFilterSet
from courtyard.core.forms import QuickSelect
from courtyard.estates.models import Building, Estate

from .. import periods
from ..choices import OUTSTANDING_STATUSES, BillKind
from ..items.filters import PlaceFilterMixin
from ..models import Bill, ChargeItem

# The list's states: "unpaid" is everything still owed (partly paid too), "overdue" the part
# of it past its due date.
STATES = (
    ("unpaid", _("Unpaid")),
    ("overdue", _("Overdue")),
    ("partial", _("Partly paid")),
    ("paid", _("Paid")),
    ("draft", _("Draft")),
    ("void", _("Voided")),
)


class PeriodField(forms.CharField):
    """A billing period of any cycle (2026-11, 2026-Q4, 2026), as bills store its label."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return periods.parse(value).label
        except ValidationError:
            raise ValidationError(
                _("Write the period like 2026-11, 2026-Q4 or 2026."), code="bad_period"
            )


class PeriodFilter(django_filters.CharFilter):
    """A period; a malformed one (2026-13) is a filter error, not an empty list."""

    field_class = PeriodField


class BillFilterSet(PlaceFilterMixin, BaseFilterSet):
    """The list's filters. The building select is read as (id, name) pairs, not buildings:
    an estate of 200 buildings costs a list page no 400 model instances."""

    search_fields = ("unit__room_no", "payer__name", "payer__phone", "parking_space__code")
    # QuickSelects: the building filter lists every building in the scope.
    estate = django_filters.ModelChoiceFilter(
        queryset=Estate.objects.all(), label=_("Estate"), widget=QuickSelect
    )
    building = django_filters.ModelChoiceFilter(
        queryset=Building.objects.all(), label=_("Building"), widget=QuickSelect
    )
    room = django_filters.CharFilter(field_name="unit__room_no", label=_("Room number"))
    item = django_filters.ModelChoiceFilter(
        queryset=ChargeItem.objects.order_by("sort_order", "code"),
        label=_("Charge item"),
        widget=QuickSelect,
    )
    period = PeriodFilter(label=_("Period"))
    status = django_filters.ChoiceFilter(
        choices=STATES, label=_("Status"), method="by_state", widget=QuickSelect
    )
    kind = django_filters.ChoiceFilter(
        choices=BillKind.choices, label=_("Kind"), widget=QuickSelect
    )
    # Links from other pages (a unit, a resident, a bill run) narrow the list by id.
    unit = django_filters.NumberFilter(field_name="unit_id", label=_("Unit"))
    resident = django_filters.NumberFilter(field_name="payer_id", label=_("Resident"))
    bill_run = django_filters.NumberFilter(field_name="bill_run_id", label=_("Bill run"))

    class Meta:
        model = Bill
        fields = ["q", "estate", "building", "room", "item", "period", "status", "kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_places()
        field = self.form.fields.get("building")
        if field is not None and getattr(self.request, "user", None) is not None:
            field.widget.choices = self.building_choices(field)
        for name in ("unit", "resident", "bill_run"):
            self.form.fields[name].widget = self.form.fields[name].hidden_widget()

    def building_choices(self, field):
        buildings, any_label = field.queryset, field.empty_label
        session = getattr(self.request, "session", None) or {}
        value = self.data.get("estate") if self.data else None
        estate = value if value and str(value).isdigit() else session.get("estate_id")

        def choices():  # read when the page renders
            if estate:
                rows = buildings.filter(estate=estate).order_by("name", "pk")
                return [("", any_label), *rows.values_list("pk", "name")]
            rows = buildings.order_by("estate__name", "name", "pk")
            return [("", any_label)] + [
                (pk, f"{estate_name} {name}")
                for pk, estate_name, name in rows.values_list("pk", "estate__name", "name")
            ]

        return choices

    def by_state(self, queryset, name, value):
        if value == "unpaid":
            return queryset.filter(status__in=OUTSTANDING_STATUSES)
        if value == "overdue":
            return queryset.filter(
                status__in=OUTSTANDING_STATUSES, due_date__lt=timezone.localdate()
            )
        return queryset.filter(status=value)
