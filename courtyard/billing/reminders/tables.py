"""Tables of the arrears list and the reminder records; their columns are the exports' too.

Phones show as the privacy policy lets the viewer see them (core.privacy).
"""

from django.db.models import F
from django.utils.translation import gettext_lazy as _l

from courtyard.core.privacy import shown_phone
from courtyard.core.tables import Column, Table

from .selectors import describe

NOWRAP = "billing/partials/arrears_nowrap.html"
LIST = "、"


class JoinedColumn(Column):
    """A list shown as one text: “物业费、水费”."""

    def value(self, obj):
        return LIST.join(str(value) for value in super().value(obj) or [])


class PhoneColumn(Column):
    def value(self, obj):
        shown = (shown_phone(obj.viewer, p.phone, p) for p in obj.payers)
        return LIST.join(phone for phone in shown if phone)


class ArrearsTable(Table):
    """A page of grouped rows (``reminders_selectors.group_rows``), described for display."""

    per_page_choices = (25, 50, 100, 200)
    # Sortable columns: the grouped query's field, and whether its order runs backwards
    # (the most days overdue is the oldest due date).
    SORTS = {
        "owed": ("owed", False),
        "days_overdue": ("oldest_due", True),
        "bill_count": ("bill_count", False),
        "reminders": ("reminders", False),
        "last_reminded": ("last_reminded", False),
    }
    TIE = ("unit_id", "row_payer")
    EXPORT_ONLY = ("oldest_due",)  # the page shows it under the days overdue

    select = Column(
        label="", orderable=False, export=False, template="billing/partials/arrears_select.html"
    )
    place = Column(
        label=_l("Unit"), orderable=False, template="billing/partials/arrears_place.html"
    )
    resident = JoinedColumn("payers", label=_l("Resident"), orderable=False, template=NOWRAP)
    phone = PhoneColumn(label=_l("Phone"), orderable=False, template=NOWRAP)
    items = JoinedColumn(label=_l("Charge items"), orderable=False)
    periods = JoinedColumn(
        label=_l("Periods"), orderable=False, template="billing/partials/arrears_periods.html"
    )
    bill_count = Column(label=_l("Bills"))
    owed = Column(label=_l("Amount owed"), template=NOWRAP)
    oldest_due = Column(label=_l("Oldest due date"), orderable=False, template=NOWRAP)
    days_overdue = Column(label=_l("Days overdue"), template="billing/partials/arrears_days.html")
    reminders = Column(label=_l("Reminders"))
    last_reminded = Column(label=_l("Last reminded"), template=NOWRAP)

    def __init__(self, queryset, request=None, per_page=None, *, bills=None):
        super().__init__(queryset, request, per_page)
        self.columns = {k: c for k, c in self.base_columns.items() if k not in self.EXPORT_ONLY}
        self.bills = bills
        self.viewer = getattr(request, "user", None)

    def order(self, queryset):
        key = self.sort.lstrip("-")
        if key not in self.SORTS:
            self.sort = ""
            return queryset.order_by("oldest_due", "-owed", *self.TIE)
        field, backwards = self.SORTS[key]
        descending = self.sort.startswith("-") != backwards
        expression = F(field).desc(nulls_last=True) if descending else F(field).asc()
        return queryset.order_by(expression, *self.TIE)

    def describe(self, raw_rows):
        rows = describe(raw_rows, self.bills)
        for row in rows:
            row.viewer = self.viewer
        return rows

    def rows(self, objects):
        return super().rows(self.describe(objects))

    def export_headers(self):
        return [str(c.label) for c in self.base_columns.values() if c.export]

    def export_rows(self, queryset=None, chunk=500):
        columns = [c for c in self.base_columns.values() if c.export]
        source = queryset if queryset is not None else self.queryset
        offset = 0
        while True:
            raw = list(source[offset : offset + chunk])
            for row in self.describe(raw):
                yield [column.export_value(row) for column in columns]
            if len(raw) < chunk:
                return
            offset += chunk


class ReminderTable(Table):
    default_order = ("-created_at", "-pk")

    created_at = Column(label=_l("Time"))
    place = Column(
        "bill", label=_l("Bill"), orderable=False, template="billing/partials/reminders_bill.html"
    )
    payer = Column("bill__payer__name", label=_l("Payer"))
    amount = Column("bill__amount", label=_l("Amount"), orderable=False)
    channel = Column(label=_l("Channel"))
    outcome = Column(label=_l("Call outcome"))
    note = Column(label=_l("Note"), orderable=False)
    message = Column("message__status", label=_l("Message"), orderable=False)
    created_by = Column("created_by__full_name", label=_l("By"))
