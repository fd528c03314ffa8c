"""Money in and out: payments (收银) against published bills, their voids, deposit refunds.

A payment settles one or more bills of one estate; each allocation is a part of the payment
that settles one bill, more than zero and at most what the bill still owes. Every write locks
the bills' rows (``select_for_update``, in id order so that two writers never wait on each
other crosswise), reads them again under the lock and only then allocates, so two cashiers
paying the same bill at the same moment cannot both succeed: the second finds the bill paid
or changed and is refused with nothing written. ``Bill.paid_amount`` / ``refunded_amount``
and the bill's status move in the same transaction as the records they sum.

Nothing is edited in place or deleted: a void marks the payment void (its allocations stay,
no longer counted), a refund is a new record. ``ledger.find_breaks`` checks it all.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core.choices import MessageChannel
from courtyard.core.exceptions import StateConflict
from courtyard.core.files import DOCUMENT_KINDS, attach, validate_upload
from courtyard.core.messaging import queue_message
from courtyard.core.money import grouped
from courtyard.core.scoping import has_action, restrict, user_scope
from courtyard.core.timeline import record_event

from ..choices import BillStatus, PaymentMethod, PaymentStatus
from ..models import ZERO, Bill, Payment, PaymentAllocation, ReceiptSequence, Refund
from ..pricing import parse_money

RECEIPT_PREFIX = "SK"  # 收款
REFUND_PREFIX = "TK"  # 退款
EVIDENCE = "evidence"
# A payment may be entered a little after the clock of the cashier's till; not for tomorrow.
CLOCK_SLACK = datetime.timedelta(minutes=5)


# Numbering ----------------------------------------------------------------------------------


def next_number(prefix, year=None):
    """``SK-2026-000001``: sequential per prefix and year, taken under a row lock."""
    year = year or timezone.localdate().year
    with transaction.atomic():
        sequence = (
            ReceiptSequence.objects.select_for_update().filter(prefix=prefix, year=year).first()
        )
        if sequence is None:
            try:
                with transaction.atomic():
                    sequence = ReceiptSequence.objects.create(
                        prefix=prefix, year=year, last_number=0
                    )
            except IntegrityError:  # created by a concurrent writer a moment ago
                sequence = ReceiptSequence.objects.select_for_update().get(prefix=prefix, year=year)
        sequence.last_number += 1
        sequence.save(update_fields=["last_number"])
    return f"{prefix}-{year}-{sequence.last_number:06d}"


# Bill status --------------------------------------------------------------------------------


def settle(bill):
    """Set a published bill's status from its paid amount: unpaid, partly paid or paid."""
    if bill.status in (BillStatus.DRAFT, BillStatus.VOID):
        return bill.status
    if bill.paid_amount >= bill.amount:
        bill.status = BillStatus.PAID
    elif bill.paid_amount > ZERO:
        bill.status = BillStatus.PARTIAL
    else:
        bill.status = BillStatus.UNPAID
    return bill.status


def _lock_bills(bill_ids):
    """The bills' rows, locked in id order (a fixed order: no crosswise waits), by id."""
    locked = Bill.objects.select_for_update().filter(pk__in=bill_ids).order_by("pk")
    return {bill.pk: bill for bill in locked.select_related("item")}


def _bill_label(bill):
    return f"{bill.item.name} {bill.period}".strip() if bill.item_id else str(bill.pk)


def _changed_meanwhile(seen, locked):
    if locked.status == BillStatus.PAID:
        message = _(
            "“%(bill)s” has been paid meanwhile by another payment. Reload the bills and try again."
        )
    else:
        message = _(
            "“%(bill)s” was changed meanwhile (now %(status)s, %(paid)s paid)."
            " Reload the bills and try again."
        )
    return StateConflict(
        message
        % {
            "bill": _bill_label(locked),
            "status": locked.get_status_display(),
            "paid": locked.paid_amount,
        },
        "changed_meanwhile",
    )


def _refuse(field, message, code, **params):
    return ValidationError({field: ValidationError(message % params, code=code)})


