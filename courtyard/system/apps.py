from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SystemConfig(AppConfig):
    name = "courtyard.system"
    label = "system"
    verbose_name = _("System settings")

    def ready(self):
        from courtyard.accounts.services import register_sign_in_check
        from courtyard.core import modules
        from courtyard.core.modules import NavItem

        from .selectors import sign_in_refusal

        register_sign_in_check(sign_in_refusal)

        modules.attach(
            "system",
            app_label="system",
            nav=[
                NavItem(_("Parameters"), "system:parameters", "system.change_parameters"),
                NavItem(
                    _("Message templates"),
                    "system:message_templates",
                    "core.change_messagetemplate",
                ),
                NavItem(_("Maintenance mode"), "system:maintenance", "system.change_maintenance"),
                NavItem(_("Audit log"), "system:audit_log", "system.view_audit_log"),
                NavItem(_("Messages"), "system:message_list", "core.view_message"),
            ],
            models=["core.message", "core.messagetemplate"],
        )
