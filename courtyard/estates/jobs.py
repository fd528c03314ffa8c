"""Background jobs of the register: the units import (all or nothing) and the exports."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from courtyard.core import excel
from courtyard.core.generic import export_job
from courtyard.core.jobs import JobFailed, job_handler, progress, save_output
from courtyard.core.scoping import has_action, scope_q, user_scope

from . import services
from .choices import Occupancy, UnitUse
from .filters import BuildingFilterSet, UnitFilterSet
from .models import Building, Entrance, Estate, Unit
from .tables import BuildingTable, UnitTable

# The import reads the export's own headers too, so an exported list can be re-imported.
UNIT_COLUMNS = (
    excel.ImportColumn(
        "estate", gettext_lazy("Estate"), example="翠湖花园", aliases=("项目", "小区")
    ),
    excel.ImportColumn("building", gettext_lazy("Building"), example="1栋", aliases=("楼栋",)),
    excel.ImportColumn("entrance", gettext_lazy("Entrance"), example="1单元", aliases=("单元",)),
    excel.ImportColumn("room_no", gettext_lazy("Room number"), example="1201", aliases=("房号",)),
    excel.ImportColumn("floor", gettext_lazy("Floor"), example="12", aliases=("楼层",)),
    excel.ImportColumn(
        "area", gettext_lazy("Floor area (m²)"), example="89.50", aliases=("面积", "建筑面积")
    ),
    excel.ImportColumn(
        "use",
        gettext_lazy("Use"),
        required=False,
        example=UnitUse.RESIDENTIAL.label,
        aliases=("用途",),
    ),
    excel.ImportColumn(
        "status",
        gettext_lazy("Occupancy"),
        required=False,
        example=Occupancy.VACANT.label,
        aliases=("状态", "status"),
    ),
    excel.ImportColumn("note", gettext_lazy("Note"), required=False, aliases=("备注",)),
)
COLUMN_LABELS = {column.key: column.label for column in UNIT_COLUMNS}
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


def choice_lookup(choices):
    """Accept a choice by its code, its label in any language, or a customary word."""
    lookup = {word: value for word, value in CUSTOMARY_WORDS.items() if value in choices}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            lookup.update({str(label).lower(): value for value, label in choices.choices})
    lookup.update({value: value for value in choices.values})
    return lookup


def in_scope(queryset, user):
    q = scope_q(queryset.model, user_scope(user))
    return queryset.all() if q is None else queryset.filter(q)


class UnitImport:
    """Check every row of a units workbook, then create all units in one transaction.

    Estates and buildings must exist in the user's scope (they are set up on purpose, not
    by a typo in a spreadsheet). A missing entrance of a known building is created, as a
    building's entrances are often first written down in this very file, but only for a
    user who may add entrances; otherwise the row is an error.
    """

    def __init__(self, job):
        self.job, self.user = job, job.user
        self.errors = []
        # Parents are found by the data scope: adding units needs no right to edit estates.
        self.estates = {e.name: e for e in in_scope(Estate.objects, self.user)}
        self.buildings = {
            (b.estate_id, b.name): b
            for b in in_scope(Building.objects.select_related("estate"), self.user)
        }
        self.entrances = {
            (e.building_id, e.name): e
            for e in in_scope(Entrance.objects.select_related("estate", "building"), self.user)
        }
        self.may_add_entrances = has_action(self.user, Entrance, "add")
        self.uses, self.statuses = choice_lookup(UnitUse), choice_lookup(Occupancy)
        self.seen = {}

    def error(self, row, key, message):
        self.errors.append(excel.RowError(row, str(COLUMN_LABELS[key]), str(message)))

    def run(self):
        if not has_action(self.user, Unit, "add"):
            raise JobFailed(_("No permission."))
        try:
            with self.job.input_file.open("rb") as upload:
                sheet = excel.read_sheet(upload, UNIT_COLUMNS)
        except ValidationError as error:
            raise JobFailed(" ".join(error.messages))
        if not sheet.rows:
            raise JobFailed(_("The file has no rows to import."))
        total = len(sheet.rows) * 2  # checking is the first half, writing the second
        progress(self.job, 0, total)
        planned = []
        for index, (number, record) in enumerate(sheet.rows, start=1):
            plan = self.check(number, record)
            if plan is not None:
                planned.append((number, plan))
            if index % 200 == 0:
                progress(self.job, index)
        if self.errors:
            raise self.failure()
        created, new_entrances = self.write(planned)
        progress(self.job, total)
        summary = _("%(count)s units imported.") % {"count": created}
        if new_entrances:
            summary += " " + _("New entrances: %(names)s.") % {
                "names": ", ".join(str(e) for e in new_entrances)
            }
        return {"summary": summary}

    def failure(self):
        rows = len({e.row for e in self.errors})
        message = ngettext(
            "%(rows)s row has errors; nothing was imported.",
            "%(rows)s rows have errors; nothing was imported.",
            rows,
        )
        return JobFailed(message % {"rows": rows}, self.errors)

    def check(self, number, record):
        """The unit a row describes (unsaved) and its entrance, or None after row errors."""
        before = len(self.errors)
        building, entrance = self.parents(number, record)
        floor = self.number(number, record, "floor", int, _("Enter a whole number."))
        area = self.number(number, record, "area", Decimal, _("Enter a number, e.g. 89.50."))
        use = self.choice(number, record, "use", self.uses, UnitUse.RESIDENTIAL)
        status = self.choice(number, record, "status", self.statuses, Occupancy.VACANT)
        if not record["room_no"]:
            self.error(number, "room_no", _("This field is required."))
        if building is None:
            return None
        unit = Unit(
            estate_id=building.estate_id,
            building=building,
            entrance=entrance if isinstance(entrance, Entrance) else None,
            room_no=record["room_no"],
            floor=floor,
            area=area,
            use=use,
            status=status,
            note=record["note"],
        )
        # The service's rules, for every column not already found wrong while reading the row.
        reported = {error.column for error in self.errors[before:]}
        try:
            services.validate_unit(unit)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                key = field if field in COLUMN_LABELS else "room_no"
                if str(COLUMN_LABELS[key]) not in reported:
                    for message in messages:
                        self.error(number, key, message)
        if len(self.errors) > before:
            return None
        key = (building.pk, record["entrance"], record["room_no"])
        if key in self.seen:
            self.error(
                number,
                "room_no",
                _("This room number appears twice in the file (rows %(first)s and %(row)s).")
                % {"first": self.seen[key], "row": number},
            )
            return None
        self.seen[key] = number
        return unit, (building, record["entrance"])

    def parents(self, number, record):
        estate = self.estates.get(record["estate"])
        if estate is None:
            message = (
                _("No estate named “%(name)s” in your data scope.") % {"name": record["estate"]}
                if record["estate"]
                else _("This field is required.")
            )
            self.error(number, "estate", message)
            return None, None
        building = self.buildings.get((estate.pk, record["building"]))
        if building is None:
            self.error(
                number,
                "building",
                _("Building “%(name)s” does not exist in %(estate)s.")
                % {"name": record["building"], "estate": estate.name},
            )
            return None, None
        if not record["entrance"]:
            self.error(number, "entrance", _("This field is required."))
            return building, None
        entrance = self.entrances.get((building.pk, record["entrance"]))
        if entrance is None and not self.may_add_entrances:
            self.error(
                number,
                "entrance",
                _(
                    "Entrance “%(name)s” does not exist in %(building)s, and you may not add "
                    "entrances."
                )
                % {"name": record["entrance"], "building": building},
            )
        return building, entrance

    def number(self, number, record, key, kind, message):
        text = record[key]
        if not text:
            self.error(number, key, _("This field is required."))
            return None
        try:
            return kind(text)
        except (ValueError, InvalidOperation):
            self.error(number, key, message)
            return None

    def choice(self, number, record, key, lookup, default):
        text = record[key]
        if not text:
            return default
        value = lookup.get(text.lower())
        if value is None:
            labels = ", ".join(str(label) for label in type(default).labels)
            self.error(
                number,
                key,
                _("“%(value)s” is not one of: %(choices)s.") % {"value": text, "choices": labels},
            )
        return value

    def write(self, planned):
        new_entrances = {}
        with transaction.atomic():
            for number, (unit, (building, entrance_name)) in planned:
                entrance = unit.entrance if unit.entrance_id else None
                try:
                    if entrance is None:
                        key = (building.pk, entrance_name)
                        if key not in new_entrances:
                            new_entrances[key] = services.create_entrance(
                                self.user, building=building, name=entrance_name
                            )
                        entrance = new_entrances[key]
                    services.create_unit(
                        self.user,
                        entrance=entrance,
                        room_no=unit.room_no,
                        floor=unit.floor,
                        area=unit.area,
                        use=unit.use,
                        status=unit.status,
                        note=unit.note,
                    )
                except ValidationError as error:  # changed since the check, e.g. a colleague
                    for field, messages in error.message_dict.items():
                        key = field if field in COLUMN_LABELS else "room_no"
                        for message in messages:
                            self.error(number, key, message)
                except (PermissionDenied, Http404):
                    self.error(number, "entrance", _("Outside your data scope."))
            if self.errors:
                raise self.failure()  # leaving the block rolls every row back
        return len(planned), list(new_entrances.values())


@job_handler("estates.import_units")
def import_units(job):
    return UnitImport(job).run()


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
