"""API: ``reminders`` (list, detail, create) and ``reports/arrears``."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courtyard.billing.choices import BillStatus
from courtyard.billing.models import Bill, Reminder
from courtyard.core.models import Message
from courtyard.residents.tests.helpers import resident_in
from tests.factories import UnitFactory, make_user

from .factories import make_bill

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def bills(items, unit, owner):
    return [
        make_bill(
            unit, items["property-fee"], "320.00", payer=owner, due_date=TODAY - timedelta(40)
        ),
        make_bill(unit, items["water"], "45.50", payer=owner, due_date=TODAY - timedelta(10)),
    ]


def test_create_reminds_and_answers_the_reminders(api, finance, bills):
    response = api(finance).post(
        "/reminders", {"bills": [b.pk for b in bills], "channel": "sms", "note": "第二次"}
    )
    assert response.status_code == 201
    body = response.json()
    message = Message.objects.get()
    assert body["count"] == 2  # a list, as every list answers
    body = body["items"]
    assert [r["bill"] for r in body] == [b.pk for b in bills]
    assert {(r["channel"], r["message"], r["message_status"], r["note"]) for r in body} == {
        ("sms", message.pk, "queued", "第二次")
    }


def test_create_a_phone_call_with_its_outcome(api, finance, bills):
    response = api(finance).post(
        "/reminders", {"bills": [bills[0].pk], "channel": "phone", "outcome": "promised"}
    )
    assert response.status_code == 201 and response.json()["items"][0]["outcome"] == "promised"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"bills": [], "channel": "sms"}, 400, "invalid_request"),
        ({"bills": [1], "channel": "fax"}, 400, "invalid_request"),
        ({"channel": "phone"}, 400, "invalid_request"),
    ],
)
def test_create_refuses_malformed_requests(api, finance, bills, payload, status, code):
    response = api(finance).post("/reminders", payload)
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_create_refusals_answer_with_a_code(api, finance, bills, unit):
    client = api(finance)
    no_outcome = client.post("/reminders", {"bills": [bills[0].pk], "channel": "phone"})
    assert (no_outcome.status_code, no_outcome.json()["code"]) == (400, "outcome_required")
    Bill.objects.filter(pk=bills[1].pk).update(status=BillStatus.PAID, paid_amount="45.50")
    paid = client.post("/reminders", {"bills": [bills[1].pk], "channel": "sms"})
    assert (paid.status_code, paid.json()["code"]) == (409, "not_outstanding")
    silent = resident_in(UnitFactory(entrance=unit.entrance), name="赵敏", phone="")
    Bill.objects.filter(pk=bills[0].pk).update(payer=silent)
    no_phone = client.post("/reminders", {"bills": [bills[0].pk], "channel": "voice"})
    assert (no_phone.status_code, no_phone.json()["code"]) == (400, "no_phone")
    assert "赵敏" in no_phone.json()["detail"]
    missing = client.post("/reminders", {"bills": [bills[0].pk, 999999], "channel": "sms"})
    assert missing.status_code == 404
    assert not Reminder.objects.exists()


def test_create_outside_the_scope_or_without_the_permission(api, bills, estate, other_estate):
    outsider = make_user("outsider", "billing.add_reminder", estates=[other_estate])
    response = api(outsider).post("/reminders", {"bills": [bills[0].pk], "channel": "sms"})
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    reader = make_user("reader", "billing.view_reminder", estates=[estate])
    response = api(reader).post("/reminders", {"bills": [bills[0].pk], "channel": "sms"})
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_list_filters_by_channel_and_bill(api, finance, bills):
    client = api(finance)
    client.post("/reminders", {"bills": [bills[0].pk], "channel": "sms"})
    client.post("/reminders", {"bills": [bills[1].pk], "channel": "phone", "outcome": "other"})
    everything = client.get("/reminders").json()
    assert everything["count"] == 2
    assert [r["channel"] for r in client.get("/reminders", channel="phone").json()["items"]] == [
        "phone"
    ]
    assert client.get("/reminders", bill=bills[0].pk).json()["items"][0]["bill"] == bills[0].pk
    bad = client.get("/reminders", channel="fax")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_filter")


# reports/arrears ----------------------------------------------------------------------------


def test_arrears_report_rows_totals_and_masked_phones(api, finance, bills, unit, owner):
    body = api(finance).get("/reports/arrears").json()
    assert body["count"] == 1 and body["total_owed"] == "365.50"
    row = body["items"][0]
    assert row["key"] == f"u{unit.pk}" and row["unit"] == unit.pk
    assert row["payers"] == [{"id": owner.pk, "name": "王芳", "phone": "138****0001"}]
    assert row["items"] == ["物业费", "水费"] and row["owed"] == "365.50"
    assert row["days_overdue"] == 40 and row["bill_count"] == 2 and row["reminders"] == 0


def test_arrears_report_in_full_for_those_who_may_see_identities(api, estate, bills):
    from .conftest import billing_permissions

    user = make_user("full", *billing_permissions(), "residents.view_full_identity")
    row = api(user).get("/reports/arrears").json()["items"][0]
    assert row["payers"][0]["phone"] == "13800000001"


def test_arrears_report_filters_sorts_and_pages(api, finance, bills, items, estate):
    client = api(finance)
    big = UnitFactory(entrance__building__estate=estate)
    make_bill(big, items["property-fee"], "900.00", due_date=TODAY - timedelta(5))
    assert client.get("/reports/arrears", min_days=20).json()["count"] == 1
    assert client.get("/reports/arrears", min_amount="500").json()["items"][0]["unit"] == big.pk
    assert client.get("/reports/arrears", item=items["water"].pk).json()["total_owed"] == "45.50"
    by_owed = client.get("/reports/arrears", sort="-owed", limit=1, offset=1).json()
    assert by_owed["count"] == 2 and by_owed["items"][0]["owed"] == "365.50"
    bad = client.get("/reports/arrears", min_days="-1")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_filter")


def test_arrears_report_needs_the_view_bill_permission(api, estate, bills):
    response = api(make_user("none", "billing.view_reminder", estates=[estate])).get(
        "/reports/arrears"
    )
    assert response.status_code == 403


def test_arrears_report_takes_a_fixed_number_of_queries(
    api, finance, items, estate, django_assert_max_num_queries
):
    for number in range(30):
        unit = UnitFactory(entrance__building__estate=estate)
        person = resident_in(unit, name=f"住户{number}", phone=f"1390000{number:04d}")
        make_bill(unit, items["water"], payer=person, due_date=TODAY - timedelta(number + 1))
    client = api(finance)
    with django_assert_max_num_queries(16):
        body = client.get("/reports/arrears", limit=100).json()
    assert len(body["items"]) == 30
