"""Background jobs of charge items and parking spaces: the parking spaces export."""

from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core import excel
from courtyard.core.generic import export_job
from courtyard.core.jobs import job_handler, progress, save_output

from ..models import ParkingSpace
from .filters import ParkingSpaceFilterSet
from .selectors import PARKING_RELATED
from .tables import ParkingSpaceTable


@job_handler("billing.export_parking_spaces")
def export_parking_spaces(job):
    """The parking spaces the user may view, with the list's filters, as a workbook."""
    queryset = ParkingSpace.objects.select_related(*PARKING_RELATED)
    table = export_job(job.user, queryset, ParkingSpaceFilterSet, ParkingSpaceTable, job.params)
    progress(job, 0, table.queryset.count())
    content = excel.write_workbook(
        table.export_headers(), table.export_rows(), title=_("parking spaces")
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    save_output(job, f"parking-spaces-{stamp}.xlsx", content)
    progress(job, job.total)
    return {"summary": _("%(count)s rows exported.") % {"count": job.total}}
