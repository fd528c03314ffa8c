"""Staff pages of the repairs module."""

from django.urls import path

from . import views
from .statistics import views as stats_views

app_name = "repairs"

urlpatterns = [
    path("", views.WorkOrderListView.as_view(), name="workorder_list"),
    path("pending/", views.PendingListView.as_view(), name="pending"),
    path("mine/", views.my_work_orders, name="my_work_orders"),
    path("add/", views.WorkOrderCreateView.as_view(), name="workorder_add"),
    path("add/unit-picker/", views.unit_picker, name="unit_picker"),
    path("export/", views.WorkOrderExportView.as_view(), name="workorder_export"),
    path("<int:pk>/", views.WorkOrderDetailView.as_view(), name="workorder_detail"),
    path("<int:pk>/history/", views.WorkOrderHistoryView.as_view(), name="workorder_history"),
    path("<int:pk>/accept/", views.workorder_accept, name="workorder_accept"),
    path("<int:pk>/dispatch/", views.workorder_dispatch, name="workorder_dispatch"),
    path("<int:pk>/start/", views.workorder_start, name="workorder_start"),
    path("<int:pk>/follow-up/", views.workorder_follow_up, name="workorder_follow_up"),
    path("<int:pk>/complete/", views.workorder_complete, name="workorder_complete"),
    path("<int:pk>/close/", views.workorder_close, name="workorder_close"),
    path("<int:pk>/cancel/", views.workorder_cancel, name="workorder_cancel"),
    path("<int:pk>/reopen/", views.workorder_reopen, name="workorder_reopen"),
    path("<int:pk>/reveal-phone/", views.workorder_reveal_phone, name="workorder_reveal_phone"),
    path("statistics/", stats_views.statistics_page, name="statistics"),
    path("categories/", views.RepairCategoryListView.as_view(), name="repaircategory_list"),
    path("categories/add/", views.RepairCategoryEditView.as_view(), name="repaircategory_add"),
    path(
        "categories/<int:pk>/",
        views.RepairCategoryDetailView.as_view(),
        name="repaircategory_detail",
    ),
    path(
        "categories/<int:pk>/edit/",
        views.RepairCategoryEditView.as_view(),
        name="repaircategory_edit",
    ),
    path(
        "categories/<int:pk>/history/",
        views.RepairCategoryHistoryView.as_view(),
        name="repaircategory_history",
    ),
    path("technicians/", views.TechnicianListView.as_view(), name="technicianskill_list"),
    path(
        "technicians/<int:pk>/skills/",
        views.TechnicianSkillEditView.as_view(),
        name="technicianskill_edit",
    ),
]
