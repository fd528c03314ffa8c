"""The bill table; its columns (but the selection box) are also the Excel export's columns."""

from django.core.paginator import Paginator
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courtyard.core.paging import IdsFirst
from courtyard.core.tables import Column, Table
from courtyard.core.templatetags.courtyard_tags import status_colour

from ..choices import BillStatus
from .selectors import newest_first


def place_of(bill):
    """Where the bill belongs: building, entrance and room; a parking space; or the payer's
    name for a resident's own bill."""
    if bill.parking_space_id:
        return _("Parking space %(code)s") % {"code": bill.parking_space.code}
    if bill.unit_id:
        unit = bill.unit
        return f"{bill.building.name} {unit.entrance.name} {unit.room_no}"
    return bill.payer.name if bill.payer_id else ""


class PlaceColumn(Column):
    def value(self, obj):
        return place_of(obj)


class PeriodColumn(Column):
    """The period of a periodic bill; a temporary one shows the day it was raised."""

    def value(self, obj):
        if obj.period:
            return obj.period
        return _("Temporary %(date)s") % {"date": obj.created_at.date().isoformat()}


class SelectColumn(Column):
    """A box to tick a draft for publishing (written here: a template per row is slow)."""

    def render(self, obj):
        if obj.status != BillStatus.DRAFT:
            return ""
        return format_html(
            '<input type="checkbox" class="form-check-input m-0 bill-select" name="bill" '
            'value="{}" form="publish-selected" aria-label="{}">',
            obj.pk,
            _("Select"),
        )


class StatusColumn(Column):
    """The state as a badge, and "overdue" beside it when it is."""

    def render(self, obj):
        badge = format_html(
            '<span class="badge bg-{}-lt bill-status">{}</span>',
            status_colour(obj.status),
            obj.get_status_display(),
        )
        if obj.is_overdue:
            badge += format_html(
                ' <span class="badge bg-red-lt bill-overdue">{}</span>', _("Overdue")
            )
        return badge


class BillTable(Table):
    """Newest first (``bills_selectors.newest_first``); the count taken to choose the order
    serves the paginator."""

    default_order = ("-pk",)

    def order(self, queryset):
        self.total = None
        column = self.columns.get(self.sort.lstrip("-"))
        if column is not None and column.orderable:
            return super().order(queryset)
        self.sort = ""
        self.total = queryset.count()
        return newest_first(queryset, self.total)

    def page(self):
        # The page's ids from the bills table alone, then those 25 rows with their parents:
        # with the joins PostgreSQL planned a parallel scan for a building's few bills.
        paginator = Paginator(IdsFirst(self.queryset), self.per_page)
        if self.total is not None:
            paginator.count = self.total
        return paginator.get_page(self.request.GET.get("page", 1) if self.request else 1)

    select = SelectColumn("pk", label="", orderable=False, export=False)
    place = PlaceColumn(label=gettext_lazy("Unit or space"), order_by="unit__room_no", link=True)
    estate = Column("estate__name", label=gettext_lazy("Estate"))
    payer = Column("payer__name", label=gettext_lazy("Payer"))
    item = Column("item__shown_name", label=gettext_lazy("Charge item"), order_by="item__name")
    period = PeriodColumn(label=gettext_lazy("Period"), order_by="period_start")
    amount = Column(label=gettext_lazy("Amount"))
    paid_amount = Column(label=gettext_lazy("Paid"))
    due_date = Column(label=gettext_lazy("Due date"))
    status = StatusColumn(label=gettext_lazy("Status"))
    reminder_count = Column(label=gettext_lazy("Reminders"))
