"""Staff pages of meter readings (抄表): the entry grid of one building, meter and month,
the Excel import (with a template, blank or filled with a building's rooms), the list with
its filters and export, one reading's page with review, correction and deletion."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView

from courtyard.core import excel
from courtyard.core.access import AccessMixin, access, acts_on
from courtyard.core.exceptions import StateConflict
from courtyard.core.generic import (
    ObjectDetailView,
    ObjectExportView,
    ObjectHistoryView,
    ObjectImportView,
    ObjectListView,
    apply_service_errors,
    xlsx_response,
)
from courtyard.core.modules import NavItem
from courtyard.core.scoping import has_action
from courtyard.core.timeline import events_for

from ..choices import MeterType
from ..items.selectors import METER_UNITS
from ..models import MeterReading
from . import selectors, services
from .filters import MeterReadingFilterSet
from .forms import AcceptForm, CorrectionForm, GridForm
from .jobs import READING_COLUMNS, ReadingImporter
from .tables import MeterReadingTable

READINGS = MeterReading.objects.select_related(*selectors.READING_RELATED)


def reading_title(reading):
    """“1单元 1201 · Water · 2026-11”: what a reading is, in words."""
    unit, meter = reading.unit, reading.get_meter_type_display()
    return f"{unit.entrance.name} {unit.room_no} · {meter} · {reading.period}"


# The entry grid -----------------------------------------------------------------------------


class ReadingGridView(AccessMixin, TemplateView):
    """抄表录入: every unit of a building for one meter and month, the previous reading and the
    usage shown as the reader types; saved all at once, or not at all with each row's error."""

    access = "billing.add_meterreading"
    template_name = "billing/readings_grid.html"

    def make_form(self, data):
        return GridForm(data, user=self.request.user)

    def render_grid(self, form, rows=None, rule=None, status=200):
        context = self.get_context_data(form=form, rows=rows, rule=rule)
        if rows is not None:
            chosen = form.cleaned_data
            context.update(
                counts=selectors.grid_counts(rows),
                building=chosen["building"],
                meter_label=MeterType(chosen["meter_type"]).label,
                period=chosen["period"],
                unit_label=_meter_unit(chosen["meter_type"]),
                template_url=self.sheet_url(form),
                list_url=self.list_url(form),
                typed_errors=sum(1 for row in rows if row.error),
            )
        context["may_import"] = has_action(self.request.user, MeterReading, "add")
        return self.render_to_response(context, status=status)

    def sheet_url(self, form):
        query = {key: form.data.get(key, "") for key in ("building", "meter_type", "period")}
        return f"{reverse('billing:meterreading_import')}?template=1&{urlencode(query)}"

    def list_url(self, form):
        chosen = form.cleaned_data
        query = {
            "building": chosen["building"].pk,
            "meter_type": chosen["meter_type"],
            "period": chosen["period"],
        }
        return f"{reverse('billing:meterreading_list')}?{urlencode(query)}"

    def rows_for(self, form):
        chosen = form.cleaned_data
        may_correct = has_action(self.request.user, MeterReading, "change")
        return selectors.grid_rows(
            self.request.user,
            chosen["building"],
            chosen["meter_type"],
            chosen["period"],
            may_correct,
        )

    def get(self, request, *args, **kwargs):
        form = self.make_form(request.GET if "building" in request.GET else None)
        if not form.is_bound or not form.is_valid():
            return self.render_grid(form, status=400 if form.is_bound else 200)
        rows, rule = self.rows_for(form)
        return self.render_grid(form, rows, rule)

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render_grid(form, status=400)
        rows, rule = self.rows_for(form)
        chosen = form.cleaned_data
        entries, typed_rows = [], []
        for row in rows:
            row.typed = request.POST.get(f"r-{row.unit.pk}", "").strip()
            if row.typed and not row.locked:
                entries.append(
                    services.Entry(
                        row.unit,
                        chosen["meter_type"],
                        chosen["period"],
                        row.typed,
                        chosen["read_on"],
                    )
                )
                typed_rows.append(row)
        if not entries:
            messages.info(request, _("Nothing was typed."))
            return self.render_grid(form, rows, rule)
        try:
            result = services.save_readings(request.user, entries)
        except services.ReadingRowsInvalid as invalid:
            for error in invalid.rows:
                row = typed_rows[error.index]
                row.error = " ".join(filter(None, [row.error, error.message]))
            messages.error(request, invalid.messages[0])
            return self.render_grid(form, rows, rule, status=400)
        messages.success(request, saved_message(result))
        query = {key: request.POST.get(key, "") for key in ("building", "meter_type", "period")}
        return redirect(f"{request.path}?{urlencode(query)}")


