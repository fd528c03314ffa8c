"""Staff pages of bill runs (生成周期账单): the list of runs, the form with its preview
(counts, totals per item and every problem, nothing written), the run's page with the
progress bar of its job, what it created and the problems it met, and publishing (【发布】).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from courtyard.core.access import AccessMixin, access
from courtyard.core.bilingual import in_language
from courtyard.core.estate_model import default_estate
from courtyard.core.exceptions import StateConflict
from courtyard.core.generic import ObjectDetailView, ObjectHistoryView, ObjectListView
from courtyard.core.modules import NavItem
from courtyard.core.scoping import restrict

from ..bills.views import error_text
from ..choices import BillRunStatus
from ..models import Bill, BillRun
from ..pricing import to_money
from . import services
from .filters import BillRunFilterSet
from .forms import BillRunForm
from .tables import BillRunTable

RUNS = BillRun.objects.select_related("estate", "created_by", "published_by", "job")


class BillRunListView(ObjectListView):
    queryset = RUNS
    filterset_class = BillRunFilterSet
    table_class = BillRunTable
    template_name = "billing/runs_list.html"


class BillRunCreateView(AccessMixin, TemplateView):
    """The form; with ``preview`` in the query, what the run would create below it."""

    access = "billing.add_billrun"
    template_name = "billing/runs_form.html"

    def get(self, request, *args, **kwargs):
        bound = "preview" in request.GET or "estate" in request.GET
        form = BillRunForm(
            request.GET if bound else None,
            user=request.user,
            initial={"estate": default_estate(request.user, request.session)},
        )
        if request.htmx and request.htmx.target == "run-buildings":
            return TemplateResponse(request, "billing/runs_buildings.html", {"form": form})
        preview = None
        status = 200
        if "preview" in request.GET and form.is_valid():
            try:
                preview = services.preview_bill_run(request.user, **form.choice())
            except ValidationError as error:
                _form_errors(form, error)
                status = 400
        elif "preview" in request.GET:
            status = 400
        context = self.get_context_data(form=form, preview=preview)
        return self.render_to_response(context, status=status)

    def post(self, request, *args, **kwargs):
        form = BillRunForm(request.POST, user=request.user)
        preview = None
        if form.is_valid():
            confirm = form.cleaned_data["confirm_ahead"]
            try:
                run = services.start_bill_run(request.user, **form.choice(), confirm_ahead=confirm)
            except ValidationError as error:
                _form_errors(form, error)
                if "confirm_ahead" in form.errors:
                    # The preview again, its confirmation box with the reason next to it.
                    preview = services.preview_bill_run(request.user, **form.choice())
            except StateConflict as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(request, _("The bill run has started."))
                return redirect(run.get_absolute_url())
        context = self.get_context_data(form=form, preview=preview)
        return self.render_to_response(context, status=400)


def _form_errors(form, error):
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class BillRunDetailView(ObjectDetailView):
    queryset = RUNS
    template_name = "billing/runs_detail.html"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if request.htmx and request.htmx.target == "run-progress":
            run = response.context_data["object"]
            if run.status not in (BillRunStatus.PENDING, BillRunStatus.RUNNING):
                response["HX-Refresh"] = "true"  # finished: the whole page shows the result
        return response

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "run-progress":
            return ["billing/runs_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = context["object"]
        user = self.request.user
        totals = (
            Bill.objects.filter(bill_run=run)
            .order_by("item__sort_order")
            .values("item__name", "item__name_en", "item__sort_order")
            .annotate(count=Count("pk"), amount=Sum("amount"))
        )
        context.update(
            totals=[
                {
                    "item_name": in_language(row["item__name"], row["item__name_en"]),
                    "count": row["count"],
                    "amount": to_money(row["amount"]),
                }
                for row in totals
            ],
            items=list(run.items.all()),
            buildings=list(run.buildings.all()),
            running=run.status in (BillRunStatus.PENDING, BillRunStatus.RUNNING),
            can_publish=run.status == BillRunStatus.GENERATED
            and user.has_perm("billing.publish_bill")
            and run.bill_count > 0,
            drafts=Bill.objects.filter(bill_run=run, status="draft").count(),
            can_restart=run.status == BillRunStatus.FAILED and user.has_perm("billing.add_billrun"),
        )
        return context


class BillRunHistoryView(ObjectHistoryView):
    queryset = RUNS


@access("billing.publish_bill", model=BillRun)
def billrun_publish(request, pk):
    """【发布】 a generated run: its drafts become owed, each payer is told once."""
    try:
        run = restrict(RUNS, request.user, "view").get(pk=pk)
    except (BillRun.DoesNotExist, ValueError):
        raise Http404
    if request.method != "POST":
        return redirect(run.get_absolute_url())
    try:
        count = services.publish_bill_run(request.user, run)
    except StateConflict as error:
        messages.error(request, error_text(error))
        return redirect(run.get_absolute_url())
    messages.success(
        request, _("%(count)s bills published; each payer has been told.") % {"count": count}
    )
    return redirect(run.get_absolute_url())


@access("billing.add_billrun", model=BillRun)
def billrun_restart(request, pk):
    """Generate a failed run again (its worker died or it crashed; it kept no drafts)."""
    try:
        run = restrict(RUNS, request.user, "view").get(pk=pk)
    except (BillRun.DoesNotExist, ValueError):
        raise Http404
    if request.method != "POST":
        return redirect(run.get_absolute_url())
    try:
        services.restart_bill_run(request.user, run)
    except StateConflict as error:
        messages.error(request, error_text(error))
        return redirect(run.get_absolute_url())
    messages.success(request, _("The bill run has been started again."))
    return redirect(run.get_absolute_url())


urlpatterns = [
    path("runs/", BillRunListView.as_view(), name="billrun_list"),
    path("runs/new/", BillRunCreateView.as_view(), name="billrun_add"),
    path("runs/<int:pk>/", BillRunDetailView.as_view(), name="billrun_detail"),
    path("runs/<int:pk>/history/", BillRunHistoryView.as_view(), name="billrun_history"),
    path("runs/<int:pk>/publish/", billrun_publish, name="billrun_publish"),
    path("runs/<int:pk>/restart/", billrun_restart, name="billrun_restart"),
]

NAV = [
    NavItem(gettext_lazy("Bill runs"), "billing:billrun_list", "billing.view_billrun"),
]
