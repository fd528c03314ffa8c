from django.urls import path

from . import views

app_name = "residents"

urlpatterns = [
    path("", views.ResidentListView.as_view(), name="resident_list"),
    path("add/", views.RegistrationFormView.as_view(), name="resident_add"),
    path("add/unit-picker/", views.unit_picker, name="unit_picker"),
    path("history/", views.HistoryResidentListView.as_view(), name="resident_history_list"),
    path("import/", views.ResidentImportView.as_view(), name="resident_import"),
    path("export/", views.ResidentExportView.as_view(), name="resident_export"),
    path("<int:pk>/", views.ResidentDetailView.as_view(), name="resident_detail"),
    path("<int:pk>/edit/", views.ResidentEditView.as_view(), name="resident_edit"),
    path("<int:pk>/core/", views.ResidentCoreEditView.as_view(), name="resident_core"),
    path("<int:pk>/delete/", views.ResidentArchiveView.as_view(), name="resident_delete"),
    path("<int:pk>/history/", views.ResidentHistoryView.as_view(), name="resident_history"),
    path("<int:pk>/invite/", views.resident_invite, name="resident_invite"),
    path("<int:pk>/members/", views.member_add, name="member_add"),
    path("<int:pk>/vehicles/", views.vehicle_add, name="vehicle_add"),
    path("vehicles/<int:pk>/delete/", views.vehicle_delete, name="vehicle_delete"),
    path("occupancies/<int:pk>/move-out/", views.occupancy_move_out, name="occupancy_move_out"),
    path("occupancies/<int:pk>/core/", views.occupancy_core, name="occupancy_core"),
    path("registrations/", views.RegistrationListView.as_view(), name="registration_list"),
    path("registrations/add/", views.RegistrationFormView.as_view(), name="registration_add"),
    path(
        "registrations/<int:pk>/",
        views.RegistrationDetailView.as_view(),
        name="registration_detail",
    ),
    path(
        "registrations/<int:pk>/resubmit/",
        views.RegistrationFormView.as_view(),
        name="registration_resubmit",
    ),
    path(
        "registrations/<int:pk>/history/",
        views.RegistrationHistoryView.as_view(),
        name="registration_history",
    ),
]
