"""Background job of reminders: the Excel export of the arrears list (current filters, order)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core import excel
from courtyard.core.jobs import job_handler, progress, save_output

from .filters import arrears_list
from .tables import ArrearsTable

EXPORT_ARREARS = "billing.export_arrears"


class JobRequest:
    """What the table reads of a request (the sort), from the filters the job was given."""

    def __init__(self, user, filters):
        self.user = user
        self.GET = filters


@job_handler(EXPORT_ARREARS)
def export_arrears(job):
    """The arrears the user may view, phones masked unless they may see them in full."""
    user, filters = job.user, dict(job.params.get("filters") or {})
    filterset = arrears_list(user, filters, estate_id=job.params.get("estate_id"))
    rows = filterset.rows()
    table = ArrearsTable(rows, JobRequest(user, filters), bills=filterset.bills())
    progress(job, 0, rows.count())
    content = excel.write_workbook(table.export_headers(), table.export_rows(), title=_("arrears"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    save_output(job, f"{_('arrears')}-{stamp}.xlsx", content)
    progress(job, job.total)
    return {"summary": _("%(count)s rows exported.") % {"count": job.total}}
