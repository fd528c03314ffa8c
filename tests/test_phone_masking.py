"""Phones show in full only where the privacy policy (``courtyard.core.privacy``) allows.

Every default role, and the technician assigned to an open and to a closed work order (and
not to two others), walks every place a phone appears: staff pages, the API (lists and
details), exports, the change history, the message outbox and the portal. Only a role holding
``residents.view_full_identity`` sees residents' and colleagues' phones in full; a technician
sees the contact phone of the open order assigned to them; a person sees their own phone.
Anyone else sees ``139****0001``, and reveals a work order's number only by an audited action.
"""

import io
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from courtyard.accounts.administration.services import ensure_default_roles
from courtyard.accounts.models import User
from courtyard.accounts.roles import DEFAULT_ROLES
from courtyard.billing.models import Bill
from courtyard.billing.tests.factories import make_bill, seed_charge_items
from courtyard.core import jobs
from courtyard.core.models import Job, Message, TimelineEvent
from courtyard.notices import services as notice_services
from courtyard.notices.choices import AudienceKind
from courtyard.repairs import services as repairs
from courtyard.repairs.models import RepairCategory
from courtyard.residents.tests.helpers import resident_in
from tests.factories import PASSWORD, EstateFactory, UnitFactory, make_user

pytestmark = pytest.mark.django_db

ROLES = ("admin", "clerk", "finance", "supervisor", "technician", "inspector")
RESIDENT = "13100000083"  # the owner: payer, reader of notices, portal user
HOUSEMATE = "13100000084"
TECH = "13700000001"  # the technician's own phone
TECH2 = "13700000002"  # another technician's
CONTACT = {  # the contact phone of each work order
    "open": "13900000001",  # dispatched to the technician
    "closed": "13900000002",  # was the technician's, now closed
    "other": "13900000003",  # dispatched to another technician
    "new": "13900000004",  # submitted, nobody's yet
}


def masked(phone):
    return f"{phone[:3]}****{phone[-4:]}"


def full_for(role, phone):
    """The policy: the full-identity role sees every phone; the technician the contact of
    their open order, and their own phone; nobody else sees any in full."""
    if role == "admin":
        return True
    if role == "technician":
        return phone in (CONTACT["open"], TECH)
    return False


def seen(text, phone):
    if phone in text:
        return "full"
    return "masked" if masked(phone) in text else None


def check(role, response, phone, shows=True):
    """The phone as ``role`` sees it in ``response``: in full where the policy says so,
    masked where the place shows it otherwise, absent where the role may not look."""
    text = response_text(response)
    if response.status_code != 200 or not shows:
        expected = None
    elif full_for(role, phone):
        expected = "full"
    else:
        expected = "masked"
    assert seen(text, phone) == expected, (role, phone, response.status_code)


def response_text(response):
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        content = b"".join(response.streaming_content) if response.streaming else response.content
        return workbook_text(content)
    return response.content.decode()


def workbook_text(content):
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    return "\n".join(" ".join("" if v is None else str(v) for v in row) for row in rows)


class Answer:
    """A job's output, read like a response: 200 with the workbook, 403 when it failed."""

    def __init__(self, job):
        self.status_code = 200 if job.status == "succeeded" else 403
        self.text = workbook_text(job.output_file.read()) if job.output_file else ""
        self.streaming = False

    def get(self, _key, default=""):
        return default

    @property
    def content(self):
        return self.text.encode()


def exported(user, kind, **params):
    job = jobs.start_job(user, kind, params=params)
    jobs.run_job(job.pk)
    return Answer(Job.objects.get(pk=job.pk))


