"""Bills (账单): temporary bills, publishing, deleting drafts, voiding published bills.

A bill is created as a draft (by a bill run, or here as a temporary bill) and becomes what a
payer owes when it is published: drafts → unpaid, ``published_at`` set, and each payer told
once per publish, whatever the number of their bills (an app notice when they use the portal,
an SMS when they have a phone), from the ``billing.bill_published`` template. Amounts are
never edited: a draft may be deleted, a published bill only voided with a reason, and only
while no money is allocated to it (the payment is voided first).

Publishing is written in bulk (one UPDATE per batch of ids, messages created together and
delivered by one task per batch), so that publishing a run of 300,000 bills takes seconds.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core import bulk, message_templates
from courtyard.core.choices import MessageChannel, MessageStatus
from courtyard.core.exceptions import StateConflict
from courtyard.core.messaging import template_text
from courtyard.core.models import Message, TimelineEvent
from courtyard.core.scoping import require_action, restrict, user_scope
from courtyard.core.tasks import deliver_messages_task
from courtyard.core.timeline import record_event

from ..choices import BillKind, BillStatus, PaymentStatus
from ..models import ZERO, Bill
from ..pricing import parse_money, to_money

DELIVERY_BATCH = 500
PUBLISHED_TEMPLATE = "billing.bill_published"
MESSAGE_COLUMNS = (
    "channel",
    "recipient",
    "recipient_user_id",
    "subject",
    "body",
    "purpose",
    "status",
    "attempts",
    "last_error",
    "provider_ref",
    "created_at",
)
PURPOSE_PUBLISHED = "billing.bill_published"
REASON_LENGTH = Bill._meta.get_field("void_reason").max_length
NOTE_LENGTH = Bill._meta.get_field("note").max_length


def field_error(name, message, code):
    """A ValidationError about one field that keeps its code (forms and the API show both)."""
    return ValidationError({name: ValidationError(message, code=code)})


# Temporary bills ----------------------------------------------------------------------------


def create_temporary_bill(
    actor,
    *,
    item,
    amount,
    unit=None,
    payer=None,
    note="",
    due_date=None,
    work_order=None,
    publish=False,
):
    """A one-off bill (新增临时账单) of a unit or a resident: deposit, penalty, repair charge.

    ``actor`` None is the system (the paid-repair hook, which runs as whoever completed the
    repair); a person needs ``billing.add_bill`` and the place in their data scope. The
    records named must agree: the payer of a unit's bill lives in or owns it
    (``payer_not_of_unit``), the work order is the unit's, or at least the estate's
    (``work_order_elsewhere``); a work order is billed once (``already_billed``).
    """
    if actor is not None:
        require_action(actor, Bill, "add")
    amount = parse_money(amount)
    note = (note or "").strip()
    if len(note) > NOTE_LENGTH:
        raise field_error("note", _("At most %(n)s characters.") % {"n": NOTE_LENGTH}, "too_long")
    if not item.is_active:
        raise field_error("item", _("This charge item is not in use."), "inactive_item")
    estate_id, building_id = _place_of(unit, payer)
    if actor is not None and not user_scope(actor).covers(estate_id, building_id):
        raise Http404
    _check_references(unit, payer, work_order, estate_id)
    if payer is None and unit is not None:
        payer = current_owner(unit)
    today = timezone.localdate()
    bill = Bill(
        kind=BillKind.TEMPORARY,
        estate_id=estate_id,
        building_id=building_id,
        unit=unit,
        payer=payer,
        item=item,
        work_order=work_order,
        quantity=1,
        unit_price=amount,
        amount=amount,
        note=note,
        status=BillStatus.DRAFT,
        due_date=due_date or today + timedelta(days=item.due_days),
        created_by=actor,
        detail={"temporary": True},
    )
    with transaction.atomic():
        if work_order is not None and Bill.objects.filter(work_order=work_order).exists():
            raise ValidationError(
                _("Work order %(number)s has been billed already.") % {"number": work_order.number},
                code="already_billed",
            )
        try:
            with transaction.atomic():
                bill.save()
        except IntegrityError:  # the same work order billed a moment ago by someone else
            raise ValidationError(
                _("This work order has been billed already."), code="already_billed"
            )
        record_event(
            bill,
            actor,
            "created",
            _("Temporary bill of %(amount)s created") % {"amount": amount},
            note=note,
        )
        if publish:
            publish_drafts(actor, Bill.objects.filter(pk=bill.pk))
    return bill


def _place_of(unit, payer):
    """(estate id, building id) of a temporary bill: the unit's, else the payer's home."""
    if unit is not None:
        return unit.estate_id, unit.building_id
    if payer is None:
        raise field_error("unit", _("Choose the unit or the resident the bill is for."), "no_payer")
    from courtyard.residents.choices import OccupancyStatus

    home = (
        payer.occupancies.filter(status=OccupancyStatus.CURRENT)
        .order_by("pk")
        .values_list("estate_id", "building_id")
        .first()
    )
    if home is None:
        message = _("%(name)s lives in no unit now; choose the unit instead.")
        raise field_error("payer", message % {"name": payer.name}, "no_occupancy")
    return home


def _check_references(unit, payer, work_order, estate_id):
    """The payer and the work order named with a unit belong to it (or to its estate)."""
    if unit is not None and payer is not None and not occupies(payer, unit):
        message = _("%(name)s neither lives in nor owns this unit.") % {"name": payer.name}
        raise field_error("payer", message, "payer_not_of_unit")
    if work_order is None:
        return
    if work_order.estate_id != estate_id or (
        unit is not None and work_order.unit_id not in (None, unit.pk)
    ):
        message = _("Work order %(number)s is for another place.") % {"number": work_order.number}
        raise field_error("work_order", message, "work_order_elsewhere")


def occupies(resident, unit):
    """Whether the resident lives in or owns the unit now (a current occupancy of any role)."""
    from courtyard.residents.choices import OccupancyStatus

    return resident.occupancies.filter(unit=unit, status=OccupancyStatus.CURRENT).exists()


def current_owner(unit):
    """The unit's current owner (the first one registered when there are several), or None."""
    return owners_of([unit.pk]).get(unit.pk)


