"""The bill run list's table."""

from django.utils.translation import gettext_lazy as _

from courtyard.core.tables import Column, Table


class BillRunTable(Table):
    default_order = ("-created_at", "-pk")

    period = Column(label=_("Period"), link=True)
    estate = Column("estate__name", label=_("Estate"))
    cycle = Column(label=_("Cycle"))
    status = Column(label=_("Status"), template="billing/runs_status_cell.html")
    bill_count = Column(label=_("Bills created"))
    total_amount = Column(label=_("Total"))
    created_at = Column(label=_("Started"))
    created_by = Column("created_by__full_name", label=_("Started by"))
    published_at = Column(label=_("Published at"))
