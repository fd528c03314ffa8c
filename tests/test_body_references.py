"""Every id in a request body or a form goes through the data-scope gate (issue #18, point 3).

``OPERATIONS`` declares, for every write operation of the API, the reference fields of its
body, a body that names records of the acting user's own estate, and which record of another
estate each field can be pointed at. Each case swaps one field for that foreign record (or,
for models without a data scope, an id that does not exist) and expects 404 — or the
operation's documented refusal that looks the same for a missing record — with nothing
written and no name of the foreign record in the answer. The same body unchanged succeeds,
so a 404 is the field's doing. A guard walks the API's routers and fails when a write
operation's input gains an int / list[int] field that the table does not cover.

``PAGES`` does the same for the main forms of the staff pages: the foreign id is refused as
a field error (or a 404 where ids are posted outside a form's fields).
"""

import types
import typing
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from pydantic import BaseModel

from courtyard.accounts.models import User
from courtyard.api import api as ninja_api
from courtyard.billing.choices import BillKind, BillStatus
from courtyard.billing.items import services as items_services
from courtyard.billing.payments import services as payments_services
from courtyard.billing.readings.services import current_month
from courtyard.billing.tests.factories import make_bill, seed_charge_items
from courtyard.notices import services as notice_services
from courtyard.repairs import services as repair_services
from courtyard.repairs.models import RepairCategory
from courtyard.residents.models import Occupancy, Vehicle
from courtyard.residents.tests.helpers import resident_in
from tests.factories import EstateFactory, UnitFactory, make_user

pytestmark = pytest.mark.django_db

STAFF_APPS = ("estates", "residents", "repairs", "billing", "notices")
MISSING = 999_999

# Names of the other estate's records: none may appear in an answer.
FOREIGN = {
    "estate": "锦绣外苑",
    "building": "外苑9栋",
    "room": "外9901",
    "resident": "赵外人",
    "phone": "13999990000",
    "plate": "沪Z99999",
    "technician": "钱外修",
}


# The world: the user's estate and another one ----------------------------------------------


@dataclass
class Place:
    estate: object
    building: object
    entrance: object
    unit: object
    resident: object
    vehicle: object
    technician: object
    order: object = None
    draft: object = None
    unpaid: object = None
    deposit: object = None


def _place(name, room, resident_name, phone, plate, technician_name, building_name=None):
    estate = EstateFactory(name=name)
    unit = UnitFactory(
        entrance__building__estate=estate,
        entrance__building__name=building_name or f"{name}1栋",
        room_no=room,
    )
    resident = resident_in(unit, name=resident_name, phone=phone)
    vehicle = Vehicle.objects.create(resident=resident, plate=plate, kind="car")
    technician = make_user(
        f"tech-{room}",
        f"repairs.{repair_services.TECHNICIAN_CODENAME}",
        "repairs.view_workorder",
        full_name=technician_name,
        estates=[estate],
    )
    return Place(estate, unit.building, unit.entrance, unit, resident, vehicle, technician)


