"""Background jobs of repairs: the Excel export of the work order list (current filters)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core import excel
from courtyard.core.generic import export_job
from courtyard.core.jobs import job_handler, progress, save_output

from . import selectors
from .filters import WorkOrderFilterSet
from .models import WorkOrder
from .tables import ROW_RELATED, WorkOrderTable


@job_handler("repairs.export_work_orders")
def export_work_orders(job):
    """The list the user may view, with the tab and filters they had, as a workbook."""
    filters = dict(job.params.get("filters") or {})
    tab_filter = selectors.TABS.get(filters.pop("tab", "all"), selectors.TABS["all"])[1]
    queryset = WorkOrder.objects.select_related(*ROW_RELATED)
    queryset = queryset.filter(WorkOrder.overdue_q() if tab_filter is None else tab_filter)
    params = {**job.params, "filters": filters}
    table = export_job(job.user, queryset, WorkOrderFilterSet, WorkOrderTable, params)
    progress(job, 0, table.queryset.count())
    content = excel.write_workbook(
        table.export_headers(), table.export_rows(), title=_("work orders")
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    save_output(job, f"work-orders-{stamp}.xlsx", content)
    progress(job, job.total)
    return {"summary": _("%(count)s rows exported.") % {"count": job.total}}
