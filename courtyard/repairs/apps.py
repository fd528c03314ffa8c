from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepairsConfig(AppConfig):
    name = "courtyard.repairs"
    label = "repairs"
    verbose_name = _("Repairs")

    def ready(self):
        from courtyard.core import modules

        from . import parameters  # noqa: F401  (registers the SLA parameters)

        modules.attach("repairs", app_label="repairs")
