"""API of payments and deposit refunds: list with the records' filters, detail with the
allocations, create with allocations ``[{bill, amount}]``, ``/void`` with a reason.

Refusals answer 400 with the service's code (``exceeds_outstanding``, ``bad_amount`` …); a
bill already paid or voided answers 409 (``already_paid``, ``bill_void``), and one paid by
someone else while the request waited for its lock 409 ``changed_meanwhile``; nothing is
written in any case.
"""

from datetime import datetime
from decimal import Decimal

from ninja import Router, Schema, Status

from courtyard.core.api import Id, api_access, id_of, resource
from courtyard.core.references import resolve, resolve_many
from courtyard.core.scoping import get_for_action
from courtyard.residents.models import Resident

from ..models import Payment, Refund
from . import selectors, services
from .filters import PaymentFilterSet, RefundFilterSet

router = Router(tags=["billing"])


class PaymentAllocationOut(Schema):
    bill: int = id_of("bill")
    amount: Decimal
    item: str
    period: str
    unit: int | None
    place: str

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
    estate: int = id_of("estate")
    payer: int | None = id_of("payer")
    payer_name: str
    amount: Decimal
    method: str
    paid_at: datetime
    reference: str
    note: str
    operator: int | None = id_of("operator")
    operator_name: str
    voided_at: datetime | None
    void_reason: str
    created_at: datetime

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
    estate: int = id_of("estate")
    bill: int = id_of("bill")
    amount: Decimal
    method: str
    refunded_at: datetime
    reason: str
    reference: str
    operator: int | None = id_of("operator")


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


resource(
    router,
    "/payments",
    Payment,
    name="payment",
    rows=selectors.visible_payments,
    out=PaymentOut,
    detail=PaymentDetailOut,
    filterset=PaymentFilterSet,
    order=("-paid_at", "-id"),
)


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


resource(
    router,
    "/refunds",
    Refund,
    name="refund",
    rows=selectors.visible_refunds,
    out=RefundOut,
    filterset=RefundFilterSet,
    order=("-refunded_at", "-id"),
)


@router.post("/refunds", response={201: RefundOut})
@api_access("billing.add_refund")
def create_refund(request, payload: RefundIn):
    bill = selectors.refundable_bill(request.user, payload.bill)
    data = payload.dict()
    data.pop("bill")
    return Status(201, services.refund_deposit(request.user, bill, **data))
