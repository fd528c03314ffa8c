"""Generic list / detail / edit / delete / import / export views that modules declare.

A module's views are short declarations::

    class UnitListView(ObjectListView):
        queryset = Unit.objects.select_related("building", "entrance")
        filterset_class = UnitFilterSet
        table_class = UnitTable

Access is derived from the model and action (``estates.view_unit``), every queryset goes
through the scope gate, and every write goes through the module's service functions.
"""

from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from . import excel, jobs, versions
from .access import AccessMixin
from .deletion import in_use_message, references
from .exceptions import StateConflict
from .scoping import (
    may_change_company_wide,
    narrow_to_estate,
    permission_name,
    require_company_wide,
    restrict,
)
from .timeline import events_for


class ObjectViewMixin(AccessMixin):
    queryset = None
    action = "view"

    @property
    def model(self):
        return self.queryset.model

    @classmethod
    def declared_access(cls):
        return permission_name(cls.queryset.model, cls.action)

    def get_access(self):
        return self.declared_access()

    def restricted(self, action=None):
        return restrict(self.queryset.all(), self.request.user, action or self.action)

    def get_object(self):
        try:
            return self.restricted().get(pk=self.kwargs["pk"])
        except (self.model.DoesNotExist, ValueError):
            raise Http404

    def url_name(self, action):
        opts = self.model._meta
        return f"{opts.app_label}:{opts.model_name}_{action}"

    def can(self, action):
        return self.request.user.has_perm(permission_name(self.model, action))

    def base_context(self):
        opts = self.model._meta
        return {
            "model_name": opts.verbose_name,
            "model_name_plural": opts.verbose_name_plural,
            "list_url": reverse(self.url_name("list")),
            "can_add": self.can("add"),
            "can_change": self.can("change"),
            "can_delete": self.can("delete"),
        }


class ObjectListView(ObjectViewMixin, TemplateView):
    template_name = "core/object_list.html"
    filterset_class = None
    table_class = None
    importable = False
    exportable = True
    export_job = None  # job kind that writes the Excel export

    def filtered(self):
        queryset = narrow_to_estate(self.restricted(), self.request.session.get("estate_id"))
        if self.filterset_class is None:
            return None, queryset
        filterset = self.filterset_class(self.request.GET or None, queryset, request=self.request)
        return filterset, (
            filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
        )

    def get_context_data(self, **kwargs):
        filterset, queryset = self.filtered()
        table = self.table_class(queryset, self.request)
        page = table.page()
        query = self.request.GET.copy()
        query.pop("page", None)
        context = super().get_context_data(**kwargs)
        context.update(self.base_context())
        context.update(
            {
                "filterset": filterset,
                "table": table,
                "page": page,
                "rows": list(table.rows(page.object_list)),
                "query": query.urlencode(),
                "add_url": reverse(self.url_name("add")) if self.can("add") else None,
                "import_url": reverse(self.url_name("import"))
                if self.importable and self.can("add")
                else None,
                "export_url": reverse(self.url_name("export")) if self.export_job else None,
            }
        )
        return context

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "object-table":
            return ["core/partials/object_table.html"]
        return [self.template_name]


class ObjectDetailView(ObjectViewMixin, TemplateView):
    template_name = "core/object_detail.html"
    tab = "detail"

    def get_context_data(self, **kwargs):
        obj = self.get_object()
        context = super().get_context_data(**kwargs)
        context.update(self.base_context())
        context.update({"object": obj, "tab": self.tab, "fields": self.detail_fields(obj)})
        return context

    def detail_fields(self, obj):
        """(label, value) pairs shown on the generic detail page."""
        result = []
        # The record's own fields first; when it was created is the least interesting.
        for f in sorted(obj._meta.fields, key=lambda f: f.name == "created_at"):
            if (
                f.name in ("id", "created_by", "updated_at")
                or not f.editable
                and f.name != "created_at"
            ):
                continue
            display = getattr(obj, f"get_{f.name}_display", None)
            value = display() if callable(display) else getattr(obj, f.name)
            result.append((f.verbose_name, value))
        return result


class ObjectHistoryView(ObjectDetailView):
    """The History tab: audit entries (what changed) and timeline events (what happened)."""

    template_name = "core/object_history.html"
    tab = "history"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        from auditlog.models import LogEntry

        obj = context["object"]
        context["log_entries"] = (
            LogEntry.objects.get_for_object(obj)
            .select_related("actor")
            .order_by("-timestamp")[:200]
        )
        context["events"] = events_for(obj)[:200]
        return context


