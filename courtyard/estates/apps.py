from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EstatesConfig(AppConfig):
    name = "courtyard.estates"
    label = "estates"
    verbose_name = _("Property register")

    def ready(self):
        from courtyard.core import modules
        from courtyard.core.modules import NavItem

        modules.attach(
            "residents",
            app_label="estates",
            nav=[
                NavItem(_("Units"), "estates:unit_list", "estates.view_unit"),
                NavItem(_("Buildings"), "estates:building_list", "estates.view_building"),
                NavItem(_("Estates"), "estates:estate_list", "estates.view_estate"),
            ],
        )
