"""The Excel export of a notice's unread list: written in the request when short, by a
background job when long."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core import excel
from courtyard.core.jobs import JobFailed, job_handler, progress, save_output
from courtyard.core.scoping import restrict

from . import selectors
from .models import Notice
from .tables import UnreadTable

EXPORT_UNREAD = "notices.export_unread"


def unread_workbook(user, notice):
    """(file name, bytes) of the audience members of ``notice`` who have not read it."""
    table = UnreadTable(
        selectors.unread_audience(notice),
        viewer=user,
    )
    content = excel.write_workbook(table.export_headers(), table.export_rows(), title=_("unread"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"unread-{notice.pk}-{stamp}.xlsx", content


@job_handler(EXPORT_UNREAD)
def export_unread(job):
    """The same gate as the page: the statistics permission and the notice in scope."""
    user = job.user
    if not user.has_perm("notices.view_notice_statistics"):
        raise PermissionDenied
    notice = restrict(Notice.objects.all(), user).filter(pk=job.params.get("notice")).first()
    if notice is None:
        raise JobFailed(_("The announcement no longer exists or is outside your data scope."))
    progress(job, 0, selectors.unread_audience(notice).count())
    name, content = unread_workbook(user, notice)
    save_output(job, name, content)
    progress(job, job.total)
    return {"summary": _("%(count)s rows exported.") % {"count": job.total}}
