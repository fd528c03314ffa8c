"""Administration of accounts: users, roles, departments and data scopes.

Every action takes the acting administrator first, checks the function permission (403
otherwise), validates (ValidationError, or StateConflict for a refused state change),
writes in one transaction and records a timeline event for the business history. Nobody
can hand out permissions or estates that they do not hold themselves.
"""

import re

from axes.utils import reset as reset_axes_attempts
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from courtyard.core.exceptions import InUse, StateConflict
from courtyard.core.scoping import require_action, require_company_wide, user_scope
from courtyard.core.timeline import record_event
from courtyard.core.versions import save_as_stored

from .. import roles as role_defs
from .. import selectors
from ..choices import ScopeKind, SecurityEventKind, UserKind
from ..models import Department, Role, ScopeGrant, User
from ..security import record_security_event
from ..services import end_sessions, set_password

PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")
USER_FIELDS = ("full_name", "department", "position", "phone", "email", "require_two_factor")


# -- users ----------------------------------------------------------------------------------
def create_user(
    actor,
    *,
    username,
    password,
    scope_kind=None,
    scope_estates=(),
    scope_buildings=(),
    roles=(),
    **fields,
):
    """A staff account with an initial password that must be changed at first sign-in, and
    a data scope (a ScopeKind, required: without one every list would be empty) within the
    creator's own; scope errors are keyed ``kind`` / ``estates`` / ``buildings`` as in
    ``set_user_scope``."""
    require_action(actor, User, "add")
    user = User(username=username.strip(), kind=UserKind.STAFF, must_change_password=True)
    _assign_fields(user, fields)
    errors = _collect_errors(user, exclude=["password"])
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors.setdefault("password", []).extend(error.messages)
    scope_estates, scope_buildings = list(scope_estates), list(scope_buildings)
    try:
        if scope_kind is None:
            raise ValidationError(
                {"kind": _("Choose a data scope: without one the user sees no records at all.")}
            )
        _check_scope_request(actor, scope_kind, scope_estates, scope_buildings)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user.set_unusable_password()
        user.save()
        set_password(actor, user, password, must_change=True)
        if roles:
            _change_roles(actor, user, roles)
        _grant_scope(actor, user, scope_kind, scope_estates, scope_buildings)
        record_event(
            user,
            actor,
            "created",
            _("Account created with the data scope “%(scope)s”.") % {"scope": describe_scope(user)},
        )
    return user


def update_user(actor, user, **fields):
    require_action(actor, User, "change")
    # The phone and email receive password-reset codes: changing them is a takeover.
    check_may_administer(actor, user)
    _assign_fields(user, fields)
    errors = _collect_errors(user, exclude=["password"])
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user.save()
    return user


def set_user_roles(actor, user, roles):
    """Replace the user's roles; the change is recorded on the user and on each role."""
    require_action(actor, User, "change")
    check_may_administer(actor, user)
    with transaction.atomic():
        _change_roles(actor, user, roles)
    return user


def set_user_scope(actor, user, kind, estates=(), buildings=()):
    """Replace the user's standing data scope (temporary grants are left to lapse).

    ``kind`` is a ScopeKind, or None for no data at all.
    """
    require_action(actor, User, "change")
    check_may_administer(actor, user)
    estates, buildings = list(estates), list(buildings)
    _check_scope_request(actor, kind, estates, buildings)
    before = describe_scope(user)
    with transaction.atomic():
        _grant_scope(actor, user, kind, estates, buildings)
        after = describe_scope(user)
        record_event(
            user,
            actor,
            "scope_changed",
            _("Data scope changed from “%(before)s” to “%(after)s”.")
            % {"before": before, "after": after},
            before=before,
            after=after,
        )
    return user


def _grant_scope(actor, user, kind, estates, buildings):
    """Replace the user's standing grants with one of ``kind`` (None: no data at all)."""
    ScopeGrant.objects.filter(user=user, expires_at__isnull=True).delete()
    if kind is not None:
        grant = ScopeGrant.objects.create(user=user, kind=kind, created_by=actor)
        if kind == ScopeKind.ESTATES:
            grant.estates.set(estates)
        elif kind == ScopeKind.BUILDINGS:
            grant.buildings.set(buildings)
    user.__dict__.pop("_courtyard_scope", None)


