"""Fixtures of the residents tests: a unit in one estate, another outside the clerk's scope."""

import datetime

import pytest

from courtyard.residents import idcard
from courtyard.residents.services import PersonInput
from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, UnitFactory, make_user

RESIDENT_PERMS = [
    "residents.view_resident",
    "residents.add_resident",
    "residents.change_resident",
    "residents.delete_resident",
    "residents.view_registration",
]


def id_number(sequence, born=datetime.date(1985, 6, 15), region="110101"):
    # The sequence part has three digits; callers may pass a database id (which on PostgreSQL
    # keeps growing across the run).
    return idcard.make(region, born, sequence % 1000)


def person(name="张伟", role="owner", sequence=1, phone="13912345678", **extra):
    return PersonInput(name=name, role=role, id_number=id_number(sequence), phone=phone, **extra)


@pytest.fixture
def estate(db):
    return EstateFactory(name="翠湖花园")


@pytest.fixture
def entrance(estate):
    return EntranceFactory(building=BuildingFactory(estate=estate, name="1栋"), name="1单元")


@pytest.fixture
def unit(entrance):
    return UnitFactory(entrance=entrance, room_no="101", floor=1)


@pytest.fixture
def unit2(entrance):
    return UnitFactory(entrance=entrance, room_no="102", floor=1)


@pytest.fixture
def other_unit(db):
    return UnitFactory(
        entrance=EntranceFactory(building=BuildingFactory(estate=EstateFactory(name="滨江苑")))
    )


@pytest.fixture
def clerk(estate):
    return make_user("clerk", *RESIDENT_PERMS, estates=[estate])


@pytest.fixture
def admin(db):
    return make_user(
        "chief",
        *RESIDENT_PERMS,
        "residents.change_core_resident",
        "residents.view_full_identity",
        "residents.invite_resident",
    )
