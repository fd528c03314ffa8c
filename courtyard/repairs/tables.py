"""The work order table; its columns are also the columns of the Excel export."""

from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from courtyard.core.paging import IdsFirst
from courtyard.core.tables import Column, Table
from courtyard.core.templatetags.courtyard_tags import status_colour

from .choices import Urgency

# Everything a row shows, in one query.
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


class DrawnColumn(Column):
    """A cell drawn by a function: the markup of a cell template without rendering one per
    cell (150 template renders cost a list page more than its SQL)."""

    def __init__(self, *args, draw, **kwargs):
        super().__init__(*args, **kwargs)
        self.draw = draw

    def render(self, obj):
        return self.draw(obj, self.value(obj))


def number_cell(order, number):
    html = format_html('<span class="text-nowrap font-monospace">{}</span>', number)
    if order.response_overdue or order.resolution_overdue:
        html += format_html(
            ' <span class="badge bg-red text-red-fg ms-1 wo-overdue" title="{}">{}</span>',
            gettext("Past its SLA deadline"),
            gettext("Overdue"),
        )
    return html


def status_cell(order, _value):
    return format_html(
        '<span class="badge bg-{}-lt wo-status">{}</span>',
        status_colour(order.status),
        order.get_status_display(),
    )


URGENCY_LOOKS = {  # as repairs/partials/urgency_badge.html
    Urgency.EMERGENCY: ("bg-red text-red-fg", '<i class="ti ti-urgent me-1"></i>'),
    Urgency.URGENT: ("bg-orange text-orange-fg", '<i class="ti ti-alert-triangle me-1"></i>'),
}


def urgency_cell(order, _value):
    colours, icon = URGENCY_LOOKS.get(order.urgency, ("bg-secondary-lt", ""))
    return format_html(
        '<span class="badge {} wo-urgency">{}{}</span>',
        colours,
        mark_safe(icon),  # one of the constants above
        order.get_urgency_display(),
    )


def description_cell(_order, description):
    return format_html(
        '<span class="wo-description d-inline-block text-truncate" title="{}">{}</span>',
        description,
        description,
    )


def datetime_cell(_order, value):
    if not value:
        return "—"
    local = timezone.localtime(value)
    return format_html(
        '<span class="text-nowrap">{}</span><div class="text-secondary small">{}</div>',
        f"{local:%Y-%m-%d}",
        f"{local:%H:%M}",
    )


class WorkOrderTable(Table):
    default_order = ("-created_at", "-pk")

    number = DrawnColumn(label=_("Number"), link=True, draw=number_cell)
    status = DrawnColumn(label=_("Status"), draw=status_cell)
    urgency = DrawnColumn(label=_("Urgency"), draw=urgency_cell)
    category = Column("category__shown_name", label=_("Category"), order_by="category__name")
    place = PlaceColumn(label=_("Unit or location"), orderable=False)
    description = DrawnColumn(label=_("Description"), orderable=False, draw=description_cell)
    assignee = Column("assignee__full_name", label=_("Assignee"))
    created_at = DrawnColumn(label=_("Reported"), draw=datetime_cell)
    resolution_due = DrawnColumn(label=_("Resolve by"), draw=datetime_cell)

    def page(self):
        """The page read ids first (see ``core.paging.IdsFirst``)."""
        number = self.request.GET.get("page", 1) if self.request else 1
        return Paginator(IdsFirst(self.queryset), self.per_page).get_page(number)


class RepairCategoryTable(Table):
    default_order = ("sort_order", "name", "pk")

    name = Column(label=_("Name"), link=True)
    code = Column(label=_("Code"))
    sort_order = Column(label=_("Sort order"))
    requires_signature = Column(label=_("Signature required"))
    technicians = Column(label=_("Technicians"), orderable=False)
    is_active = Column(label=_("Active"))


class SkillsColumn(Column):
    """The categories a technician covers (prefetched as ``skill_rows``)."""

    def value(self, obj):
        return "、".join(row.category.name for row in obj.skill_rows) or "—"


class TechnicianTable(Table):
    """技师技能: every technician in the scope with the categories they cover; a name leads
    to the page that sets them."""

    default_order = ("full_name", "username", "pk")

    full_name = Column("display_name", label=_("Name"), link=True, order_by="full_name")
    username = Column(label=_("Username"))
    department = Column("department__name", label=_("Department"))
    skills = SkillsColumn(label=_("Repair categories covered"), orderable=False)
    open_load = Column(label=_("Open orders"))

    def link(self, obj):
        return reverse("repairs:technicianskill_edit", args=[obj.pk])
