"""Pages of the property register: declarations on the generic views, plus what they lack.

Each model has list, detail, history, edit (add/change), delete; units also import and
export. The detail pages link parents and children: an estate lists its buildings with
their occupancy, a building shows its entrances and a room-status grid of its units.
"""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from courtyard.core.access import access
from courtyard.core.generic import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectExportView,
    ObjectHistoryView,
    ObjectImportView,
    ObjectListView,
)
from courtyard.core.scoping import has_action

from . import selectors, services
from .filters import BuildingFilterSet, EntranceFilterSet, EstateFilterSet, UnitFilterSet
from .forms import BuildingForm, EntranceForm, EstateForm, UnitForm
from .jobs import UnitImporter
from .models import Building, Entrance, Estate, Unit
from .tables import BuildingTable, EntranceTable, EstateTable, UnitTable

ESTATES = Estate.objects.all()
BUILDINGS = Building.objects.select_related("estate")
ENTRANCES = Entrance.objects.select_related("estate", "building")
UNITS = Unit.objects.select_related("estate", "building", "entrance")


# Estates -----------------------------------------------------------------------------------


class EstateListView(ObjectListView):
    queryset = ESTATES
    filterset_class = EstateFilterSet
    table_class = EstateTable


class EstateDetailView(ObjectDetailView):
    queryset = ESTATES
    template_name = "estates/estate_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        buildings = list(selectors.buildings_with_occupancy(self.request.user, context["object"]))
        for building in buildings:
            building.rate = selectors.occupancy_rate(building.unit_count, building.lived_in)
        units = sum(b.unit_count for b in buildings)
        lived_in = sum(b.lived_in for b in buildings)
        context.update(
            buildings=buildings,
            unit_count=units,
            rate=selectors.occupancy_rate(units, lived_in),
            can_add_building=has_action(self.request.user, Building, "add"),
        )
        return context


class EstateHistoryView(ObjectHistoryView):
    queryset = ESTATES


class EstateEditView(ObjectEditView):
    queryset = ESTATES
    form_class = EstateForm
    create_service = services.create_estate
    update_service = services.update_estate


class EstateDeleteView(ObjectDeleteView):
    queryset = ESTATES
    delete_service = services.delete_estate


# Buildings ---------------------------------------------------------------------------------


class BuildingListView(ObjectListView):
    queryset = BUILDINGS
    filterset_class = BuildingFilterSet
    table_class = BuildingTable
    export_job = "estates.export_buildings"


class BuildingDetailView(ObjectDetailView):
    queryset = BUILDINGS
    template_name = "estates/building_detail.html"
    grid_limit = 1500  # beyond this the room grid is too long to read; the list serves then

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, building = self.request.user, context["object"]
        entrances = list(selectors.entrances_with_units(user, building))
        units = (
            selectors.visible_units(user)
            .filter(building=building)
            .select_related(None)
            .only("pk", "room_no", "floor", "status", "entrance_id")
            .order_by("entrance_id", "-floor", "room_no")
        )
        too_many = sum(e.unit_count for e in entrances) > self.grid_limit
        context.update(
            entrances=entrances,
            grid=[] if too_many else room_grid(entrances, units),
            too_many=too_many,
            units_url=f"{reverse('estates:unit_list')}?building={building.pk}",
            can_add_entrance=has_action(user, Entrance, "add"),
        )
        return context


def room_grid(entrances, units):
    """[(entrance, [(floor, [unit, …]), …]), …]: the room-status chart (房态图), top floor first."""
    by_entrance = {e.pk: [] for e in entrances}
    for unit in units:
        floors = by_entrance.setdefault(unit.entrance_id, [])
        if not floors or floors[-1][0] != unit.floor:
            floors.append((unit.floor, []))
        floors[-1][1].append(unit)
    return [(e, by_entrance.get(e.pk, [])) for e in entrances]


class BuildingHistoryView(ObjectHistoryView):
    queryset = BUILDINGS


class BuildingEditView(ObjectEditView):
    queryset = BUILDINGS
    form_class = BuildingForm
    create_service = services.create_building
    update_service = services.update_building
    prefill_fields = ("estate",)


class BuildingDeleteView(ObjectDeleteView):
    queryset = BUILDINGS
    delete_service = services.delete_building