def apply_service_errors(form, error):
    """Put a service's ValidationError on the form so the user keeps what they typed."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class ObjectEditView(ObjectViewMixin, TemplateView):
    """Create (no ``pk``) or change; the service does the write and raises ValidationError."""

    template_name = "core/object_edit.html"
    form_class = None
    create_service = None
    update_service = None
    prefill_fields = ()  # parents a new record may take from the query string

    @classmethod
    def declared_access(cls):
        return permission_name(cls.queryset.model, cls.action)

    def get_access(self):
        return permission_name(self.model, "change" if "pk" in self.kwargs else "add")

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        try:
            return self.restricted("change").get(pk=self.kwargs["pk"])
        except (self.model.DoesNotExist, ValueError):
            raise Http404

    def get_form(self, obj, data=None, files=None):
        form = self.form_class(
            data, files, instance=obj, user=self.request.user, initial=self.prefill(obj)
        )
        return versions.add_version_field(form, obj)

    def prefill(self, obj):
        """ "Add" from a parent's page (``?building=3``) starts with that parent chosen."""
        if obj is not None:
            return {}
        get = self.request.GET
        return {name: get[name] for name in self.prefill_fields if get.get(name, "").isdigit()}

    def render_form(self, form, obj, status=200):
        context = self.get_context_data(form=form, object=obj)
        context.update(self.base_context())
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        return self.render_form(self.get_form(obj), obj)

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        form = self.get_form(obj, request.POST, request.FILES)
        if form.is_valid():
            data = form.service_kwargs() if hasattr(form, "service_kwargs") else form.cleaned_data
            data = versions.apply_form_version(obj, dict(data))
            try:
                if obj is None:
                    saved = type(self).create_service(request.user, **data)
                else:
                    saved = type(self).update_service(request.user, obj, **data)
            except ValidationError as error:
                apply_service_errors(form, error)
            except versions.StaleVersion as error:
                versions.keep_typed_after_stale(form, obj, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(self.saved_url(saved))
        return self.render_form(form, obj, status=400)

    def saved_url(self, saved):
        """Where a successful save leads: the record's page."""
        return saved.get_absolute_url()


class ObjectDeleteView(ObjectViewMixin, TemplateView):
    template_name = "core/object_delete.html"
    action = "delete"
    delete_service = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.base_context())
        obj = context["object"] = self.get_object()
        # Say up front why a record cannot go, rather than after the click.
        found = references(obj)
        context["in_use"] = in_use_message(obj, found) if found else None
        return context

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        try:
            type(self).delete_service(request.user, obj)
        except (StateConflict, ValidationError) as error:
            message = (
                error.message if isinstance(error, StateConflict) else " ".join(error.messages)
            )
            messages.error(request, message)
            return redirect(obj.get_absolute_url())
        messages.success(request, _("Deleted “%(name)s”.") % {"name": obj})
        return redirect(self.url_name("list"))


class CompanyWideMixin:
    """Pages of records that are the same for every estate (charge items, roles): the buttons
    that change them show only to users who may change company-wide settings."""

    def can(self, action):
        allowed = super().can(action)
        if action == "view":
            return allowed
        return allowed and may_change_company_wide(self.request.user)

    def base_context(self):
        context = super().base_context()
        # Whose roles would offer the buttons is told why they are missing.
        context["company_wide_note"] = not may_change_company_wide(self.request.user) and any(
            super(CompanyWideMixin, self).can(action) for action in ("add", "change", "delete")
        )
        return context


class CompanyWideFormMixin(CompanyWideMixin):
    """Their edit and delete pages: refused with the reason before the form shows (the
    services refuse the write itself)."""

    def get(self, request, *args, **kwargs):
        require_company_wide(request.user)
        return super().get(request, *args, **kwargs)


class ObjectImportView(ObjectViewMixin, TemplateView):
    """Upload an Excel file; a job validates every row and imports all or nothing.

    A module declares its ``importer`` (a ``core.importing.Importer``), which gives the job,
    the columns and the template's name."""

    template_name = "core/object_import.html"
    action = "add"
    importer = None
    job_kind = None
    columns = ()
    template_title = "import"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.importer is not None:
            cls.job_kind, cls.columns = cls.importer.kind, cls.importer.columns
            cls.template_title = cls.importer.title

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.base_context())
        context["columns"] = self.columns
        return context

    def get(self, request, *args, **kwargs):
        if "template" in request.GET:
            content = excel.template_workbook(self.columns, self.template_title)
            return xlsx_response(content, f"{self.template_title}.xlsx")
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        upload = request.FILES.get("file")
        error = None
        if upload is None:
            error = _("Choose an Excel file (.xlsx) to import.")
        elif not upload.name.lower().endswith(".xlsx") or upload.read(4) != b"PK\x03\x04":
            error = _("The file is not an Excel workbook (.xlsx).")
        if error:
            context = self.get_context_data(error=error)
            return self.render_to_response(context, status=400)
        upload.seek(0)
        job = jobs.start_job(request.user, self.job_kind, input_file=upload)
        return HttpResponseRedirect(reverse("core:job_detail", args=[job.pk]))


class ObjectExportView(ObjectListView):
    """Start the Excel export of the list with the current filters; the job page offers it."""

    def get(self, request, *args, **kwargs):
        params = {"filters": request.GET.dict(), "estate_id": request.session.get("estate_id")}
        job = jobs.start_job(request.user, self.export_job, params=params)
        return HttpResponseRedirect(reverse("core:job_detail", args=[job.pk]))


def xlsx_response(content, filename):
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_job(
    user, model_queryset, filterset_class, table_class, params, estate_id_key="estate_id"
):
    """Rows for an export job: the same gate, estate filter and filter set as the list page."""
    queryset = narrow_to_estate(restrict(model_queryset, user, "view"), params.get(estate_id_key))
    if filterset_class is not None:
        # A job has no request; the filter set only needs to know whose choices to restrict.
        request = SimpleNamespace(user=user, session={"estate_id": params.get(estate_id_key)})
        filterset = filterset_class(params.get("filters") or None, queryset, request=request)
        if filterset.is_bound and filterset.is_valid():
            queryset = filterset.qs
    table = table_class(queryset)
    return table
