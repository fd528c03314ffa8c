"""The spreadsheet columns that name a place, shared by every import that names a unit (units,
residents, meter readings): estate, building, entrance and room number, each found by name
within the one before and in the importing user's data scope (``core.importing.Reference``)."""

from django.utils.translation import gettext_lazy

from courtyard.core.importing import Reference

from .models import Building, Entrance, Estate, Unit


def place_columns(*, down_to="room_no", estate="翠湖花园", building="1栋", room="1201"):
    """The place columns from the estate down to ``down_to`` ("building" or "room_no"), with
    the example values of the template."""
    columns = (
        Reference(
            "estate", gettext_lazy("Estate"), model=Estate, example=estate, aliases=("项目", "小区")
        ),
        Reference(
            "building",
            gettext_lazy("Building"),
            model=Building,
            within="estate",
            example=building,
            aliases=("楼栋",),
        ),
    )
    if down_to == "building":
        return columns
    return columns + (
        Reference(
            "entrance",
            gettext_lazy("Entrance"),
            model=Entrance,
            within="building",
            example="1单元",
            aliases=("单元",),
        ),
        Reference(
            "room_no",
            gettext_lazy("Room number"),
            model=Unit,
            field="room_no",
            within="entrance",
            example=room,
            aliases=("房号",),
        ),
    )
