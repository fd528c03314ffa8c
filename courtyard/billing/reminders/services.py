"""Reminders (催缴): dun the payers of unpaid bills by SMS or voice, or record a staff call.

One action covers one bill or a selection (from the arrears list). SMS and voice send one
message per payer, whatever the number of their bills, rendered from the ``billing.reminder``
template; every bill gets its own Reminder row (linked to that message), one more on its
reminder count and an event on its timeline. A staff phone call records its outcome and a
note instead of a message. All of it is written in bulk: a selection of a few hundred bills
takes the same handful of queries as one bill.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core import message_templates
from courtyard.core.choices import MessageChannel
from courtyard.core.exceptions import StateConflict
from courtyard.core.messaging import queue_message
from courtyard.core.models import TimelineEvent
from courtyard.core.scoping import require_action

from ..choices import OUTSTANDING_STATUSES, CallOutcome, ReminderChannel
from ..models import ZERO, Bill, Reminder
from ..pricing import to_money
from .selectors import bills_in_scope, payers_of

MESSAGE_CHANNELS = {
    ReminderChannel.SMS: MessageChannel.SMS,
    ReminderChannel.VOICE: MessageChannel.VOICE,
}
NOTE_LENGTH = Reminder._meta.get_field("note").max_length
PURPOSE = "billing.reminder"


@dataclass
class Dunning:
    """The bills of one payer in one reminder action, and what the message says about them."""

    payer: object
    bills: list = field(default_factory=list)

    def context(self, today):
        units = {bill.unit_id: bill.unit for bill in self.bills if bill.unit_id}
        spaces = {b.parking_space_id: b.parking_space for b in self.bills if b.parking_space_id}
        places = [f"{u.building.name}{u.entrance.name}{u.room_no}" for u in units.values()]
        places += [_("parking space %(code)s") % {"code": s.code} for s in spaces.values()]
        oldest = min(bill.due_date for bill in self.bills)
        return {
            "owner_name": self.payer.name,
            "room_no": "、".join(places),
            "estate_name": "、".join(dict.fromkeys(bill.estate.name for bill in self.bills)),
            "amount": to_money(sum((bill.outstanding for bill in self.bills), ZERO)),
            "items": "、".join(dict.fromkeys(bill.item.name for bill in self.bills)),
            "periods": "、".join(sorted({bill.period for bill in self.bills if bill.period})),
            "days_overdue": max((today - oldest).days, 0),
        }


def remind(actor, bills, *, channel, outcome="", note=""):
    """Remind the payers of ``bills`` (a queryset or a list); returns the Reminder rows.

    Refused: without ``billing.add_reminder`` (403); a bill outside the actor's data scope
    (404); a bill that is not outstanding (409, ``not_outstanding``); for SMS and voice, a
    payer without a phone number (400, ``no_phone`` on ``bills``, one error per such payer),
    a bill without a payer (``no_payer``); for a phone call, without an outcome (400).
    """
    require_action(actor, Reminder, "add")
    ids = sorted({bill.pk for bill in bills})
    outcome, note = (outcome or "").strip(), (note or "").strip()
    _check_input(ids, channel, outcome, note)
    with transaction.atomic():
        locked = _lock(actor, ids)
        not_outstanding = [bill for bill in locked if bill.status not in OUTSTANDING_STATUSES]
        if not_outstanding:
            raise StateConflict(
                _("Only unpaid bills can be reminded: %(bills)s is %(status)s.")
                % {
                    "bills": _describe(not_outstanding[0]),
                    "status": not_outstanding[0].get_status_display().lower(),
                },
                code="not_outstanding",
            )
        now = timezone.now()
        if channel == ReminderChannel.PHONE:
            reminders = [
                _reminder(bill, actor, channel, outcome=outcome, note=note) for bill in locked
            ]
        else:
            reminders = _send(actor, locked, channel, note, now)
        reminders = Reminder.objects.bulk_create(reminders)
        Bill.objects.filter(pk__in=ids).update(
            reminder_count=F("reminder_count") + 1, last_reminded_at=now, updated_at=now
        )
        _record_events(actor, locked, channel, outcome)
    return reminders


def _check_input(ids, channel, outcome, note):
    errors = {}
    if not ids:
        errors["bills"] = ValidationError(_("Choose at least one unpaid bill."), code="no_bills")
    if channel not in ReminderChannel.values:
        errors["channel"] = ValidationError(_("Choose SMS, voice or phone call."), code="invalid")
    elif channel == ReminderChannel.PHONE and outcome not in CallOutcome.values:
        errors["outcome"] = ValidationError(_("Record how the call went."), code="outcome_required")
    elif channel != ReminderChannel.PHONE and outcome:
        errors["outcome"] = ValidationError(_("Only a phone call has an outcome."), code="invalid")
    if len(note) > NOTE_LENGTH:
        errors["note"] = ValidationError(
            _("At most %(count)s characters.") % {"count": NOTE_LENGTH}, code="max_length"
        )
    if errors:
        raise ValidationError(errors)


def _lock(actor, ids):
    """The bills, locked in id order (as the cashier locks them), all in the actor's scope."""
    locked = list(
        bills_in_scope(actor)
        .filter(pk__in=ids)
        .select_related(
            "estate",
            "item",
            "payer",
            "payer__user",
            "unit__building",
            "unit__entrance",
            "parking_space",
        )
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    if len(locked) != len(ids):
        raise Http404
    return locked


def _send(actor, bills, channel, note, now):
    """One message per payer; refused as a whole when any payer cannot be reached."""
    payers = payers_of(bills)
    groups, unreachable, no_payer = {}, [], []
    for bill in bills:
        payer = payers.get(bill.pk)
        if payer is None:
            no_payer.append(_describe(bill))
            continue
        if not payer.phone:
            unreachable.append(payer.name)
        groups.setdefault(payer.pk, Dunning(payer)).bills.append(bill)
    problems = []
    if no_payer:
        problems.append(
            ValidationError(
                _("No payer on record for %(bills)s.") % {"bills": "、".join(no_payer)},
                code="no_payer",
            )
        )
    for name in dict.fromkeys(unreachable):
        problems.append(
            ValidationError(
                _("%(name)s has no phone number on record: call or write instead.")
                % {"name": name},
                code="no_phone",
            )
        )
    if problems:
        raise ValidationError({"bills": problems})
    today = timezone.localdate(now)
    reminders = []
    for dunning in groups.values():
        subject, body = message_templates.render(PURPOSE, dunning.context(today))
        payer = dunning.payer
        message = queue_message(
            MESSAGE_CHANNELS[channel],
            payer.phone,
            body,
            user=payer.user,
            subject=subject,
            purpose=PURPOSE,
        )
        reminders += [
            _reminder(bill, actor, channel, note=note, message=message) for bill in dunning.bills
        ]
    return reminders


def _reminder(bill, actor, channel, **fields):
    return Reminder(
        bill=bill,
        estate_id=bill.estate_id,
        building_id=bill.building_id,
        channel=channel,
        created_by=actor,
        **fields,
    )


def _record_events(actor, bills, channel, outcome):
    """The bills' timelines, in one insert (record_event would write them one by one)."""
    content_type = ContentType.objects.get_for_model(Bill)
    label = ReminderChannel(channel).label
    if outcome:
        message = _("Reminded by %(channel)s: %(outcome)s") % {
            "channel": label,
            "outcome": CallOutcome(outcome).label,
        }
    else:
        message = _("Reminded by %(channel)s") % {"channel": label}
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            content_type=content_type,
            object_id=str(bill.pk),
            verb="reminded",
            message=str(message),
            data={"channel": channel, "outcome": outcome},
            actor=actor,
        )
        for bill in bills
    )


def _describe(bill):
    """“2026-10 Property fee, 1号楼1单元1201” — which bill, in a message."""
    where = ""
    if bill.unit_id:
        where = f"{bill.unit.building.name}{bill.unit.entrance.name}{bill.unit.room_no}"
    elif bill.parking_space_id:
        where = bill.parking_space.code
    what = f"{bill.period} {bill.item.name}".strip()
    return f"{what} ({where})" if where else what
