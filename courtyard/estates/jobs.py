"""Background jobs of the register: the units import (all or nothing) and the exports."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courtyard.core import excel
from courtyard.core.generic import export_job
from courtyard.core.importing import Choice, Importer, Integer, Number, Text
from courtyard.core.jobs import job_handler, progress, save_output
from courtyard.core.scoping import has_action

from . import services
from .choices import Occupancy, UnitUse
from .columns import place_columns
from .filters import BuildingFilterSet, UnitFilterSet
from .models import Building, Entrance, Unit
from .tables import BuildingTable, UnitTable

# The words estate offices customarily write in these columns, whatever the UI language.
CUSTOMARY_WORDS = {
    "住宅": UnitUse.RESIDENTIAL,
    "商铺": UnitUse.SHOP,
    "商业": UnitUse.SHOP,
    "办公": UnitUse.OFFICE,
    "车位": UnitUse.PARKING,
    "空置": Occupancy.VACANT,
    "入住": Occupancy.OCCUPIED,
    "已入住": Occupancy.OCCUPIED,
    "自住": Occupancy.OCCUPIED,
    "出租": Occupancy.RENTED,
    "已出租": Occupancy.RENTED,
    "装修": Occupancy.DECORATING,
    "装修中": Occupancy.DECORATING,
}
USE_WORDS = {word: value for word, value in CUSTOMARY_WORDS.items() if value in UnitUse}
STATUS_WORDS = {word: value for word, value in CUSTOMARY_WORDS.items() if value in Occupancy}
# The import reads the export's own headers too, so an exported list can be re-imported.
UNIT_COLUMNS = (
    *place_columns(down_to="building"),
    Text("entrance", gettext_lazy("Entrance"), example="1单元", aliases=("单元",)),
    Text("room_no", gettext_lazy("Room number"), example="1201", aliases=("房号",)),
    Integer("floor", gettext_lazy("Floor"), example="12", aliases=("楼层",)),
    Number("area", gettext_lazy("Floor area (m²)"), example="89.50", aliases=("面积", "建筑面积")),
    Choice(
        "use",
        gettext_lazy("Use"),
        required=False,
        choices=UnitUse,
        words=USE_WORDS,
        default=UnitUse.RESIDENTIAL,
        example=UnitUse.RESIDENTIAL.label,
        aliases=("用途",),
    ),
    Choice(
        "status",
        gettext_lazy("Occupancy"),
        required=False,
        choices=Occupancy,
        words=STATUS_WORDS,
        default=Occupancy.VACANT,
        example=Occupancy.VACANT.label,
        aliases=("状态", "status"),
    ),
    Text("note", gettext_lazy("Note"), required=False, aliases=("备注",)),
)
UNIT_FIELDS = ("room_no", "floor", "area", "use", "status", "note")


class UnitImporter(Importer):
    """Units, checked with the unit rules (``services.validate_unit``) row by row.

    Estates and buildings must exist in the user's scope (they are set up on purpose, not
    by a typo in a spreadsheet). A missing entrance of a known building is created, as a
    building's entrances are often first written down in this very file, but only for a
    user who may add entrances; otherwise the row is an error.
    """

    kind = "estates.import_units"
    model = Unit
    title = "units"
    columns = UNIT_COLUMNS
    fallback_column = "room_no"

    def prepare(self, records):
        buildings = list(self.found["building"].values())
        self.entrances = {
            (e.building_id, e.name): e for e in self.scoped(Entrance).filter(building__in=buildings)
        }
        self.may_add_entrances = has_action(self.user, Entrance, "add")
        self.seen, self.new_entrances = {}, {}

    def row(self, values, number):
        building, entrance_name = values["building"], values["entrance"]
        if building is None:
            return None
        errors = {}
        entrance = self.entrances.get((building.pk, entrance_name))
        if entrance is None and entrance_name and not self.may_add_entrances:
            errors["entrance"] = _(
                "Entrance “%(name)s” does not exist in %(building)s, and you may not add entrances."
            ) % {"name": entrance_name, "building": building}
        unit = Unit(
            estate_id=building.estate_id,
            building=building,
            entrance=entrance,
            **{name: values[name] for name in UNIT_FIELDS},
        )
        try:
            services.validate_unit(unit)
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        key = (building.pk, entrance_name, unit.room_no)
        if key in self.seen:
            raise ValidationError(
                {
                    "room_no": _(
                        "This room number appears twice in the file (rows %(first)s and %(row)s)."
                    )
                    % {"first": self.seen[key], "row": number}
                }
            )
        self.seen[key] = number
        return unit, entrance_name

    def save_row(self, item):
        unit, entrance_name = item
        entrance = unit.entrance if unit.entrance_id else None
        if entrance is None:
            key = (unit.building_id, entrance_name)
            if key not in self.new_entrances:
                self.new_entrances[key] = services.create_entrance(
                    self.user, building=unit.building, name=entrance_name
                )
            entrance = self.new_entrances[key]
        services.create_unit(
            self.user, entrance=entrance, **{name: getattr(unit, name) for name in UNIT_FIELDS}
        )

    def summary(self, result):
        summary = _("%(count)s units imported.") % {"count": result}
        if self.new_entrances:
            summary += " " + _("New entrances: %(names)s.") % {
                "names": ", ".join(str(e) for e in self.new_entrances.values())
            }
        return summary


def _export(job, queryset, filterset_class, table_class, name):
    """Write the filtered list the user may view, the columns of its table, to a workbook."""
    table = export_job(job.user, queryset, filterset_class, table_class, job.params)
    progress(job, 0, table.queryset.count())
    content = excel.write_workbook(table.export_headers(), table.export_rows(), title=name)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    save_output(job, f"{name}-{stamp}.xlsx", content)
    progress(job, job.total)
    return {"summary": _("%(count)s rows exported.") % {"count": job.total}}


@job_handler("estates.export_units")
def export_units(job):
    queryset = Unit.objects.select_related("estate", "building", "entrance")
    return _export(job, queryset, UnitFilterSet, UnitTable, _("units"))


@job_handler("estates.export_buildings")
def export_buildings(job):
    queryset = Building.objects.select_related("estate")
    return _export(job, queryset, BuildingFilterSet, BuildingTable, _("buildings"))
