"""Reads of bills for their pages: totals of a filtered list, a bill's payments, reminders,
calculation and timeline — each a fixed number of queries."""

from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from courtyard.core.scoping import restrict
from courtyard.core.timeline import events_for

from ..choices import OUTSTANDING_STATUSES, BillStatus
from ..models import ZERO, Bill
from ..pricing import to_money

# Everything a list row shows: the optional parents joined (LEFT JOINs keep the bills table
# first, so SQLite can read it newest first without sorting a million rows), estate and item —
# few, and INNER joins the planner would start from — read by id in one query each.
ROW_RELATED = ("building", "unit", "unit__entrance", "parking_space", "payer")
ROW_PREFETCH = ("estate", "item")

BILLS = Bill.objects.select_related(*ROW_RELATED).prefetch_related(*ROW_PREFETCH)
MONEY = DecimalField(max_digits=14, decimal_places=2)


def visible(user, action="view"):
    """Every bill the user may ``action``, with what a row shows (one query a page)."""
    return restrict(BILLS, user, action)


SORTED_BY_DUE_UP_TO = 20_000


def newest_first(queryset, count=None):
    """Bills newest first, in the order the database can give cheaply: a few thousand (a
    building's, a payer's) sorted by due date from the index they were found by; more than
    that straight from the primary key, as sorting a million rows takes seconds. (PostgreSQL
    otherwise walks the primary key backwards for a building's unpaid bills, betting they
    are spread evenly, and may read 150,000 rows to find 25.)"""
    count = queryset.count() if count is None else count
    if count <= SORTED_BY_DUE_UP_TO:
        return queryset.order_by("-due_date", "-pk")
    return queryset.order_by("-pk")


def _sum(expression, **filters):
    total = Sum(expression, filter=Q(**filters) if filters else None)
    return Coalesce(total, Value(ZERO), output_field=MONEY)


def totals(queryset):
    """Count, billed, paid and still owed over a filtered list (one query); voided bills and
    drafts are counted but not summed as owed."""
    found = queryset.order_by().aggregate(
        count=Count("pk"),
        billed=_sum("amount", status__in=[*OUTSTANDING_STATUSES, BillStatus.PAID]),
        paid=_sum("paid_amount"),
        owed=_sum(F("amount") - F("paid_amount"), status__in=OUTSTANDING_STATUSES),
        in_drafts=_sum("amount", status=BillStatus.DRAFT),
    )
    # SQLite sums decimals as numbers: back to cents for display.
    return {key: value if key == "count" else to_money(value) for key, value in found.items()}


def allocations_of(bill):
    """The payments that settle the bill (valid and voided), newest first."""
    return bill.allocations.select_related("payment", "payment__operator").order_by(
        "-payment__paid_at", "-pk"
    )


def reminders_of(bill):
    return bill.reminders.select_related("created_by", "message").order_by("-created_at", "-pk")


def calculation(bill):
    """How the amount came about, as (label, text) lines from the bill's ``detail``."""
    detail = bill.detail or {}
    lines = []
    if "area" in detail:
        lines.append(
            (
                _("Floor area × rate × months"),
                f"{detail['area']} m² × {_plain(detail.get('rate', bill.unit_price))}"
                f" × {detail.get('months', 1)}",
            )
        )
    elif "tiers" in detail:
        lines.append((_("Usage"), detail.get("usage", "")))
        for tier in detail["tiers"]:
            lines.append((_("Tier"), f"{tier['usage']} × {_plain(tier['rate'])}"))
    elif "usage" in detail:
        lines.append((_("Usage × rate"), f"{detail['usage']} × {_plain(bill.unit_price)}"))
    elif "months" in detail:
        lines.append((_("Rate × months"), f"{_plain(bill.unit_price)} × {detail['months']}"))
    elif detail.get("temporary"):
        lines.append((_("Amount entered"), str(bill.amount)))
    return lines


def _plain(value):
    """A rate without zeros beyond the cents: 2.5000 → 2.50, 3.4875 stays."""
    number = Decimal(str(value))
    cents = number.quantize(Decimal("0.01"))
    return str(cents if number == cents else number.normalize())


# How each business event looks on the timeline: (icon, colour).
EVENT_LOOKS = {
    "created": ("ti-file-plus", "blue"),
    "generated": ("ti-file-plus", "blue"),
    "published": ("ti-send", "azure"),
    "paid": ("ti-cash", "green"),
    "payment_voided": ("ti-cash-off", "orange"),
    "reminded": ("ti-bell-ringing", "yellow"),
    "voided": ("ti-ban", "red"),
    "refunded": ("ti-arrow-back-up", "orange"),
}


def timeline_of(bill, allocations):
    """Its recorded events, plus what its own fields tell (raised by a run, published by a
    run, paid), newest first. Bill runs do not write an event per bill."""
    entries = []
    verbs = set()
    for event in events_for(bill):
        verbs.add(event.verb)
        icon, colour = EVENT_LOOKS.get(event.verb, ("ti-point", "secondary"))
        entries.append(
            {
                "at": event.at,
                "actor": event.actor,
                "text": event.message or event.verb,
                "note": (event.data or {}).get("note", ""),
                "icon": icon,
                "colour": colour,
            }
        )
    if "created" not in verbs:
        text = (
            _("Generated by the bill run for %(period)s") % {"period": bill.period}
            if bill.bill_run_id
            else _("Created")
        )
        entries.append(_entry(bill.created_at, bill.created_by, text, "generated"))
    if bill.published_at and "published" not in verbs:
        # Published with its run: the run knows who did it.
        publisher = bill.bill_run.published_by if bill.bill_run_id else None
        entries.append(_entry(bill.published_at, publisher, _("Published"), "published"))
    if "paid" not in verbs:
        for allocation in allocations:
            payment = allocation.payment
            text = _("Paid %(amount)s (receipt %(number)s)") % {
                "amount": allocation.amount,
                "number": payment.number,
            }
            entries.append(_entry(payment.paid_at, payment.operator, text, "paid"))
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries


def _entry(at, actor, text, verb):
    icon, colour = EVENT_LOOKS[verb]
    return {"at": at, "actor": actor, "text": text, "note": "", "icon": icon, "colour": colour}
