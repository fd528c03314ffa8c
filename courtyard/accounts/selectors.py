"""Reads for the administration of accounts: users, roles, departments, scopes."""

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from courtyard.core.scoping import get_for_action, restrict, scope_q, user_scope

from .models import Department, Role, ScopeGrant, SecurityEvent, User


def users_for(viewer):
    """Staff accounts the viewer may see (resident accounts are listed with the residents)."""
    queryset = (
        User.objects.staff()
        .select_related("department")
        .prefetch_related("groups")
        .order_by("username")
    )
    return restrict(queryset, viewer, "view")


def user_for_action(actor, pk, action):
    """One staff account the actor may ``action`` (view, change, unlock, reset_password)."""
    return get_for_action(User.objects.staff().select_related("department"), actor, action, pk=pk)


def roles_for(viewer):
    queryset = Role.objects.select_related("group").annotate(
        member_count=Count("group__user", distinct=True)
    )
    return restrict(queryset, viewer, "view")


def departments_for(viewer):
    queryset = Department.objects.annotate(member_count=Count("members", distinct=True))
    return restrict(queryset, viewer, "view")


def roles_of(user):
    return Role.objects.filter(group__user=user).select_related("group").order_by("group__name")


def permanent_grants(user):
    """The scope grants an administrator sets on the user page (not temporary access)."""
    return ScopeGrant.objects.filter(user=user, expires_at__isnull=True).prefetch_related(
        "estates", "buildings__estate"
    )


def temporary_grants(user):
    return (
        ScopeGrant.objects.filter(user=user, expires_at__gt=timezone.now())
        .prefetch_related("estates", "buildings__estate")
        .order_by("expires_at")
    )


def security_events_of(user, limit=50):
    return SecurityEvent.objects.filter(
        Q(user=user) | Q(user__isnull=True, username=user.username)
    ).select_related("actor")[:limit]


def is_locked(user):
    """True while django-axes counts enough recent failures for the username."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(
        username=user.username, attempt_time__gte=since
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return (failures or 0) >= settings.AXES_FAILURE_LIMIT


def grantable_estates(actor):
    """The estates an administrator may put into someone's data scope: those in their own."""
    scope = user_scope(actor)
    queryset = _scope_target("estates").objects.order_by("name")
    # A building grant does not make its whole estate grantable.
    return queryset if scope.all_estates else queryset.filter(pk__in=scope.estate_ids)


def grantable_buildings(actor):
    Building = _scope_target("buildings")
    q = scope_q(Building, user_scope(actor))
    queryset = Building.objects.select_related("estate").order_by("estate__name", "name")
    return queryset if q is None else queryset.filter(q)


def sees_full_phone_of(viewer, user):
    """One's own phone, and staff phones to those who administer accounts."""
    return viewer.pk == user.pk or (
        not user.is_resident and viewer.has_perm("accounts.change_user")
    )


def _scope_target(field):
    """The estate or building model a scope grant points at; accounts sits below estates and
    reaches them through the grant's relations rather than by import."""
    return ScopeGrant._meta.get_field(field).related_model
