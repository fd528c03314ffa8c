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

        from courtyard.core import messaging

        from .tasks import BREACH_PURPOSE

        messaging.register_purposes(
            {
                "repair_accepted": _("Repair request accepted"),
                "repair_dispatched": _("Technician on the way"),
                "repair_completed": _("Repair completed"),
                "repair_cancelled": _("Repair request cancelled"),
                "repair_reopened": _("Repair reopened"),
                "repair_dispatched_to_you": _("Work order assigned to you"),
                BREACH_PURPOSE: _("Repair deadlines missed"),
                # Sent one by one before the digest; older outboxes hold them.
                "repair_response_breach": _("Repair not accepted in time"),
                "repair_resolution_breach": _("Repair not completed in time"),
            }
        )

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
