from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "courtyard.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.core import checks
        from django.db.models.signals import pre_save

        from . import parameters  # noqa: F401  (registers the core parameters)
        from .modules import NavItem, attach
        from .money import check_decimal_columns
        from .scoping import check_scope_declarations

        attach(
            "system",
            nav=[NavItem(_("Approval flows"), "core:approval_flows", "core.change_approvalflow")],
            models=["core.approvalflow", "core.approvalrequest"],
        )
        # Every model's decimals must fit their columns, whichever service saves them.
        pre_save.connect(check_decimal_columns, dispatch_uid="core.check_decimal_columns")
        # A model at an estate, building or unit that says nothing of its scope fails closed.
        checks.register(check_scope_declarations, checks.Tags.models)
