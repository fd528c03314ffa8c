from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "courtyard.billing"
    label = "billing"
    verbose_name = _("Fees and payments")

    def ready(self):
        from courtyard.core import modules

        from . import message_texts, parameters, wiring  # noqa: F401  (register texts and parameters)
        from .urls import PARTS

        wiring.install()  # the residents and repairs hooks, the portal's payment text

        modules.attach(
            "billing", app_label="billing", nav=[item for part in PARTS for item in part.NAV]
        )