@pytest.fixture
def world(db):
    """One estate: the owner and a housemate in a unit, an overdue bill, a published notice
    (app + SMS, so the outbox holds their phones), four work orders, and a user per role."""
    ensure_default_roles()
    estate = EstateFactory(name="翠湖花园", phone="021-55501234")
    unit = UnitFactory(entrance__building__estate=estate, room_no="1201")
    owner = resident_in(unit, name="王芳", phone=RESIDENT)
    owner.user = User.objects.create_user(
        username=RESIDENT,
        password=PASSWORD,
        kind="resident",
        phone=RESIDENT,
        full_name="王芳",
        must_change_password=False,
    )
    owner.save(update_fields=["user"])
    housemate = resident_in(unit, name="李娜", phone=HOUSEMATE, role="member")
    users = {}
    for key, role in zip(ROLES, DEFAULT_ROLES, strict=True):
        users[key] = make_user(key, phone=TECH if key == "technician" else "")
        users[key].groups.add(Group.objects.get(name=role.name))
    tech2 = make_user("tech2", phone=TECH2)
    tech2.groups.add(Group.objects.get(name=DEFAULT_ROLES[4].name))
    admin, tech = users["admin"], users["technician"]

    category = RepairCategory.objects.create(code="water", name="水电")
    orders = {}
    for key, phone in CONTACT.items():
        orders[key] = repairs.create_work_order(
            admin,
            category=category,
            description=f"漏水 {key}",
            unit=unit,
            contact_name="王芳",
            contact_phone=phone,
        )
    repairs.dispatch(admin, orders["open"], assignee=tech)
    repairs.dispatch(admin, orders["other"], assignee=tech2)
    closed = orders["closed"]
    repairs.dispatch(admin, closed, assignee=tech)
    repairs.start(tech, closed)
    repairs.complete(tech, closed, work_done="换了阀门")
    repairs.close(admin, closed)

    items = seed_charge_items()
    make_bill(unit, items["property-fee"], "320.00", payer=owner, due_date=date(2024, 1, 15))
    notice = notice_services.create_notice(
        admin,
        title="停水通知",
        content="<p>明日停水。</p>",
        effective_from=timezone.now() - timedelta(hours=1),
        audience_kind=AudienceKind.ESTATES,
        estates=[estate],
        channels=["app", "sms"],
    )
    notice_services.submit_notice(admin, notice)
    return {
        "users": users,
        "orders": orders,
        "owner": owner,
        "housemate": housemate,
        "tech2": tech2,
        "notice": notice,
        "estate": estate,
    }


def signed_in(client, user):
    client.force_login(user)
    return client


def each_role(client, world):
    for role in ROLES:
        yield role, signed_in(client, world["users"][role])


def each_api(api, world):
    for role in ROLES:
        yield role, api(world["users"][role])


# Repairs ------------------------------------------------------------------------------------


def test_work_order_api_list(api, world):
    for role, caller in each_api(api, world):
        response = caller.get("/work-orders")
        for phone in CONTACT.values():
            check(role, response, phone)


def test_work_order_api_detail(api, world):
    for role, caller in each_api(api, world):
        for key, order in world["orders"].items():
            check(role, caller.get(f"/work-orders/{order.pk}"), CONTACT[key])


def test_work_order_page_contact_and_assignee(client, world):
    orders = world["orders"]
    for role, browser in each_role(client, world):
        for key, order in orders.items():
            response = browser.get(reverse("repairs:workorder_detail", args=[order.pk]))
            check(role, response, CONTACT[key])
        other = browser.get(reverse("repairs:workorder_detail", args=[orders["other"].pk]))
        check(role, other, TECH2)
        mine = browser.get(reverse("repairs:workorder_detail", args=[orders["open"].pk]))
        check(role, mine, TECH)


def test_work_order_history_page(client, world):
    for role, browser in each_role(client, world):
        for key, order in world["orders"].items():
            response = browser.get(reverse("repairs:workorder_history", args=[order.pk]))
            check(role, response, CONTACT[key])


def test_pending_list_and_my_work_orders(client, world):
    for role, browser in each_role(client, world):
        check(role, browser.get(reverse("repairs:pending")), CONTACT["new"])
        mine = browser.get(reverse("repairs:my_work_orders"))
        check(role, mine, CONTACT["open"], shows=role == "technician")
        check(role, mine, CONTACT["closed"], shows=False)


def test_work_order_export(world):
    for role in ROLES:
        answer = exported(world["users"][role], "repairs.export_work_orders", filters={})
        for phone in CONTACT.values():
            check(role, answer, phone, shows=False)  # the export has no phone column


# Residents ----------------------------------------------------------------------------------


def test_resident_pages(client, world):
    owner = world["owner"]
    for role, browser in each_role(client, world):
        check(role, browser.get(reverse("residents:resident_list")), RESIDENT)
        detail = browser.get(reverse("residents:resident_detail", args=[owner.pk]))
        check(role, detail, RESIDENT)


def test_resident_api(api, world):
    owner = world["owner"]
    for role, caller in each_api(api, world):
        check(role, caller.get("/residents"), RESIDENT)
        check(role, caller.get(f"/residents/{owner.pk}"), RESIDENT)


def test_resident_export(world):
    for role in ROLES:
        user = world["users"][role]
        answer = exported(user, "residents.export_residents", filters={})
        check(role, answer, RESIDENT, shows=user.has_perm("residents.view_resident"))


# Billing ------------------------------------------------------------------------------------


def test_arrears_page_api_and_export(client, api, world):
    for role, browser in each_role(client, world):
        check(role, browser.get(reverse("billing:arrears")), RESIDENT)
        check(role, browser.get(reverse("billing:arrears_export")), RESIDENT)
    for role, caller in each_api(api, world):
        check(role, caller.get("/reports/arrears"), RESIDENT)


