"""API of payments and deposit refunds: list with the records' filters, detail with the
allocations, create with allocations ``[{bill, amount}]``, ``/void`` with a reason.

Refusals answer 400 with the service's code (``exceeds_outstanding``, ``bad_amount`` …); a
bill already paid or voided answers 409 (``already_paid``, ``bill_void``), and one paid by
someone else while the request waited for its lock 409 ``changed_meanwhile``; nothing is
written in any case.
"""

from datetime import datetime
from decimal import Decimal

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from courtyard.core.api import Id, Pagination, api_access, filter_query, filtered
from courtyard.core.references import resolve, resolve_many
from courtyard.core.scoping import get_for_action
from courtyard.residents.models import Resident

from ..models import Refund
from . import selectors, services
from .filters import PaymentFilterSet, RefundFilterSet

router = Router(tags=["billing"])

PaymentQuery = filter_query(PaymentFilterSet)
RefundQuery = filter_query(RefundFilterSet)


class PaymentAllocationOut(Schema):
    bill: int
    amount: Decimal
    item: str
    period: str
    unit: int | None
    place: str

    @staticmethod
    def resolve_bill(obj):
        return obj.bill_id

    @staticmethod
    def resolve_item(obj):
        return obj.bill.item.name

    @staticmethod
    def resolve_period(obj):
        return obj.bill.period

    @staticmethod
    def resolve_unit(obj):
        return obj.bill.unit_id

    @staticmethod
    def resolve_place(obj):
        return selectors.place_of(obj.bill)


class PaymentOut(Schema):
    id: int
    number: str
    status: str
    estate: int
    payer: int | None
    payer_name: str
    amount: Decimal
    method: str
    paid_at: datetime
    reference: str
    note: str
    operator: int | None
    operator_name: str
    voided_at: datetime | None
    void_reason: str
    created_at: datetime

    @staticmethod
    def resolve_estate(obj):
        return obj.estate_id

    @staticmethod
    def resolve_payer(obj):
        return obj.payer_id

    @staticmethod
    def resolve_operator(obj):
        return obj.operator_id

    @staticmethod
    def resolve_operator_name(obj):
        return obj.operator.display_name if obj.operator_id else ""


class PaymentDetailOut(PaymentOut):
    allocations: list[PaymentAllocationOut]

    @staticmethod
    def resolve_allocations(obj):
        return list(obj.allocations.all())


class AllocationIn(Schema):
    bill: Id
    amount: Decimal


class PaymentIn(Schema):
    allocations: list[AllocationIn]
    method: str
    paid_at: datetime | None = None
    reference: str = ""
    note: str = ""
    payer: Id | None = None


class PaymentVoidIn(Schema):
    reason: str


class RefundOut(Schema):
    id: int
    number: str
    estate: int
    bill: int
    amount: Decimal
    method: str
    refunded_at: datetime
    reason: str
    reference: str
    operator: int | None

    @staticmethod
    def resolve_estate(obj):
        return obj.estate_id

    @staticmethod
    def resolve_bill(obj):
        return obj.bill_id

    @staticmethod
    def resolve_operator(obj):
        return obj.operator_id


class RefundIn(Schema):
    bill: Id
    amount: Decimal
    method: str
    reason: str
    reference: str = ""


def _payment(request, pk, action="view"):
    return get_for_action(
        selectors.visible_payments(request.user, action), request.user, action, pk=pk
    )


@router.get("/payments", response=list[PaymentOut])
@api_access("billing.view_payment")
@paginate(Pagination)
def list_payments(request, filters: Query[PaymentQuery]):
    payments = selectors.visible_payments(request.user).order_by("-paid_at", "-id")
    return filtered(PaymentFilterSet, request, payments)


@router.get("/payments/{pk}", response=PaymentDetailOut)
@api_access("billing.view_payment")
def get_payment(request, pk: int):
    return _payment(request, pk)


@router.post("/payments", response={201: PaymentDetailOut})
@api_access("billing.add_payment")
def create_payment(request, payload: PaymentIn):
    user = request.user
    ids = [allocation.bill for allocation in payload.allocations]
    bills = {bill.pk: bill for bill in resolve_many(user, selectors.payable_bills(user), ids)}
    payer = resolve(user, Resident, payload.payer)
    payment = services.record_payment(
        user,
        allocations=[(bills[a.bill], a.amount) for a in payload.allocations],
        method=payload.method,
        paid_at=payload.paid_at,
        reference=payload.reference,
        note=payload.note,
        payer=payer,
    )
    return Status(201, _payment(request, payment.pk))


@router.post("/payments/{pk}/void", response=PaymentDetailOut)
@api_access("billing.void_payment")
def void_payment(request, pk: int, payload: PaymentVoidIn):
    payment = _payment(request, pk, "void")
    services.void_payment(request.user, payment, payload.reason)
    return _payment(request, pk)


@router.get("/refunds", response=list[RefundOut])
@api_access("billing.view_refund")
@paginate(Pagination)
def list_refunds(request, filters: Query[RefundQuery]):
    refunds = selectors.visible_refunds(request.user).order_by("-refunded_at", "-id")
    return filtered(RefundFilterSet, request, refunds)


@router.get("/refunds/{pk}", response=RefundOut)
@api_access("billing.view_refund")
def get_refund(request, pk: int):
    return get_for_action(Refund.objects.all(), request.user, "view", pk=pk)


@router.post("/refunds", response={201: RefundOut})
@api_access("billing.add_refund")
def create_refund(request, payload: RefundIn):
    bill = selectors.refundable_bill(request.user, payload.bill)
    data = payload.dict()
    data.pop("bill")
    return Status(201, services.refund_deposit(request.user, bill, **data))
