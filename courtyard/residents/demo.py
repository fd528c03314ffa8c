"""Demo residents: owners, tenants and members for most lived-in demo units, vehicles, a few
history residents, one registration awaiting approval, and the demo resident account
(phone 13800000001, password ``Courtyard#2026``) linked to one owner.

Idempotent: once residents exist only the demo account is checked.
"""

import datetime
import random

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from courtyard.accounts.models import User
from courtyard.core.approvals import services as approvals
from courtyard.core.models import ApprovalFlow, ApprovalLevel
from courtyard.estates.choices import Occupancy as UnitStatus
from courtyard.estates.models import Unit

from . import idcard, services
from .choices import OccupancyStatus, RegistrationStatus, ResidentStatus, Role, VehicleKind
from .models import NameGram, Occupancy, Resident, Vehicle

DEMO_PHONE = "13800000001"
DEMO_PASSWORD = "Courtyard#2026"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "红",
    "建国",
    "志强",
    "晓明",
    "雪梅",
    "海燕",
    "子涵",
    "梓萱",
    "浩然",
    "一诺",
    "欣怡",
    "宇轩",
    "思远",
    "雨桐",
]
REGIONS = ["310104", "310115", "330106", "330102", "110105", "320102", "420106", "510104"]
RELATIONS = ["配偶", "子女", "父母", "兄弟姐妹"]
PLATE_LETTERS = "ABCDEFGHJK"


class People:
    """Names, ID numbers and phones for the demo, the same on every run."""

    def __init__(self):
        self.rng = random.Random(20260301)
        self.sequence = 0
        self.phones = {DEMO_PHONE}

    def name(self, surname=None):
        return (surname or self.rng.choice(SURNAMES)) + self.rng.choice(GIVEN)

    def identity(self, young=False):
        self.sequence += 1
        year = self.rng.randint(2005, 2018) if young else self.rng.randint(1950, 1998)
        born = datetime.date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))
        number = idcard.make(self.rng.choice(REGIONS), born, self.sequence % 1000)
        return {
            "id_number_masked": idcard.mask(number),
            "id_number_hash": idcard.fingerprint(number),
        }

    def phone(self):
        while True:
            phone = f"1{self.rng.choice('35789')}{self.rng.randint(0, 999999999):09d}"
            if phone not in self.phones and not phone.startswith("13910"):
                self.phones.add(phone)
                return phone

    def move_in(self):
        return datetime.date(2026, 1, 1) - datetime.timedelta(days=self.rng.randint(60, 3000))


@transaction.atomic
def seed_residents(users=None):
    """Create the demo residents once; return how many people were created."""
    users = {u.username: u for u in (users or [])} or {
        u.username: u for u in User.objects.filter(username__in=("admin", "service"))
    }
    admin = users.get("admin")
    created = 0
    if not Resident.objects.exists():
        created = _seed_people(admin)
        _seed_pending(users.get("service"), admin)
    _seed_account()
    return created


def _new(people, name, role, unit, move_in, rows, occupancies, relation="", **extra):
    person = Resident(name=name, status=ResidentStatus.CURRENT, **extra)
    rows.append(person)
    occupancies.append(
        (
            person,
            Occupancy(
                unit=unit,
                estate_id=unit.estate_id,
                building_id=unit.building_id,
                role=role,
                move_in=move_in,
                status=OccupancyStatus.CURRENT,
                relation=relation,
            ),
        )
    )
    return person