class BuildingExportView(ObjectExportView):
    queryset = BUILDINGS
    filterset_class = BuildingFilterSet
    table_class = BuildingTable
    export_job = "estates.export_buildings"


# Entrances ---------------------------------------------------------------------------------


class EntranceListView(ObjectListView):
    queryset = ENTRANCES
    filterset_class = EntranceFilterSet
    table_class = EntranceTable


class EntranceDetailView(ObjectDetailView):
    queryset = ENTRANCES
    template_name = "estates/entrance_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entrance = context["object"]
        units = (
            selectors.visible_units(self.request.user)
            .filter(entrance=entrance)
            .order_by("-floor", "room_no")
        )
        context["grid"] = room_grid([entrance], units)
        context["units_url"] = f"{reverse('estates:unit_list')}?entrance={entrance.pk}"
        return context


class EntranceHistoryView(ObjectHistoryView):
    queryset = ENTRANCES


class EntranceEditView(ObjectEditView):
    queryset = ENTRANCES
    form_class = EntranceForm
    create_service = services.create_entrance
    update_service = services.update_entrance
    prefill_fields = ("building",)


class EntranceDeleteView(ObjectDeleteView):
    queryset = ENTRANCES
    delete_service = services.delete_entrance


# Units -------------------------------------------------------------------------------------


class UnitListView(ObjectListView):
    queryset = UNITS
    filterset_class = UnitFilterSet
    table_class = UnitTable
    importable = True
    export_job = "estates.export_units"


class UnitDetailView(ObjectDetailView):
    queryset = UNITS
    template_name = "estates/unit_detail.html"


class UnitHistoryView(ObjectHistoryView):
    queryset = UNITS


class UnitEditView(ObjectEditView):
    queryset = UNITS
    form_class = UnitForm
    create_service = services.create_unit
    update_service = services.update_unit
    prefill_fields = ("estate", "building", "entrance")


class UnitDeleteView(ObjectDeleteView):
    queryset = UNITS
    delete_service = services.delete_unit


class UnitImportView(ObjectImportView):
    queryset = UNITS
    importer = UnitImporter
    template_name = "estates/unit_import.html"


class UnitExportView(ObjectExportView):
    queryset = UNITS
    filterset_class = UnitFilterSet
    table_class = UnitTable
    export_job = "estates.export_units"


@access("estates.view_entrance")
def unit_parent_choices(request):
    """The estate, building and entrance selects of the unit form, kept consistent (htmx).

    Choosing an entrance fills in its building and estate; choosing a building, its estate;
    a parent that no longer fits the choice above it is cleared.
    """
    form = UnitForm(user=request.user, initial=request.GET.dict())
    chosen = {name: form.chosen(name) for name in ("estate", "building", "entrance")}
    changed = request.GET.get("changed")
    estate, building, entrance = chosen["estate"], chosen["building"], chosen["entrance"]
    if changed == "entrance" and entrance:
        building, estate = entrance.building, entrance.estate
    elif changed == "building" and building:
        estate = building.estate
    if building and estate and building.estate_id != estate.pk:
        building = None
    if entrance and (
        (building and entrance.building_id != building.pk)
        or (estate and entrance.estate_id != estate.pk)
    ):
        entrance = None
    form = UnitForm(
        user=request.user,
        initial={
            "estate": estate and estate.pk,
            "building": building and building.pk,
            "entrance": entrance and entrance.pk,
        },
    )
    for name in ("estate", "building", "entrance"):
        form.fields[name].widget.attrs["hx-swap-oob"] = "true"
    return render(request, "estates/partials/unit_parents.html", {"form": form})


# Home --------------------------------------------------------------------------------------


def register_card(request):
    """Estates, buildings, units and the occupancy rate in the user's scope (and estate filter)."""
    user = request.user
    if not has_action(user, Unit, "view"):
        return None
    summary = selectors.register_summary(user, request.session.get("estate_id"))
    rate = summary["rate"]

    def link(model):
        name = model._meta.model_name
        return reverse(f"estates:{name}_list") if has_action(user, model, "view") else None

    items = [
        (_("Estates"), summary["estates"], link(Estate)),
        (_("Buildings"), summary["buildings"], link(Building)),
        (_("Units"), summary["units"], link(Unit)),
        (_("Occupancy rate"), "—" if rate is None else f"{rate}%", None),
    ]
    return {"title": _("Property register"), "icon": "ti-building", "items": items}