def saved_message(result):
    text = ngettext("%(count)s reading saved.", "%(count)s readings saved.", len(result.saved)) % {
        "count": len(result.saved)
    }
    if result.flagged:
        text += " " + ngettext(
            "%(count)s has unusual usage and waits for review before billing.",
            "%(count)s have unusual usage and wait for review before billing.",
            len(result.flagged),
        ) % {"count": len(result.flagged)}
    return text


def _meter_unit(meter_type):
    return METER_UNITS.get(meter_type, "")


# List, import, export -----------------------------------------------------------------------


class MeterReadingListView(ObjectListView):
    queryset = READINGS
    filterset_class = MeterReadingFilterSet
    table_class = MeterReadingTable
    importable = True
    export_job = "billing.export_readings"
    template_name = "billing/readings_list.html"

    def url_name(self, action):
        # Readings are added on the grid.
        return "billing:reading_grid" if action == "add" else super().url_name(action)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            review_url=f"{reverse('billing:meterreading_list')}?review=needs_review",
            awaiting=selectors.needing_review(self.restricted()).count()
            if user.has_perm("billing.review_meterreading")
            else None,
        )
        return context


class MeterReadingImportView(ObjectImportView):
    queryset = READINGS
    importer = ReadingImporter
    template_name = "billing/readings_import.html"

    def get(self, request, *args, **kwargs):
        if "template" in request.GET and request.GET.get("building"):
            return self.building_sheet()
        return super().get(request, *args, **kwargs)

    def building_sheet(self):
        """The template filled with a building's rooms for one meter and month, the previous
        reading beside each (the import ignores that column), ready to be filled in."""
        form = GridForm(self.request.GET, user=self.request.user)
        if not form.is_valid():
            raise Http404
        chosen = form.cleaned_data
        rows, _rule = selectors.grid_rows(
            self.request.user, chosen["building"], chosen["meter_type"], chosen["period"]
        )
        meter = str(MeterType(chosen["meter_type"]).label)
        building = chosen["building"]
        headers = [column.label for column in READING_COLUMNS] + [_("Previous reading")]
        lines = [
            [
                building.estate.name,
                building.name,
                row.unit.entrance.name,
                row.unit.room_no,
                meter,
                chosen["period"],
                row.current.reading if row.current else "",
                "",
                row.previous.reading if row.previous else "",
            ]
            for row in rows
        ]
        content = excel.write_workbook(headers, lines, title=_("meter readings"))
        name = f"readings-{building.pk}-{chosen['meter_type']}-{chosen['period']}.xlsx"
        return xlsx_response(content, name)


class MeterReadingExportView(ObjectExportView):
    queryset = READINGS
    filterset_class = MeterReadingFilterSet
    table_class = MeterReadingTable
    export_job = "billing.export_readings"


# One reading --------------------------------------------------------------------------------


class MeterReadingDetailView(ObjectDetailView):
    queryset = READINGS
    template_name = "billing/readings_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reading = context["object"]
        user = self.request.user
        context.update(
            title=reading_title(reading),
            events=list(events_for(reading)[:50]),
            accept_form=AcceptForm()
            if reading.needs_review and user.has_perm("billing.review_meterreading")
            else None,
        )
        return context

    def detail_fields(self, obj):
        rows = [
            (_("Unit"), obj.unit),
            (_("Meter"), obj.get_meter_type_display()),
            (_("Month"), obj.period),
            (_("Previous reading"), obj.previous_reading),
            (_("Reading"), obj.reading),
            (_("Usage"), obj.usage),
            (_("Read on"), obj.read_on),
            (_("Entered"), obj.created_at),
        ]
        if obj.reviewed_at:
            rows += [(_("Reviewed by"), obj.reviewed_by), (_("Reviewed at"), obj.reviewed_at)]
        return rows


