from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("estate-filter/", views.set_estate, name="set_estate"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
    path("files/<int:pk>/", views.attachment_download, name="attachment"),
]

# The approval engine's pages (core.approvals).
from .approvals import views as approval_views  # noqa: E402

urlpatterns += [
    path("approvals/", approval_views.approval_inbox, name="approval_inbox"),
    path("approvals/<int:pk>/", approval_views.approval_detail, name="approval_detail"),
    path("approvals/<int:pk>/approve/", approval_views.approval_approve, name="approval_approve"),
    path("approvals/<int:pk>/reject/", approval_views.approval_reject, name="approval_reject"),
    path("approvals/flows/", approval_views.flow_list, name="approval_flows"),
    path("approvals/flows/<str:kind>/", approval_views.flow_edit, name="approval_flow"),
    path(
        "approvals/flows/<str:kind>/estates/",
        approval_views.flow_add_estate,
        name="approval_flow_add_estate",
    ),
    path(
        "approvals/flows/<str:kind>/estates/<int:estate_id>/",
        approval_views.flow_edit,
        name="approval_flow_estate",
    ),
    path(
        "approvals/flows/<str:kind>/estates/<int:estate_id>/delete/",
        approval_views.flow_delete_estate,
        name="approval_flow_delete_estate",
    ),
]
