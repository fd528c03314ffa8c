"""The work order table; its columns are also the columns of the Excel export."""

from django.utils.translation import gettext_lazy as _

from courtyard.core.tables import Column, Table

# Everything a row shows, in one query.
DATETIME = "repairs/partials/datetime_cell.html"
ROW_RELATED = ("estate", "building", "unit", "unit__entrance", "category", "assignee")


def place_of(order):
    """Where the repair is: estate, building, then the room or the public area's location."""
    parts = [order.estate.name]
    if order.building_id:
        parts.append(order.building.name)
    if order.unit_id:
        parts += [order.unit.entrance.name, order.unit.room_no]
    elif order.location:
        parts.append(order.location)
    return " ".join(parts)


class PlaceColumn(Column):
    def value(self, obj):
        return place_of(obj)


class WorkOrderTable(Table):
    default_order = ("-created_at", "-pk")

    number = Column(label=_("Number"), link=True, template="repairs/partials/number_cell.html")
    status = Column(label=_("Status"), template="repairs/partials/status_badge.html")
    urgency = Column(label=_("Urgency"), template="repairs/partials/urgency_badge.html")
    category = Column("category__name", label=_("Category"))
    place = PlaceColumn(label=_("Unit or location"), orderable=False)
    description = Column(
        label=_("Description"), orderable=False, template="repairs/partials/description_cell.html"
    )
    assignee = Column("assignee__full_name", label=_("Assignee"))
    created_at = Column(label=_("Reported"), template=DATETIME)
    resolution_due = Column(label=_("Resolve by"), template=DATETIME)