class MeterReadingHistoryView(ObjectHistoryView):
    queryset = READINGS
    template_name = "billing/readings_history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = reading_title(context["object"])
        return context


def reading_for(request, pk, action="view"):
    try:
        return selectors.visible_readings(request.user, action).get(pk=pk)
    except (MeterReading.DoesNotExist, ValueError):
        raise Http404


@access("billing.review_meterreading", model=MeterReading)
def accept_reading(request, pk):
    """Accept a flagged reading as it stands (POST)."""
    reading = reading_for(request, pk, "review")
    if request.method == "POST":
        form = AcceptForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        try:
            services.accept_reading(request.user, reading, note=note)
        except StateConflict as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Accepted: the reading will be billed as it stands."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("billing:meterreading_detail", args=[pk])
    return redirect(target)


@acts_on(MeterReading)
class MeterReadingEditView(AccessMixin, TemplateView):
    """Correct a saved reading: the same rules as entering one."""

    access = "billing.change_meterreading"
    template_name = "billing/readings_edit.html"

    def respond(self, reading, form, status=200):
        context = self.get_context_data(
            object=reading,
            form=form,
            title=reading_title(reading),
            previous=services.previous_reading(reading.unit, reading.meter_type, reading.period),
        )
        return self.render_to_response(context, status=status)

    def get(self, request, pk):
        reading = reading_for(request, pk, "change")
        form = CorrectionForm(initial={"reading": reading.reading, "read_on": reading.read_on})
        return self.respond(reading, form)

    def post(self, request, pk):
        reading = reading_for(request, pk, "change")
        form = CorrectionForm(request.POST)
        if form.is_valid():
            try:
                services.record_reading(
                    request.user,
                    unit=reading.unit,
                    meter_type=reading.meter_type,
                    period=reading.period,
                    reading=form.cleaned_data["reading"],
                    read_on=form.cleaned_data["read_on"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("billing:meterreading_detail", pk=pk)
        return self.respond(reading, form, status=400)


@acts_on(MeterReading)
class MeterReadingDeleteView(AccessMixin, TemplateView):
    access = "billing.delete_meterreading"
    template_name = "billing/readings_delete.html"

    def get(self, request, pk):
        reading = reading_for(request, pk, "delete")
        context = self.get_context_data(object=reading, title=reading_title(reading))
        return self.render_to_response(context)

    def post(self, request, pk):
        reading = reading_for(request, pk, "delete")
        try:
            services.delete_reading(request.user, reading)
        except StateConflict as error:
            messages.error(request, error.message)
            return redirect("billing:meterreading_detail", pk=pk)
        messages.success(request, _("Deleted “%(name)s”.") % {"name": reading_title(reading)})
        return redirect("billing:meterreading_list")


urlpatterns = [
    path("readings/", MeterReadingListView.as_view(), name="meterreading_list"),
    path("readings/grid/", ReadingGridView.as_view(), name="reading_grid"),
    path("readings/import/", MeterReadingImportView.as_view(), name="meterreading_import"),
    path("readings/export/", MeterReadingExportView.as_view(), name="meterreading_export"),
    path("readings/<int:pk>/", MeterReadingDetailView.as_view(), name="meterreading_detail"),
    path(
        "readings/<int:pk>/history/",
        MeterReadingHistoryView.as_view(),
        name="meterreading_history",
    ),
    path("readings/<int:pk>/edit/", MeterReadingEditView.as_view(), name="meterreading_edit"),
    path("readings/<int:pk>/delete/", MeterReadingDeleteView.as_view(), name="meterreading_delete"),
    path("readings/<int:pk>/accept/", accept_reading, name="meterreading_accept"),
]

NAV = [
    NavItem(
        gettext_lazy("Meter reading entry"), "billing:reading_grid", "billing.add_meterreading"
    ),
    NavItem(
        gettext_lazy("Meter readings"), "billing:meterreading_list", "billing.view_meterreading"
    ),
]
