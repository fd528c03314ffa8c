"""Payments, voids and deposit refunds: every rule and refusal of the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from courtyard.billing import ledger
from courtyard.billing.choices import BillStatus, PaymentStatus
from courtyard.billing.models import Bill, Payment, PaymentAllocation, Refund
from courtyard.billing.payments import services
from courtyard.core.exceptions import StateConflict
from courtyard.core.files import attachments_of
from courtyard.core.models import Message
from courtyard.core.timeline import events_for
from courtyard.repairs.tests.conftest import png_bytes
from tests.factories import UnitFactory, make_user

from .factories import make_bill

D = Decimal


@pytest.fixture
def fee(items):
    return items["property-fee"]


@pytest.fixture
def bills(unit, fee, owner):
    return [
        make_bill(unit, fee, "300.00", period="2026-09", payer=owner),
        make_bill(unit, fee, "250.50", period="2026-10", payer=owner),
    ]


def pay(actor, *allocations, method="cash", **extra):
    return services.record_payment(actor, allocations=list(allocations), method=method, **extra)


def code_of(error):
    codes = {e.code for errors in error.value.error_dict.values() for e in errors}
    return codes.pop() if len(codes) == 1 else codes


def fresh(bill):
    return Bill.objects.get(pk=bill.pk)


def assert_nothing_written(bills):
    assert not Payment.objects.exists() and not PaymentAllocation.objects.exists()
    for bill in bills:
        stored = fresh(bill)
        assert stored.paid_amount == D("0") and stored.status == BillStatus.UNPAID


# Numbers ------------------------------------------------------------------------------------


def test_receipt_numbers_are_sequential_per_prefix_and_year(db):
    assert services.next_number("SK", 2026) == "SK-2026-000001"
    assert services.next_number("SK", 2026) == "SK-2026-000002"
    assert services.next_number("TK", 2026) == "TK-2026-000001"
    assert services.next_number("SK", 2027) == "SK-2027-000001"


# Recording ----------------------------------------------------------------------------------


def test_one_payment_settles_two_bills(finance, bills, owner):
    first, second = bills
    payment = pay(finance, (first, D("300.00")), (second, "250.50"), reference="WX123")
    assert payment.amount == D("550.50") and payment.number.startswith("SK-")
    assert payment.payer == owner and payment.payer_name == "王芳"
    assert payment.operator == finance and payment.status == PaymentStatus.VALID
    assert payment.estate_id == first.estate_id
    assert {(a.bill_id, a.amount) for a in payment.allocations.all()} == {
        (first.pk, D("300.00")),
        (second.pk, D("250.50")),
    }
    for bill in bills:
        stored = fresh(bill)
        assert stored.status == BillStatus.PAID and stored.paid_amount == stored.amount
        assert bill.status == BillStatus.PAID  # the caller's objects are brought up to date
        assert [e.verb for e in events_for(stored)] == ["paid"]
    assert [e.verb for e in events_for(payment)] == ["recorded"]
    assert ledger.find_breaks() == []


def test_partial_payment_leaves_the_rest_outstanding(finance, bills):
    first = bills[0]
    pay(finance, (first, "100"))
    stored = fresh(first)
    assert stored.status == BillStatus.PARTIAL and stored.outstanding == D("200.00")
    pay(finance, (stored, "200.00"))
    assert fresh(first).status == BillStatus.PAID


def test_the_payer_is_told_on_commit(finance, bills, owner):
    payment = pay(finance, (bills[0], "300"))
    message = Message.objects.get(purpose="payment_received")
    assert message.channel == "sms" and message.recipient == owner.phone
    assert payment.number in message.body and "300.00" in message.body


def test_evidence_photo_is_attached_and_checked_by_content(finance, bills):
    slip = SimpleUploadedFile("slip.png", png_bytes(), content_type="image/png")
    payment = pay(finance, (bills[0], "300"), method="bank_transfer", evidence=slip)
    attachment = attachments_of(payment).get()
    assert attachment.purpose == "evidence" and attachment.mime_type == "image/png"

    fake = SimpleUploadedFile("slip.png", b"not an image at all", content_type="image/png")
    with pytest.raises(ValidationError) as error:
        pay(finance, (bills[1], "250.50"), evidence=fake)
    assert code_of(error) == "bad_file_type"
    assert fresh(bills[1]).paid_amount == D("0")


@pytest.mark.parametrize(
    "raw,code",
    [("-5", "bad_amount"), ("0", "bad_amount"), ("abc", "bad_amount"), ("1.234", "bad_amount")],
)
def test_bad_amounts_are_refused_and_nothing_is_written(finance, bills, raw, code):
    with pytest.raises(ValidationError) as error:
        pay(finance, (bills[0], "10"), (bills[1], raw))
    assert code_of(error) == code
    assert_nothing_written(bills)


def test_a_float_amount_is_refused(finance, bills):
    with pytest.raises(ValidationError) as error:
        pay(finance, (bills[0], 10.5))
    assert code_of(error) == "bad_amount"


def test_more_than_the_outstanding_is_refused(finance, bills):
    with pytest.raises(ValidationError) as error:
        pay(finance, (bills[0], "100"), (bills[1], "250.51"))
    assert code_of(error) == "exceeds_outstanding"
    assert_nothing_written(bills)


@pytest.mark.parametrize(
    "status,code",
    [
        (BillStatus.DRAFT, "not_published"),
        (BillStatus.VOID, "bill_void"),
        (BillStatus.PAID, "already_paid"),
    ],
)
def test_bills_that_cannot_be_paid_are_refused(finance, unit, fee, bills, status, code):
    paid = D("40.00") if status == BillStatus.PAID else D("0")
    other = make_bill(unit, fee, "40.00", period="2026-08", status=status, paid_amount=paid)
    # A draft is the clerk's mistake (400); a voided or paid bill is a state (409), as when
    # another payment settled it during this request.
    expected = ValidationError if status == BillStatus.DRAFT else StateConflict
    with pytest.raises(expected) as error:
        pay(finance, (bills[0], "300"), (other, "40"))
    assert (code_of(error) if expected is ValidationError else error.value.code) == code
    assert_nothing_written(bills)


def test_no_bills_duplicates_and_bad_methods_are_refused(finance, bills):
    with pytest.raises(ValidationError) as error:
        pay(finance)
    assert code_of(error) == "no_bills"
    with pytest.raises(ValidationError) as error:
        pay(finance, (bills[0], "1"), (bills[0], "2"))
    assert code_of(error) == "duplicate_bill"
    with pytest.raises(ValidationError) as error:
        pay(finance, (bills[0], "1"), method="cheque")
    assert code_of(error) == "bad_method"
    assert_nothing_written(bills)


def test_a_payment_in_the_future_is_refused(finance, bills):
    with pytest.raises(ValidationError) as error:
        pay(finance, (bills[0], "1"), paid_at=timezone.now() + timedelta(days=1))
    assert code_of(error) == "future_time"
    earlier = timezone.now() - timedelta(days=2)
    assert pay(finance, (bills[0], "1"), paid_at=earlier).paid_at == earlier


def test_bills_of_two_estates_need_two_payments(bills, fee, other_estate):
    elsewhere = make_bill(UnitFactory(entrance__building__estate=other_estate), fee, "10")
    everywhere = make_user("everywhere", "billing.add_payment")
    with pytest.raises(ValidationError) as error:
        pay(everywhere, (bills[0], "1"), (elsewhere, "1"))
    assert code_of(error) == "mixed_estates"


def test_a_payer_unrelated_to_the_bills_is_refused(finance, bills, estate):
    from courtyard.residents.tests.helpers import resident_in

    stranger = resident_in(UnitFactory(entrance__building__estate=estate), name="李四")
    with pytest.raises(ValidationError) as error:
        pay(finance, (bills[0], "1"), payer=stranger)
    assert code_of(error) == "bad_payer"


def test_recording_needs_the_permission_and_the_scope(bills, fee, other_estate, estate):
    viewer = make_user("viewer", "billing.view_payment", estates=[estate])
    with pytest.raises(PermissionDenied):
        pay(viewer, (bills[0], "1"))
    elsewhere = make_user("elsewhere", "billing.add_payment", estates=[other_estate])
    with pytest.raises(Http404):
        pay(elsewhere, (bills[0], "1"))
    assert_nothing_written(bills)


def test_a_bill_paid_meanwhile_is_refused(finance, bills, estate):
    """Two cashiers loaded the same bill; the second is refused once the first has paid."""
    second_cashier = make_user("cashier2", "billing.add_payment", estates=[estate])
    mine, theirs = fresh(bills[0]), fresh(bills[0])
    pay(finance, (mine, "300"))
    with pytest.raises(StateConflict) as conflict:
        pay(second_cashier, (theirs, "300"))
    assert conflict.value.code == "changed_meanwhile"
    assert "paid meanwhile" in str(conflict.value.message)
    assert Payment.objects.count() == 1 and fresh(bills[0]).paid_amount == D("300.00")
    # Reloaded, the bill is plainly paid: still a 409, whichever came first.
    with pytest.raises(StateConflict) as conflict:
        pay(second_cashier, (fresh(bills[0]), "300"))
    assert conflict.value.code == "already_paid"


def test_a_partly_paid_bill_changed_meanwhile_is_refused(finance, bills):
    mine, theirs = fresh(bills[0]), fresh(bills[0])
    pay(finance, (mine, "100"))
    with pytest.raises(StateConflict) as conflict:
        pay(finance, (theirs, "50"))
    assert conflict.value.code == "changed_meanwhile"


# Voiding ------------------------------------------------------------------------------------


def test_void_puts_the_money_back_on_the_bills(finance, bills):
    payment = pay(finance, (bills[0], "300"), (bills[1], "100"))
    services.void_payment(finance, payment, "收错户")
    assert payment.status == PaymentStatus.VOID and payment.void_reason == "收错户"
    assert payment.voided_by == finance and payment.voided_at is not None
    assert PaymentAllocation.objects.filter(payment=payment).count() == 2  # never deleted
    for bill in bills:
        stored = fresh(bill)
        assert stored.status == BillStatus.UNPAID and stored.paid_amount == D("0")
        assert [e.verb for e in events_for(stored)][0] == "payment_voided"
    assert events_for(payment).first().verb == "voided"
    assert ledger.find_breaks() == []


def test_void_of_one_of_two_payments_leaves_the_bill_partly_paid(finance, bills):
    first = pay(finance, (bills[0], "100"))
    pay(finance, (fresh(bills[0]), "50"))
    services.void_payment(finance, first, "重复")
    stored = fresh(bills[0])
    assert stored.status == BillStatus.PARTIAL and stored.paid_amount == D("50.00")


def test_void_needs_a_reason_the_permission_and_a_valid_payment(finance, bills, estate):
    payment = pay(finance, (bills[0], "300"))
    with pytest.raises(ValidationError) as error:
        services.void_payment(finance, payment, "  ")
    assert code_of(error) == "reason_required"
    cashier = make_user("cashier", "billing.add_payment", "billing.view_payment", estates=[estate])
    with pytest.raises(PermissionDenied):
        services.void_payment(cashier, payment, "x")
    services.void_payment(finance, payment, "x")
    with pytest.raises(StateConflict) as conflict:
        services.void_payment(finance, Payment.objects.get(pk=payment.pk), "again")
    assert conflict.value.code == "already_void"


def test_void_outside_the_scope_is_not_found(finance, bills, other_estate):
    payment = pay(finance, (bills[0], "300"))
    elsewhere = make_user("elsewhere", "billing.void_payment", estates=[other_estate])
    with pytest.raises(Http404):
        services.void_payment(elsewhere, payment, "x")


# Deposit refunds ----------------------------------------------------------------------------


@pytest.fixture
def deposit(unit, items, owner):
    return make_bill(unit, items["renovation-deposit"], "2000.00", kind="temporary", payer=owner)


def test_a_paid_deposit_is_refunded_up_to_what_was_paid(finance, deposit):
    pay(finance, (deposit, "2000"))
    refund = services.refund_deposit(
        finance, deposit, amount="1500", method="bank_transfer", reason="装修完成验收合格"
    )
    assert refund.number.startswith("TK-") and refund.amount == D("1500.00")
    assert fresh(deposit).refunded_amount == D("1500.00")
    assert fresh(deposit).status == BillStatus.PAID
    with pytest.raises(ValidationError) as error:
        services.refund_deposit(finance, deposit, amount="500.01", method="cash", reason="x")
    assert code_of(error) == "exceeds_refundable"
    services.refund_deposit(finance, deposit, amount="500", method="cash", reason="余款")
    assert Refund.objects.count() == 2
    assert Message.objects.filter(purpose="deposit_refunded").count() == 2
    assert ledger.find_breaks() == []


def test_only_deposits_are_refunded(finance, bills):
    pay(finance, (bills[0], "300"))
    with pytest.raises(ValidationError) as error:
        services.refund_deposit(finance, bills[0], amount="1", method="cash", reason="x")
    assert code_of(error) == "not_deposit"


def test_refund_needs_a_reason_and_the_permission(finance, deposit, estate):
    pay(finance, (deposit, "2000"))
    with pytest.raises(ValidationError) as error:
        services.refund_deposit(finance, deposit, amount="1", method="cash", reason="")
    assert code_of(error) == "reason_required"
    cashier = make_user("cashier", "billing.add_payment", estates=[estate])
    with pytest.raises(PermissionDenied):
        services.refund_deposit(cashier, deposit, amount="1", method="cash", reason="x")


def test_a_refunded_deposit_payment_cannot_be_voided(finance, deposit):
    payment = pay(finance, (deposit, "2000"))
    services.refund_deposit(finance, deposit, amount="10", method="cash", reason="x")
    with pytest.raises(ValidationError) as error:
        services.void_payment(finance, payment, "x")
    assert code_of(error) == "refunded"
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.VALID


def test_settle_follows_the_paid_amount(unit, fee):
    bill = make_bill(unit, fee, "10")
    for paid, status in [("0", "unpaid"), ("3", "partial"), ("10", "paid")]:
        bill.paid_amount = D(paid)
        assert services.settle(bill) == status
    bill.status = BillStatus.VOID
    assert services.settle(bill) == BillStatus.VOID
