"""Fixtures of the register's tests: two estates, and a clerk who may see only the first."""

import pytest

from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, UnitFactory, make_user

MODELS = ("estate", "building", "entrance", "unit")
ALL_PERMS = [
    f"estates.{action}_{model}"
    for model in MODELS
    for action in ("view", "add", "change", "delete")
]


@pytest.fixture
def estate(db):
    return EstateFactory(name="翠湖花园")


@pytest.fixture
def building(estate):
    return BuildingFactory(estate=estate, name="1栋", floors=18)


@pytest.fixture
def entrance(building):
    return EntranceFactory(building=building, name="1单元")


@pytest.fixture
def unit(entrance):
    return UnitFactory(entrance=entrance, room_no="101", floor=1)


@pytest.fixture
def other_unit(db):
    """A unit of another estate, outside the clerk's scope."""
    return UnitFactory(
        entrance=EntranceFactory(building=BuildingFactory(estate=EstateFactory(name="滨江苑")))
    )


@pytest.fixture
def clerk(estate):
    """Every register permission, for the first estate only."""
    return make_user("clerk", *ALL_PERMS, estates=[estate])


@pytest.fixture
def manager(db):
    """Every register permission, for all estates."""
    return make_user("manager", *ALL_PERMS)


@pytest.fixture
def viewer(estate):
    return make_user("viewer", *[f"estates.view_{m}" for m in MODELS], estates=[estate])
