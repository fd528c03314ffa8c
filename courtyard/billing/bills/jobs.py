"""Background job of the bill list: its Excel export with the filters the user had."""

from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core import excel
from courtyard.core.generic import export_job
from courtyard.core.jobs import job_handler, progress, save_output

from .filters import BillFilterSet
from .selectors import BILLS
from .tables import BillTable

EXPORT_JOB = "billing.export_bills"


@job_handler(EXPORT_JOB)
def export_bills(job):
    """The bills the user may view, filtered as their list was, as a workbook."""
    table = export_job(job.user, BILLS, BillFilterSet, BillTable, job.params)
    progress(job, 0, table.queryset.count())
    content = excel.write_workbook(table.export_headers(), table.export_rows(), title=_("bills"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    save_output(job, f"bills-{stamp}.xlsx", content)
    progress(job, job.total)
    return {"summary": _("%(count)s rows exported.") % {"count": job.total}}