def deactivate_user(actor, user):
    require_action(actor, User, "change")
    if user.pk == actor.pk:
        raise StateConflict(_("You cannot deactivate your own account."), "own_account")
    check_may_administer(actor, user)
    if not user.is_active:
        raise StateConflict(_("This account is already deactivated."))
    with transaction.atomic():
        user.is_active = False
        save_as_stored(user, ["is_active"])
        end_sessions(user)
        record_event(user, actor, "deactivated", _("Account deactivated."))
    return user


def activate_user(actor, user):
    require_action(actor, User, "change")
    check_may_administer(actor, user)
    if user.is_active:
        raise StateConflict(_("This account is already active."))
    with transaction.atomic():
        user.is_active = True
        save_as_stored(user, ["is_active"])
        record_event(user, actor, "activated", _("Account activated."))
    return user


def unlock_user(actor, user):
    """Clear the failed sign-ins that lock the username, at once."""
    if not actor.has_perm("accounts.unlock_user"):
        raise PermissionDenied
    check_may_administer(actor, user)
    with transaction.atomic():
        cleared = reset_axes_attempts(username=user.username)
        record_security_event(SecurityEventKind.UNLOCKED, user=user, actor=actor)
        record_event(user, actor, "unlocked", _("Account unlocked."), cleared_attempts=cleared)
    return user


def reset_password(actor, user, password):
    """An administrator sets a new initial password; the user must change it at sign-in."""
    if not actor.has_perm("accounts.reset_password_user"):
        raise PermissionDenied
    if user.pk == actor.pk:
        raise StateConflict(
            _("Change your own password on the “Change password” page."), "own_account"
        )
    check_may_administer(actor, user)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages})
    with transaction.atomic():
        set_password(actor, user, password, must_change=True)
        record_event(user, actor, "password_reset", _("Password reset by an administrator."))
    return user


def sign_out_everywhere(actor, user):
    """End every session and API token of ``user`` (a lost phone, a colleague leaving a desk).

    Returns the number of API tokens revoked.
    """
    require_action(actor, User, "change")
    check_may_administer(actor, user)
    with transaction.atomic():
        revoked = end_sessions(user)
        record_security_event(SecurityEventKind.SIGNED_OUT_EVERYWHERE, user=user, actor=actor)
        record_event(
            user,
            actor,
            "signed_out_everywhere",
            _("Signed out everywhere; %(count)d API token(s) revoked.") % {"count": revoked},
        )
    return revoked


# -- who may administer whom ----------------------------------------------------------------
def check_may_administer(actor, user):
    """The one gate of user administration: raise PermissionDenied (403) with the reason
    unless ``actor`` may act on ``user``.

    Editing contact details (they receive reset codes), resetting the password, changing
    roles or scope, (de)activating, unlocking and signing out all pass through here. Each is
    a way to take over or shut out an account, so the user's function permissions and data
    scope must both lie within the actor's own: otherwise a user limited to one estate
    could take over an account that sees every estate.
    """
    refusal = administration_refusal(actor, user)
    if refusal:
        raise PermissionDenied(refusal)


def user_to_administer(actor, pk, action):
    """The staff account ``pk`` for an administration page: 404 outside what the actor may
    see, 403 with the reason when the actor may not administer it (before any form shows)."""
    user = selectors.user_for_action(actor, pk, action)
    check_may_administer(actor, user)
    return user


def may_administer(actor, user):
    return administration_refusal(actor, user) is None


def administration_refusal(actor, user):
    """Why ``actor`` may not administer ``user``, or None when they may."""
    if actor.is_superuser:
        return None
    if user.is_superuser or _standing_permissions(user) - actor.get_all_permissions():
        return _(
            "This user holds permissions that you do not have; ask an administrator with at "
            "least the same permissions."
        )
    if not _scope_within(user.get_scope(), actor):
        return _(
            "This user's data scope reaches beyond yours; ask an administrator who sees those "
            "estates."
        )
    return None


def _standing_permissions(user):
    """Every function permission the user holds, even while the account is deactivated
    (Django reports none for an inactive user, which would make a superior look harmless)."""
    permissions = Permission.objects.filter(Q(group__user=user) | Q(user=user)).values_list(
        "content_type__app_label", "codename"
    )
    return {f"{app_label}.{codename}" for app_label, codename in permissions}


