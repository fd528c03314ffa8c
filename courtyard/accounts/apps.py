from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "courtyard.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from courtyard.core import messaging, modules, privacy
        from courtyard.core.modules import NavItem

        from . import selectors, signals  # noqa: F401  (security events, default roles)
        from .models import User

        privacy.declare_phones(User, "phone", full_to=selectors.sees_full_phone_of)
        messaging.register_purposes(
            {
                "sign_in_code": _("Sign-in code"),
                "password_reset": _("Password reset code"),
                "portal_invitation": _("Portal invitation"),
                "portal_sign_in": _("Portal sign-in code"),
            }
        )

        modules.attach(
            "system",
            app_label="accounts",
            nav=[
                NavItem(_("Users"), "accounts:user_list", "accounts.view_user"),
                NavItem(_("Roles"), "accounts:role_list", "accounts.view_role"),
                NavItem(_("Departments"), "accounts:department_list", "accounts.view_department"),
            ],
        )
