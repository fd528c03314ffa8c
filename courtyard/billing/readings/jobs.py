"""Background jobs of meter readings: the Excel import (all or nothing, per-row errors) and
the export of the list (the export's columns are the import's, so it can be read back)."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from courtyard.core import excel
from courtyard.core.generic import export_job
from courtyard.core.importing import Choice, Date, Importer, Month, Text
from courtyard.core.jobs import job_handler, progress, save_output
from courtyard.estates.columns import place_columns

from ..choices import MeterType
from ..models import MeterReading
from . import services
from .filters import MeterReadingFilterSet
from .selectors import READING_RELATED
from .tables import MeterReadingTable

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
READING_COLUMNS = (
    *place_columns(),
    Choice(
        "meter_type",
        gettext_lazy("Meter"),
        choices=MeterType,
        words=METER_WORDS,
        example=MeterType.WATER.label,
        aliases=("表", "表类型"),
    ),
    Month("period", gettext_lazy("Month"), example="2026-11", aliases=("抄表月份", "月份", "期间")),
    # The figure as written: the service reads it (two decimals at most, not negative).
    Text("reading", gettext_lazy("Reading"), example="1234.5", aliases=("读数", "本期读数")),
    Date(
        "read_on",
        gettext_lazy("Read on"),
        required=False,
        example="2026-11-28",
        aliases=("抄表日期",),
    ),
)


class ReadingImporter(Importer):
    """Readings by room, meter and month. The rooms are found first; only a file whose every
    row names one is checked with the readings' rules (``services.save_readings``) and saved."""

    kind = "billing.import_readings"
    model = MeterReading
    title = "meter-readings"
    columns = READING_COLUMNS
    field_columns = {"unit": "room_no"}
    fallback_column = "reading"

    def row(self, values, number):
        return services.Entry(
            values["room_no"],
            values["meter_type"],
            values["period"],
            values["reading"],
            values["read_on"],
        )

    def save(self, rows):
        try:
            return services.save_readings(self.user, [entry for _number, entry in rows])
        except services.ReadingRowsInvalid as invalid:
            for error in invalid.rows:
                self.reject(rows[error.index][0], ValidationError({error.field: error.message}))

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
