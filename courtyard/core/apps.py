from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "courtyard.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import parameters  # noqa: F401  (registers the core parameters)
        from .modules import NavItem, attach

        attach(
            "system",
            nav=[NavItem(_("Approval flows"), "core:approval_flows", "core.change_approvalflow")],
            models=["core.approvalflow", "core.approvalrequest"],
        )
