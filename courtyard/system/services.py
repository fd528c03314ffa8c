"""System actions: switch maintenance mode, save the system parameters and message templates.

Each takes the acting user first (None for the command line), checks permission and an
all-estates data scope (these settings are company-wide), validates, and writes in one
transaction; the audit trail records who changed what from what to what.
"""

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core import message_templates, parameters
from courtyard.core.scoping import require_company_wide
from courtyard.core.timeline import record_event

from .models import MaintenanceWindow
from .selectors import forget_maintenance_state


def _require(actor, permission):
    """The permission, and a data scope over all estates: what is set here applies to every
    estate. The command line (no actor) may do anything."""
    if actor is None:
        return
    if not actor.has_perm(permission):
        raise PermissionDenied
    require_company_wide(actor)


def switch_maintenance(actor, *, on, until=None, message=""):
    """Turn maintenance mode on (with an expected end and a message) or off."""
    _require(actor, "system.change_maintenance")
    if on and until is not None and until <= timezone.now():
        raise ValidationError({"until": _("The expected end must lie in the future.")})
    with transaction.atomic():
        window, _created = MaintenanceWindow.objects.select_for_update().get_or_create(
            pk=MaintenanceWindow.SINGLETON_PK
        )
        window.is_on = on
        window.until = until if on else None
        window.message = (message or "").strip() if on else ""
        window.changed_by = actor
        window.save()
        record_event(
            window,
            actor,
            "maintenance_on" if on else "maintenance_off",
            _("Maintenance mode switched on") if on else _("Maintenance mode switched off"),
            until=window.until.isoformat() if window.until else None,
        )
        # Forget now (this process reads its own write) and again after commit (another
        # process may have cached the old state in between).
        forget_maintenance_state()
        transaction.on_commit(forget_maintenance_state)
    return window


def save_parameters(actor, raw_values):
    """Store every changed parameter of ``raw_values`` (key → submitted value), or none.

    Each value is validated by ``parameters.set_value``; the errors of all fields are raised
    together as one ValidationError keyed by parameter key, and nothing is saved.
    """
    _require(actor, "system.change_parameters")
    errors, changed = {}, []
    with transaction.atomic():
        for key, raw in raw_values.items():
            param = parameters.definition(key)
            try:
                value = param.load(param.clean(raw))
                if value == parameters.get(key):
                    continue
                parameters.set_value(key, raw, actor)
            except ValidationError as exc:
                errors[key] = exc.messages
                continue
            changed.append(key)
        if errors:
            # Leaving the block rolls every change back; a value read after a rolled-back
            # write (another key's check above) may have refilled the cache: forget it.
            cache.delete(parameters.CACHE_KEY)
            raise ValidationError(errors)
    return changed


def save_message_template(actor, key, *, subject, body):
    """Store an administrator's wording of a registered message; returns whether it changed.

    Raises ValidationError keyed by "subject"/"body" for unknown variables, malformed braces
    or an empty text, and KeyError for a key nobody registered.
    """
    _require(actor, "core.change_messagetemplate")
    return message_templates.save(key, subject=subject, body=body, user=actor)


def restore_message_template(actor, key):
    """Go back to the registered default text; returns whether there was another one."""
    _require(actor, "core.change_messagetemplate")
    return message_templates.restore_default(key, user=actor)