class World:
    """The clerk's estate (``home``) and another estate (``away``), each with a unit, its
    owner and their car, a technician, a work order, a draft, an unpaid and a paid deposit
    bill; the seeded charge items and repair categories; the clerk, scoped to ``home`` and
    holding every permission of the staff modules; the home owner's portal account; and a
    member of the home unit who also rents in the other estate."""

    def __init__(self):
        self.items = seed_charge_items()
        self.category = RepairCategory.objects.create(code="pipes", name="管道")
        self.other_category = RepairCategory.objects.create(code="other", name="其他")
        self.home = _place("翠湖天地", "1201", "王芳", "13800000001", "沪A12345", "李师傅")
        self.away = _place(
            FOREIGN["estate"],
            FOREIGN["room"],
            FOREIGN["resident"],
            FOREIGN["phone"],
            FOREIGN["plate"],
            FOREIGN["technician"],
            building_name=FOREIGN["building"],
        )
        self.vacant = UnitFactory(entrance=self.home.entrance, room_no="1202")
        # A member of the home unit who also rents in the other estate.
        self.commuter = resident_in(
            self.home.unit, name="周两地", phone="13800000003", role="member"
        )
        Occupancy.objects.create(
            resident=self.commuter,
            unit=self.away.unit,
            estate_id=self.away.estate.pk,
            building_id=self.away.building.pk,
            role="tenant",
            move_in=date(2025, 1, 1),
            status="current",
        )
        perms = Permission.objects.filter(content_type__app_label__in=STAFF_APPS)
        names = [f"{p.content_type.app_label}.{p.codename}" for p in perms.select_related()]
        names.append("core.change_approvalflow")
        self.clerk = make_user("clerk", *names, estates=[self.home.estate])
        self.role = Group.objects.create(name="审核员")
        self.flow_kind = types.SimpleNamespace(pk="residents.registration")  # a path's kind
        self.admin = make_user("root", superuser=True)
        for place in (self.home, self.away):
            self._records(place)
        self.space = items_services.create_parking_space(
            self.admin, estate=self.home.estate, code="P-001"
        )
        self.notice = notice_services.create_notice(
            self.admin,
            title="停水通知",
            effective_from=datetime(2026, 12, 1, 8, tzinfo=UTC),
            estates=[self.home.estate],
        )
        self.portal_user = User.objects.create_user(
            username="13800000001", phone="13800000001", kind="resident"
        )
        self.home.resident.user = self.portal_user
        self.home.resident.save(update_fields=["user"])

    def _records(self, place):
        place.order = repair_services.create_work_order(
            self.admin, category=self.category, description="厨房漏水", unit=place.unit
        )
        fee, deposit = self.items["property-fee"], self.items["renovation-deposit"]
        place.draft = make_bill(place.unit, fee, status=BillStatus.DRAFT, payer=place.resident)
        place.unpaid = make_bill(place.unit, fee, period="2026-09", payer=place.resident)
        place.deposit = make_bill(
            place.unit, deposit, "2000", kind=BillKind.TEMPORARY, payer=place.resident
        )
        payments_services.record_payment(
            self.admin, allocations=[(place.deposit, "2000")], method="cash"
        )


@pytest.fixture
def world(db):
    return World()


def snapshot():
    """Row counts of every Courtyard model and of the audit log: what a write would change."""
    counts = {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model.__module__.startswith("courtyard.")
    }
    counts["auditlog"] = LogEntry.objects.count()
    return counts


def leaked(response):
    text = response.content.decode()
    return [name for name in FOREIGN.values() if name in text]


# The API --------------------------------------------------------------------------------------


@dataclass
class Operation:
    """A write operation: its method and path (``{home.order}``-style placeholders), a body
    naming home records, and per reference field the foreign value that replaces it."""

    method: str
    path: str
    body: typing.Callable
    refs: dict
    actor: str = "clerk"
    refusal: tuple = (404, "not_found")
    label: str = ""

    @property
    def id(self):
        return f"{self.method.upper()} {self.path}{self.label}"


def _ids(*records):
    return [record.pk for record in records]


def _notice(w, kind, **targets):
    return {
        "title": "停水通知",
        "effective_from": "2026-12-01T08:00:00+00:00",
        "audience_kind": kind,
        "estates": _ids(w.home.estate),
        **targets,
    }


def _space(w):
    h = w.home
    return {
        "estate": h.estate.pk,
        "code": "P-002",
        "unit": h.unit.pk,
        "resident": h.resident.pk,
        "vehicle": h.vehicle.pk,
    }


def _run(w):
    return {
        "estate": w.home.estate.pk,
        "buildings": _ids(w.home.building),
        "period": "2026-11",
        "items": _ids(w.items["property-fee"]),
    }


def _bill(w):
    h = w.home
    return {
        "item": w.items["repair"].pk,
        "amount": "80",
        "unit": h.unit.pk,
        "payer": h.resident.pk,
        "work_order": h.order.pk,
    }


