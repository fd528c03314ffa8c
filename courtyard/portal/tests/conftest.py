"""A resident with a portal account in a unit shared with a household member, a document on
file, and a staff member: what every portal test starts from."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courtyard.accounts.models import User
from courtyard.core.files import attach
from courtyard.residents.choices import OccupancyStatus, ResidentStatus, Role
from courtyard.residents.models import Occupancy, Resident
from tests.factories import PASSWORD, EstateFactory, UnitFactory, make_user

PHONE = "13900000009"


def resident_account(phone=PHONE, full_name="王小明"):
    return User.objects.create_user(
        username=phone,
        password=PASSWORD,
        kind="resident",
        phone=phone,
        full_name=full_name,
        must_change_password=False,
    )


def move_in(unit, name, phone, role, *, user=None, relation="", status=OccupancyStatus.CURRENT):
    person = Resident.objects.create(
        name=name, phone=phone, status=ResidentStatus.CURRENT, user=user
    )
    return Occupancy.objects.create(
        resident=person,
        unit=unit,
        estate=unit.estate,
        building=unit.building,
        role=role,
        relation=relation,
        move_in=date(2024, 5, 1),
        status=status,
    )


@pytest.fixture
def unit(db):
    estate = EstateFactory(name="翠湖天地", phone="021-55501234")
    return UnitFactory(
        entrance__building__estate=estate, entrance__building__name="1栋", room_no="1201"
    )


@pytest.fixture
def resident(unit):
    """王小明, owner of 1201, with 李娜 (spouse) in the household and a deed on file."""
    user = resident_account()
    mine = move_in(unit, "王小明", PHONE, Role.OWNER, user=user)
    move_in(unit, "李娜", "13911112222", Role.MEMBER, relation="配偶")
    deed = SimpleUploadedFile("deed.pdf", b"%PDF-1.4 deed", content_type="application/pdf")
    attach(mine, deed, user, purpose="deed")
    return user


@pytest.fixture
def staff(db):
    return make_user("clerk")
