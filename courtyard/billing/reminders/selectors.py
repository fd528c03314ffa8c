"""Reads of reminders and of the arrears list (欠费名单), always through the scope gate.

The arrears list is one grouped query over the outstanding bills: one row per unit, or per
payer for bills without a unit (parking spaces billed to a person, a person's temporary
bills). A page of rows is then described (unit, payer, items, periods) by three more
queries, whatever the number of rows.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, IntegerField, Max, Min, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core.references import referable
from courtyard.core.scoping import restrict
from courtyard.estates.models import Unit
from courtyard.residents.models import Resident

from ..bills.services import owners_of
from ..models import ZERO, Bill, Reminder
from ..pricing import to_money

LIST = "、"
MONEY = DecimalField(max_digits=14, decimal_places=2)


def visible_reminders(user):
    return restrict(Reminder.objects.all(), user, "view")


def bills_in_scope(user):
    """Bills of the user's data scope, whatever their function permissions (the remind page
    needs ``add_reminder``, not ``view_bill``)."""
    return referable(user, Bill)


def payers_of(bills):
    """``{bill_id: Resident | None}``: the bill's payer, else its unit's current owner."""
    result = {bill.pk: bill.payer if bill.payer_id else None for bill in bills}
    orphans = [bill for bill in bills if not bill.payer_id and bill.unit_id]
    if orphans:
        owners = owners_of({bill.unit_id for bill in orphans})
        for bill in orphans:
            result[bill.pk] = owners.get(bill.unit_id)
    return result


# The arrears list ----------------------------------------------------------------------------


def group_rows(bills):
    """One row per unit (or per payer for bills without a unit), with the sums of its bills:
    ``owed``, ``bill_count``, ``oldest_due``, ``reminders`` (the most any bill has had) and
    ``last_reminded``. A values queryset: it filters (HAVING), sorts and pages in SQL."""
    return (
        bills.annotate(
            row_payer=Case(
                When(unit__isnull=True, then=F("payer_id")),
                default=None,
                output_field=IntegerField(),
            )
        )
        .values("unit_id", "row_payer")
        .annotate(
            owed=Sum(F("amount") - F("paid_amount"), output_field=MONEY),
            bill_count=Count("pk"),
            oldest_due=Min("due_date"),
            reminders=Max("reminder_count"),
            last_reminded=Max("last_reminded_at"),
        )
    )


def filter_rows(rows, *, min_days=None, min_amount=None, today=None):
    """Rows at least ``min_days`` overdue (by their oldest bill) and owing ``min_amount``."""
    if min_days:
        today = today or timezone.localdate()
        rows = rows.filter(oldest_due__lte=today - timedelta(days=int(min_days)))
    if min_amount:
        rows = rows.filter(owed__gte=min_amount)
    return rows


@dataclass
class ArrearsRow:
    """One line of the arrears list, described for the page, the export and the API."""

    unit: Unit | None
    payer: Resident | None
    owed: Decimal
    bill_count: int
    oldest_due: object
    reminders: int
    last_reminded: object
    payers: list = field(default_factory=list)  # of the bills, else the unit's owner
    items: list = field(default_factory=list)
    periods: list = field(default_factory=list)
    spaces: list = field(default_factory=list)  # parking space numbers
    today: object = None
    viewer: object = None  # whose eyes the phones are shown to (core.privacy)

    @property
    def key(self):
        """What the selection posts: ``u12`` for a unit, ``p34`` for a payer."""
        return f"u{self.unit.pk}" if self.unit else f"p{self.payer.pk}"

    @property
    def days_overdue(self):
        return max((self.today - self.oldest_due).days, 0)

    @property
    def place(self):
        """The unit (estate, building, entrance, room), else the parking spaces billed."""
        if self.unit is None:
            return LIST.join(_("Parking space %(code)s") % {"code": code} for code in self.spaces)
        unit = self.unit
        return f"{unit.estate.name} {unit.building.name} {unit.entrance.name} {unit.room_no}"


def describe(raw_rows, bills, today=None):
    """``ArrearsRow``s for a page of grouped rows: four queries for any number of rows."""
    today = today or timezone.localdate()
    raw_rows = list(raw_rows)
    unit_ids = {row["unit_id"] for row in raw_rows if row["unit_id"]}
    payer_ids = {row["row_payer"] for row in raw_rows if row["row_payer"]}
    units = Unit.objects.select_related("estate", "building", "entrance").in_bulk(unit_ids)
    details = {}  # row key → (payer ids, items, periods, parking spaces), each in order
    lines = bills.filter(unit_id__in=unit_ids) | bills.filter(
        unit__isnull=True, payer_id__in=payer_ids
    )
    for unit_id, payer_id, item, period, space in lines.values_list(
        "unit_id", "payer_id", "item__name", "period", "parking_space__code"
    ).order_by("item__sort_order", "item_id", "period"):
        key = ("u", unit_id) if unit_id else ("p", payer_id)
        found = details.setdefault(key, ({}, {}, {}, {}))
        for index, value in enumerate((payer_id, item, period, space)):
            if value:
                found[index][value] = None
    wanted = payer_ids | {p for found in details.values() for p in found[0]}
    people = Resident.objects.in_bulk(wanted)
    owners = owners_of([u for u in unit_ids if not details.get(("u", u), ({},))[0]])
    result = []
    for row in raw_rows:
        unit = units.get(row["unit_id"])
        key = ("u", row["unit_id"]) if unit else ("p", row["row_payer"])
        payer_ids_of_row, items, periods, spaces = details.get(key, ({}, {}, {}, {}))
        payers = [people[p] for p in payer_ids_of_row if p in people]
        if unit and not payers and unit.pk in owners:
            payers = [owners[unit.pk]]
        result.append(
            ArrearsRow(
                unit=unit,
                payer=people.get(row["row_payer"]) if not unit else (payers or [None])[0],
                owed=to_money(row["owed"] or ZERO),  # SQLite sums lose the cents' zeros
                bill_count=row["bill_count"],
                oldest_due=row["oldest_due"],
                reminders=row["reminders"] or 0,
                last_reminded=row["last_reminded"],
                payers=payers,
                items=list(items),
                periods=sorted(periods),
                spaces=list(spaces),
                today=today,
            )
        )
    return result


def bills_of_rows(bills, keys):
    """The bills of the selected rows (``u12`` / ``p34`` keys from the list)."""
    unit_ids, payer_ids = set(), set()
    for key in keys:
        kind, number = str(key)[:1], str(key)[1:]
        if number.isdigit() and kind in ("u", "p"):
            (unit_ids if kind == "u" else payer_ids).add(int(number))
    return bills.filter(unit_id__in=unit_ids) | bills.filter(
        unit__isnull=True, payer_id__in=payer_ids
    )
