"""The seed's modules: they group the navigation and the role permission matrix.

The modules themselves are fixed here; each app attaches its Django app label (whose
permissions then appear in that module's part of the matrix) and its navigation entries.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass
class NavItem:
    label: str
    url_name: str
    permission: str | None = None  # None: any signed-in staff member
    superuser_only: bool = False

    def visible_to(self, user):
        if self.superuser_only:
            return user.is_superuser
        return self.permission is None or user.has_perm(self.permission)


@dataclass
class Module:
    key: str
    label: str
    icon: str
    app_labels: list = field(default_factory=list)
    nav: list = field(default_factory=list)
    # Extra models of other apps shown in this module's matrix, as "app_label.model".
    models: list = field(default_factory=list)


MODULES = {
    m.key: m
    for m in [
        Module("residents", _("Residents"), "ti-users"),
        Module("repairs", _("Repairs"), "ti-tool"),
        Module("billing", _("Fees and payments"), "ti-receipt"),
        Module("notices", _("Announcements"), "ti-speakerphone"),
        Module("facilities", _("Facilities"), "ti-building-factory"),
        Module("analytics", _("Data analysis"), "ti-chart-bar"),
        Module("system", _("System settings"), "ti-settings"),
    ]
}


def attach(module_key, app_label=None, nav=(), models=()):
    module = MODULES[module_key]
    if app_label and app_label not in module.app_labels:
        module.app_labels.append(app_label)
    for item in nav:
        if all(existing.url_name != item.url_name for existing in module.nav):
            module.nav.append(item)
    for model in models:
        if model not in module.models:
            module.models.append(model)


def navigation_for(user):
    """The modules and entries this user may see, for the left navigation."""
    result = []
    for module in MODULES.values():
        items = [item for item in module.nav if item.visible_to(user)]
        if items:
            result.append((module, items))
    return result
