"""The one queryset gate: function permission plus data scope.

Every list, detail, export, report, API handler and task gets its rows through
``restrict(queryset, user, action)``. A model takes part by naming, on the model class,
the lookups from itself to its estate and to its building::

    scope_estate_lookup = "building__estate"
    scope_building_lookup = "building"

or by a ``scope_q(cls, scope)`` classmethod. Rows without an estate that apply to every
estate (a default rate, the default approval flow) are in every scope when the model also
says ``scope_shared_without_estate = True``.

The gate fails closed: a model that points at a place of the data scope (an estate, a
building, an entrance or a unit: ``COURTYARD_SCOPE_PLACES``) and says none of this is an
error (the system check ``core.E001``, and ImproperlyConfigured at its first restriction),
unless it says why its rows need no scope::

    scope_exempt = "A counter of work-order numbers, never listed."

A user's data scope comes from ``user.get_scope()`` (accounts.ScopeGrant), so this module
stays free of any module above core.
"""

from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

STANDARD_ACTIONS = ("view", "add", "change", "delete")


@dataclass(frozen=True)
class Scope:
    """Which estates and buildings a user's data is limited to."""

    all_estates: bool = False
    estate_ids: frozenset = field(default_factory=frozenset)
    building_ids: frozenset = field(default_factory=frozenset)

    @property
    def is_empty(self):
        return not (self.all_estates or self.estate_ids or self.building_ids)

    def covers(self, estate_id, building_id=None):
        if self.all_estates or estate_id in self.estate_ids:
            return True
        return building_id is not None and building_id in self.building_ids


FULL_SCOPE = Scope(all_estates=True)
NO_SCOPE = Scope()


def permission_name(model, action):
    """``residents.view_resident`` for a standard action, ``repairs.dispatch_workorder`` else."""
    opts = model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


def user_scope(user):
    if not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    if user.is_superuser:
        return FULL_SCOPE
    cached = getattr(user, "_courtyard_scope", None)
    if cached is None:
        cached = user.get_scope()
        user._courtyard_scope = cached
    return cached


def scope_q(model, scope):
    """The Q that limits ``model`` rows to ``scope``; None means no limit."""
    require_scope_declaration(model)
    if scope.all_estates:
        return None
    custom = getattr(model, "scope_q", None)
    if custom is not None:
        return custom(scope)
    estate_lookup = getattr(model, "scope_estate_lookup", None)
    if estate_lookup is None:
        return None  # not an estate-scoped model: function permission alone decides
    q = Q(**{f"{estate_lookup}__in": scope.estate_ids})
    building_lookup = getattr(model, "scope_building_lookup", None)
    if building_lookup and scope.building_ids:
        q |= Q(**{f"{building_lookup}__in": scope.building_ids})
    if getattr(model, "scope_shared_without_estate", False):
        q |= Q(**{f"{estate_lookup}__isnull": True})
    return q


def declares_scope(model):
    """Whether ``model`` says how its rows are scoped, or why they need no scope."""
    return any(
        getattr(model, name, None) is not None
        for name in ("scope_q", "scope_estate_lookup", "scope_exempt")
    )


def scope_places():
    return tuple(apps.get_model(label) for label in settings.COURTYARD_SCOPE_PLACES)


def place_fields(model):
    """The fields by which ``model`` points at a place of the data scope."""
    places = scope_places()
    return [
        f.name
        for f in model._meta.get_fields()
        if f.concrete and f.is_relation and f.related_model in places
    ]


@cache
def undeclared_places(model):
    """The place fields of a model that declares no scope (an empty tuple when it is fine)."""
    return () if declares_scope(model) else tuple(place_fields(model))


def require_scope_declaration(model):
    """Refuse to restrict a model that points at an estate, building or unit but declares no
    scope: without a lookup, ``restrict`` would let every row through."""
    fields = undeclared_places(model)
    if fields:
        raise ImproperlyConfigured(scope_error_message(model, fields))


def scope_error_message(model, fields):
    return (
        f"{model._meta.label} points at a place of the data scope ({', '.join(fields)}) "
        "but declares no scope: give it scope_estate_lookup (and scope_building_lookup), a "
        "scope_q classmethod, or scope_exempt = <why its rows need no scope>."
    )


def check_scope_declarations(app_configs=None, models=None, **kwargs):
    """System check core.E001: every model at a place of the data scope declares its scope."""
    if models is None:
        configs = app_configs or apps.get_app_configs()
        models = [model for config in configs for model in config.get_models()]
    return [
        checks.Error(scope_error_message(model, fields), obj=model, id="core.E001")
        for model in models
        if (fields := undeclared_places(model))
    ]


def has_action(user, model, action):
    return user.is_authenticated and user.has_perm(permission_name(model, action))


def restrict(queryset, user, action="view"):
    """Rows of ``queryset`` the user may ``action``: none without the permission."""
    model = queryset.model
    if not has_action(user, model, action):
        return queryset.none()
    q = scope_q(model, user_scope(user))
    return queryset if q is None else queryset.filter(q)


def require_action(user, model, action):
    """Raise PermissionDenied (403) unless the user holds the function permission."""
    if not has_action(user, model, action):
        raise PermissionDenied


def may_change_company_wide(user):
    """Whether ``user`` may change what applies to every estate alike — charge items, message
    templates, parameters, maintenance mode, default approval flows, roles — or add an estate:
    only with a data scope over all estates, whatever their permissions."""
    return user_scope(user).all_estates


def require_company_wide(user, reason=None):
    """Raise PermissionDenied (403, with the reason shown) unless ``user`` may change
    company-wide settings; ``reason`` words the refusal where a page says more than that."""
    if not may_change_company_wide(user):
        raise PermissionDenied(
            reason
            or _("Only users whose data scope covers all estates may change company-wide settings.")
        )


def get_for_action(queryset, user, action, **lookup):
    """One object the user may act on: 403 without the permission, 404 outside scope."""
    require_action(user, queryset.model, action)
    try:
        return restrict(queryset, user, action).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404


def check_in_scope(user, obj):
    """After a write: the saved object must still lie in the user's scope (else 404 + rollback)."""
    q = scope_q(type(obj), user_scope(user))
    if q is not None and not type(obj)._base_manager.filter(q, pk=obj.pk).exists():
        raise Http404


def narrow_to_estate(queryset, estate_id):
    """Rows of one estate (the top bar's estate filter); a convenience, not a security gate."""
    if not estate_id:
        return queryset
    q = scope_q(queryset.model, Scope(estate_ids=frozenset({int(estate_id)})))
    return queryset if q is None else queryset.filter(q)
