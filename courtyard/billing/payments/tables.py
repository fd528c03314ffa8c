"""The payment records and refunds tables; their columns are also those of the Excel export."""

from django.utils.translation import gettext_lazy as _

from courtyard.core.tables import Column, Table

from .selectors import place_of


class AllocationsColumn(Column):
    """A value from each bill the payment settled (prefetched: no query per row)."""

    def __init__(self, part, **kwargs):
        super().__init__(orderable=False, **kwargs)
        self.part = part

    def value(self, obj):
        values = []
        for allocation in obj.allocations.all():
            value = self.part(allocation)
            if value and value not in values:
                values.append(value)
        return "、".join(values)


def _line(allocation):
    bill = allocation.bill
    return f"{bill.item.name} {bill.period}".strip()


class PaymentTable(Table):
    default_order = ("-paid_at", "-pk")

    number = Column(label=_("Receipt number"), link=True)
    paid_at = Column(label=_("Paid at"))
    payer_name = Column(label=_("Paid by"))
    place = AllocationsColumn(lambda a: place_of(a.bill), label=_("Unit"))
    items = AllocationsColumn(_line, label=_("Bills"))
    amount = Column(label=_("Amount"))
    method = Column(label=_("Method"))
    status = Column(label=_("Status"), template="billing/payments_status_cell.html")
    operator = Column("operator__full_name", label=_("Operator"))
    estate = Column("estate__name", label=_("Estate"))


class RefundTable(Table):
    default_order = ("-refunded_at", "-pk")

    number = Column(label=_("Refund number"))
    refunded_at = Column(label=_("Refunded at"))
    bill = Column("bill__item__shown_name", label=_("Charge item"), order_by="bill__item__name")
    room = Column("bill__unit__room_no", label=_("Room"))
    amount = Column(label=_("Amount"))
    method = Column(label=_("Method"))
    reason = Column(label=_("Reason"), orderable=False)
    operator = Column("operator__full_name", label=_("Operator"))
    estate = Column("estate__name", label=_("Estate"))