# Recording a payment ------------------------------------------------------------------------


def _check_actor(actor, action, model=Payment):
    if not actor.is_authenticated or actor.is_resident or not has_action(actor, model, action):
        raise PermissionDenied


def _money(raw, field="amount"):
    if isinstance(raw, float):
        raise _refuse(field, _("Enter an amount such as 320.50."), "bad_amount")
    try:
        return parse_money(raw)
    except ValidationError as error:
        raise ValidationError({field: error.error_list})


def _check_method(method):
    if method not in PaymentMethod.values:
        raise _refuse("method", _("Choose how the money was paid."), "bad_method")


def _check_time(paid_at):
    if paid_at is None:
        return timezone.now()
    if timezone.is_naive(paid_at):
        paid_at = timezone.make_aware(paid_at)
    if paid_at > timezone.now() + CLOCK_SLACK:
        raise _refuse("paid_at", _("The payment time cannot be in the future."), "future_time")
    return paid_at


def _check_text(value, field, max_length):
    value = (value or "").strip()
    if len(value) > max_length:
        raise _refuse(field, _("At most %(count)s characters."), "max_length", count=max_length)
    return value


def _parse_allocations(allocations):
    """[(bill, amount)] checked for shape: bills given once, amounts positive with cents."""
    parsed, seen = [], set()
    for bill, raw in allocations or ():
        if bill.pk in seen:
            raise _refuse(
                "allocations",
                _("“%(bill)s” is listed twice."),
                "duplicate_bill",
                bill=_bill_label(bill),
            )
        seen.add(bill.pk)
        parsed.append((bill, _money(raw, "allocations")))
    if not parsed:
        raise _refuse("allocations", _("Choose at least one bill to pay."), "no_bills")
    return parsed


def _check_payable(seen, locked, amount):
    """One allocation against the bill as it is now (locked): published, owing, enough."""
    if locked.status != seen.status or locked.paid_amount != seen.paid_amount:
        raise _changed_meanwhile(seen, locked)
    label = _bill_label(locked)
    if locked.status == BillStatus.DRAFT:
        raise _refuse(
            "allocations", _("“%(bill)s” is not published yet."), "not_published", bill=label
        )
    # A bill voided or paid is a state, not a typing mistake: 409, the same answer whether the
    # other payment came a minute earlier or during this request (changed_meanwhile).
    if locked.status == BillStatus.VOID:
        raise StateConflict(_("“%(bill)s” is voided.") % {"bill": label}, "bill_void")
    if locked.status == BillStatus.PAID:
        raise StateConflict(_("“%(bill)s” is already paid.") % {"bill": label}, "already_paid")
    outstanding = locked.amount - locked.paid_amount
    if amount > outstanding:
        raise _refuse(
            "allocations",
            _("%(amount)s is more than the %(outstanding)s still owed on “%(bill)s”."),
            "exceeds_outstanding",
            amount=amount,
            outstanding=outstanding,
            bill=label,
        )


def _check_payer(payer, bills):
    """The payer is one of the bills' payers or lives (or lived) in one of their units."""
    if payer is None:
        return
    from courtyard.residents.models import Occupancy

    if any(bill.payer_id == payer.pk for bill in bills):
        return
    units = {bill.unit_id for bill in bills if bill.unit_id}
    if not Occupancy.objects.filter(resident=payer, unit_id__in=units).exists():
        raise _refuse(
            "payer",
            _("%(name)s is not a payer of these bills or a resident of their units."),
            "bad_payer",
            name=payer.name,
        )


