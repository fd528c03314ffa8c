"""Filter sets of charge items and parking spaces: the list sidebars, the API, the exports."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from courtyard.core.estate_model import estates_for
from courtyard.core.filters import BaseFilterSet
from courtyard.core.scoping import scope_q, user_scope
from courtyard.estates.models import Building, Estate

from ..choices import ItemKind, ParkingKind, Pricing
from ..models import ChargeItem, ParkingSpace

YES_NO = (("yes", _("Yes")), ("no", _("No")))


class PlaceFilterMixin:
    """Estate and building choices by the data scope alone (billing staff need no right to
    the register), the buildings narrowed to the chosen estate (or the top bar's)."""

    def setup_places(self):
        user = getattr(self.request, "user", None)
        if user is None:
            return
        self.filters["estate"].queryset = estates_for(user)
        buildings = Building.objects.select_related("estate")
        q = scope_q(Building, user_scope(user))
        buildings = buildings if q is None else buildings.filter(q)
        if "building" not in self.filters:
            return
        self.filters["building"].queryset = buildings
        field = self.form.fields["building"]
        field.queryset = buildings
        session = getattr(self.request, "session", None) or {}
        value = self.data.get("estate") if self.data else None
        estate = value if value and str(value).isdigit() else session.get("estate_id")
        any_label = field.empty_label

        def building_choices():
            chosen = buildings.filter(estate=estate) if estate else buildings
            return [("", any_label)] + [(b.pk, b.name if estate else str(b)) for b in chosen]

        field.widget.choices = building_choices


class ChargeItemFilterSet(BaseFilterSet):
    search_fields = ("name", "code")
    kind = django_filters.ChoiceFilter(choices=ItemKind.choices, label=_("Kind"))
    pricing = django_filters.ChoiceFilter(choices=Pricing.choices, label=_("Pricing rule"))
    is_active = django_filters.BooleanFilter(
        label=_("Active only"), widget=forms.CheckboxInput, method="filter_active"
    )

    class Meta:
        model = ChargeItem
        fields = ["q", "kind", "pricing", "is_active"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=True) if value else queryset


class ParkingSpaceFilterSet(PlaceFilterMixin, BaseFilterSet):
    search_fields = ("code", "area", "resident__name", "vehicle__plate", "unit__room_no")
    estate = django_filters.ModelChoiceFilter(queryset=Estate.objects.all(), label=_("Estate"))
    kind = django_filters.ChoiceFilter(choices=ParkingKind.choices, label=_("Kind"))
    taken = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_taken", label=_("Has a resident")
    )
    is_active = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_active", label=_("In use")
    )

    class Meta:
        model = ParkingSpace
        fields = ["q", "estate", "kind", "taken", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_places()
        self.form.fields["q"].label = _("Number, resident, plate or room")

    def filter_taken(self, queryset, name, value):
        return queryset.filter(resident__isnull=value != "yes")

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "yes")