def _scope_within(scope, actor):
    """True when every estate and building of ``scope`` lies in the actor's data scope."""
    own = user_scope(actor)
    if own.all_estates:
        return True
    if scope.all_estates or scope.estate_ids - own.estate_ids:
        return False
    if not scope.building_ids:
        return True
    covered = selectors.grantable_buildings(actor).filter(pk__in=scope.building_ids)
    return covered.count() == len(scope.building_ids)


def describe_scope(user):
    """A one-line description of the user's standing data scope."""
    grants = list(selectors.permanent_grants(user))
    if not grants:
        return _("No estates")
    parts = []
    for grant in grants:
        if grant.kind == ScopeKind.ALL:
            return str(ScopeKind.ALL.label)
        parts.extend(e.name for e in grant.estates.all())
        parts.extend(str(b) for b in grant.buildings.all())
    return _(", ").join(parts) or _("No estates")


def _assign_fields(user, fields):
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"unknown user fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(user, name, value.strip() if isinstance(value, str) else value)


def _collect_errors(user, exclude):
    errors = {}
    try:
        user.full_clean(exclude=exclude)
    except ValidationError as error:
        errors = {k: list(v) for k, v in error.message_dict.items()}
    if user.phone and not PHONE_RE.match(user.phone):
        errors.setdefault("phone", []).append(_("Enter a valid phone number."))
    return errors


def _change_roles(actor, user, roles):
    roles = list(roles)
    _require_holds(
        actor,
        Permission.objects.filter(group__role__in=roles).select_related("content_type"),
        "roles",
    )
    current = {role.pk: role for role in selectors.roles_of(user)}
    wanted = {role.pk: role for role in roles}
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    if not added and not removed:
        return
    user.groups.remove(*[role.group_id for role in removed])
    user.groups.add(*[role.group_id for role in added])
    added_names = sorted(role.name for role in added)
    removed_names = sorted(role.name for role in removed)
    record_event(
        user,
        actor,
        "roles_changed",
        _roles_message(added_names, removed_names),
        added=added_names,
        removed=removed_names,
    )
    for role in added:
        record_event(role, actor, "member_added", _("%(user)s added.") % {"user": user})
    for role in removed:
        record_event(role, actor, "member_removed", _("%(user)s removed.") % {"user": user})


def _roles_message(added, removed):
    parts = []
    if added:
        parts.append(_("Roles added: %(names)s.") % {"names": _(", ").join(added)})
    if removed:
        parts.append(_("Roles removed: %(names)s.") % {"names": _(", ").join(removed)})
    return " ".join(parts)


def _require_holds(actor, permissions, field):
    """Refuse to hand out function permissions the acting user does not hold."""
    if actor.is_superuser:
        return
    held = actor.get_all_permissions()
    missing = sorted({role_defs.full_name(p) for p in permissions} - held)
    if missing:
        raise ValidationError(
            {
                field: _("You cannot grant permissions you do not hold yourself: %(names)s.")
                % {"names": ", ".join(missing)}
            }
        )


def _check_scope_request(actor, kind, estates, buildings):
    if kind is None:
        return
    if kind == ScopeKind.ALL:
        if not user_scope(actor).all_estates:
            raise ValidationError(
                {"kind": _("Only an administrator who sees all estates can grant all estates.")}
            )
    elif kind == ScopeKind.ESTATES:
        if not estates:
            raise ValidationError({"estates": _("Choose at least one estate.")})
        allowed = set(selectors.grantable_estates(actor).values_list("pk", flat=True))
        if any(e.pk not in allowed for e in estates):
            raise ValidationError({"estates": _("You can only grant estates in your own scope.")})
    elif kind == ScopeKind.BUILDINGS:
        if not buildings:
            raise ValidationError({"buildings": _("Choose at least one building.")})
        allowed = set(selectors.grantable_buildings(actor).values_list("pk", flat=True))
        if any(b.pk not in allowed for b in buildings):
            raise ValidationError(
                {"buildings": _("You can only grant buildings in your own scope.")}
            )
    else:
        raise ValidationError({"kind": _("Choose a valid data scope.")})


# -- roles ----------------------------------------------------------------------------------
# Roles and their permissions hold in every estate: changing them is company-wide.
def create_role(actor, *, name, name_en="", description=""):
    require_action(actor, Role, "add")
    require_company_wide(actor)
    name = name.strip()
    _check_role_name(name)
    with transaction.atomic():
        group = Group.objects.create(name=name)
        role = Role.objects.create(
            group=group, name_en=name_en.strip(), description=description.strip(), created_by=actor
        )
        record_event(role, actor, "created", _("Role created."))
    return role