def record_payment(
    actor,
    *,
    allocations,
    method,
    paid_at=None,
    reference="",
    note="",
    payer=None,
    evidence=None,
):
    """Record money received against ``allocations`` ([(bill, amount)]) of one estate.

    The bills passed in show the state the cashier saw: a bill paid or changed by someone
    else since then is refused (StateConflict ``changed_meanwhile``) and nothing is written.
    """
    _check_actor(actor, "add")
    parsed = _parse_allocations(allocations)
    _check_method(method)
    paid_at = _check_time(paid_at)
    reference = _check_text(reference, "reference", 100)
    note = _check_text(note, "note", 255)
    if evidence is not None:
        try:
            validate_upload(evidence, DOCUMENT_KINDS)
        except ValidationError as error:
            raise ValidationError({"evidence": error.error_list})
    scope = user_scope(actor)
    for bill, _amount in parsed:
        if not scope.covers(bill.estate_id, bill.building_id):
            raise Http404
    if len({bill.estate_id for bill, _amount in parsed}) > 1:
        raise _refuse(
            "allocations", _("One payment settles bills of one estate only."), "mixed_estates"
        )
    with transaction.atomic():
        locked = _lock_bills([bill.pk for bill, _amount in parsed])
        if len(locked) != len(parsed):
            raise Http404
        for bill, amount in parsed:
            _check_payable(bill, locked[bill.pk], amount)
        bills = [locked[bill.pk] for bill, _amount in parsed]
        payer = payer or _common_payer(bills)
        _check_payer(payer, bills)
        total = sum((amount for _bill, amount in parsed), ZERO)
        payment = Payment.objects.create(
            number=next_number(RECEIPT_PREFIX),
            estate_id=bills[0].estate_id,
            payer=payer,
            payer_name=payer.name if payer is not None else "",
            amount=total,
            method=method,
            paid_at=paid_at,
            reference=reference,
            note=note,
            operator=actor,
            created_by=actor,
        )
        PaymentAllocation.objects.bulk_create(
            PaymentAllocation(payment=payment, bill=locked[bill.pk], amount=amount)
            for bill, amount in parsed
        )
        for bill, amount in parsed:
            _apply(actor, locked[bill.pk], amount, payment)
            _sync(bill, locked[bill.pk])
        if evidence is not None:
            attach(payment, evidence, actor, purpose=EVIDENCE, kinds=DOCUMENT_KINDS)
        record_event(
            payment,
            actor,
            "recorded",
            _("Received %(amount)s by %(method)s for %(count)s bill(s)")
            % {"amount": total, "method": payment.get_method_display(), "count": len(parsed)},
            amount=str(total),
            bills=[bill.pk for bill, _amount in parsed],
        )
        _notify_payer(
            payment,
            _("Payment received: %(amount)s yuan, receipt %(number)s. Thank you.")
            % {"amount": grouped(total), "number": payment.number},
            "payment_received",
        )
    return payment


def _common_payer(bills):
    payers = {bill.payer_id for bill in bills}
    if len(payers) == 1 and None not in payers:
        return bills[0].payer
    return None


def _apply(actor, bill, amount, payment):
    """Move ``amount`` (negative for a void) onto the locked bill and record it."""
    bill.paid_amount += amount
    settle(bill)
    bill.save(update_fields=["paid_amount", "status", "updated_at"])
    if amount > ZERO:
        record_event(
            bill,
            actor,
            "paid",
            _("%(amount)s paid, receipt %(number)s") % {"amount": amount, "number": payment.number},
            payment=payment.pk,
            amount=str(amount),
        )


def _sync(seen, locked):
    """Bring the caller's bill up to date with the saved row."""
    seen.paid_amount, seen.status = locked.paid_amount, locked.status
    seen.refunded_amount = locked.refunded_amount


# Voiding a payment --------------------------------------------------------------------------


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise _refuse("reason", _("Give the reason."), "reason_required")
    return _check_text(reason, "reason", 255)


