"""Staff pages of the notices module (公告管理)."""

from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("", views.NoticeListView.as_view(), name="notice_list"),
    path("add/", views.NoticeFormView.as_view(), name="notice_add"),
    path("audience/", views.audience_picker, name="audience_picker"),
    path("<int:pk>/", views.NoticeDetailView.as_view(), name="notice_detail"),
    path("<int:pk>/history/", views.NoticeHistoryView.as_view(), name="notice_history"),
    path("<int:pk>/edit/", views.NoticeFormView.as_view(), name="notice_edit"),
    path("<int:pk>/images/", views.notice_image, name="notice_image"),
    path("<int:pk>/delete/", views.NoticeDeleteView.as_view(), name="notice_delete"),
    path("<int:pk>/submit/", views.notice_submit, name="notice_submit"),
    path("<int:pk>/approve/", views.notice_approve, name="notice_approve"),
    path("<int:pk>/reject/", views.notice_reject, name="notice_reject"),
    path("<int:pk>/publish/", views.notice_publish, name="notice_publish"),
    path("<int:pk>/withdraw/", views.notice_withdraw, name="notice_withdraw"),
    path("<int:pk>/unread/", views.notice_unread, name="notice_unread"),
    path("<int:pk>/unread/export/", views.notice_unread_export, name="notice_unread_export"),
    path("<int:pk>/comments/", views.notice_comments, name="notice_comments"),
    path("comments/<int:pk>/hide/", views.comment_hide, name="comment_hide"),
    path("comments/<int:pk>/reply/", views.comment_reply, name="comment_reply"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/add/", views.template_add, name="template_add"),
    path("templates/<int:pk>/edit/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
]