SPACE_REFS = {
    "estate": lambda w: w.away.estate.pk,
    "unit": lambda w: w.away.unit.pk,
    "resident": lambda w: w.away.resident.pk,
    "vehicle": lambda w: w.away.vehicle.pk,
}
RUN_REFS = {
    "estate": lambda w: w.away.estate.pk,
    "buildings": lambda w: _ids(w.home.building, w.away.building),
    "items": lambda w: _ids(w.items["property-fee"]) + [MISSING],
}
ORDER_REFS = {
    "category": lambda w: MISSING,
    "unit": lambda w: w.away.unit.pk,
    "building": lambda w: w.away.building.pk,
    "estate": lambda w: w.away.estate.pk,
}

OPERATIONS = [
    Operation(
        "post",
        "/buildings",
        lambda w: {"estate": w.home.estate.pk, "name": "新楼"},
        {"estate": lambda w: w.away.estate.pk},
    ),
    Operation(
        "patch",
        "/buildings/{home.building}",
        lambda w: {"estate": w.home.estate.pk},
        {"estate": lambda w: w.away.estate.pk},
    ),
    Operation(
        "post",
        "/entrances",
        lambda w: {"building": w.home.building.pk, "name": "9单元"},
        {"building": lambda w: w.away.building.pk},
    ),
    Operation(
        "patch",
        "/entrances/{home.entrance}",
        lambda w: {"building": w.home.building.pk},
        {"building": lambda w: w.away.building.pk},
    ),
    Operation(
        "post",
        "/units",
        lambda w: {"entrance": w.home.entrance.pk, "room_no": "701", "floor": 7, "area": "90"},
        {"entrance": lambda w: w.away.entrance.pk},
    ),
    Operation(
        "patch",
        "/units/{home.unit}",
        lambda w: {"entrance": w.home.entrance.pk},
        {"entrance": lambda w: w.away.entrance.pk},
    ),
    Operation(
        "post",
        "/residents",
        lambda w: {
            "unit": w.vacant.pk,
            "name": "孙新",
            "id_number": "310104198503035230",
            "phone": "13700000002",
            "move_in": "2026-11-01",
        },
        {"unit": lambda w: w.away.unit.pk},
    ),
    Operation(
        "post",
        "/work-orders",
        lambda w: {
            "category": w.category.pk,
            "description": "楼道灯不亮",
            "unit": w.home.unit.pk,
            "building": w.home.building.pk,
            "estate": w.home.estate.pk,
        },
        ORDER_REFS,
    ),
    Operation(
        "patch",
        "/work-orders/{home.order}",
        lambda w: {"category": w.other_category.pk},
        {"category": lambda w: MISSING},
    ),
    Operation(
        "post",
        "/work-orders/{home.order}/dispatch",
        lambda w: {"assignee": w.home.technician.pk},
        {"assignee": lambda w: w.away.technician.pk},
    ),
    Operation(
        "put",
        "/technicians/{home.technician}/skills",
        lambda w: {"categories": _ids(w.category, w.other_category)},
        {"categories": lambda w: [w.category.pk, MISSING]},
    ),
    # The portal's gate is the resident's own homes: another unit is refused as one that
    # does not exist, with the portal's codes.
    Operation(
        "post",
        "/portal/work-orders",
        lambda w: {"unit": w.home.unit.pk, "category": w.category.pk, "description": "门铃坏了"},
        {"unit": lambda w: w.away.unit.pk},
        actor="portal",
        refusal=(400, "not_my_unit"),
    ),
    Operation(
        "post",
        "/portal/work-orders",
        lambda w: {"unit": w.home.unit.pk, "category": w.category.pk, "description": "门铃坏了"},
        {"category": lambda w: MISSING},
        actor="portal",
        refusal=(400, "invalid_category"),
        label=" (category)",
    ),
    Operation(
        "post",
        "/charge-items/{items[water]}/rates",
        lambda w: {"estate": w.home.estate.pk, "rate": "4.20"},
        {"estate": lambda w: w.away.estate.pk},
    ),
    Operation("post", "/parking-spaces", _space, SPACE_REFS),
    Operation("patch", "/parking-spaces/{space}", _space, SPACE_REFS),
    Operation(
        "post",
        "/meter-readings",
        lambda w: {
            "readings": [
                {
                    "unit": w.home.unit.pk,
                    "meter_type": "water",
                    "period": current_month(),
                    "reading": "12",
                }
            ]
        },
        {"readings[].unit": lambda w: w.away.unit.pk},
        # A batch names every refused row; a unit outside the scope is "not_found" like a
        # missing one.
        refusal=(400, "invalid_rows"),
    ),
    Operation("post", "/bill-runs/preview", _run, RUN_REFS),
    Operation("post", "/bill-runs", _run, RUN_REFS),
    Operation(
        "post",
        "/bills",
        _bill,
        {
            "item": lambda w: MISSING,
            "unit": lambda w: w.away.unit.pk,
            "payer": lambda w: w.away.resident.pk,
            "work_order": lambda w: w.away.order.pk,
        },
    ),
    Operation(
        "post",
        "/bills/publish",
        lambda w: {"bills": _ids(w.home.draft)},
        {"bills": lambda w: _ids(w.home.draft, w.away.draft)},
    ),
    Operation(
        "post",
        "/payments",
        lambda w: {
            "allocations": [{"bill": w.home.unpaid.pk, "amount": "10"}],
            "method": "cash",
            "payer": w.home.resident.pk,
        },
        {
            "allocations[].bill": lambda w: w.away.unpaid.pk,
            "payer": lambda w: w.away.resident.pk,
        },
    ),
    Operation(
        "post",
        "/refunds",
        lambda w: {"bill": w.home.deposit.pk, "amount": "500", "method": "cash", "reason": "验收"},
        {"bill": lambda w: w.away.deposit.pk},
    ),
    Operation(
        "post",
        "/reminders",
        lambda w: {"bills": _ids(w.home.unpaid), "channel": "phone", "outcome": "promised"},
        {"bills": lambda w: _ids(w.home.unpaid, w.away.unpaid)},
    ),
    Operation(
        "post",
        "/notices",
        lambda w: _notice(w, "estates"),
        {"estates": lambda w: _ids(w.home.estate, w.away.estate)},
    ),
    Operation(
        "post",
        "/notices",
        lambda w: _notice(w, "buildings", buildings=_ids(w.home.building)),
        {"buildings": lambda w: _ids(w.home.building, w.away.building)},
        label=" (buildings)",
    ),
    Operation(
        "post",
        "/notices",
        lambda w: _notice(w, "units", units=_ids(w.home.unit)),
        {"units": lambda w: _ids(w.home.unit, w.away.unit)},
        label=" (units)",
    ),
    Operation(
        "post",
        "/notices",
        lambda w: _notice(w, "residents", residents=_ids(w.home.resident)),
        {"residents": lambda w: _ids(w.home.resident, w.away.resident)},
        label=" (residents)",
    ),
    Operation(
        "patch",
        "/notices/{notice}",
        lambda w: _notice(w, "estates"),
        {"estates": lambda w: _ids(w.home.estate, w.away.estate)},
    ),
    Operation(
        "patch",
        "/notices/{notice}",
        lambda w: _notice(w, "residents", residents=_ids(w.home.resident)),
        {"residents": lambda w: _ids(w.home.resident, w.away.resident)},
        label=" (residents)",
    ),
    Operation(
        "patch",
        "/notices/{notice}",
        lambda w: _notice(w, "buildings", buildings=_ids(w.home.building)),
        {"buildings": lambda w: _ids(w.home.building, w.away.building)},
        label=" (buildings)",
    ),
    Operation(
        "patch",
        "/notices/{notice}",
        lambda w: _notice(w, "units", units=_ids(w.home.unit)),
        {"units": lambda w: _ids(w.home.unit, w.away.unit)},
        label=" (units)",
    ),
    # Roles have no data scope: a missing one is refused. The default flow is company-wide.
    Operation(
        "put",
        "/approval-flows/{flow_kind}",
        lambda w: {"levels": [{"role": w.role.pk, "name": "审核"}]},
        {"levels[].role": lambda w: MISSING},
        actor="admin",
    ),
    Operation(
        "put",
        "/approval-flows/{flow_kind}/estates/{home.estate}",
        lambda w: {"levels": [{"role": w.role.pk}]},
        {"levels[].role": lambda w: MISSING},
    ),
]

