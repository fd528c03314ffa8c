from django.urls import path

from . import views

app_name = "estates"


def crud(prefix, name, list_view, detail, history, edit, delete):
    """The five standard pages of one model, named ``<model>_<action>``."""
    return [
        path(f"{prefix}", list_view.as_view(), name=f"{name}_list"),
        path(f"{prefix}add/", edit.as_view(), name=f"{name}_add"),
        path(f"{prefix}<int:pk>/", detail.as_view(), name=f"{name}_detail"),
        path(f"{prefix}<int:pk>/edit/", edit.as_view(), name=f"{name}_edit"),
        path(f"{prefix}<int:pk>/delete/", delete.as_view(), name=f"{name}_delete"),
        path(f"{prefix}<int:pk>/history/", history.as_view(), name=f"{name}_history"),
    ]


urlpatterns = [
    *crud(
        "",
        "estate",
        views.EstateListView,
        views.EstateDetailView,
        views.EstateHistoryView,
        views.EstateEditView,
        views.EstateDeleteView,
    ),
    path("buildings/export/", views.BuildingExportView.as_view(), name="building_export"),
    *crud(
        "buildings/",
        "building",
        views.BuildingListView,
        views.BuildingDetailView,
        views.BuildingHistoryView,
        views.BuildingEditView,
        views.BuildingDeleteView,
    ),
    *crud(
        "entrances/",
        "entrance",
        views.EntranceListView,
        views.EntranceDetailView,
        views.EntranceHistoryView,
        views.EntranceEditView,
        views.EntranceDeleteView,
    ),
    path("units/import/", views.UnitImportView.as_view(), name="unit_import"),
    path("units/export/", views.UnitExportView.as_view(), name="unit_export"),
    path("units/parents/", views.unit_parent_choices, name="unit_parent_choices"),
    *crud(
        "units/",
        "unit",
        views.UnitListView,
        views.UnitDetailView,
        views.UnitHistoryView,
        views.UnitEditView,
        views.UnitDeleteView,
    ),
]
