"""API of bills: ``bills`` — list with the list page's filters, detail (calculation,
payments, reminders, timeline), create a temporary bill, publish a selection of drafts,
void a published bill, delete a draft. Never a writable ``status``: each change is an action
(a state that no longer allows it answers 409 with a ``code``)."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Router, Schema
from pydantic import Field

from courtyard.core.api import Id, api_access, id_of, resource
from courtyard.core.paging import IdsFirst
from courtyard.core.references import resolve_many
from courtyard.core.scoping import get_for_action
from courtyard.estates.models import Unit
from courtyard.repairs.models import WorkOrder
from courtyard.residents.models import Resident

from ..models import Bill, ChargeItem
from . import selectors as bills_selectors
from . import services as bills_services
from .filters import BillFilterSet
from .selectors import BILLS
from .tables import place_of

router = Router(tags=["billing"])


class BillOut(Schema):
    id: int
    kind: str
    status: str
    estate: int = id_of("estate")
    building: int | None = id_of("building")
    unit: int | None = id_of("unit")
    parking_space: int | None = id_of("parking_space")
    place: str
    payer: int | None = id_of("payer")
    payer_name: str
    item: int = id_of("item")
    item_name: str
    bill_run: int | None = id_of("bill_run")
    work_order: int | None = id_of("work_order")
    period: str
    period_start: date | None
    period_end: date | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    paid_amount: Decimal
    refunded_amount: Decimal
    outstanding: Decimal
    due_date: date
    overdue: bool
    published_at: datetime | None
    note: str
    reminder_count: int
    last_reminded_at: datetime | None
    voided_at: datetime | None
    void_reason: str

    @staticmethod
    def resolve_place(obj):
        return place_of(obj)

    @staticmethod
    def resolve_payer_name(obj):
        return obj.payer.name if obj.payer_id else ""

    @staticmethod
    def resolve_item_name(obj):
        return obj.item.shown_name

    @staticmethod
    def resolve_overdue(obj):
        return obj.is_overdue


class BillAllocationOut(Schema):
    payment: int = id_of("payment")
    number: str
    amount: Decimal
    paid_at: datetime
    method: str
    status: str

    @staticmethod
    def resolve_number(obj):
        return obj.payment.number

    @staticmethod
    def resolve_paid_at(obj):
        return obj.payment.paid_at

    @staticmethod
    def resolve_method(obj):
        return obj.payment.method

    @staticmethod
    def resolve_status(obj):
        return obj.payment.status


class BillReminderOut(Schema):
    id: int
    channel: str
    outcome: str
    note: str
    created_at: datetime


class LineOut(Schema):
    label: str
    text: str


class BillEventOut(Schema):
    text: str
    note: str
    at: datetime
    actor: int | None

    @staticmethod
    def resolve_actor(obj):
        return obj["actor"].pk if obj["actor"] else None


def _allocations(bill):
    """The payments of a bill, read once for its detail's payments and timeline."""
    if not hasattr(bill, "loaded_allocations"):
        bill.loaded_allocations = list(bills_selectors.allocations_of(bill))
    return bill.loaded_allocations


class BillDetailOut(BillOut):
    detail: dict
    calculation: list[LineOut]
    payments: list[BillAllocationOut]
    reminders: list[BillReminderOut]
    timeline: list[BillEventOut]

    @staticmethod
    def resolve_calculation(obj):
        return [{"label": label, "text": text} for label, text in bills_selectors.calculation(obj)]

    @staticmethod
    def resolve_payments(obj):
        return _allocations(obj)

    @staticmethod
    def resolve_reminders(obj):
        return list(bills_selectors.reminders_of(obj))

    @staticmethod
    def resolve_timeline(obj):
        return bills_selectors.timeline_of(obj, _allocations(obj))


class TemporaryBillIn(Schema):
    item: Id
    amount: str = Field(..., description="A positive amount with at most 2 decimals, e.g. 320.50")
    unit: Id | None = None
    payer: Id | None = Field(None, description="A resident; without a unit, their own bill")
    note: str = ""
    due_date: date | None = None
    work_order: Id | None = None
    publish: bool = False


class BillPublishIn(Schema):
    bills: list[Id] = Field(..., min_length=1, max_length=100_000)


class PublishedOut(Schema):
    published: int


class VoidIn(Schema):
    reason: str


# Before /bills/{pk}: the first path that matches wins.
@router.post("/bills/publish", response=PublishedOut)
@api_access("billing.publish_bill")
def publish_bills(request, payload: BillPublishIn):
    chosen = resolve_many(request.user, Bill, payload.bills)
    return {"published": bills_services.publish_bills(request.user, chosen)}


resource(
    router,
    "/bills",
    Bill,
    name="bill",
    rows=bills_selectors.visible,
    out=BillOut,
    detail=BillDetailOut,
    filterset=BillFilterSet,
    paging=lambda bills: IdsFirst(bills_selectors.newest_first(bills)),
    create=(TemporaryBillIn, bills_services.create_temporary_bill),
    delete=bills_services.delete_draft_bill,
    references={"item": ChargeItem, "unit": Unit, "payer": Resident, "work_order": WorkOrder},
    reread=True,
    names={"create": "create_temporary_bill"},
)


@router.post("/bills/{pk}/void", response=BillDetailOut)
@api_access("billing.void_bill")
def void_bill(request, pk: int, payload: VoidIn):
    bill = get_for_action(Bill.objects.all(), request.user, "void", pk=pk)
    bills_services.void_bill(request.user, bill, payload.reason)
    return BILLS.get(pk=bill.pk)
