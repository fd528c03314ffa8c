"""The meter readings table; its columns are the export's, and the import reads them back."""

from django.utils.translation import gettext_lazy as _

from courtyard.core.tables import Column, Table


class ReviewColumn(Column):
    """Flagged and waiting, flagged and accepted, or nothing to say (export: the reason)."""

    def export_value(self, obj):
        if not obj.is_flagged:
            return ""
        state = _("accepted") if obj.reviewed_at else _("awaiting review")
        return f"{state}: {obj.flag_reason}"


class MeterReadingTable(Table):
    default_order = ("-period", "building_id", "unit__room_no", "meter_type")

    period = Column(label=_("Month"))
    estate = Column("estate__name", label=_("Estate"))
    building = Column("building__name", label=_("Building"))
    entrance = Column("unit__entrance__name", label=_("Entrance"))
    room_no = Column(
        "unit__room_no", label=_("Room number"), template="billing/readings_room_cell.html"
    )
    meter_type = Column(label=_("Meter"))
    previous_reading = Column(label=_("Previous reading"), orderable=False)
    reading = Column(label=_("Reading"))
    usage = Column(label=_("Usage"))
    read_on = Column(label=_("Read on"))
    review = ReviewColumn(
        "is_flagged",
        label=_("Flag"),
        order_by="is_flagged",
        template="billing/readings_flag_cell.html",
    )
