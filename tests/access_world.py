"""The objects the access matrix fills path parameters with (tests/test_access.py).

Two estates: ``home``, the data scope of the scoped staff member and the home of the resident
who signs in to the portal, and ``other``, where another resident lives. Every kind of object
a page or an API operation names is made once in each: ``inside[Model]`` lies in the scoped
member's data scope and belongs to the resident, ``outside[Model]`` lies outside it and
belongs to the other resident. Company-wide records (roles, charge items, categories,
templates, the outbox) have an inside only.

Each model's rows get ids of their own (``spread_ids``), so that a route declaring the wrong
model cannot find a row of the right one by a coincidence of numbers.
"""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from tests.factories import PASSWORD, EstateFactory, UnitFactory, make_user


@dataclass
class World:
    home: object
    other: object
    inside: dict = field(default_factory=dict)
    outside: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)  # role name -> user
    without: dict = field(default_factory=dict)  # permission -> a user holding every other
    # Values of path parameters that name no object (an approval kind, a template key).
    values: dict = field(default_factory=dict)


def spread_ids(step=1000):
    """Start every table's ids at its own thousand (model n: n * 1000 + 1 …)."""
    with connection.cursor() as cursor:
        for n, model in enumerate(apps.get_models(), start=1):
            pk = model._meta.pk
            if pk.get_internal_type() not in ("AutoField", "BigAutoField"):
                continue
            table, column, start = model._meta.db_table, pk.column, n * step
            if connection.vendor == "sqlite":
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) "
                    f"SELECT %s, MAX(%s, COALESCE(MAX({column}), 0)) FROM {table}",  # noqa: S608
                    [table, start],
                )
            elif connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, %s), "  # noqa: S608
                    f"GREATEST(%s, (SELECT COALESCE(MAX({column}), 0) FROM {table})))",
                    [table, column, start],
                )


def with_permissions(user, permissions):
    """Give ``user`` a private role holding ``permissions`` (a Permission queryset)."""
    group = Group.objects.create(name=f"role-{user.username}")
    group.permissions.set(permissions)
    user.groups.add(group)
    return user


def staff_without(rules):
    """For each permission of ``rules``, a staff member of all estates holding every other
    permission ({rule: user}); written in bulk, as a hundred users one by one take seconds."""
    from courtyard.accounts.choices import ScopeKind
    from courtyard.accounts.models import ScopeGrant, User

    rules = sorted(set(rules))
    users = User.objects.bulk_create(
        User(username=f"without-{rule}", full_name=rule, must_change_password=False)
        for rule in rules
    )
    groups = Group.objects.bulk_create(Group(name=f"role-without-{rule}") for rule in rules)
    ScopeGrant.objects.bulk_create(ScopeGrant(user=user, kind=ScopeKind.ALL) for user in users)
    memberships = zip(users, groups, strict=True)
    User.groups.through.objects.bulk_create(
        User.groups.through(user=user, group=group) for user, group in memberships
    )
    permissions = list(Permission.objects.select_related("content_type"))
    Group.permissions.through.objects.bulk_create(
        Group.permissions.through(group=group, permission=permission)
        for rule, group in zip(rules, groups, strict=True)
        for permission in permissions
        if f"{permission.content_type.app_label}.{permission.codename}" != rule
    )
    return dict(zip(rules, users, strict=True))


def resident_account(unit, name, phone):
    """A resident of ``unit`` with a portal account."""
    from courtyard.accounts.models import User
    from courtyard.residents.tests.helpers import resident_in

    person = resident_in(unit, name=name, phone=phone)
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


def build_world(rules=()):
    """The two estates and everything in them; ``rules``: the permissions the matrix refuses
    (a staff member holding every other permission is made for each)."""
    from courtyard.billing.tests.factories import seed_charge_items

    spread_ids()
    world = World(home=EstateFactory(name="翠湖花园"), other=EstateFactory(name="滨江苑"))
    items = seed_charge_items()
    admin = make_user("matrix-admin", superuser=True)
    everything = Permission.objects.all()
    world.users = {
        "admin": admin,
        "scoped": with_permissions(make_user("scoped", estates=[world.home]), everything),
        "bare": make_user("bare"),
    }
    world.without = staff_without(rules)
    inside = estate_objects(admin, world.home, items, "13900000001")
    outside = estate_objects(admin, world.other, items, "13900000002")
    # A job is its owner's: the scoped member's own is inside, an administrator's outside.
    inside["core.Job"].user, outside["core.Job"].user = world.users["scoped"], admin
    for job in (inside["core.Job"], outside["core.Job"]):
        job.save(update_fields=["user"])
    inside.update(company_wide(admin, items, inside))
    # Users are the company's: any may be seen, and administered only within one's own scope
    # (403 with the reason, accounts' tests); their technicians' skills likewise.
    del outside["accounts.User"]
    world.users["resident"] = inside["residents.Resident"].user
    world.inside = {apps.get_model(label): obj for label, obj in inside.items()}
    world.outside = {apps.get_model(label): obj for label, obj in outside.items()}
    world.values = {"kind": "notices.notice", "key": first_message_template()}
    return world