def owners_of(unit_ids):
    """``{unit_id: Resident}`` of the current owners of some units, in one query."""
    from courtyard.residents.choices import OccupancyStatus, Role
    from courtyard.residents.models import Occupancy

    found = {}
    occupancies = (
        Occupancy.objects.filter(unit_id__in=unit_ids, role=Role.OWNER)
        .filter(status=OccupancyStatus.CURRENT)
        .select_related("resident")
        .order_by("-pk")
    )
    for occupancy in occupancies:
        found[occupancy.unit_id] = occupancy.resident
    return found


# Publishing ---------------------------------------------------------------------------------


def publish_bills(actor, bills):
    """Publish the drafts among ``bills`` (a queryset or a list) the actor may publish.

    Needs ``billing.publish_bill`` (403); a bill outside the actor's data scope is 404; a
    selection with no draft left is refused (409, ``nothing_to_publish``). Returns how many
    bills were published.
    """
    require_action(actor, Bill, "publish")
    ids = set(bills.values_list("pk", flat=True) if hasattr(bills, "values_list") else [])
    ids |= {bill.pk for bill in bills} if not hasattr(bills, "values_list") else set()
    with transaction.atomic():
        chosen = Bill.objects.filter(pk__in=ids)
        if restrict(chosen, actor, "publish").count() != len(ids):
            raise Http404
        count = publish_drafts(actor, chosen)
        if not count:
            raise StateConflict(
                _("None of these bills is a draft: they have been published already."),
                "nothing_to_publish",
            )
    return count


def publish_drafts(actor, bills, events=True):
    """The drafts among ``bills`` (a queryset) → unpaid; one message per payer; the count.

    Call inside a transaction. One UPDATE does it (it locks the rows: a concurrent publish
    waits, then finds them published), stamped with this moment, by which the bills just
    published are read back for their payers' messages (no list of ids, however many).
    """
    now = timezone.now()
    count = bills.filter(status=BillStatus.DRAFT).update(status=BillStatus.UNPAID, published_at=now)
    if count:
        published = bills.filter(status=BillStatus.UNPAID, published_at=now)
        PayerDigest(published).send(now)
        if events:
            _record_published(actor, published.values_list("pk", flat=True))
    return count


def _record_published(actor, ids):
    content_type = ContentType.objects.get_for_model(Bill)
    actor = actor if actor is not None and actor.is_authenticated else None
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            content_type=content_type,
            object_id=str(pk),
            verb="published",
            message=_("Published"),
            actor=actor,
        )
        for pk in ids
    )


@dataclass
class PayerLetter:
    """What one payer is told about the bills of one publish."""

    name: str
    phone: str
    user_id: int | None
    username: str
    places: dict = field(default_factory=dict)
    estates: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)
    periods: dict = field(default_factory=dict)
    amount: object = ZERO
    due_date: object = None

    def context(self):
        places = list(self.places)
        room = "、".join(places[:3]) + (_(" and others") if len(places) > 3 else "")
        return {
            "owner_name": self.name,
            "room_no": room,
            "estate_name": "、".join(self.estates),
            "item": "、".join(sorted(self.items, key=self.items.get)),
            "period": "、".join(sorted(self.periods)) or "",
            "amount": to_money(self.amount),
            "due_date": self.due_date.isoformat() if self.due_date else "",
        }


