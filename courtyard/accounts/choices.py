from django.db import models
from django.utils.translation import gettext_lazy as _


class UserKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    RESIDENT = "resident", _("Resident")


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Sign-in failed")
    LOCKED = "locked", _("Account locked")
    UNLOCKED = "unlocked", _("Account unlocked")
    LOGOUT = "logout", _("Signed out")
    TIMED_OUT = "timed_out", _("Session timed out")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset")
    PASSWORD_SET_BY_ADMIN = "password_set_by_admin", _("Password set by an administrator")
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere", _("Signed out everywhere")
    OTP_FAILED = "otp_failed", _("Second factor failed")
    OTP_ENROLLED = "otp_enrolled", _("Second factor set up")
    API_LOGIN = "api_login", _("API token issued")
    INVITED = "invited", _("Invited to the resident portal")
    ACTIVATED = "activated", _("Resident portal account activated")


class CodePurpose(models.TextChoices):
    PASSWORD_RESET = "password_reset", _("Password reset")
    SIGN_IN = "sign_in", _("Sign-in")
    ACTIVATION = "activation", _("Account activation")


class ScopeKind(models.TextChoices):
    ALL = "all", _("All estates")
    ESTATES = "estates", _("Chosen estates")
    BUILDINGS = "buildings", _("Chosen buildings")