def estate_objects(admin, estate, items, phone):
    """One of each kind of record in ``estate``, belonging to a resident living there."""
    from courtyard.billing.models import BillRun, ChargeRate, ParkingSpace, Reminder
    from courtyard.billing.payments import services as payments
    from courtyard.billing.tests.factories import make_bill, make_reading
    from courtyard.core.models import ApprovalFlow, Attachment, Job
    from courtyard.notices import services as notices
    from courtyard.notices.choices import AudienceKind
    from courtyard.repairs import services as repairs
    from courtyard.repairs.models import RepairCategory, WorkOrder
    from courtyard.residents import services as residents
    from courtyard.residents.choices import RegistrationStatus
    from courtyard.residents.models import Registration, Vehicle
    from courtyard.residents.tests.conftest import person

    unit = UnitFactory(entrance__building__estate=estate)
    resident = resident_account(unit, f"{estate.name}业主", phone)
    account = resident.user
    category, _created = RepairCategory.objects.get_or_create(code="matrix", name="水电")
    order = repairs.submit_from_portal(
        account, unit=unit, category=category, description="楼道灯不亮"
    )
    Attachment.objects.create(
        content_type=ContentType.objects.get_for_model(WorkOrder),
        object_id=str(order.pk),
        file=ContentFile(b"%PDF-1.4 matrix", name="matrix.pdf"),
        original_name="matrix.pdf",
        mime_type="application/pdf",
        size=15,
        uploaded_by=admin,
    )
    registration = residents.submit_registration(
        admin,
        unit=UnitFactory(entrance=unit.entrance),
        main=person(name="新业主", sequence=estate.pk, phone=f"1370000{estate.pk % 10000:04d}"),
        move_in=datetime.date(2026, 1, 1),
    )
    # Rejected (without approval levels it was approved at once): its correction page opens.
    Registration.objects.filter(pk=registration.pk).update(status=RegistrationStatus.REJECTED)
    bill = make_bill(unit, items["property-fee"], "10", payer=resident)
    deposit = make_bill(unit, items["renovation-deposit"], "100", payer=resident, kind="temporary")
    payment = payments.record_payment(
        admin, allocations=[(bill, "10"), (deposit, "100")], method="cash"
    )
    refund = payments.refund_deposit(admin, deposit, amount="50", method="cash", reason="退房")
    notice = notices.create_notice(
        admin,
        title=f"{estate.name}停水通知",
        content="<p>明日停水。</p>",
        effective_from=timezone.now() - datetime.timedelta(hours=1),
        audience_kind=AudienceKind.ESTATES,
        estates=[estate],
    )
    notices.submit_notice(admin, notice)  # no approval levels: approved and published at once
    technician = make_user(
        f"technician-{estate.pk}", "repairs.complete_workorder", estates=[estate]
    )
    return {
        "estates.Estate": estate,
        "estates.Building": unit.building,
        "estates.Entrance": unit.entrance,
        "estates.Unit": unit,
        "residents.Resident": resident,
        "residents.Occupancy": resident.occupancies.get(),
        "residents.Vehicle": Vehicle.objects.create(resident=resident, plate=f"沪A{estate.pk:05d}"),
        "residents.Registration": registration,
        "repairs.WorkOrder": order,
        "core.Attachment": Attachment.objects.latest("pk"),
        "core.ApprovalRequest": notice_approval(notice),
        "core.Job": Job.objects.create(
            kind="matrix", output_file=ContentFile(b"PK", name="matrix.xlsx"), output_name="x.xlsx"
        ),
        "accounts.User": technician,
        "billing.ChargeRate": ChargeRate.objects.create(
            item=items["property-fee"], estate=estate, rate="2.5"
        ),
        "billing.ParkingSpace": ParkingSpace.objects.create(estate=estate, code=f"P{estate.pk}"),
        "billing.MeterReading": make_reading(unit, "water", "2026-09", "10"),
        "billing.BillRun": BillRun.objects.create(
            estate=estate,
            cycle="month",
            period="2026-10",
            period_start=datetime.date(2026, 10, 1),
            period_end=datetime.date(2026, 10, 31),
        ),
        "billing.Bill": bill,
        "billing.Payment": payment,
        "billing.Refund": refund,
        "billing.Reminder": Reminder.objects.create(
            bill=bill, estate=estate, building=unit.building, channel="phone", outcome="other"
        ),
        "notices.Notice": notice,
        "core.ApprovalFlow": ApprovalFlow.objects.create(kind="notices.notice", estate=estate),
        "notices.NoticeComment": notices.add_comment(account, notice, "收到"),
    }


def notice_approval(notice):
    from courtyard.core.models import ApprovalRequest

    return ApprovalRequest.objects.filter(object_id=str(notice.pk)).latest("pk")


def company_wide(admin, items, inside):
    """Records the same for every estate: an inside, no outside."""
    from courtyard.accounts.administration import services as admin_services
    from courtyard.core.models import Message
    from courtyard.notices import services as notices

    return {
        "accounts.Role": admin_services.create_role(admin, name="矩阵角色"),
        "accounts.Department": admin_services.create_department(admin, name="矩阵部门"),
        "repairs.RepairCategory": inside["repairs.WorkOrder"].category,
        "billing.ChargeItem": items["property-fee"],
        "notices.NoticeTemplate": notices.create_template(
            admin, name="矩阵模板", title="通知", content="<p>通知</p>"
        ),
        "core.Message": Message.objects.latest("pk"),
    }


def first_message_template():
    from courtyard.core import message_templates

    return message_templates.registered()[0].key
