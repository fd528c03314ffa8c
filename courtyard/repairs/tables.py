"""The work order table; its columns are also the columns of the Excel export."""

from django.core.paginator import Paginator
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

    def page(self):
        """A page in two reads: which orders (their ids, from the work order table alone, which
        the database walks in an index's order and leaves after a page), then those rows with
        everything a row shows. With the joins in one read SQLite planned a scoped list from
        the estates, over every order in the scope (a second at 500,000 orders)."""
        ids = Paginator(self.queryset.values_list("pk", flat=True), self.per_page)
        page = ids.get_page(self.request.GET.get("page", 1) if self.request else 1)
        rows = self.queryset.in_bulk(list(page.object_list))
        page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
        return page
