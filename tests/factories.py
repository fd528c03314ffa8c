"""Factories for tests: users with permissions and scopes, estates, buildings, units."""

from decimal import Decimal

import factory
from django.contrib.auth.models import Group, Permission

from courtyard.accounts.choices import ScopeKind
from courtyard.accounts.models import ScopeGrant, User
from courtyard.estates.models import Building, Entrance, Estate, Unit

PASSWORD = "Courtyard#2026"
ROLE_PERMISSIONS = {}


def permissions(*names):
    """Permission objects from ``app_label.codename`` names."""
    result = []
    for name in names:
        app_label, codename = name.split(".", 1)
        result.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return result


def make_user(
    username,
    *perms,
    superuser=False,
    estates=None,
    buildings=None,
    all_estates=None,
    must_change_password=False,
    **fields,
):
    """A staff user holding ``perms`` (through a private role) and the given data scope.

    Without ``estates``/``buildings`` the user sees all estates, unless ``all_estates=False``.
    """
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        full_name=fields.pop("full_name", username.title()),
        is_superuser=superuser,
        must_change_password=must_change_password,
        **fields,
    )
    if perms:
        group = Group.objects.create(name=f"role-{username}")
        group.permissions.set(permissions(*perms))
        user.groups.add(group)
    if estates or buildings:
        grant = ScopeGrant.objects.create(
            user=user, kind=ScopeKind.BUILDINGS if buildings else ScopeKind.ESTATES
        )
        grant.estates.set(estates or [])
        grant.buildings.set(buildings or [])
    elif all_estates is not False:
        ScopeGrant.objects.create(user=user, kind=ScopeKind.ALL)
    return user


class EstateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Estate

    name = factory.Sequence(lambda n: f"翠湖花园{n}期")
    code = factory.Sequence(lambda n: f"E{n:03d}")
    address = "上海市浦东新区"


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"{n + 1}栋")
    floors = 18


class EntranceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entrance

    building = factory.SubFactory(BuildingFactory)
    estate = factory.SelfAttribute("building.estate")
    name = factory.Sequence(lambda n: f"{n + 1}单元")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    entrance = factory.SubFactory(EntranceFactory)
    building = factory.SelfAttribute("entrance.building")
    estate = factory.SelfAttribute("entrance.estate")
    room_no = factory.Sequence(lambda n: f"{(n % 18) + 1}{(n % 4) + 1:02d}-{n}")
    floor = 3
    area = Decimal("89.50")
