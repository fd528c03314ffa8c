"""Rules of the account administration services, refusals included."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from courtyard.accounts import roles as role_defs
from courtyard.accounts import selectors
from courtyard.accounts.administration import services as svc
from courtyard.accounts.choices import ScopeKind, SecurityEventKind
from courtyard.accounts.models import ApiToken, Department, Role, SecurityEvent, User
from courtyard.core.exceptions import InUse, StateConflict
from courtyard.core.scoping import user_scope
from courtyard.core.timeline import events_for
from tests.factories import BuildingFactory, EstateFactory, make_user, permissions

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Initial#2026x"
USER_ADMIN = ("accounts.view_user", "accounts.add_user", "accounts.change_user")


@pytest.fixture
def admin():
    return make_user("boss", superuser=True)


def make_role(name, *perms, builtin=False):
    group = Group.objects.create(name=name)
    group.permissions.set(permissions(*perms))
    return Role.objects.create(group=group, is_builtin=builtin)


def fresh(user):
    return User.objects.get(pk=user.pk)


# -- users ----------------------------------------------------------------------------------
def test_create_user_sets_an_initial_password_that_must_be_changed(admin):
    role = make_role("客服专员", "estates.view_unit")
    department = Department.objects.create(name="客服部")
    user = svc.create_user(
        admin,
        username="kf01",
        password=GOOD_PASSWORD,
        full_name="李晓梅",
        department=department,
        phone="13812345678",
        roles=[role],
        scope_kind="all",
    )
    user = fresh(user)
    assert user.kind == "staff" and user.must_change_password
    assert user.check_password(GOOD_PASSWORD)
    assert list(user.groups.all()) == [role.group]
    assert SecurityEvent.objects.filter(
        user=user, kind=SecurityEventKind.PASSWORD_SET_BY_ADMIN, actor=admin
    ).exists()
    assert {e.verb for e in events_for(user)} == {"created", "roles_changed"}


def test_create_user_requires_a_data_scope(admin):
    with pytest.raises(ValidationError) as error:
        svc.create_user(admin, username="kf05", password=GOOD_PASSWORD, full_name="X")
    assert "kind" in error.value.message_dict
    assert not User.objects.filter(username="kf05").exists()


def test_create_user_grants_only_estates_within_the_creators_scope():
    home, away = EstateFactory(), EstateFactory()
    local_admin = make_user("local", "accounts.add_user", estates=[home])
    with pytest.raises(ValidationError) as error:
        svc.create_user(
            local_admin,
            username="kf06",
            password=GOOD_PASSWORD,
            full_name="X",
            scope_kind="estates",
            scope_estates=[away],
        )
    assert "estates" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        svc.create_user(
            local_admin, username="kf06", password=GOOD_PASSWORD, full_name="X", scope_kind="all"
        )
    assert "kind" in error.value.message_dict
    assert not User.objects.filter(username="kf06").exists()
    user = svc.create_user(
        local_admin,
        username="kf06",
        password=GOOD_PASSWORD,
        full_name="X",
        scope_kind="estates",
        scope_estates=[home],
    )
    assert user_scope(fresh(user)).estate_ids == {home.pk}


def test_create_user_requires_the_add_permission():
    clerk = make_user("clerk", "accounts.view_user")
    with pytest.raises(PermissionDenied):
        svc.create_user(clerk, username="x1", password=GOOD_PASSWORD, full_name="X")


def test_create_user_refuses_a_weak_password_and_a_taken_username(admin):
    make_user("taken")
    with pytest.raises(ValidationError) as error:
        svc.create_user(admin, username="taken", password="short", full_name="X")
    assert {"username", "password"} <= set(error.value.message_dict)
    assert not User.objects.filter(full_name="X").exists()


def test_create_user_refuses_an_invalid_phone(admin):
    with pytest.raises(ValidationError) as error:
        svc.create_user(admin, username="p1", password=GOOD_PASSWORD, phone="call me")
    assert "phone" in error.value.message_dict


def test_update_user_changes_the_profile_fields(admin):
    user = make_user("tech")
    svc.update_user(admin, user, full_name="刘师傅", position="水电维修工", require_two_factor=True)
    user = fresh(user)
    assert (user.full_name, user.position, user.require_two_factor) == (
        "刘师傅",
        "水电维修工",
        True,
    )


def test_update_user_requires_the_change_permission():
    viewer = make_user("viewer", "accounts.view_user")
    with pytest.raises(PermissionDenied):
        svc.update_user(viewer, make_user("tech"), full_name="Y")


def test_update_user_refuses_to_edit_someone_with_more_permissions():
    actor = make_user("half_admin", *USER_ADMIN)
    with pytest.raises(PermissionDenied):
        svc.update_user(actor, make_user("root", superuser=True), phone="13900000000")


def test_set_user_roles_records_added_and_removed_roles(admin):
    first, second = make_role("A", "estates.view_unit"), make_role("B", "estates.view_estate")
    user = make_user("tech")
    svc.set_user_roles(admin, user, [first])
    svc.set_user_roles(admin, user, [second])
    assert list(fresh(user).groups.all()) == [second.group]
    event = events_for(user).filter(verb="roles_changed").first()
    assert event.data == {"added": ["B"], "removed": ["A"]}
    assert events_for(first).filter(verb="member_removed").exists()
    assert events_for(second).filter(verb="member_added").exists()


def test_nobody_grants_a_role_with_permissions_they_do_not_hold():
    actor = make_user("half_admin", *USER_ADMIN)
    strong = make_role("Finance", "estates.change_unit")
    with pytest.raises(ValidationError) as error:
        svc.set_user_roles(actor, make_user("tech"), [strong])
    assert "estates.change_unit" in str(error.value)


def test_set_user_scope_replaces_the_standing_grant(admin):
    mine, other = EstateFactory(), EstateFactory()
    user = make_user("tech", estates=[other])
    svc.set_user_scope(admin, user, ScopeKind.ESTATES, estates=[mine])
    scope = fresh(user).get_scope()
    assert scope.estate_ids == frozenset({mine.pk}) and not scope.all_estates
    event = events_for(user).get(verb="scope_changed")
    assert event.data["after"] == mine.name


def test_set_user_scope_to_buildings_and_to_nothing(admin):
    building = BuildingFactory()
    user = make_user("tech")
    svc.set_user_scope(admin, user, ScopeKind.BUILDINGS, buildings=[building])
    assert fresh(user).get_scope().building_ids == frozenset({building.pk})
    svc.set_user_scope(admin, user, None)
    assert fresh(user).get_scope().is_empty


def test_set_user_scope_needs_a_choice_for_chosen_estates(admin):
    with pytest.raises(ValidationError) as error:
        svc.set_user_scope(admin, make_user("tech"), ScopeKind.ESTATES, estates=[])
    assert "estates" in error.value.message_dict


def test_a_scoped_administrator_grants_only_estates_in_their_own_scope():
    mine, other = EstateFactory(), EstateFactory()
    actor = make_user("local_admin", *USER_ADMIN, estates=[mine])
    user = make_user("tech", all_estates=False)
    with pytest.raises(ValidationError):
        svc.set_user_scope(actor, user, ScopeKind.ESTATES, estates=[other])
    with pytest.raises(ValidationError):
        svc.set_user_scope(actor, user, ScopeKind.ALL)
    svc.set_user_scope(actor, user, ScopeKind.ESTATES, estates=[mine])
    assert fresh(user).get_scope().estate_ids == frozenset({mine.pk})


def test_a_scoped_administrator_cannot_grant_buildings_of_other_estates():
    mine, other = EstateFactory(), EstateFactory()
    actor = make_user("local_admin", *USER_ADMIN, estates=[mine])
    with pytest.raises(ValidationError):
        svc.set_user_scope(
            actor,
            make_user("tech", all_estates=False),
            ScopeKind.BUILDINGS,
            buildings=[BuildingFactory(estate=other)],
        )


def test_a_scoped_administrator_cannot_shrink_a_wider_scope():
    mine = EstateFactory()
    actor = make_user("local_admin", *USER_ADMIN, estates=[mine])
    everywhere = make_user("roamer")  # all estates
    with pytest.raises(PermissionDenied):
        svc.set_user_scope(actor, everywhere, ScopeKind.ESTATES, estates=[mine])
    assert user_scope(fresh(everywhere)).all_estates


def test_deactivate_refuses_your_own_account(admin):
    with pytest.raises(StateConflict):
        svc.deactivate_user(admin, admin)


def test_deactivate_revokes_tokens_and_activate_restores(admin):
    user = make_user("tech")
    ApiToken.issue(user)
    svc.deactivate_user(admin, user)
    assert not fresh(user).is_active
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    with pytest.raises(StateConflict):
        svc.deactivate_user(admin, user)
    svc.activate_user(admin, user)
    assert fresh(user).is_active
    assert [e.verb for e in events_for(user)] == ["activated", "deactivated"]


def test_deactivating_someone_with_more_permissions_is_refused():
    actor = make_user("half_admin", *USER_ADMIN)
    stronger = make_user("finance", "estates.change_unit")
    with pytest.raises(PermissionDenied):
        svc.deactivate_user(actor, stronger)
    with pytest.raises(PermissionDenied):
        svc.deactivate_user(actor, make_user("root", superuser=True))


def test_unlock_clears_axes_attempts_and_records_it(admin):
    user = make_user("tech")
    AccessAttempt.objects.create(
        username="tech", failures_since_start=5, ip_address="10.0.0.1", user_agent="x"
    )
    assert selectors.is_locked(user)
    svc.unlock_user(admin, user)
    assert not selectors.is_locked(user)
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.UNLOCKED).exists()
    assert events_for(user).filter(verb="unlocked").exists()


def test_unlock_requires_the_unlock_permission():
    actor = make_user("editor", *USER_ADMIN)
    with pytest.raises(PermissionDenied):
        svc.unlock_user(actor, make_user("tech"))


def test_reset_password_sets_a_new_initial_password(admin):
    user = make_user("tech")
    ApiToken.issue(user)
    svc.reset_password(admin, user, GOOD_PASSWORD)
    user = fresh(user)
    assert user.check_password(GOOD_PASSWORD) and user.must_change_password
    assert SecurityEvent.objects.filter(
        user=user, kind=SecurityEventKind.PASSWORD_SET_BY_ADMIN
    ).exists()
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert events_for(user).filter(verb="password_reset").exists()


def test_reset_password_refusals(admin):
    user = make_user("tech")
    with pytest.raises(ValidationError):
        svc.reset_password(admin, user, "weak")
    with pytest.raises(StateConflict):
        svc.reset_password(admin, admin, GOOD_PASSWORD)
    with pytest.raises(PermissionDenied):
        svc.reset_password(make_user("editor", *USER_ADMIN), user, GOOD_PASSWORD)
    resetter = make_user("resetter", "accounts.reset_password_user")
    with pytest.raises(PermissionDenied):
        svc.reset_password(resetter, admin, GOOD_PASSWORD)


# -- roles ----------------------------------------------------------------------------------
def test_create_and_rename_a_role(admin):
    role = svc.create_role(admin, name="  保洁主管 ", description="Cleaning supervisor")
    assert role.name == "保洁主管"
    svc.update_role(admin, role, name="保洁组长", description="")
    assert Role.objects.get(pk=role.pk).name == "保洁组长"


def test_role_names_are_unique(admin):
    make_role("客服专员")
    with pytest.raises(ValidationError) as error:
        svc.create_role(admin, name="客服专员")
    assert "name" in error.value.message_dict


def test_built_in_roles_keep_their_name(admin):
    role = make_role("系统管理员", builtin=True)
    with pytest.raises(ValidationError):
        svc.update_role(admin, role, name="Admins", description="")
    svc.update_role(admin, role, name="系统管理员", description="Administrator")
    assert Role.objects.get(pk=role.pk).description == "Administrator"


def test_role_changes_require_role_permissions():
    viewer = make_user("viewer", "accounts.view_role")
    with pytest.raises(PermissionDenied):
        svc.create_role(viewer, name="X")
    with pytest.raises(PermissionDenied):
        svc.set_role_permissions(viewer, make_role("Y"), [])


def test_set_role_permissions_records_added_and_removed_codenames(admin):
    role = make_role("Ops", "estates.view_unit")
    svc.set_role_permissions(
        admin, role, permissions("estates.view_estate", "accounts.unlock_user")
    )
    granted = {role_defs.full_name(p) for p in role.group.permissions.all()}
    assert granted == {"estates.view_estate", "accounts.unlock_user"}
    event = events_for(role).get(verb="permissions_changed")
    assert event.data == {
        "added": ["accounts.unlock_user", "estates.view_estate"],
        "removed": ["estates.view_unit"],
    }


def test_set_role_permissions_keeps_permissions_outside_the_matrix(admin):
    role = make_role("Ops", "auth.view_group")
    svc.set_role_permissions(admin, role, permissions("estates.view_unit"))
    assert {role_defs.full_name(p) for p in role.group.permissions.all()} == {
        "auth.view_group",
        "estates.view_unit",
    }


def test_set_role_permissions_refuses_permissions_outside_the_matrix(admin):
    with pytest.raises(ValidationError):
        svc.set_role_permissions(admin, make_role("Ops"), permissions("auth.view_group"))


def test_nobody_hands_out_permissions_they_do_not_hold():
    actor = make_user("role_admin", "accounts.change_role", "accounts.view_role")
    role = make_role("Ops")
    with pytest.raises(ValidationError):
        svc.set_role_permissions(actor, role, permissions("estates.change_unit"))
    svc.set_role_permissions(actor, role, permissions("accounts.view_role"))


def test_unchanged_permissions_record_no_event(admin):
    role = make_role("Ops", "estates.view_unit")
    svc.set_role_permissions(admin, role, permissions("estates.view_unit"))
    assert not events_for(role).exists()


def test_delete_role_refuses_built_in_roles_and_roles_in_use(admin):
    builtin = make_role("系统管理员", builtin=True)
    with pytest.raises(StateConflict):
        svc.delete_role(admin, builtin)
    held = make_role("Ops")
    make_user("tech").groups.add(held.group)
    with pytest.raises(InUse) as error:
        svc.delete_role(admin, held)
    assert "1 user" in str(error.value)
    free = make_role("Spare")
    svc.delete_role(admin, free)
    assert not Group.objects.filter(name="Spare").exists()


# -- departments ----------------------------------------------------------------------------
def test_departments_are_created_renamed_and_unique(admin):
    department = svc.create_department(admin, name="工程部", description="Engineering")
    svc.update_department(admin, department, name="工程维修部", description="")
    assert Department.objects.get().name == "工程维修部"
    with pytest.raises(ValidationError):
        svc.create_department(admin, name="工程维修部")


def test_department_with_members_cannot_be_deleted(admin):
    department = Department.objects.create(name="客服部")
    member = make_user("kf", department=department)
    with pytest.raises(InUse):
        svc.delete_department(admin, department)
    member.department = None
    member.save()
    svc.delete_department(admin, department)
    assert not Department.objects.exists()


def test_department_changes_require_permissions():
    with pytest.raises(PermissionDenied):
        svc.create_department(make_user("viewer", "accounts.view_department"), name="X")
