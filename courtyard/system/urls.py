from django.urls import path

from . import views

app_name = "system"
urlpatterns = [
    path("parameters/", views.parameters, name="parameters"),
    path("message-templates/", views.message_template_list, name="message_templates"),
    path(
        "message-templates/preview/",
        views.message_template_preview,
        name="message_template_preview",
    ),
    path("maintenance/", views.maintenance, name="maintenance"),
    path("audit-log/", views.audit_log, name="audit_log"),
    path("messages/", views.message_list, name="message_list"),
    path("messages/<int:pk>/", views.message_detail, name="message_detail"),
    path("messages/<int:pk>/retry/", views.message_retry, name="message_retry"),
]
