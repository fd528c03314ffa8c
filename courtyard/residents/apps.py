from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "courtyard.residents"
    label = "residents"
    verbose_name = _("Residents")

    def ready(self):
        from courtyard.core import home, modules, privacy
        from courtyard.core.approvals import services as approvals
        from courtyard.core.modules import NavItem

        from . import jobs, selectors, services, views  # noqa: F401  (jobs registers its handlers)
        from .models import Resident

        privacy.declare_phones(
            Resident, "phone", "emergency_phone", full_to=selectors.sees_own_phones
        )

        modules.attach(
            "residents",
            app_label="residents",
            nav=[
                NavItem(_("Resident list"), "residents:resident_list", "residents.view_resident"),
                NavItem(
                    _("Registrations"),
                    "residents:registration_list",
                    "residents.view_registration",
                ),
                NavItem(
                    _("History residents"),
                    "residents:resident_history_list",
                    "residents.view_resident",
                ),
            ],
        )
        # The people first: the register's entries (units, buildings) follow.
        module = modules.MODULES["residents"]
        mine = [item for item in module.nav if item.url_name.startswith("residents:")]
        module.nav[:] = mine + [item for item in module.nav if item not in mine]
        approvals.register_kind(
            services.APPROVAL_KIND,
            label=_("Resident registration"),
            on_approved=services.on_approved,
            on_rejected=services.on_rejected,
        )
        home.register_card(views.residents_card)