def test_bill_page_shows_the_payer(client, world):
    bill = Bill.objects.get(payer=world["owner"])
    for role, browser in each_role(client, world):
        check(role, browser.get(reverse("billing:bill_detail", args=[bill.pk])), RESIDENT)


# Notices ------------------------------------------------------------------------------------


def test_unread_list_page_api_and_export(client, api, world):
    notice = world["notice"]
    for role, browser in each_role(client, world):
        check(role, browser.get(reverse("notices:notice_unread", args=[notice.pk])), RESIDENT)
        export = browser.get(reverse("notices:notice_unread_export", args=[notice.pk]))
        check(role, export, RESIDENT)
    for role, caller in each_api(api, world):
        check(role, caller.get(f"/notices/{notice.pk}/unread"), RESIDENT)


# Colleagues and the outbox ------------------------------------------------------------------


def test_staff_user_pages_and_api(client, api, world):
    tech2 = world["tech2"]
    for role, browser in each_role(client, world):
        check(role, browser.get(reverse("accounts:user_list")), TECH2)
        check(role, browser.get(reverse("accounts:user_detail", args=[tech2.pk])), TECH2)
    for role, caller in each_api(api, world):
        check(role, caller.get("/users"), TECH2)
        check(role, caller.get(f"/users/{tech2.pk}"), TECH2)


def test_change_histories(client, world):
    owner, tech2 = world["owner"], world["tech2"]
    for role, browser in each_role(client, world):
        history = browser.get(reverse("residents:resident_history", args=[owner.pk]))
        check(role, history, RESIDENT)
        check(role, browser.get(reverse("accounts:user_history", args=[tech2.pk])), TECH2)
        audit_log = browser.get(reverse("system:audit_log"), {"q": "王芳", "action": 0})
        check(role, audit_log, RESIDENT)


def test_message_outbox(client, world):
    sms = Message.objects.get(recipient=RESIDENT, channel="sms")
    for role, browser in each_role(client, world):
        check(role, browser.get(reverse("system:message_list")), RESIDENT)
        check(role, browser.get(reverse("system:message_detail", args=[sms.pk])), RESIDENT)


# The portal ---------------------------------------------------------------------------------


def test_a_resident_sees_their_own_phone_and_a_housemates_masked(client, api, world):
    user = world["owner"].user
    browser = signed_in(client, user)
    profile = browser.get(reverse("portal:profile")).content.decode()
    assert seen(profile, RESIDENT) == "full"
    home = browser.get(reverse("portal:my_home")).content.decode()
    assert seen(home, HOUSEMATE) == "masked"
    me = api(user).get("/portal/me").content.decode()
    assert seen(me, RESIDENT) == "full" and seen(me, HOUSEMATE) == "masked"


# Revealing a work order's number ------------------------------------------------------------


def reveal_url(order):
    return reverse("repairs:workorder_reveal_phone", args=[order.pk])


@pytest.mark.parametrize("role", ["clerk", "supervisor"])
def test_the_desk_reveals_a_number_and_it_is_on_the_timeline(client, api, world, role):
    user, order = world["users"][role], world["orders"]["other"]
    browser = signed_in(client, user)
    page = browser.get(reverse("repairs:workorder_detail", args=[order.pk])).content.decode()
    assert reveal_url(order) in page and "Show number" in page
    response = browser.post(reveal_url(order), headers={"HX-Request": "true"})
    assert response.status_code == 200 and CONTACT["other"] in response.content.decode()
    answer = api(user).post(f"/work-orders/{order.pk}/reveal-phone")
    assert answer.status_code == 200 and answer.json() == {"contact_phone": CONTACT["other"]}
    events = TimelineEvent.objects.filter(object_id=str(order.pk), verb="phone_revealed")
    assert [e.actor for e in events] == [user, user]


@pytest.mark.parametrize("role", ["finance", "technician", "inspector"])
def test_others_cannot_reveal_a_number(client, api, world, role):
    user, order = world["users"][role], world["orders"]["other"]
    response = signed_in(client, user).post(reveal_url(order))
    assert response.status_code in (403, 404)
    assert CONTACT["other"] not in response.content.decode()
    answer = api(user).post(f"/work-orders/{order.pk}/reveal-phone")
    assert answer.status_code in (403, 404)
    assert not TimelineEvent.objects.filter(verb="phone_revealed").exists()


def test_no_reveal_control_for_those_who_see_the_number(client, world):
    order = world["orders"]["open"]
    for role in ("admin", "technician"):
        page = signed_in(client, world["users"][role]).get(
            reverse("repairs:workorder_detail", args=[order.pk])
        )
        assert reveal_url(order) not in page.content.decode(), role