# Whole numbers in bodies that name no record.
NOT_REFERENCES = {
    ("POST", "/buildings", "floors"),
    ("PATCH", "/buildings/{pk}", "floors"),
    ("POST", "/units", "floor"),
    ("PATCH", "/units/{pk}", "floor"),
    ("POST", "/charge-items", "due_days"),
    ("POST", "/charge-items", "sort_order"),
    ("PATCH", "/charge-items/{pk}", "due_days"),
    ("PATCH", "/charge-items/{pk}", "sort_order"),
    ("POST", "/approvals/{pk}/approve", "level"),
    ("POST", "/approvals/{pk}/reject", "level"),
    ("POST", "/notices/{pk}/approve", "level"),
    ("POST", "/notices/{pk}/reject", "level"),
    ("POST", "/portal/work-orders/{order_id}/rate", "stars"),
    ("POST", "/repair-categories", "sort_order"),
    ("PATCH", "/repair-categories/{pk}", "sort_order"),
}


def _url(operation, w):
    """The operation's path with its placeholders filled from the world."""

    def value(expression):
        target = w
        for part in expression.replace("[", ".").replace("]", "").split("."):
            target = target[part] if isinstance(target, dict) else getattr(target, part)
        return target.pk

    path = operation.path
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + str(value(path[start + 1 : end])) + path[end + 1 :]
    return path


