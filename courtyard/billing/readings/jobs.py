"""Background jobs of meter readings: the Excel import (all or nothing, per-row errors) and
the export of the list (the export's columns are the import's, so it can be read back)."""

import re
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from courtyard.core import excel
from courtyard.core.generic import export_job
from courtyard.core.jobs import JobFailed, job_handler, progress, save_output
from courtyard.core.scoping import has_action, scope_q, user_scope
from courtyard.estates.models import Building, Estate, Unit

from ..choices import MeterType
from ..models import MeterReading
from . import services
from .filters import MeterReadingFilterSet
from .selectors import READING_RELATED
from .tables import MeterReadingTable

READING_COLUMNS = (
    excel.ImportColumn(
        "estate", gettext_lazy("Estate"), example="翠湖花园", aliases=("项目", "小区")
    ),
    excel.ImportColumn("building", gettext_lazy("Building"), example="1栋", aliases=("楼栋",)),
    excel.ImportColumn("entrance", gettext_lazy("Entrance"), example="1单元", aliases=("单元",)),
    excel.ImportColumn("room_no", gettext_lazy("Room number"), example="1201", aliases=("房号",)),
    excel.ImportColumn(
        "meter_type", gettext_lazy("Meter"), example=MeterType.WATER.label, aliases=("表", "表类型")
    ),
    excel.ImportColumn(
        "period", gettext_lazy("Month"), example="2026-11", aliases=("抄表月份", "月份", "期间")
    ),
    excel.ImportColumn(
        "reading", gettext_lazy("Reading"), example="1234.5", aliases=("读数", "本期读数")
    ),
    excel.ImportColumn(
        "read_on",
        gettext_lazy("Read on"),
        required=False,
        example="2026-11-28",
        aliases=("抄表日期",),
    ),
)
COLUMN_LABELS = {column.key: column.label for column in READING_COLUMNS}
# What estate offices customarily write for a meter, whatever the UI language.
METER_WORDS = {
    "水": MeterType.WATER,
    "水表": MeterType.WATER,
    "水费": MeterType.WATER,
    "电": MeterType.ELECTRICITY,
    "电表": MeterType.ELECTRICITY,
    "电费": MeterType.ELECTRICITY,
    "气": MeterType.GAS,
    "燃气": MeterType.GAS,
    "燃气表": MeterType.GAS,
    "煤气": MeterType.GAS,
}
# Which column each service field is reported in.
FIELD_COLUMNS = {
    "unit": "room_no",
    "meter_type": "meter_type",
    "period": "period",
    "reading": "reading",
    "read_on": "read_on",
}
CHUNK = 500


def meter_lookup():
    lookup = dict(METER_WORDS)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            lookup.update({str(label).lower(): value for value, label in MeterType.choices})
    lookup.update({value: value for value in MeterType.values})
    return lookup


def month_text(text):
    """2026-11, 2026/11, 2026.11, 2026年11月 or a date cell (2026-11-01 00:00:00) → 2026-11."""
    text = text.strip()
    match = re.match(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})", text)
    return f"{match.group(1)}-{int(match.group(2)):02d}" if match else text


def date_text(text):
    match = re.match(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text.strip())
    if not match:
        raise ValueError(text)
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def _in_scope(queryset, user):
    q = scope_q(queryset.model, user_scope(user))
    return queryset if q is None else queryset.filter(q)