def _seed_people(admin):
    people = People()
    rng = people.rng
    rows, links, vehicles = [], [], []
    units = list(
        Unit.objects.filter(status__in=(UnitStatus.OCCUPIED, UnitStatus.RENTED)).order_by("pk")
    )
    for index, unit in enumerate(units):
        if index % 10 == 9:
            continue  # most lived-in units, not all: the register is never complete
        move_in = people.move_in()
        surname = rng.choice(SURNAMES)
        owner = _new(
            people,
            people.name(surname),
            Role.OWNER,
            unit,
            move_in,
            rows,
            links,
            phone=people.phone(),
            emergency_contact=people.name(),
            emergency_phone=people.phone(),
            **people.identity(),
        )
        if rng.random() < 0.35:
            kind = rng.choice([VehicleKind.CAR] * 4 + [VehicleKind.EBIKE])
            plate = f"{'沪' if unit.estate.code == 'CHTD' else '浙'}{rng.choice(PLATE_LETTERS)}"
            plate += (
                f"D{rng.randint(10000, 99999)}"
                if rng.random() < 0.3
                else str(rng.randint(10000, 99999))
            )
            vehicles.append((owner, Vehicle(plate=plate, kind=kind)))
        if unit.status == UnitStatus.RENTED:
            tenant = _new(
                people,
                people.name(),
                Role.TENANT,
                unit,
                move_in + datetime.timedelta(days=rng.randint(30, 400)),
                rows,
                links,
                phone=people.phone(),
                **people.identity(),
            )
            household = [(tenant, tenant.name[0])]
        else:
            household = [(owner, surname)]
        for _n in range(rng.choice([0, 0, 1, 1, 2])):
            young = rng.random() < 0.5
            _new(
                people,
                people.name(household[0][1] if young else None),
                Role.MEMBER,
                unit,
                move_in,
                rows,
                links,
                phone="" if young else people.phone(),
                relation=rng.choice(RELATIONS[1:2] if young else RELATIONS),
                **people.identity(young=young),
            )
    # History residents: moved out of what is now a vacant unit, then archived.
    vacant = list(Unit.objects.filter(status=UnitStatus.VACANT).order_by("pk")[:4])
    archived_at = timezone.now() - datetime.timedelta(days=40)
    history = []
    for unit in vacant:
        person = _new(
            people,
            people.name(),
            Role.OWNER,
            unit,
            datetime.date(2018, 5, 1),
            rows,
            links,
            phone=people.phone(),
            **people.identity(),
        )
        history.append(person)
    for person in rows:
        person.created_by = admin
        person.phone_last4 = person.phone[-4:] if person.phone else ""
        person.id_last4 = person.id_number_masked[-4:]
        if person in history:
            person.status = ResidentStatus.ARCHIVED
            person.archived_at, person.archived_by = archived_at, admin
            person.archive_reason = "房屋已出售，已办理迁出"
    Resident.objects.bulk_create(rows)
    NameGram.rebuild(rows)
    occupancies = []
    for person, occupancy in links:
        occupancy.resident = person
        occupancy.created_by = admin
        if person in history:
            occupancy.status = OccupancyStatus.ENDED
            occupancy.move_out = datetime.date(2025, 11, 20)
        occupancies.append(occupancy)
    Occupancy.objects.bulk_create(occupancies)
    for person, vehicle in vehicles:
        vehicle.resident = person
        vehicle.created_by = admin
    Vehicle.objects.bulk_create([v for _p, v in vehicles])
    # The demo account's owner: the first owner of an occupied unit.
    first = next(
        o for _p, o in links if o.role == Role.OWNER and o.unit.status == UnitStatus.OCCUPIED
    )
    Resident.objects.filter(pk=first.resident_id).update(phone=DEMO_PHONE, phone_last4="0001")
    return len(rows)


def _seed_pending(submitter, admin):
    """One registration awaiting the administrator's approval (a one-level default flow)."""
    if submitter is None or admin is None:
        return
    kind = services.APPROVAL_KIND
    if approvals.get_kind(kind) is not None and not ApprovalFlow.objects.filter(kind=kind).exists():
        role = Group.objects.filter(name="系统管理员").first()
        if role is not None:
            flow = ApprovalFlow.objects.create(kind=kind, estate=None, updated_by=admin)
            ApprovalLevel.objects.create(flow=flow, order=1, role=role, name="物业经理审核")
    unit = (
        Unit.objects.filter(status=UnitStatus.VACANT, estate__code="CHTD", use="residential")
        .exclude(occupancies__isnull=False)
        .order_by("pk")
        .first()
    )
    if unit is None:
        return
    people = People()
    people.sequence = 900
    number = idcard.make("310104", datetime.date(1988, 8, 8), 901)
    registration = services.submit_registration(
        submitter,
        unit=unit,
        main=services.PersonInput(
            name="周雨桐", role=Role.OWNER, id_number=number, phone="13761238801"
        ),
        members=[services.PersonInput(name="周子涵", role=Role.MEMBER, relation="子女")],
        move_in=timezone.localdate(),
        note="新购房业主，已提交房产证复印件",
    )
    assert registration.status in (RegistrationStatus.PENDING, RegistrationStatus.APPROVED)


def _seed_account():
    """The demo resident account: phone 13800000001, linked to its owner."""
    owner = Resident.objects.filter(phone=DEMO_PHONE).first()
    user = User.objects.filter(username=DEMO_PHONE).first()
    if user is None:
        user = User(
            username=DEMO_PHONE,
            phone=DEMO_PHONE,
            kind="resident",
            full_name=owner.name if owner else "",
            must_change_password=False,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
    if owner is not None and owner.user_id is None:
        Resident.objects.filter(user=user).update(user=None)
        owner.user = user
        owner.save(update_fields=["user", "updated_at"])
    return user
