"""Typed system parameters that modules register and administrators edit on one page.

A module registers its parameters when it loads (from its ``apps.ready``)::

    register("security.idle_timeout_minutes", kind=INT, default=30, group=_("Security"),
             label=_("Idle session timeout (minutes)"), minimum=1)

and reads them with ``get("security.idle_timeout_minutes")``. Values live in
``ParameterValue``, are cached, and are validated by kind when set.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

INT, DECIMAL, BOOL, TEXT, DATETIME = "int", "decimal", "bool", "text", "datetime"
CACHE_KEY = "courtyard:parameters"


@dataclass(frozen=True)
class Parameter:
    key: str
    kind: str
    default: object
    label: str
    group: str
    help_text: str = ""
    minimum: object = None
    maximum: object = None

    def clean(self, raw):
        """Turn a submitted value into the stored (JSON-safe) form, or raise ValidationError."""
        if self.kind == BOOL:
            return raw in (True, "on", "true", "1", 1)
        if raw in (None, ""):
            if self.kind in (TEXT, DATETIME):
                return ""
            raise ValidationError(_("This value is required."), code="required")
        if self.kind == INT:
            try:
                value = int(str(raw).strip())
            except ValueError:
                raise ValidationError(_("Enter a whole number."), code="invalid")
        elif self.kind == DECIMAL:
            try:
                value = Decimal(str(raw).strip())
            except InvalidOperation:
                raise ValidationError(_("Enter a number."), code="invalid")
            if not value.is_finite():  # "NaN" and "Infinity" parse, but are no amount
                raise ValidationError(_("Enter a number."), code="invalid")
        elif self.kind == DATETIME:
            try:
                parsed = parse_datetime(str(raw))
            except ValueError:  # well-formed but impossible, e.g. 2026-02-30
                parsed = None
            if parsed is None:
                raise ValidationError(_("Enter a valid date and time."), code="invalid")
            return str(raw)
        else:
            return str(raw).strip()
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(
                _("Ensure this value is at least %(min)s."),
                code="min",
                params={"min": self.minimum},
            )
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(
                _("Ensure this value is at most %(max)s."), code="max", params={"max": self.maximum}
            )
        return str(value) if self.kind == DECIMAL else value

    def load(self, stored):
        if self.kind == DECIMAL:
            return Decimal(str(stored))
        return stored


_registry: dict[str, Parameter] = {}


def register(key, *, kind, default, label, group, help_text="", minimum=None, maximum=None):
    _registry[key] = Parameter(key, kind, default, label, group, help_text, minimum, maximum)


def registered():
    return list(_registry.values())


def definition(key):
    return _registry[key]


def _stored_values():
    values = cache.get(CACHE_KEY)
    if values is None:
        from .models import ParameterValue

        values = dict(ParameterValue.objects.values_list("key", "value"))
        cache.set(CACHE_KEY, values, 300)
    return values


def get(key):
    param = _registry[key]
    stored = _stored_values()
    return param.load(stored[key]) if key in stored else param.default


def set_value(key, raw, user=None):
    """Validate and store one parameter (raises ValidationError); the service behind the page."""
    from .models import ParameterValue

    param = _registry[key]
    value = param.clean(raw)
    with transaction.atomic():
        ParameterValue.objects.update_or_create(
            key=key, defaults={"value": value, "updated_by": user}
        )
        # Forget the cached values now (the writer reads its own write) and again after
        # commit (another process may have cached the old values in between).
        cache.delete(CACHE_KEY)
        transaction.on_commit(lambda: cache.delete(CACHE_KEY))
    return param.load(value)


register(
    "security.idle_timeout_minutes",
    kind=INT,
    default=30,
    minimum=1,
    maximum=24 * 60,
    label=_("Idle session timeout (minutes)"),
    group=_("Security"),
    help_text=_("Signed-in users who do nothing for this long are signed out."),
)
register(
    "security.require_two_factor",
    kind=BOOL,
    default=False,
    label=_("Require a second factor for every staff account"),
    group=_("Security"),
    help_text=_("When on, every staff member must set up a one-time code at sign-in."),
)
register(
    "security.code_ttl_minutes",
    kind=INT,
    default=10,
    minimum=1,
    maximum=60,
    label=_("One-time code validity (minutes)"),
    group=_("Security"),
)