class ReadingImport:
    """Find every row's unit, check every reading with the services' rules, then save all
    rows in one transaction, or none with the list of rows to fix."""

    def __init__(self, job):
        self.job, self.user = job, job.user
        self.errors = []
        self.meters = meter_lookup()

    def error(self, row, key, message):
        self.errors.append(excel.RowError(row, str(COLUMN_LABELS[key]), str(message)))

    def run(self):
        if not has_action(self.user, MeterReading, "add"):
            raise JobFailed(_("No permission."))
        try:
            with self.job.input_file.open("rb") as upload:
                sheet = excel.read_sheet(upload, READING_COLUMNS)
        except ValidationError as error:
            raise JobFailed(" ".join(error.messages))
        if not sheet.rows:
            raise JobFailed(_("The file has no rows to import."))
        total = len(sheet.rows) * 2  # finding the units is the first half, saving the second
        progress(self.job, 0, total)
        units = self.units_of(sheet.rows)
        entries, numbers = [], []
        for index, (number, record) in enumerate(sheet.rows, start=1):
            entry = self.entry(number, record, units)
            if entry is not None:
                entries.append(entry)
                numbers.append(number)
            if index % CHUNK == 0:
                progress(self.job, index)
        progress(self.job, len(sheet.rows))
        if self.errors:
            raise self.failure()
        try:
            result = services.save_readings(
                self.user,
                entries,
                progress=lambda done: progress(self.job, len(sheet.rows) + done),
            )
        except services.ReadingRowsInvalid as invalid:
            for row_error in invalid.rows:
                column = FIELD_COLUMNS.get(row_error.field, "reading")
                self.error(numbers[row_error.index], column, row_error.message)
            raise self.failure()
        progress(self.job, total)
        return {"summary": self.summary(result)}

    def summary(self, result):
        text = ngettext(
            "%(count)s reading saved.", "%(count)s readings saved.", len(result.saved)
        ) % {"count": len(result.saved)}
        if result.corrected:
            text += " " + _("%(count)s of them corrected.") % {"count": len(result.corrected)}
        if result.unchanged:
            text += " " + _("%(count)s rows were saved already.") % {"count": result.unchanged}
        if result.flagged:
            text += " " + ngettext(
                "%(count)s reading is flagged for review.",
                "%(count)s readings are flagged for review.",
                len(result.flagged),
            ) % {"count": len(result.flagged)}
        return text

    def failure(self):
        rows = len({e.row for e in self.errors})
        message = ngettext(
            "%(rows)s row has errors; nothing was imported.",
            "%(rows)s rows have errors; nothing was imported.",
            rows,
        )
        return JobFailed(message % {"rows": rows}, sorted(self.errors, key=lambda e: e.row))

    def units_of(self, rows):
        """{(estate name, building name, entrance name, room): unit} for the file's buildings,
        in the user's scope (three queries, whatever the file's length)."""
        estates = {e.name: e.pk for e in _in_scope(Estate.objects.all(), self.user)}
        wanted = {(estates.get(r["estate"]), r["building"]) for _n, r in rows}
        buildings = {
            (b.estate_id, b.name): b
            for b in _in_scope(Building.objects.all(), self.user).filter(
                estate_id__in={estate for estate, _b in wanted if estate},
                name__in={name for _e, name in wanted},
            )
        }
        self.estates, self.buildings = estates, buildings
        units = (
            _in_scope(Unit.objects.all(), self.user)
            .filter(building__in=list(buildings.values()))
            .select_related("entrance")
        )
        return {(u.building_id, u.entrance.name, u.room_no): u for u in units}

    def entry(self, number, record, units):
        before = len(self.errors)
        unit = self.unit(number, record, units)
        meter = self.meters.get(record["meter_type"].strip().lower())
        if meter is None:
            self.error(
                number,
                "meter_type",
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": record["meter_type"], "choices": ", ".join(map(str, MeterType.labels))},
            )
        read_on = None
        if record["read_on"]:
            try:
                read_on = date_text(record["read_on"])
            except ValueError:
                self.error(number, "read_on", _("Write the date like 2026-11-28."))
        for key in ("period", "reading"):
            if not record[key]:
                self.error(number, key, _("This field is required."))
        if len(self.errors) > before:
            return None
        return services.Entry(unit, meter, month_text(record["period"]), record["reading"], read_on)

    def unit(self, number, record, units):
        estate = self.estates.get(record["estate"])
        if estate is None:
            message = (
                _("No estate named “%(name)s” in your data scope.") % {"name": record["estate"]}
                if record["estate"]
                else _("This field is required.")
            )
            self.error(number, "estate", message)
            return None
        building = self.buildings.get((estate, record["building"]))
        if building is None:
            self.error(
                number,
                "building",
                _("Building “%(name)s” does not exist in %(estate)s.")
                % {"name": record["building"], "estate": record["estate"]},
            )
            return None
        unit = units.get((building.pk, record["entrance"], record["room_no"]))
        if unit is None:
            self.error(
                number,
                "room_no",
                _("No room %(room)s in %(building)s %(entrance)s.")
                % {
                    "room": record["room_no"],
                    "building": building.name,
                    "entrance": record["entrance"],
                },
            )
        return unit


@job_handler("billing.import_readings")
def import_readings(job):
    return ReadingImport(job).run()


@job_handler("billing.export_readings")
def export_readings(job):
    """The readings the user may view, with the list's filters, as a workbook."""
    queryset = MeterReading.objects.select_related(*READING_RELATED)
    table = export_job(job.user, queryset, MeterReadingFilterSet, MeterReadingTable, job.params)
    progress(job, 0, table.queryset.count())
    content = excel.write_workbook(
        table.export_headers(), table.export_rows(), title=_("meter readings")
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    save_output(job, f"meter-readings-{stamp}.xlsx", content)
    progress(job, job.total)
    return {"summary": _("%(count)s rows exported.") % {"count": job.total}}
