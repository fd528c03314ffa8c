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

        from courtyard.core import privacy

        from . import selectors
        from .models import WorkOrder

        privacy.declare_phones(WorkOrder, "contact_phone", full_to=selectors.sees_contact_phone)

        # Staff pages: nav entries, the export job handler and the home card.
        from courtyard.core import home
        from courtyard.core.modules import NavItem

        from . import jobs, views  # noqa: F401  (jobs registers the export handler)

        modules.attach(
            "repairs",
            nav=[
                NavItem(_("Pending repairs"), "repairs:pending", "repairs.view_workorder"),
                NavItem(_("Work orders"), "repairs:workorder_list", "repairs.view_workorder"),
                NavItem(
                    _("My work orders"), "repairs:my_work_orders", "repairs.complete_workorder"
                ),
                NavItem(
                    _("Repair statistics"), "repairs:statistics", "repairs.view_repair_statistics"
                ),
                NavItem(
                    _("Repair categories"),
                    "repairs:repaircategory_list",
                    "repairs.view_repaircategory",
                ),
                NavItem(
                    _("Technicians' skills"),
                    "repairs:technicianskill_list",
                    "repairs.view_technicianskill",
                ),
            ],
        )
        home.register_card(views.repairs_card)
