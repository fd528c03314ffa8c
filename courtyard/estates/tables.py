"""Tables of the register; their columns are also the columns of the Excel exports."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courtyard.core.tables import Column, Table


class EstateTable(Table):
    default_order = ("name",)

    name = Column(label=_("Name"), link=True)
    code = Column(label=pgettext_lazy("identifier", "Code"))
    address = Column(label=_("Address"))
    phone = Column(label=_("Service phone"), orderable=False)


class BuildingTable(Table):
    default_order = ("estate__name", "name")

    name = Column(label=_("Name"), link=True)
    estate = Column("estate__name", label=_("Estate"))
    floors = Column(label=_("Floors"))
    description = Column(label=_("Description"), orderable=False)


class EntranceTable(Table):
    default_order = ("building__name", "name")

    name = Column(label=_("Name"), link=True)
    estate = Column("estate__name", label=_("Estate"))
    building = Column("building__name", label=_("Building"))


class UnitTable(Table):
    # The (entrance, room number) index serves this order, so the first page of 100,000
    # units needs no sort.
    default_order = ("entrance_id", "room_no")

    room_no = Column(label=_("Room number"), link=True)
    estate = Column("estate__name", label=_("Estate"))
    building = Column("building__name", label=_("Building"))
    entrance = Column("entrance__name", label=_("Entrance"))
    floor = Column(label=_("Floor"))
    area = Column(label=_("Floor area (m²)"))
    use = Column(label=_("Use"), order_by="use")
    status = Column(
        label=_("Occupancy"), order_by="status", template="estates/partials/occupancy_badge.html"
    )
