"""Who may administer whom: every user-administration action against a superior.

An administrator may act on another account (edit its contact details, reset its password,
add or remove roles, change its scope, deactivate or activate it, unlock it, sign it out
everywhere) only when that account's function permissions and data scope both lie within
their own. The walk below takes every action × every kind of superior, on the pages and in
the services, and checks both the refusal (403 with the reason) and that nothing changed.
"""

from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from courtyard.accounts.administration import services as svc
from courtyard.accounts.choices import ScopeKind
from courtyard.accounts.models import ApiToken, Role, User
from courtyard.core.scoping import user_scope
from tests.factories import PASSWORD, BuildingFactory, EstateFactory, make_user, permissions

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Takeover#2026x"
# A local administrator: every user-administration permission, one unrelated function.
ADMIN_PERMS = (
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.unlock_user",
    "accounts.reset_password_user",
    "estates.view_unit",
)
REASON_PERMISSIONS = "permissions that you do not have"
REASON_SCOPE = "beyond yours"


@dataclass
class World:
    home: object
    away: object
    actor: User
    role: Role  # a role the actor may hand out


@pytest.fixture
def world():
    home, away = EstateFactory(), EstateFactory()
    actor = make_user("local_admin", *ADMIN_PERMS, estates=[home])
    group = Group.objects.create(name="Unit viewers")
    group.permissions.set(permissions("estates.view_unit"))
    return World(home, away, actor, Role.objects.create(group=group))


def _with_role(user, world):
    user.groups.add(world.role.group)
    return user


# -- the superiors: each lies outside the actor in exactly one way ---------------------------
def superior_by_permission(world):
    """Same estate, one function permission the actor does not hold."""
    return _with_role(make_user("stronger", "billing.void_bill", estates=[world.home]), world)


def superior_by_superuser(world):
    return make_user("root", superuser=True, estates=[world.home])


def superior_by_scope_all(world):
    """Weaker permissions, but sees every estate: the account takeover of the report."""
    return _with_role(make_user("roamer", all_estates=True), world)


def superior_by_scope_estate(world):
    return _with_role(make_user("elsewhere", estates=[world.away]), world)


def superior_by_scope_building(world):
    building = BuildingFactory(estate=world.away)
    return _with_role(make_user("building_keeper", buildings=[building]), world)


def superior_deactivated(world):
    """Deactivated accounts report no permissions and no scope; the rule must see through."""
    user = make_user("dormant", "billing.void_bill", all_estates=True)
    User.objects.filter(pk=user.pk).update(is_active=False)
    return User.objects.get(pk=user.pk)


SUPERIORS = {
    "permission": (superior_by_permission, REASON_PERMISSIONS),
    "superuser": (superior_by_superuser, REASON_PERMISSIONS),
    "scope_all": (superior_by_scope_all, REASON_SCOPE),
    "scope_estate": (superior_by_scope_estate, REASON_SCOPE),
    "scope_building": (superior_by_scope_building, REASON_SCOPE),
    "deactivated": (superior_deactivated, REASON_PERMISSIONS),
}


def peer(world):
    """Within the actor in every way: every action is allowed."""
    return _with_role(make_user("peer", estates=[world.home]), world)


# -- what each action would change, to prove that nothing did ---------------------------------
def snapshot(user):
    user = User.objects.get(pk=user.pk)
    return {
        "password": user.password,
        "phone": user.phone,
        "email": user.email,
        "is_active": user.is_active,
        "session_stamp": user.session_stamp,
        "groups": sorted(user.groups.values_list("pk", flat=True)),
        "grants": sorted(
            (g.kind, tuple(g.estates.values_list("pk", flat=True))) for g in user.scope_grants.all()
        ),
        "live_tokens": ApiToken.objects.filter(user=user, revoked_at__isnull=True).count(),
        "attempts": AccessAttempt.objects.filter(username=user.username).count(),
    }


def prepare(user):
    """Give the account something to lose: a lock, a live token."""
    AccessAttempt.objects.create(
        username=user.username, failures_since_start=5, ip_address="10.0.0.9", user_agent="x"
    )
    ApiToken.issue(user)


