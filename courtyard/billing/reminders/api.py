"""API of reminders: ``reminders`` (list, detail, create for bill ids) and ``reports/arrears``
(the arrears list, grouped per unit or payer, with the page's filters and sorts)."""

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Sum
from ninja import Query, Router, Schema, Status
from pydantic import Field

from courtyard.core import privacy
from courtyard.core.api import ApiError, Id, Pagination, api_access, filter_query, id_of, resource
from courtyard.core.references import resolve_many
from courtyard.core.scoping import restrict

from ..choices import CallOutcome, ReminderChannel
from ..models import Bill, Reminder
from ..pricing import to_money
from .filters import ArrearsFilterSet, ReminderFilterSet, arrears_list
from .services import remind
from .tables import ArrearsTable

router = Router(tags=["billing"])
ArrearsQuery = filter_query(ArrearsFilterSet)
REMINDERS = Reminder.objects.select_related("message")


class ReminderOut(Schema):
    id: int
    bill: int = id_of("bill")
    estate: int = id_of("estate")
    building: int | None = id_of("building")
    channel: str
    outcome: str
    note: str
    message: int | None = id_of("message")
    message_status: str
    created_at: datetime
    created_by: int | None = id_of("created_by")

    @staticmethod
    def resolve_message_status(obj):
        return obj.message.status if obj.message_id else ""


class ReminderIn(Schema):
    bills: list[Id] = Field(..., min_length=1, max_length=1000)
    channel: ReminderChannel
    outcome: CallOutcome | None = None
    note: str = ""


class PersonOut(Schema):
    id: int
    name: str
    phone: str  # as core.privacy lets the caller see it


class ArrearsRowOut(Schema):
    key: str
    unit: int | None
    place: str
    payers: list[PersonOut]
    items: list[str]
    periods: list[str]
    bill_count: int
    owed: Decimal
    oldest_due: date
    days_overdue: int
    reminders: int
    last_reminded: datetime | None


class ArrearsOut(Schema):
    items: list[ArrearsRowOut]
    count: int
    total_owed: Decimal


class ArrearsParams(Pagination.Input):
    sort: str = ""


resource(
    router,
    "/reminders",
    Reminder,
    name="reminder",
    rows=lambda user, action: restrict(REMINDERS, user, action),
    out=ReminderOut,
    filterset=ReminderFilterSet,
    order=("-created_at", "-id"),
)


class RemindersOut(Schema):
    """The reminders one request made, as every list answers: ``{"items", "count"}``."""

    items: list[ReminderOut]
    count: int


@router.post("/reminders", response={201: RemindersOut})
@api_access("billing.add_reminder")
def create_reminders(request, payload: ReminderIn):
    """Remind the payers of the bills: one message per payer (SMS, voice), or a call's outcome."""
    bills = resolve_many(request.user, Bill.objects.only("pk"), payload.bills)
    reminders = remind(
        request.user,
        bills,
        channel=payload.channel,
        outcome=payload.outcome or "",
        note=payload.note,
    )
    made = list(REMINDERS.filter(pk__in=[r.pk for r in reminders]).order_by("bill_id"))
    return Status(201, {"items": made, "count": len(made)})


@router.get("/reports/arrears", response=ArrearsOut)
@api_access("billing.view_bill")
def arrears_report(request, filters: Query[ArrearsQuery], params: Query[ArrearsParams]):
    """The arrears list: one row per unit (or payer without a unit), most overdue first."""
    filterset = arrears_list(request.user, request.GET, request=request)
    if filterset.is_bound and not filterset.is_valid():
        errors = {k: " ".join(str(m) for m in v) for k, v in filterset.errors.items()}
        raise ApiError(400, "; ".join(f"{k}: {v}" for k, v in errors.items()), "invalid_filter")
    rows = filterset.rows()
    table = ArrearsTable(rows, request, bills=filterset.bills())
    limit, offset = min(params.limit, Pagination.MAX_LIMIT), params.offset
    page = table.describe(table.queryset[offset : offset + limit])
    return {
        "items": [_row(row, request.user) for row in page],
        "count": rows.count(),
        "total_owed": to_money(rows.aggregate(total=Sum("owed"))["total"] or 0),
    }


def _row(row, viewer):
    return {
        "key": row.key,
        "unit": row.unit.pk if row.unit else None,
        "place": row.place,
        "payers": [
            {"id": p.pk, "name": p.name, "phone": privacy.shown_phone(viewer, p.phone, p)}
            for p in row.payers
        ],
        "items": row.items,
        "periods": row.periods,
        "bill_count": row.bill_count,
        "owed": row.owed,
        "oldest_due": row.oldest_due,
        "days_overdue": row.days_overdue,
        "reminders": row.reminders,
        "last_reminded": row.last_reminded,
    }
