"""What billing lends the modules below it, through the hooks they define (they never import
billing): the residents "in arrears" filter and archive check, and the charge for a paid repair.
Also the portal's "how to pay" text, a system parameter until a payment gateway is configured.

``install()`` runs once, from ``BillingConfig.ready``.
"""

import logging

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courtyard.core import parameters
from courtyard.core.money import grouped
from courtyard.repairs import hooks as repair_hooks
from courtyard.residents import hooks as resident_hooks
from courtyard.residents.choices import MAIN_ROLES, OccupancyStatus
from courtyard.residents.models import Occupancy

from .models import ChargeItem
from .pricing import to_money
from .selectors import outstanding_bills, outstanding_total, overdue_bills

REPAIR_ITEM = "repair"
PAYMENT_INSTRUCTIONS = "billing.offline_payment_instructions"
logger = logging.getLogger(__name__)


def in_arrears(queryset):
    """The residents of ``queryset`` with an overdue bill: as its payer, or on a unit they
    currently occupy as owner or tenant (household members are not asked to pay).

    Two sets, each read once (``pk IN (SELECT …)``): never a join, so a person stays one row.
    """
    overdue = overdue_bills()
    payers = overdue.filter(payer__isnull=False).values("payer_id")
    occupants = Occupancy.objects.filter(
        status=OccupancyStatus.CURRENT,
        role__in=MAIN_ROLES,
        unit_id__in=overdue.filter(unit__isnull=False).values("unit_id"),
    ).values("resident_id")
    return queryset.filter(Q(pk__in=payers) | Q(pk__in=occupants))


def archive_refusal(resident):
    """“王芳 owes ¥320.00 …” while any published bill with this person as payer is unpaid.

    Only the payer: archiving needs every move-out first, so no unit is theirs any more.
    """
    bills = outstanding_bills().filter(payer=resident)
    if not bills.exists():
        return None
    return _("%(name)s owes ¥%(amount)s on unpaid bills: settle or void them first.") % {
        "name": resident.name,
        "amount": grouped(to_money(outstanding_total(bills))),  # SQLite's sum drops trailing zeros
    }


def charge_paid_repair(order, actor):
    """A paid work order has been completed: raise and publish its repair bill (order.cost,
    its unit, payer the unit's current owner, else whoever reported it while they live there).

    Raised by the system, not the technician (who holds no billing rights); the bill names the
    order, which is billed once. Nothing is raised for a repair without cost, with neither
    unit nor resident, or when the office has retired the repair charge item (then repairs are
    not billed here: logged, and the completion goes on).
    """
    from .bills.services import create_temporary_bill, current_owner, occupies

    if not order.cost or (order.unit_id is None and order.resident_id is None):
        return None
    item = ChargeItem.objects.filter(code=REPAIR_ITEM, is_active=True).first()
    if item is None:
        logger.warning("work order %s not billed: no active charge item %r", order.pk, REPAIR_ITEM)
        return None
    owner = current_owner(order.unit) if order.unit_id else None
    reporter = order.resident
    if reporter is not None and order.unit_id and not occupies(reporter, order.unit):
        reporter = None
    return create_temporary_bill(
        None,
        item=item,
        amount=order.cost,
        unit=order.unit,
        payer=owner or reporter,
        note=_("Repair %(number)s") % {"number": order.number},
        work_order=order,
        publish=True,
    )


def install():
    resident_hooks.register_arrears_filter(in_arrears)
    resident_hooks.register_archive_check(archive_refusal)
    repair_hooks.register_paid_repair_handler(charge_paid_repair)
    parameters.register(
        PAYMENT_INSTRUCTIONS,
        kind=parameters.TEXT,
        default=gettext_lazy(
            "Pay at the estate office by WeChat Pay, Alipay, bank card, cash or bank transfer, "
            "Monday to Saturday 9:00–17:30. Please bring your room number."
        ),
        label=gettext_lazy("How residents pay (shown in the portal until online payment)"),
        group=gettext_lazy("Fees and payments"),
    )
