"""API for residents' bills: ``/portal/bills`` (my bills, unpaid first; one bill with its
calculation and payments) and ``/portal/payments`` (my payments, one with its receipt lines).
Someone else's bill or payment is "not found"."""

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Case, IntegerField, Value, When
from ninja import Router, Schema
from ninja.pagination import paginate

from courtyard.billing.choices import OUTSTANDING_STATUSES
from courtyard.billing.models import Bill, Payment
from courtyard.billing.payments.selectors import receipt_lines
from courtyard.core.access import RESIDENT, acts_on
from courtyard.core.api import ApiError, Pagination, api_access, id_of

from .selectors import BILL_RELATED, calculation, my_bill, my_bills, my_payment, my_payments
from .selectors import place_of as bill_place

router = Router(tags=["portal"])
STATUSES = {"unpaid": True, "paid": False}


class PortalBillOut(Schema):
    id: int
    kind: str
    item: str
    period: str
    period_start: date | None
    period_end: date | None
    unit: int | None = id_of("unit")
    parking_space: int | None = id_of("parking_space")
    place: str
    amount: Decimal
    paid_amount: Decimal
    outstanding: Decimal
    status: str
    status_label: str
    overdue: bool
    due_date: date
    published_at: datetime | None

    @staticmethod
    def resolve_item(obj):
        return obj.item.name

    @staticmethod
    def resolve_place(obj):
        return bill_place(obj)

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())

    @staticmethod
    def resolve_overdue(obj):
        return obj.is_overdue


class BillPaymentOut(Schema):
    payment: int
    number: str
    paid_at: datetime
    method: str
    amount: Decimal


class PortalBillDetailOut(PortalBillOut):
    calculation: list[str]
    payments: list[BillPaymentOut]

    @staticmethod
    def resolve_calculation(obj):
        return [str(line) for line in calculation(obj)]

    @staticmethod
    def resolve_payments(obj):
        return [
            {
                "payment": allocation.payment_id,
                "number": allocation.payment.number,
                "paid_at": allocation.payment.paid_at,
                "method": allocation.payment.method,
                "amount": allocation.amount,
            }
            for allocation in obj.allocations.filter(payment__status="valid")
            .select_related("payment")
            .order_by("payment__paid_at")
        ]


class ReceiptLineOut(Schema):
    item: str
    period: str
    place: str
    amount: Decimal


class PortalPaymentOut(Schema):
    id: int
    number: str
    estate: str
    paid_at: datetime
    method: str
    method_label: str
    amount: Decimal
    reference: str

    @staticmethod
    def resolve_estate(obj):
        return obj.estate.name

    @staticmethod
    def resolve_method_label(obj):
        return str(obj.get_method_display())


class PortalPaymentDetailOut(PortalPaymentOut):
    lines: list[ReceiptLineOut]

    @staticmethod
    def resolve_lines(obj):
        return [
            {key: line[key] for key in ("item", "period", "place", "amount")}
            for line in receipt_lines(obj)
        ]


@router.get("/portal/bills", response=list[PortalBillOut])
@api_access(RESIDENT)
@paginate(Pagination)
def list_my_bills(request, status: str = "", unit: int | None = None):
    """My bills, the unpaid ones first, each part newest due date first; ``status`` is
    ``unpaid`` or ``paid``."""
    bills = my_bills(request.user).select_related(*BILL_RELATED)
    if status:
        if status not in STATUSES:
            raise ApiError(400, "status: unpaid or paid.", "invalid_filter")
        open_ = bills.filter(status__in=OUTSTANDING_STATUSES)
        bills = open_ if STATUSES[status] else bills.exclude(pk__in=open_.values("pk"))
    if unit is not None:
        bills = bills.filter(unit_id=unit)
    unpaid_first = Case(
        When(status__in=OUTSTANDING_STATUSES, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return bills.order_by(unpaid_first, "-due_date", "-pk")


@router.get("/portal/bills/{pk}", response=PortalBillDetailOut)
@api_access(RESIDENT)
@acts_on(Bill)
def get_my_bill(request, pk: int):
    return my_bill(request.user, pk)


@router.get("/portal/payments", response=list[PortalPaymentOut])
@api_access(RESIDENT)
@paginate(Pagination)
def list_my_payments(request):
    return my_payments(request.user).select_related("estate").order_by("-paid_at", "-pk")


@router.get("/portal/payments/{pk}", response=PortalPaymentDetailOut)
@api_access(RESIDENT)
@acts_on(Payment)
def get_my_payment(request, pk: int):
    return my_payment(request.user, pk)