def void_payment(actor, payment, reason):
    """Void a payment (冲销): its bills owe again what it settled; nothing is deleted."""
    _check_actor(actor, "void")
    reason = _reason(reason)
    with transaction.atomic():
        locked = restrict(Payment.objects.select_for_update(), actor, "void").filter(pk=payment.pk)
        locked = locked.first()
        if locked is None:
            raise Http404
        if locked.status == PaymentStatus.VOID:
            raise StateConflict(
                _("Payment %(number)s is already voided.") % {"number": locked.number},
                "already_void",
            )
        allocations = list(locked.allocations.order_by("bill_id"))
        bills = _lock_bills([allocation.bill_id for allocation in allocations])
        for allocation in allocations:
            bill = bills[allocation.bill_id]
            if bill.paid_amount - allocation.amount < bill.refunded_amount:
                raise _refuse(
                    "reason",
                    _("“%(bill)s” has had %(refunded)s refunded: the payment cannot be voided."),
                    "refunded",
                    bill=_bill_label(bill),
                    refunded=bill.refunded_amount,
                )
        for allocation in allocations:
            bill = bills[allocation.bill_id]
            _apply(actor, bill, -allocation.amount, locked)
            record_event(
                bill,
                actor,
                "payment_voided",
                _("Payment %(number)s voided (%(amount)s owed again): %(reason)s")
                % {"number": locked.number, "amount": allocation.amount, "reason": reason},
                payment=locked.pk,
                amount=str(allocation.amount),
            )
        locked.status = PaymentStatus.VOID
        locked.voided_at = timezone.now()
        locked.voided_by = actor
        locked.void_reason = reason
        locked.save(update_fields=["status", "voided_at", "voided_by", "void_reason", "updated_at"])
        record_event(locked, actor, "voided", _("Voided: %(reason)s") % {"reason": reason})
    for name in ("status", "voided_at", "voided_by_id", "void_reason"):
        setattr(payment, name, getattr(locked, name))
    return payment


# Refunding a deposit ------------------------------------------------------------------------


def refund_deposit(actor, bill, *, amount, method, reason, reference=""):
    """Pay back (part of) a deposit bill's paid money (退押金): a new Refund record."""
    _check_actor(actor, "add", Refund)
    amount = _money(amount)
    _check_method(method)
    reason = _reason(reason)
    reference = _check_text(reference, "reference", 100)
    if not user_scope(actor).covers(bill.estate_id, bill.building_id):
        raise Http404
    with transaction.atomic():
        locked = _lock_bills([bill.pk]).get(bill.pk)
        if locked is None:
            raise Http404
        if not locked.item.is_deposit:
            raise _refuse("amount", _("Only a deposit can be refunded."), "not_deposit")
        refundable = locked.paid_amount - locked.refunded_amount
        if amount > refundable:
            raise _refuse(
                "amount",
                _("At most %(refundable)s can be refunded on this deposit."),
                "exceeds_refundable",
                refundable=refundable,
            )
        refund = Refund.objects.create(
            number=next_number(REFUND_PREFIX),
            estate_id=locked.estate_id,
            bill=locked,
            amount=amount,
            method=method,
            reason=reason,
            reference=reference,
            operator=actor,
            created_by=actor,
        )
        locked.refunded_amount += amount
        locked.save(update_fields=["refunded_amount", "updated_at"])
        record_event(
            locked,
            actor,
            "refunded",
            _("%(amount)s refunded (%(number)s): %(reason)s")
            % {"amount": amount, "number": refund.number, "reason": reason},
            refund=refund.pk,
            amount=str(amount),
        )
        _sync(bill, locked)
        if locked.payer_id:
            _notify(
                locked.payer,
                _("Deposit refunded: %(amount)s yuan (%(number)s).")
                % {"amount": amount, "number": refund.number},
                _("Refund %(number)s") % {"number": refund.number},
                "deposit_refunded",
            )
    return refund


# Messages -----------------------------------------------------------------------------------


def _notify_payer(payment, body, purpose):
    if payment.payer_id:
        _notify(payment.payer, body, _("Receipt %(number)s") % {"number": payment.number}, purpose)


def _notify(resident, body, subject, purpose):
    """An app notice to the resident's portal account, and an SMS to their phone."""
    user = resident.user
    if user is not None:
        queue_message(
            MessageChannel.APP,
            user.get_username(),
            body,
            user=user,
            subject=subject,
            purpose=purpose,
        )
    if resident.phone:
        queue_message(
            MessageChannel.SMS,
            resident.phone,
            f"【Courtyard】{body}",
            user=user,
            subject=subject,
            purpose=purpose,
        )