def update_role(actor, role, *, name, name_en="", description=""):
    require_action(actor, Role, "change")
    require_company_wide(actor)
    name = name.strip()
    if name != role.name:
        if role.is_builtin:
            raise ValidationError({"name": _("A built-in role cannot be renamed.")})
        _check_role_name(name, exclude=role.group_id)
    with transaction.atomic():
        if name != role.name:
            role.group.name = name
            role.group.save(update_fields=["name"])
        role.name_en = name_en.strip()
        role.description = description.strip()
        role.save()
    return role


def set_role_permissions(actor, role, permissions):
    """Set the role's permissions within the matrix; permissions outside it are kept."""
    require_action(actor, Role, "change")
    require_company_wide(actor)
    grantable = {p.pk: p for p in role_defs.matrix_permissions()}
    wanted = {p.pk: p for p in permissions}
    if wanted.keys() - grantable.keys():
        raise ValidationError({"permissions": _("Choose permissions from the matrix only.")})
    current = {
        p.pk: p for p in role.group.permissions.select_related("content_type") if p.pk in grantable
    }
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    _require_holds(actor, added, "permissions")
    if not added and not removed:
        return role
    with transaction.atomic():
        role.group.permissions.remove(*removed)
        role.group.permissions.add(*added)
        added_names = sorted(role_defs.full_name(p) for p in added)
        removed_names = sorted(role_defs.full_name(p) for p in removed)
        record_event(
            role,
            actor,
            "permissions_changed",
            _("Permissions changed: %(added)d added, %(removed)d removed.")
            % {"added": len(added), "removed": len(removed)},
            added=added_names,
            removed=removed_names,
        )
    return role


def delete_role(actor, role):
    require_action(actor, Role, "delete")
    require_company_wide(actor)
    if role.is_builtin:
        raise StateConflict(_("A built-in role cannot be deleted."), "builtin")
    holders = role.group.user_set.count()
    if holders:
        raise InUse(
            _("The role is still held by %(count)d user(s); take it from them first.")
            % {"count": holders}
        )
    with transaction.atomic():
        group = role.group
        role.delete()
        group.delete()


def _check_role_name(name, exclude=None):
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    if Group.objects.filter(name=name).exclude(pk=exclude).exists():
        raise ValidationError({"name": _("A role with this name already exists.")})


def ensure_default_roles():
    """Create the missing default roles (idempotent); existing roles keep their permissions.

    Returns the names of the roles created.
    """
    permissions = role_defs.matrix_permissions()
    created = []
    with transaction.atomic():
        for default in role_defs.DEFAULT_ROLES:
            group, group_created = Group.objects.get_or_create(name=default.name)
            role, role_created = Role.objects.get_or_create(
                group=group,
                defaults={
                    "description": default.description,
                    "name_en": default.name_en,
                    "is_builtin": True,
                },
            )
            if group_created:
                group.permissions.set(role_defs.expand_patterns(default.patterns, permissions))
            elif default.patterns == ("*",):
                group.permissions.add(*permissions)
            if group_created or role_created:
                created.append(default.name)
    return created


# -- departments ----------------------------------------------------------------------------
def create_department(actor, *, name, description=""):
    require_action(actor, Department, "add")
    department = Department(name=name.strip(), description=description.strip(), created_by=actor)
    _validate(department)
    with transaction.atomic():
        department.save()
    return department


def update_department(actor, department, *, name, description=""):
    require_action(actor, Department, "change")
    department.name, department.description = name.strip(), description.strip()
    _validate(department)
    with transaction.atomic():
        department.save()
    return department


def delete_department(actor, department):
    require_action(actor, Department, "delete")
    members = department.members.count()
    if members:
        raise InUse(
            _("%(count)d user(s) still belong to this department; move them first.")
            % {"count": members}
        )
    department.delete()


def ensure_default_departments():
    created = []
    for name in role_defs.DEFAULT_DEPARTMENTS:
        _department, was_created = Department.objects.get_or_create(name=name)
        if was_created:
            created.append(name)
    return created


def _validate(instance):
    try:
        instance.full_clean(exclude=["created_by"])
    except ValidationError as error:
        raise ValidationError(error.message_dict)
