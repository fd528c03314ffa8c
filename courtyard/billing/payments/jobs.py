"""Background jobs of payments: the Excel export of the payment records (current filters)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core import excel
from courtyard.core.generic import export_job
from courtyard.core.jobs import job_handler, progress, save_output

from ..models import Payment
from .filters import PaymentFilterSet
from .selectors import ALLOCATIONS, PAYMENT_RELATED
from .tables import PaymentTable


@job_handler("billing.export_payments")
def export_payments(job):
    """The payments the user may view, with the list's filters, as a workbook."""
    queryset = Payment.objects.select_related(*PAYMENT_RELATED).prefetch_related(ALLOCATIONS)
    table = export_job(job.user, queryset, PaymentFilterSet, PaymentTable, job.params)
    progress(job, 0, table.queryset.count())
    content = excel.write_workbook(table.export_headers(), table.export_rows(), title=_("payments"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    save_output(job, f"payments-{stamp}.xlsx", content)
    progress(job, job.total)
    return {"summary": _("%(count)s rows exported.") % {"count": job.total}}
