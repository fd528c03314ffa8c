"""API of bills: ``bills`` — list with the list page's filters, detail (calculation,
payments, reminders, timeline), create a temporary bill, publish a selection of drafts,
void a published bill, delete a draft. Never a writable ``status``: each change is an action
(a state that no longer allows it answers 409 with a ``code``)."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from courtyard.core.api import Id, Pagination, api_access, filter_query, filtered
from courtyard.core.paging import IdsFirst
from courtyard.core.references import resolve, resolve_many
from courtyard.core.scoping import get_for_action

from ..models import Bill, ChargeItem
from . import selectors as bills_selectors
from . import services as bills_services
from .filters import BillFilterSet
from .selectors import BILLS
from .tables import place_of

router = Router(tags=["billing"])
BillQuery = filter_query(BillFilterSet)


class BillOut(Schema):
    id: int
    kind: str
    status: str
    estate: int
    building: int | None
    unit: int | None
    parking_space: int | None
    place: str
    payer: int | None
    payer_name: str
    item: int
    item_name: str
    bill_run: int | None
    work_order: int | None
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
    def resolve_estate(obj):
        return obj.estate_id

    @staticmethod
    def resolve_building(obj):
        return obj.building_id

    @staticmethod
    def resolve_unit(obj):
        return obj.unit_id

    @staticmethod
    def resolve_parking_space(obj):
        return obj.parking_space_id

    @staticmethod
    def resolve_place(obj):
        return place_of(obj)

    @staticmethod
    def resolve_payer(obj):
        return obj.payer_id

    @staticmethod
    def resolve_payer_name(obj):
        return obj.payer.name if obj.payer_id else ""

    @staticmethod
    def resolve_item(obj):
        return obj.item_id

    @staticmethod
    def resolve_item_name(obj):
        return obj.item.shown_name

    @staticmethod
    def resolve_bill_run(obj):
        return obj.bill_run_id

    @staticmethod
    def resolve_work_order(obj):
        return obj.work_order_id

    @staticmethod
    def resolve_overdue(obj):
        return obj.is_overdue


class BillAllocationOut(Schema):
    payment: int
    number: str
    amount: Decimal
    paid_at: datetime
    method: str
    status: str

    @staticmethod
    def resolve_payment(obj):
        return obj.payment_id

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
        return obj.loaded_allocations

    @staticmethod
    def resolve_reminders(obj):
        return list(bills_selectors.reminders_of(obj))

    @staticmethod
    def resolve_timeline(obj):
        return bills_selectors.timeline_of(obj, obj.loaded_allocations)


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


def _detail(bill):
    bill = BILLS.get(pk=bill.pk)
    bill.loaded_allocations = list(bills_selectors.allocations_of(bill))
    return bill


@router.get("/bills", response=list[BillOut])
@api_access("billing.view_bill")
@paginate(Pagination)
def list_bills(request, filters: Query[BillQuery]):
    bills = filtered(BillFilterSet, request, bills_selectors.visible(request.user))
    return IdsFirst(bills_selectors.newest_first(bills))


# Before /bills/{pk}: the first path that matches wins.
@router.post("/bills/publish", response=PublishedOut)
@api_access("billing.publish_bill")
def publish_bills(request, payload: BillPublishIn):
    chosen = resolve_many(request.user, Bill, payload.bills)
    return {"published": bills_services.publish_bills(request.user, chosen)}


@router.get("/bills/{pk}", response=BillDetailOut)
@api_access("billing.view_bill")
def get_bill(request, pk: int):
    return _detail(get_for_action(BILLS, request.user, "view", pk=pk))


@router.post("/bills", response={201: BillDetailOut})
@api_access("billing.add_bill")
def create_temporary_bill(request, payload: TemporaryBillIn):
    from courtyard.estates.models import Unit
    from courtyard.repairs.models import WorkOrder
    from courtyard.residents.models import Resident

    user, data = request.user, payload.dict()
    data["item"] = resolve(user, ChargeItem, data["item"])
    data["unit"] = resolve(user, Unit, data["unit"])
    data["payer"] = resolve(user, Resident, data["payer"])
    data["work_order"] = resolve(user, WorkOrder, data["work_order"])
    bill = bills_services.create_temporary_bill(user, **data)
    return Status(201, _detail(bill))


@router.post("/bills/{pk}/void", response=BillDetailOut)
@api_access("billing.void_bill")
def void_bill(request, pk: int, payload: VoidIn):
    bill = get_for_action(Bill.objects.all(), request.user, "void", pk=pk)
    return _detail(bills_services.void_bill(request.user, bill, payload.reason))


@router.delete("/bills/{pk}", response={204: None})
@api_access("billing.delete_bill")
def delete_bill(request, pk: int):
    bill = get_for_action(Bill.objects.all(), request.user, "delete", pk=pk)
    bills_services.delete_draft_bill(request.user, bill)
    return Status(204, None)