def _swap(body, name, value):
    """The body with one reference field replaced (``rows[].field``: in the first row)."""
    if "[]." in name:
        rows, inner = name.split("[].")
        body[rows][0][inner] = value
    else:
        body[name] = value
    return body


def _client(api, operation, w):
    return api({"portal": w.portal_user, "admin": w.admin}.get(operation.actor, w.clerk))


CASES = [(op, name) for op in OPERATIONS for name in op.refs]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.id for op in OPERATIONS])
def test_the_body_naming_home_records_is_accepted(api, world, operation):
    client = _client(api, operation, world)
    response = client.call(operation.method, _url(operation, world), operation.body(world))
    assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize("operation, name", CASES, ids=[f"{op.id} {name}" for op, name in CASES])
def test_a_foreign_reference_is_not_found(api, world, operation, name):
    body = _swap(operation.body(world), name, operation.refs[name](world))
    client = _client(api, operation, world)
    before = snapshot()

    response = client.call(operation.method, _url(operation, world), body)

    status, code = operation.refusal
    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    if code == "invalid_rows":
        assert [e["code"] for e in response.json()["errors"]] == ["not_found"]
    assert snapshot() == before
    assert leaked(response) == []


def _int_fields(annotation, prefix):
    """Names of the int and list[int] fields inside a body annotation (``rows[].field``)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is int:
        yield prefix
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            yield from _int_fields(arg, prefix)
    elif origin in (list, set, tuple):
        for arg in args:
            yield from _int_fields(arg, prefix if arg is int else f"{prefix}[]")
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            yield from _int_fields(info.annotation, f"{prefix}.{name}" if prefix else name)


def body_fields():
    """(method, path, field) of every int / list[int] field of every write operation's body."""
    ninja_api._get_bound_routers()  # nested routers (billing's parts) are listed once bound
    for _prefix, router in ninja_api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for model in operation.models:
                    if model.__ninja_param_source__ not in ("body", "form"):
                        continue
                    for info in model.model_fields.values():
                        for name in _int_fields(info.annotation, ""):
                            for method in operation.methods:
                                yield method, path, name


def test_every_reference_field_of_a_body_is_walked():
    walked = {
        (op.method.upper(), _template(op.path), name) for op in OPERATIONS for name in op.refs
    }
    walked |= {(method, _template(path), name) for method, path, name in NOT_REFERENCES}
    missing = [
        f"{method} {path} {name}"
        for method, path, name in body_fields()
        if (method, _template(path), name) not in walked
    ]
    assert missing == []


def _template(path):
    """``/work-orders/{home.order}/dispatch`` and ``/work-orders/{pk}/dispatch`` alike."""
    parts = path.strip("/").split("/")
    return "/" + "/".join("{}" if part.startswith("{") else part for part in parts)


