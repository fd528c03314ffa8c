"""The one queryset gate: function permission plus data scope.

Every list, detail, export, report, API handler and task gets its rows through
``restrict(queryset, user, action)``. A model takes part by naming, on the model class,
the lookups from itself to its estate and to its building::

    scope_estate_lookup = "building__estate"
    scope_building_lookup = "building"

A user's data scope comes from ``user.get_scope()`` (accounts.ScopeGrant), so this module
stays free of any module above core.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
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
    return q


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
