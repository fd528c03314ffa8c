"""Staff pages of reminders: the arrears list (欠费名单) with its Excel export, the remind page
for one bill or a selection of the list, and the reminder records (催缴).

The list is grouped in the database (one row per unit, or per payer without a unit) and
sorted and paged there; the remind page shows exactly the bills it will remind and posts
their ids to ``reminders_services.remind``, which decides again.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView

from courtyard.core import jobs
from courtyard.core.access import AccessMixin, access
from courtyard.core.choices import JobStatus
from courtyard.core.exceptions import StateConflict
from courtyard.core.generic import ObjectListView, apply_service_errors
from courtyard.core.models import Job
from courtyard.core.modules import NavItem

from ..models import ZERO, Reminder
from ..pricing import to_money
from . import jobs as reminders_jobs
from .filters import ReminderFilterSet, arrears_list
from .forms import RemindForm
from .selectors import bills_in_scope, bills_of_rows, payers_of
from .services import remind
from .tables import ArrearsTable, ReminderTable

# A selection larger than this is reminded in several goes (the page lists every bill).
MAX_BILLS = 1000
# Exports up to this many rows are written while the user waits; larger ones become a job.
DIRECT_EXPORT_ROWS = 2000
REMINDERS = Reminder.objects.select_related(
    "bill__item",
    "bill__payer",
    "bill__unit__building",
    "bill__unit__entrance",
    "bill__parking_space",
    "created_by",
    "message",
)


def estate_of(request):
    return request.session.get("estate_id")


def safe_next(request, default):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


# The arrears list ----------------------------------------------------------------------------


class ArrearsView(AccessMixin, TemplateView):
    """欠费名单: who owes what, since when, and how often they have been reminded."""

    access = "billing.view_bill"
    template_name = "billing/arrears.html"

    def get_context_data(self, **kwargs):
        request = self.request
        filterset = arrears_list(
            request.user, request.GET, estate_id=estate_of(request), request=request
        )
        rows = filterset.rows()
        table = ArrearsTable(rows, request, bills=filterset.bills())
        page = table.page()
        total = rows.aggregate(total=Sum("owed"))["total"]
        query = request.GET.copy()
        query.pop("page", None)
        context = super().get_context_data(**kwargs)
        context.update(
            filterset=filterset,
            table=table,
            page=page,
            rows=list(table.rows(page.object_list)),
            total_owed=to_money(total or ZERO),
            query=query.urlencode(),
            export_url=reverse("billing:arrears_export"),
            can_remind=request.user.has_perm("billing.add_reminder"),
        )
        return context

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "object-table":
            return ["billing/partials/arrears_table.html"]
        return [self.template_name]


@access("billing.view_bill")
def arrears_export(request):
    """The list with its current filters and order, as a workbook: at once when it is small,
    else as a job whose page offers the file. Either way the job row records the export."""
    params = {
        "language": translation.get_language(),
        "filters": request.GET.dict(),
        "estate_id": estate_of(request),
    }
    filterset = arrears_list(request.user, request.GET, estate_id=estate_of(request))
    if filterset.rows().count() > DIRECT_EXPORT_ROWS:
        job = jobs.start_job(request.user, reminders_jobs.EXPORT_ARREARS, params=params)
        return redirect("core:job_detail", pk=job.pk)
    job = Job.objects.create(kind=reminders_jobs.EXPORT_ARREARS, user=request.user, params=params)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    if job.status != JobStatus.SUCCEEDED:
        return redirect("core:job_detail", pk=job.pk)
    return FileResponse(job.output_file.open("rb"), as_attachment=True, filename=job.output_name)


# Reminding ------------------------------------------------------------------------------------


def chosen_bills(request, source):
    """The bills named by ``bill`` ids, or by the arrears rows (``row``) under the list's
    filters; 404 when a named bill lies outside the user's scope."""
    user = request.user
    ids = {int(v) for v in source.getlist("bill") if v.isdigit()}
    if ids:
        bills = bills_in_scope(user).filter(pk__in=ids)
        if bills.count() != len(ids):
            raise Http404
    else:
        keys = source.getlist("row")
        bills = bills_of_rows(
            arrears_list(user, source, estate_id=estate_of(request)).bills(), keys
        )
    return bills.select_related(
        "estate", "item", "payer", "unit__building", "unit__entrance", "parking_space"
    ).order_by("unit_id", "payer_id", "period", "item__sort_order", "pk")


@access("billing.add_reminder")
def reminder_add(request):
    """催缴: the chosen bills, and how to remind their payers."""
    source = request.POST if request.method == "POST" else request.GET
    bills = list(chosen_bills(request, source)[: MAX_BILLS + 1])
    too_many = len(bills) > MAX_BILLS
    form = RemindForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if not bills or too_many:
            form.is_valid()  # an error is added to a cleaned form (an empty POST crashed)
            form.add_error(
                None, _("Choose between one and %(count)s bills.") % {"count": MAX_BILLS}
            )
        elif form.is_valid():
            data = form.cleaned_data
            try:
                reminders = remind(
                    request.user,
                    bills,
                    channel=data["channel"],
                    outcome=data["outcome"],
                    note=data["note"],
                )
            except StateConflict as error:
                form.add_error(None, str(error.message))
                status = 409
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, sent_text(reminders))
                return redirect(safe_next(request, reverse("billing:arrears")))
    payers = payers_of(bills)
    for bill in bills:
        bill.payer_shown = payers.get(bill.pk)
    context = {
        "form": form,
        "bills": bills[:MAX_BILLS],
        "too_many": too_many,
        "total": sum((bill.outstanding for bill in bills[:MAX_BILLS]), ZERO),
        "payer_count": len({p.pk for p in payers.values() if p is not None}),
        "next": safe_next(request, ""),
        "back_url": safe_next(request, reverse("billing:arrears")),
    }
    return render(request, "billing/reminders_form.html", context, status=status)


def sent_text(reminders):
    sent = len({r.message_id for r in reminders if r.message_id})
    values = {"count": sent, "bills": len(reminders)}
    if sent:
        return (
            ngettext(
                "%(count)s reminder sent, about %(bills)s bills.",
                "%(count)s reminders sent, about %(bills)s bills.",
                sent,
            )
            % values
        )
    return (
        ngettext(
            "The call is recorded on %(bills)s bill.",
            "The call is recorded on %(bills)s bills.",
            len(reminders),
        )
        % values
    )


# The reminder records --------------------------------------------------------------------------


class ReminderListView(ObjectListView):
    """催缴记录: every reminder in the scope, with its channel, outcome and message."""

    queryset = REMINDERS
    filterset_class = ReminderFilterSet
    table_class = ReminderTable
    template_name = "billing/reminders_list.html"

    def url_name(self, action):
        return {"list": "billing:reminder_list", "add": "billing:reminder_add"}.get(
            action, super().url_name(action)
        )


urlpatterns = [
    path("arrears/", ArrearsView.as_view(), name="arrears"),
    path("arrears/export/", arrears_export, name="arrears_export"),
    path("reminders/", ReminderListView.as_view(), name="reminder_list"),
    path("reminders/new/", reminder_add, name="reminder_add"),
]
NAV = [
    NavItem(gettext_lazy("Reminders"), "billing:reminder_list", "billing.view_reminder"),
    NavItem(gettext_lazy("Arrears"), "billing:arrears", "billing.view_bill"),
]
