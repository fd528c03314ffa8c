from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EstatesConfig(AppConfig):
    name = "courtyard.estates"
    label = "estates"
    verbose_name = _("Property register")

    def ready(self):
        from courtyard.core import home, modules
        from courtyard.core.modules import NavItem

        from . import jobs, views  # noqa: F401  (jobs registers the import/export handlers)

        modules.attach(
            "residents",
            app_label="estates",
            nav=[
                NavItem(_("Units"), "estates:unit_list", "estates.view_unit"),
                NavItem(_("Buildings"), "estates:building_list", "estates.view_building"),
                NavItem(_("Estates"), "estates:estate_list", "estates.view_estate"),
            ],
        )
        home.register_card(views.register_card)