# The pages ----------------------------------------------------------------------------------


@dataclass
class Page:
    """A form of the staff pages: its address, the posted data naming home records, and per
    reference field the foreign value that replaces it. The refusal is a field error of the
    re-shown form, a 404 (ids posted outside a form's fields), or, for the small forms of a
    detail page, the way back to it with an error message."""

    name: str
    data: typing.Callable
    refs: dict
    args: typing.Callable = None
    query: typing.Callable = None
    refusal: str = "field"
    label: str = ""

    def url(self, w):
        url = reverse(self.name, args=self.args(w) if self.args else None)
        return url + (self.query(w) if self.query else "")

    @property
    def id(self):
        return f"{self.name}{self.label}"


def _picked(w, unit):
    """The estate → building → entrance → room selects of a unit."""
    return {
        "estate": unit.estate_id,
        "building": unit.building_id,
        "entrance": unit.entrance_id,
        "unit": unit.pk,
    }


PICKER_REFS = {
    "estate": lambda w: w.away.estate.pk,
    "building": lambda w: w.away.building.pk,
    "entrance": lambda w: w.away.entrance.pk,
    "unit": lambda w: w.away.unit.pk,
}


def _space_form(w):
    return {
        **_picked(w, w.home.unit),
        "code": "P-002",
        "kind": "rented",
        "resident": w.home.resident.pk,
        "vehicle": w.home.vehicle.pk,
        "is_active": "on",
    }


def _notice_form(w, kind, **targets):
    return {
        "title": "停水通知",
        "category": "outage",
        "content": "<p>明日停水。</p>",
        "effective_from": "2026-12-01T08:00",
        "audience_kind": kind,
        "estates": [w.home.estate.pk],
        "channels": ["app"],
        **targets,
    }


def _run_form(w):
    return {
        "estate": w.home.estate.pk,
        "buildings": [w.home.building.pk],
        "cycle": "month",
        "period": "2026-11",
        "items": [w.items["property-fee"].pk],
    }


NOTICE_PAGES = [
    (lambda w: _notice_form(w, "estates"), {"estates": RUN_REFS["estate"]}, ""),
    (
        lambda w: _notice_form(w, "buildings", buildings=_ids(w.home.building)),
        {"buildings": lambda w: _ids(w.home.building, w.away.building)},
        " (buildings)",
    ),
    (
        lambda w: _notice_form(w, "units", units=_ids(w.home.unit)),
        {"units": lambda w: _ids(w.home.unit, w.away.unit)},
        " (units)",
    ),
    (
        lambda w: _notice_form(w, "residents", residents=_ids(w.home.resident)),
        {"residents": lambda w: _ids(w.home.resident, w.away.resident)},
        " (residents)",
    ),
]

