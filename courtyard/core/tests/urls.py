"""A URL map for the shell tests: the real core and accounts pages plus a small estate module
declared with the generic views, so the generic templates are tested end to end."""

from django.urls import include, path
from django.views.i18n import set_language

from courtyard.core import generic
from courtyard.core.access import PUBLIC, access
from courtyard.core.excel import ImportColumn
from courtyard.core.filters import BaseFilterSet
from courtyard.core.forms import ScopedModelForm
from courtyard.core.tables import Column, Table
from courtyard.estates.models import Estate


class EstateFilterSet(BaseFilterSet):
    search_fields = ("name", "code")

    class Meta:
        model = Estate
        fields = ["code"]


class EstateTable(Table):
    name = Column(label="Name", link=True)
    code = Column(label="Code")
    address = Column(label="Address", orderable=False)
    default_order = ("name",)


class EstateForm(ScopedModelForm):
    class Meta:
        model = Estate
        fields = ["name", "code", "address", "description"]


def create_estate(user, **data):
    return Estate.objects.create(created_by=user, **data)


def update_estate(user, estate, **data):
    for key, value in data.items():
        setattr(estate, key, value)
    estate.save()
    return estate


def delete_estate(user, estate):
    estate.delete()


class EstateList(generic.ObjectListView):
    queryset = Estate.objects.all()
    filterset_class = EstateFilterSet
    table_class = EstateTable
    importable = True
    export_job = "test.export_estates"


class EstateExport(generic.ObjectExportView):
    queryset = Estate.objects.all()
    filterset_class = EstateFilterSet
    table_class = EstateTable
    export_job = "test.export_estates"


class EstateDetail(generic.ObjectDetailView):
    queryset = Estate.objects.all()


class EstateHistory(generic.ObjectHistoryView):
    queryset = Estate.objects.all()


class EstateEdit(generic.ObjectEditView):
    queryset = Estate.objects.all()
    form_class = EstateForm
    create_service = create_estate
    update_service = update_estate


class EstateDelete(generic.ObjectDeleteView):
    queryset = Estate.objects.all()
    delete_service = delete_estate


class EstateImport(generic.ObjectImportView):
    queryset = Estate.objects.all()
    job_kind = "test.import_estates"
    columns = [
        ImportColumn("name", "Name", True, "翠湖花园"),
        ImportColumn("address", "Address", False),
    ]


views = [
    ("", EstateList, "estate_list"),
    ("add/", EstateEdit, "estate_add"),
    ("import/", EstateImport, "estate_import"),
    ("export/", EstateExport, "estate_export"),
    ("<int:pk>/", EstateDetail, "estate_detail"),
    ("<int:pk>/history/", EstateHistory, "estate_history"),
    ("<int:pk>/edit/", EstateEdit, "estate_edit"),
    ("<int:pk>/delete/", EstateDelete, "estate_delete"),
]
estate_patterns = (
    [path(route, view.as_view(), name=name) for route, view, name in views],
    "estates",
)

urlpatterns = [
    path("", include("courtyard.core.urls")),
    path("accounts/", include("courtyard.accounts.urls")),
    path("estates/", include(estate_patterns)),
    path("i18n/setlang/", access(PUBLIC)(set_language), name="set_language"),
]

handler403 = "courtyard.core.views.permission_denied"
handler404 = "courtyard.core.views.not_found"
handler500 = "courtyard.core.views.server_error"
