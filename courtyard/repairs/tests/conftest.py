"""Fixtures of the repairs tests: an estate with a lived-in unit, a second estate, the seeded
categories, and the people of a repair — clerk, supervisor, technicians, the resident."""

import struct
import zlib
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courtyard.accounts.models import User
from courtyard.repairs.models import RepairCategory, TechnicianSkill
from courtyard.residents.choices import OccupancyStatus, ResidentStatus, Role
from courtyard.residents.models import Occupancy, Resident
from tests.factories import PASSWORD, EstateFactory, UnitFactory, make_user

CLERK_PERMS = (
    "repairs.view_workorder",
    "repairs.add_workorder",
    "repairs.accept_workorder",
    "repairs.dispatch_workorder",
    "repairs.cancel_workorder",
)
TECH_PERMS = (
    "repairs.view_workorder",
    "repairs.followup_workorder",
    "repairs.complete_workorder",
)
SUPERVISOR_PERMS = (
    *CLERK_PERMS,
    "repairs.followup_workorder",
    "repairs.close_workorder",
    "repairs.complete_workorder",
    "repairs.change_workorder",
    "repairs.change_technicianskill",
)
CATEGORIES = [
    ("water_electric", "水电"),
    ("door_access", "门禁"),
    ("public_facility", "公共设施"),
    ("elevator", "电梯"),
    ("pipes", "管道"),
    ("other", "其他"),
]


def png_bytes():
    """A real 1×1 PNG image."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def photo(name="leak.png", content=None):
    return SimpleUploadedFile(name, content or png_bytes(), content_type="image/png")


@pytest.fixture
def categories(db):
    """The seeded categories (tests run without migrations, so without the data migration)."""
    return {
        code: RepairCategory.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": i}
        )[0]
        for i, (code, name) in enumerate(CATEGORIES)
    }


@pytest.fixture
def water(categories):
    return categories["water_electric"]


@pytest.fixture
def estate(db):
    return EstateFactory(name="翠湖花园")


@pytest.fixture
def unit(estate):
    return UnitFactory(
        entrance__building__estate=estate, entrance__building__name="1栋", room_no="1201"
    )


@pytest.fixture
def other_unit(db):
    return UnitFactory(entrance__building__estate=EstateFactory(name="滨江苑"), room_no="301")


@pytest.fixture
def clerk(estate):
    return make_user("clerk", *CLERK_PERMS, estates=[estate])


@pytest.fixture
def supervisor(estate):
    return make_user("super", *SUPERVISOR_PERMS, estates=[estate])


@pytest.fixture
def tech(estate, water):
    user = make_user("tech1", *TECH_PERMS, estates=[estate], full_name="李师傅")
    TechnicianSkill.objects.create(user=user, category=water)
    return user


@pytest.fixture
def tech2(estate):
    return make_user("tech2", *TECH_PERMS, estates=[estate], full_name="王师傅")


@pytest.fixture
def resident_user(unit):
    """王小明, owner of 1201 with a portal account."""
    user = User.objects.create_user(
        username="13900000009",
        password=PASSWORD,
        kind="resident",
        phone="13900000009",
        full_name="王小明",
        must_change_password=False,
    )
    person = Resident.objects.create(
        name="王小明", phone="13900000009", status=ResidentStatus.CURRENT, user=user
    )
    Occupancy.objects.create(
        resident=person,
        unit=unit,
        estate=unit.estate,
        building=unit.building,
        role=Role.OWNER,
        move_in=date(2024, 5, 1),
        status=OccupancyStatus.CURRENT,
    )
    return user


@pytest.fixture
def new_order(clerk, unit, water, resident_user):
    """A work order as the phone clerk takes it: submitted."""
    from courtyard.repairs import services

    return services.create_work_order(
        clerk,
        category=water,
        description="厨房水管漏水",
        urgency="urgent",
        source="phone",
        unit=unit,
        contact_name="王小明",
        contact_phone="13900000009",
    )