class PayerDigest:
    """Collects the published bills per payer and writes one message per payer and channel."""

    COLUMNS = (
        "payer_id",
        "payer__name",
        "payer__phone",
        "payer__user_id",
        "payer__user__username",
        "unit__building__name",
        "unit__entrance__name",
        "unit__room_no",
        "parking_space__code",
        "estate__name",
        "item__name",
        "item__sort_order",
        "period",
        "amount",
        "due_date",
    )

    def __init__(self, bills):
        self.letters = {}
        rows = bills.filter(payer__isnull=False).order_by().values_list(*self.COLUMNS)
        for row in rows.iterator(chunk_size=5000):
            payer_id, name, phone, user_id, username = row[:5]
            building, entrance, room, space, estate, item, order, period, amount, due = row[5:]
            letter = self.letters.get(payer_id)
            if letter is None:
                letter = self.letters[payer_id] = PayerLetter(name, phone, user_id, username or "")
            place = f"{building}{entrance}{room}" if room else space
            letter.places[place] = True
            letter.estates[estate] = True
            letter.items[item] = order
            if period:
                letter.periods[period] = True
            letter.amount += amount
            letter.due_date = due if letter.due_date is None else min(letter.due_date, due)

    def send(self, now):
        """Write the messages (by the bulk loader) and deliver them after commit.

        The outbox rows are written directly rather than one ``queue_message`` each: a run
        tells 100,000 payers at once.
        """
        subject_text, body_text, _customised = message_templates.current(PUBLISHED_TEMPLATE)
        stamp = connection.ops.adapt_datetimefield_value(now)
        rows = []
        for letter in self.letters.values():
            context = letter.context()
            subject = template_text.render(subject_text, context)[:200]
            body = template_text.render(body_text, context)
            channels = []
            if letter.user_id:
                channels.append((MessageChannel.APP.value, letter.username))
            if letter.phone:
                channels.append((MessageChannel.SMS.value, letter.phone))
            for channel, recipient in channels:
                rows.append(
                    (channel, recipient, letter.user_id, subject, body, PURPOSE_PUBLISHED)
                    + (MessageStatus.QUEUED.value, 0, "", "", stamp)
                )
        ids = bulk.insert(Message, MESSAGE_COLUMNS, rows)
        for start in range(0, len(ids), DELIVERY_BATCH):
            batch = ids[start : start + DELIVERY_BATCH]
            transaction.on_commit(lambda batch=batch: deliver_messages_task(batch))
        return len(ids)


# Deleting and voiding -----------------------------------------------------------------------


def _locked(actor, bill, action):
    """The bill again, locked, if the actor may ``action`` it: 403 without the right, 404
    outside the scope."""
    require_action(actor, Bill, action)
    found = restrict(Bill.objects.select_for_update(), actor, action).filter(pk=bill.pk).first()
    if found is None:
        raise Http404
    return found


def delete_draft_bill(actor, bill):
    """Delete a draft (it was never shown to anyone); a published bill is voided instead."""
    with transaction.atomic():
        bill = _locked(actor, bill, "delete")
        if bill.status != BillStatus.DRAFT:
            raise StateConflict(
                _("Only a draft can be deleted; void a published bill with a reason instead."),
                "not_draft",
            )
        bill.delete()


def void_bill(actor, bill, reason):
    """Void a published bill with a reason (permission ``billing.void_bill``).

    Refused while money is allocated to it (``has_payments``: void the payment first), for a
    draft (``not_published``: delete it) and for a voided one (``already_void``).
    """
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Say why the bill is voided."), "reason_required")
    if len(reason) > REASON_LENGTH:
        raise field_error(
            "reason", _("At most %(n)s characters.") % {"n": REASON_LENGTH}, "too_long"
        )
    with transaction.atomic():
        bill = _locked(actor, bill, "void")
        if bill.status == BillStatus.VOID:
            raise StateConflict(_("This bill has been voided already."), "already_void")
        if bill.status == BillStatus.DRAFT:
            raise StateConflict(_("A draft is not voided but deleted."), "not_published")
        paid = bill.allocations.filter(payment__status=PaymentStatus.VALID).exists()
        if paid or bill.paid_amount > ZERO:
            raise StateConflict(
                _("Money has been paid on this bill: void the payment first."), "has_payments"
            )
        bill.status = BillStatus.VOID
        bill.voided_at = timezone.now()
        bill.voided_by = actor
        bill.void_reason = reason
        bill.save(update_fields=["status", "voided_at", "voided_by", "void_reason", "updated_at"])
        record_event(bill, actor, "voided", _("Voided"), note=reason)
    return bill
