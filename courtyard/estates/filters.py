"""Filter sets of the register: the list sidebar, the API query parameters and the exports."""

import django_filters
from django.utils.translation import gettext_lazy as _

from courtyard.core.filters import BaseFilterSet

from .choices import Occupancy, UnitUse
from .models import Building, Entrance, Estate, Unit


class EstateFilterSet(BaseFilterSet):
    search_fields = ("name", "code", "address")

    class Meta:
        model = Estate
        fields = ["q"]


class BuildingFilterSet(BaseFilterSet):
    search_fields = ("name", "estate__name")
    estate = django_filters.ModelChoiceFilter(queryset=Estate.objects.all(), label=_("Estate"))

    class Meta:
        model = Building
        fields = ["q", "estate"]


class EntranceFilterSet(BaseFilterSet):
    search_fields = ("name", "building__name")
    estate = django_filters.ModelChoiceFilter(queryset=Estate.objects.all(), label=_("Estate"))
    building = django_filters.ModelChoiceFilter(
        queryset=Building.objects.select_related("estate"), label=_("Building")
    )

    class Meta:
        model = Entrance
        fields = ["q", "estate", "building"]


class UnitFilterSet(BaseFilterSet):
    search_fields = ("room_no", "building__name")
    estate = django_filters.ModelChoiceFilter(queryset=Estate.objects.all(), label=_("Estate"))
    building = django_filters.ModelChoiceFilter(
        queryset=Building.objects.select_related("estate"), label=_("Building")
    )
    entrance = django_filters.ModelChoiceFilter(
        queryset=Entrance.objects.select_related("estate", "building"), label=_("Entrance")
    )
    use = django_filters.ChoiceFilter(choices=UnitUse.choices, label=_("Use"))
    status = django_filters.ChoiceFilter(choices=Occupancy.choices, label=_("Occupancy"))
    floor = django_filters.NumberFilter(label=_("Floor"))
    area_min = django_filters.NumberFilter(
        field_name="area", lookup_expr="gte", label=_("Area from (m²)")
    )
    area_max = django_filters.NumberFilter(
        field_name="area", lookup_expr="lte", label=_("Area to (m²)")
    )

    class Meta:
        model = Unit
        fields = ["q", "estate", "building", "entrance", "use", "status", "floor"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.narrow_choices()

    def narrow_choices(self):
        """Offer the buildings of the chosen estate and the entrances of the chosen building.

        Only the offered options shrink: any entrance in scope still validates, so an API
        call may filter by entrance alone, and a page never lists thousands of entrances.
        The options are callables, so they are read only when a page renders them.
        """
        fields = self.form.fields
        session = getattr(self.request, "session", None) or {}
        estate = self._chosen("estate") or session.get("estate_id")
        building, entrance = self._chosen("building"), self._chosen("entrance")
        buildings, entrances = fields["building"].queryset, fields["entrance"].queryset
        any_label = fields["building"].empty_label

        def building_choices():
            chosen = buildings.filter(estate=estate) if estate else buildings
            return [("", any_label)] + [(b.pk, b.name if estate else str(b)) for b in chosen]

        def entrance_choices():
            if building:
                return [("", any_label)] + [
                    (e.pk, e.name) for e in entrances.filter(building=building)
                ]
            chosen = entrances.filter(pk=entrance) if entrance else []
            return [("", _("Choose a building first"))] + [(e.pk, str(e)) for e in chosen]

        fields["building"].widget.choices = building_choices
        fields["entrance"].widget.choices = entrance_choices

    def _chosen(self, name):
        value = self.data.get(name) if self.data else None
        return int(value) if value and str(value).isdigit() else None
