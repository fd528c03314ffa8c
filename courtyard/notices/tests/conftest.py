"""Fixtures of the notices tests: an estate of two buildings with residents, a second estate,
the author, the approver and the publisher, and readers with portal accounts."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from courtyard.accounts.models import User
from courtyard.core.approvals import services as approvals
from courtyard.notices import services
from courtyard.notices.choices import AudienceKind
from courtyard.residents.tests.helpers import resident_in
from tests.factories import (
    PASSWORD,
    BuildingFactory,
    EntranceFactory,
    EstateFactory,
    UnitFactory,
    make_user,
)

AUTHOR_PERMS = (
    "notices.view_notice",
    "notices.add_notice",
    "notices.change_notice",
    "notices.delete_notice",
    "notices.submit_notice",
)
MANAGER_PERMS = (
    *AUTHOR_PERMS,
    "notices.publish_notice",
    "notices.withdraw_notice",
    "notices.view_notice_statistics",
    "notices.moderate_noticecomment",
)


@pytest.fixture
def estate(db):
    return EstateFactory(name="翠湖花园")


@pytest.fixture
def other_estate(db):
    return EstateFactory(name="滨江苑")


@pytest.fixture
def b1(estate):
    return BuildingFactory(estate=estate, name="1栋")


@pytest.fixture
def b2(estate):
    return BuildingFactory(estate=estate, name="2栋")


def _unit(building, room):
    return UnitFactory(entrance=EntranceFactory(building=building, name="1单元"), room_no=room)


@pytest.fixture
def b1_entrance(b1):
    return EntranceFactory(building=b1, name="1单元")


@pytest.fixture
def u101(b1_entrance):
    return UnitFactory(entrance=b1_entrance, room_no="101")


@pytest.fixture
def u102(b1_entrance):
    return UnitFactory(entrance=b1_entrance, room_no="102")


@pytest.fixture
def u201(b2):
    return _unit(b2, "201")


@pytest.fixture
def other_unit(other_estate):
    return _unit(BuildingFactory(estate=other_estate, name="9栋"), "901")


def reader(unit, name, phone, *, account=True, role="owner"):
    """A current resident of ``unit``, with a portal account unless ``account`` is False."""
    person = resident_in(unit, name=name, phone=phone, role=role)
    if account:
        person.user = User.objects.create_user(
            username=phone,
            password=PASSWORD,
            kind="resident",
            phone=phone,
            full_name=name,
            must_change_password=False,
        )
        person.save(update_fields=["user"])
    return person


@pytest.fixture
def zhang(u101):
    return reader(u101, "张伟", "13900000001")


@pytest.fixture
def li(u102):
    return reader(u102, "李娜", "13900000002")


@pytest.fixture
def wang(u201):
    """Lives in building 2; no portal account."""
    return reader(u201, "王芳", "13900000003", account=False)


@pytest.fixture
def outsider(other_unit):
    return reader(other_unit, "赵强", "13900000009")


@pytest.fixture
def people(zhang, li, wang, outsider):
    return {"zhang": zhang, "li": li, "wang": wang, "outsider": outsider}


@pytest.fixture
def author(estate):
    return make_user("author", *AUTHOR_PERMS, estates=[estate])


@pytest.fixture
def manager(db):
    return make_user("manager", *MANAGER_PERMS)


@pytest.fixture
def approver(db):
    return make_user("approver", "notices.view_notice")


@pytest.fixture
def review(approver, manager):
    """A one-level approval flow for notices, decided by the approver's role."""
    role = Group.objects.create(name="公告审核")
    approver.groups.add(role)
    admin = make_user("flowadmin", superuser=True)
    approvals.set_flow_levels(admin, services.APPROVAL_KIND, None, [role])
    return role


def now():
    return timezone.now()


def hours(n):
    return timezone.now() + datetime.timedelta(hours=n)


def draft(actor, estate, **changes):
    """A draft for the whole estate, in effect from an hour ago, pushed to app and SMS."""
    data = {
        "title": "停水通知",
        "content": "<p>{owner_name}您好，明日停水。</p>",
        "effective_from": hours(-1),
        "effective_to": hours(48),
        "audience_kind": AudienceKind.ESTATES,
        "estates": [estate],
        "channels": ["app", "sms"],
    }
    data.update(changes)
    return services.create_notice(actor, **data)
