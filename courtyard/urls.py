"""URL map: each module's pages under its own prefix, the API under /api/v1/."""

from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from courtyard.core.access import PUBLIC, access
from courtyard.system.views import maintenance_notice

from .api import api

urlpatterns = [
    path("", include("courtyard.core.urls")),
    path("accounts/", include("courtyard.accounts.urls")),
    path("estates/", include("courtyard.estates.urls")),
    path("residents/", include("courtyard.residents.urls")),
    path("repairs/", include("courtyard.repairs.urls")),
    path("billing/", include("courtyard.billing.urls")),
    path("notices/", include("courtyard.notices.urls")),
    path("system/", include("courtyard.system.urls")),
    path("portal/", include("courtyard.portal.urls")),
    path("maintenance/", maintenance_notice, name="maintenance_notice"),
    path("i18n/setlang/", access(PUBLIC)(set_language), name="set_language"),
    path("i18n/catalog.js", access(PUBLIC)(JavaScriptCatalog.as_view()), name="javascript_catalog"),
    path("api/v1/", api.urls),
]

handler403 = "courtyard.core.views.permission_denied"
handler404 = "courtyard.core.views.not_found"
handler500 = "courtyard.core.views.server_error"
