"""Forms of the register: they collect input; the services validate and write."""

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from courtyard.core.forms import ScopedModelForm

from .models import Building, Entrance, Estate, Unit


class EstateForm(ScopedModelForm):
    class Meta:
        model = Estate
        fields = ["name", "code", "address", "phone", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class BuildingForm(ScopedModelForm):
    class Meta:
        model = Building
        fields = ["estate", "name", "floors", "description"]


class EntranceForm(ScopedModelForm):
    class Meta:
        model = Entrance
        fields = ["building", "name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = self.fields["building"].queryset.select_related("estate")


PARENT_CHOICES_URL = reverse_lazy("estates:unit_parent_choices")


class UnitForm(ScopedModelForm):
    """A unit; the estate and building selects only narrow the entrance choices.

    With JavaScript each change reloads the three selects (htmx); without it the entrance
    select is grouped by building, and narrows after the form is sent once.
    """

    estate = forms.ModelChoiceField(Estate.objects.all(), label=_("Estate"), required=False)
    building = forms.ModelChoiceField(
        Building.objects.select_related("estate"), label=_("Building"), required=False
    )

    class Meta:
        model = Unit
        fields = ["entrance", "room_no", "floor", "area", "use", "status", "note"]

    field_order = ["estate", "building", "entrance"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entrance"].queryset = self.fields["entrance"].queryset.select_related(
            "estate", "building"
        )
        self.fields["area"].widget.attrs.update({"step": "0.01", "min": "0.01"})
        for name in ("estate", "building", "entrance"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": PARENT_CHOICES_URL,
                    "hx-trigger": "change",
                    "hx-swap": "none",
                    "hx-include": "#id_estate, #id_building, #id_entrance",
                    "hx-vals": f'{{"changed": "{name}"}}',
                }
            )
        self.narrow_parents()

    def chosen(self, name):
        """The chosen record of a parent select (typed, initial or the unit's own), or None."""
        field = self.fields[name]
        value = self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)
        if not value:
            return None
        try:
            return field.queryset.get(pk=value)
        except (field.queryset.model.DoesNotExist, ValueError, TypeError):
            return None

    def narrow_parents(self):
        """Offer the buildings of the chosen estate and the entrances of the chosen building."""
        if self.instance.pk and not self.is_bound:
            self.initial.setdefault("estate", self.instance.estate_id)
            self.initial.setdefault("building", self.instance.building_id)
        entrance = self.chosen("entrance")
        estate = self.chosen("estate")
        building = self.chosen("building")
        if building and estate and building.estate_id != estate.pk:
            building = None
        buildings = self.fields["building"].queryset
        if estate:
            buildings = buildings.filter(estate=estate)
        self.fields["building"].choices = [("", "---------")] + [
            (b.pk, b.name if estate else str(b)) for b in buildings
        ]
        entrances = self.fields["entrance"].queryset
        if building:
            entrances = entrances.filter(building=building)
        elif estate:
            entrances = entrances.filter(estate=estate)
        groups = {}
        for e in entrances:
            groups.setdefault(f"{e.estate.name} {e.building.name}", []).append((e.pk, e.name))
        self.fields["entrance"].choices = [("", "---------"), *groups.items()]
        self.selected = {"estate": estate, "building": building, "entrance": entrance}

    def clean(self):
        cleaned = super().clean()
        entrance, building = cleaned.get("entrance"), cleaned.get("building")
        if entrance and building and entrance.building_id != building.pk:
            self.add_error("entrance", _("This entrance is not in the chosen building."))
        return cleaned

    def service_kwargs(self):
        """The service takes the entrance only: the estate and building follow from it."""
        return {k: v for k, v in self.cleaned_data.items() if k not in ("estate", "building")}