PAGES = [
    Page(
        "billing:bill_add",
        lambda w: {
            **_picked(w, w.home.unit),
            "payer": w.home.resident.pk,
            "item": w.items["renovation-deposit"].pk,
            "amount": "100",
        },
        {
            **PICKER_REFS,
            "payer": lambda w: w.away.resident.pk,
            "item": lambda w: MISSING,
        },
    ),
    Page(
        "repairs:workorder_add",
        lambda w: {
            **_picked(w, w.home.unit),
            "category": w.category.pk,
            "description": "楼道灯不亮",
            "urgency": "normal",
            "source": "phone",
        },
        {**PICKER_REFS, "category": lambda w: MISSING},
    ),
    Page(
        "repairs:workorder_dispatch",
        lambda w: {"assignee": w.home.technician.pk},
        {"assignee": lambda w: w.away.technician.pk},
        args=lambda w: [w.home.order.pk],
    ),
    Page(
        "residents:resident_add",
        lambda w: {
            **_picked(w, w.vacant),
            "role": "owner",
            "name": "孙新",
            "kind": "individual",
            "id_number": "310104198503035230",
            "phone": "13700000002",
            "move_in": "2026-11-01",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
        PICKER_REFS,
    ),
    Page(
        "residents:member_add",
        lambda w: {"unit": w.home.unit.pk, "name": "孙丽", "relation": "配偶"},
        {"unit": lambda w: w.away.unit.pk},
        args=lambda w: [w.commuter.pk],
        refusal="redirect",
    ),
    Page(
        "billing:parkingspace_add",
        _space_form,
        {**PICKER_REFS, **SPACE_REFS},
    ),
    Page(
        "billing:parkingspace_edit",
        _space_form,
        {**PICKER_REFS, **SPACE_REFS},
        args=lambda w: [w.space.pk],
    ),
    Page("billing:billrun_add", _run_form, RUN_REFS),
    Page(
        "billing:reading_grid",
        lambda w: {
            "building": w.home.building.pk,
            "meter_type": "water",
            "period": current_month(),
            f"r-{w.home.unit.pk}": "12",
        },
        {"building": lambda w: w.away.building.pk},
    ),
    Page(
        "billing:chargerate_add",
        lambda w: {"estate": w.home.estate.pk, "unit_use": "", "rate": "4.20"},
        {"estate": lambda w: w.away.estate.pk},
        query=lambda w: f"?item={w.items['water'].pk}",
    ),
    Page(
        "estates:building_add",
        lambda w: {"estate": w.home.estate.pk, "name": "新楼"},
        {"estate": lambda w: w.away.estate.pk},
    ),
    Page(
        "estates:entrance_add",
        lambda w: {"building": w.home.building.pk, "name": "9单元"},
        {"building": lambda w: w.away.building.pk},
    ),
    Page(
        "estates:unit_add",
        lambda w: {
            "estate": w.home.estate.pk,
            "building": w.home.building.pk,
            "entrance": w.home.entrance.pk,
            "room_no": "701",
            "floor": "7",
            "area": "90",
            "use": "residential",
            "status": "vacant",
        },
        {name: PICKER_REFS[name] for name in ("estate", "building", "entrance")},
    ),
    Page(
        "billing:cashier",
        lambda w: {
            "bill": [w.home.unpaid.pk],
            f"amount_{w.home.unpaid.pk}": "10",
            "method": "cash",
        },
        {"bill": lambda w: [w.home.unpaid.pk, w.away.unpaid.pk]},
        query=lambda w: f"?unit={w.home.unit.pk}",
        refusal="not_found",
    ),
    Page(
        "billing:bill_publish_selected",
        lambda w: {"bill": [w.home.draft.pk]},
        {"bill": lambda w: [w.home.draft.pk, w.away.draft.pk]},
        refusal="not_found",
    ),
    Page(
        "billing:reminder_add",
        lambda w: {"bill": [w.home.unpaid.pk], "channel": "phone", "outcome": "promised"},
        {"bill": lambda w: [w.home.unpaid.pk, w.away.unpaid.pk]},
        refusal="not_found",
    ),
    *(Page("notices:notice_add", data, refs, label=label) for data, refs, label in NOTICE_PAGES),
    *(
        Page(
            "notices:notice_edit",
            data,
            refs,
            args=lambda w: [w.notice.pk],
            label=f" (edit{label})",
        )
        for data, refs, label in NOTICE_PAGES
    ),
]


PAGE_CASES = [(page, name) for page in PAGES for name in page.refs]


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_the_form_naming_home_records_is_accepted(client, world, page):
    client.force_login(world.clerk)
    before = snapshot()
    response = client.post(page.url(world), page.data(world))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert snapshot() != before
    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


@pytest.mark.parametrize("page, name", PAGE_CASES, ids=[f"{p.id} {name}" for p, name in PAGE_CASES])
def test_a_foreign_choice_is_refused(client, world, page, name):
    data = {**page.data(world), name: page.refs[name](world)}
    client.force_login(world.clerk)
    before = snapshot()

    response = client.post(page.url(world), data)

    if page.refusal == "not_found":
        assert response.status_code == 404
    elif page.refusal == "redirect":
        assert response.status_code == 302
        assert [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    else:
        assert response.status_code in (200, 400), response.content.decode()[:2000]
        assert name in response.context["form"].errors
    assert snapshot() == before
    assert leaked(response) == []