# -- the actions, as pages and as service calls ------------------------------------------------
def page_requests(world, user):
    """(action, url, POST data) for every user-administration page."""

    def url(name):
        return reverse(f"accounts:{name}", args=[user.pk])

    activity = "user_activate" if not user.is_active else "user_deactivate"
    return [
        ("edit", url("user_edit"), {"full_name": "Taken", "phone": "13900000000", "email": ""}),
        (
            "password",
            url("user_password"),
            {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        ),
        ("add_role", url("user_roles"), {"roles": [world.role.pk, _new_role(world).pk]}),
        ("remove_roles", url("user_roles"), {"roles": []}),
        ("scope", url("user_scope"), {"kind": ScopeKind.ESTATES, "estates": [world.home.pk]}),
        (activity, url(activity), {}),
        ("unlock", url("user_unlock"), {}),
        ("sign_out", url("user_sign_out"), {}),
    ]


def service_calls(world):
    """(action, call(actor, user)) for every user-administration service."""
    return [
        ("edit", lambda a, u: svc.update_user(a, u, phone="13900000000")),
        ("password", lambda a, u: svc.reset_password(a, u, NEW_PASSWORD)),
        ("add_role", lambda a, u: svc.set_user_roles(a, u, [world.role, _new_role(world)])),
        ("remove_roles", lambda a, u: svc.set_user_roles(a, u, [])),
        ("scope", lambda a, u: svc.set_user_scope(a, u, ScopeKind.ESTATES, [world.home])),
        ("deactivate", svc.deactivate_user),
        ("activate", svc.activate_user),
        ("unlock", svc.unlock_user),
        ("sign_out", svc.sign_out_everywhere),
    ]


def _new_role(world):
    group, _created = Group.objects.get_or_create(name="Estate viewers")
    group.permissions.set(permissions("estates.view_unit"))
    return Role.objects.get_or_create(group=group)[0]


@pytest.mark.parametrize("superior", SUPERIORS)
def test_every_page_refuses_to_act_on_a_superior_with_the_reason(client, world, superior):
    make_superior, reason = SUPERIORS[superior]
    user = make_superior(world)
    prepare(user)
    client.force_login(world.actor)
    before = snapshot(user)
    for action, url, data in page_requests(world, user):
        response = client.post(url, data)
        assert response.status_code == 403, (superior, action, response.status_code)
        assert reason in response.content.decode(), (superior, action)
        if action in ("edit", "password", "add_role", "remove_roles", "scope"):
            # The form itself is not even offered.
            assert client.get(url).status_code == 403, (superior, action)
    assert snapshot(user) == before


@pytest.mark.parametrize("superior", SUPERIORS)
def test_every_service_refuses_to_act_on_a_superior(world, superior):
    make_superior, reason = SUPERIORS[superior]
    user = make_superior(world)
    prepare(user)
    before = snapshot(user)
    for action, call in service_calls(world):
        with pytest.raises(PermissionDenied) as refused:
            call(world.actor, User.objects.get(pk=user.pk))
        assert reason in str(refused.value), (superior, action)
    assert snapshot(user) == before


def test_every_action_on_a_peer_is_allowed(client, world):
    """The control: the same walk on an account within the actor's reach goes through."""
    user = peer(world)
    prepare(user)
    client.force_login(world.actor)
    for action, url, data in page_requests(world, user):
        response = client.post(url, data)
        assert response.status_code == 302, (action, response.status_code)
    user = User.objects.get(pk=user.pk)
    assert user.phone == "13900000000" and user.check_password(NEW_PASSWORD)
    assert not user.is_active
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert not AccessAttempt.objects.filter(username=user.username).exists()


def test_the_reported_takeover_is_refused(client, world):
    """An administrator scoped to one estate resets the password of an all-estates
    administrator, changes their phone, signs in as them and reads the other estate."""
    target = make_user("chief", *ADMIN_PERMS, all_estates=True)
    client.force_login(world.actor)
    url = reverse("accounts:user_password", args=[target.pk])
    response = client.post(url, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 403
    edit = reverse("accounts:user_edit", args=[target.pk])
    assert client.post(edit, {"full_name": "Chief", "phone": "13900000000"}).status_code == 403
    target.refresh_from_db()
    assert target.check_password(PASSWORD) and target.phone == ""
    assert user_scope(target).all_estates


def test_the_user_page_explains_the_refusal_and_offers_no_actions(client, world):
    user = superior_by_scope_all(world)
    client.force_login(world.actor)
    page = client.get(reverse("accounts:user_detail", args=[user.pk])).content.decode()
    assert REASON_SCOPE in page
    for name in ("user_edit", "user_roles", "user_scope", "user_password", "user_deactivate"):
        assert reverse(f"accounts:{name}", args=[user.pk]) not in page, name


def test_a_scoped_administrator_may_still_act_within_their_estates(world):
    colleague = make_user("colleague", estates=[world.home])
    building = BuildingFactory(estate=world.home)
    svc.set_user_scope(world.actor, colleague, ScopeKind.BUILDINGS, buildings=[building])
    assert user_scope(User.objects.get(pk=colleague.pk)).building_ids == {building.pk}
    # A building of one's own estate is within the scope too.
    svc.update_user(world.actor, User.objects.get(pk=colleague.pk), phone="13911112222")
