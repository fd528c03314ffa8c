"""System settings: the maintenance switch, which also carries the system permissions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from courtyard.core.audit import AuditedMixin, register


class MaintenanceWindow(AuditedMixin, models.Model):
    """The one row (pk 1) saying whether the system is in maintenance, until when, and why.

    It also holds the permissions of the system pages, so they are real ``auth.Permission``
    rows of app label ``system`` and appear in the role matrix.
    """

    SINGLETON_PK = 1

    is_on = models.BooleanField(_("maintenance mode on"), default=False)
    until = models.DateTimeField(_("expected end"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("maintenance mode")
        # The row of the permission matrix that holds the system pages' permissions.
        verbose_name_plural = _("system pages")
        default_permissions = ()
        permissions = [
            ("change_parameters", _("Can change system parameters")),
            ("change_maintenance", _("Can switch maintenance mode")),
            ("view_audit_log", _("Can view the audit log")),
        ]

    def __str__(self):
        return str(_("Maintenance mode"))


# The change time is the log entry's own timestamp; logging it as a change is noise.
register(MaintenanceWindow, exclude_fields=["changed_at"])
