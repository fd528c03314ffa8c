from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "courtyard.notices"
    label = "notices"
    verbose_name = _("Announcements")

    def ready(self):
        from courtyard.core import modules

        modules.attach("notices", app_label="notices")
