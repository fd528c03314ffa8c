"""The remind page (one bill, or rows of the arrears list) and the reminder records."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courtyard.billing.choices import BillStatus
from courtyard.billing.models import Bill, Reminder
from courtyard.billing.reminders.services import remind
from courtyard.core.models import Message
from courtyard.residents.tests.helpers import resident_in
from tests.factories import UnitFactory, make_user
from tests.permission_matrix import ModelPermissionMatrix

from .factories import make_bill, seed_charge_items

pytestmark = pytest.mark.django_db
ADD = "/billing/reminders/new/"
LIST = "/billing/reminders/"
OVERDUE = timezone.localdate() - timedelta(days=30)


@pytest.fixture
def bills(items, unit, owner):
    return [
        make_bill(unit, items["property-fee"], "320.00", payer=owner, due_date=OVERDUE),
        make_bill(unit, items["water"], "45.50", payer=owner, due_date=OVERDUE),
    ]


@pytest.fixture
def clerk(finance, client):
    client.force_login(finance)
    return client


def test_the_page_lists_the_bills_of_the_chosen_rows(clerk, bills, unit, items):
    response = clerk.get(ADD, {"row": f"u{unit.pk}", "item": items["water"].pk})
    assert response.status_code == 200
    assert [b.pk for b in response.context["bills"]] == [bills[1].pk]
    assert "王芳" in response.content.decode()


def test_the_page_lists_one_bill_by_id(clerk, bills):
    response = clerk.get(ADD, {"bill": bills[0].pk})
    assert [b.pk for b in response.context["bills"]] == [bills[0].pk]


def test_without_a_choice_the_page_points_to_the_arrears_list(clerk, bills):
    response = clerk.get(ADD)
    assert response.status_code == 200
    assert "No unpaid bills chosen" in response.content.decode()
    assert clerk.post(ADD, {"channel": "sms"}).status_code == 400


def test_posting_reminds_and_goes_back_to_the_list(clerk, bills):
    back = "/billing/arrears/?min_days=10"
    response = clerk.post(ADD, {"bill": [b.pk for b in bills], "channel": "sms", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert Message.objects.count() == 1 and Reminder.objects.count() == 2
    assert set(Bill.objects.values_list("reminder_count", flat=True)) == {1}
    followed = clerk.get(back)
    assert "1 reminder sent, about 2 bills." in followed.content.decode()


def test_a_foreign_next_is_ignored(clerk, bills):
    response = clerk.post(
        ADD, {"bill": bills[0].pk, "channel": "sms", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/billing/arrears/"


def test_a_phone_call_records_its_outcome(clerk, bills):
    response = clerk.post(
        ADD, {"bill": bills[0].pk, "channel": "phone", "outcome": "refused", "note": "说已搬走"}
    )
    assert response.status_code == 302
    reminder = Reminder.objects.get()
    assert (reminder.outcome, reminder.note, reminder.message) == ("refused", "说已搬走", None)


def test_refusals_keep_the_form_with_the_reason(clerk, bills, unit, items):
    silent = resident_in(UnitFactory(entrance=unit.entrance), name="赵敏", phone="")
    Bill.objects.filter(pk=bills[0].pk).update(payer=silent)
    response = clerk.post(ADD, {"bill": [b.pk for b in bills], "channel": "sms"})
    assert response.status_code == 400
    assert "赵敏 has no phone number on record" in response.content.decode()
    missing = clerk.post(ADD, {"bill": bills[1].pk, "channel": "phone"})
    assert missing.status_code == 400 and "Record how the call went." in missing.content.decode()
    assert not Reminder.objects.exists()


def test_a_paid_bill_is_a_conflict(clerk, bills):
    Bill.objects.filter(pk=bills[0].pk).update(status=BillStatus.PAID, paid_amount="320.00")
    response = clerk.post(ADD, {"bill": bills[0].pk, "channel": "sms"})
    assert response.status_code == 409
    assert "Only unpaid bills can be reminded" in response.content.decode()


def test_a_bill_outside_the_scope_is_not_found(clerk, other_estate, items):
    foreign = make_bill(UnitFactory(entrance__building__estate=other_estate), items["water"])
    assert clerk.get(ADD, {"bill": foreign.pk}).status_code == 404
    assert clerk.post(ADD, {"bill": foreign.pk, "channel": "sms"}).status_code == 404


def test_reminding_needs_the_add_reminder_permission(client, estate, bills):
    client.force_login(make_user("reader", "billing.view_bill", estates=[estate]))
    assert client.get(ADD, {"bill": bills[0].pk}).status_code == 403
    assert client.post(ADD, {"bill": bills[0].pk, "channel": "sms"}).status_code == 403


def test_the_reminder_records_list_and_filter(clerk, finance, bills):
    remind(finance, bills[:1], channel="sms")
    remind(finance, bills[1:], channel="phone", outcome="no_answer")
    response = clerk.get(LIST)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 2
    phone_only = clerk.get(LIST, {"channel": "phone"})
    assert [r["object"].outcome for r in phone_only.context["rows"]] == ["no_answer"]
    by_bill = clerk.get(LIST, {"bill": bills[0].pk})
    assert [r["object"].bill_id for r in by_bill.context["rows"]] == [bills[0].pk]


def test_the_records_take_the_same_queries_for_many_rows(
    clerk, finance, items, estate, django_assert_max_num_queries
):
    for number in range(30):
        unit = UnitFactory(entrance__building__estate=estate)
        person = resident_in(unit, name=f"住户{number}", phone=f"1390000{number:04d}")
        remind(finance, [make_bill(unit, items["water"], payer=person)], channel="sms")
    with django_assert_max_num_queries(20):
        response = clerk.get(LIST, {"per_page": 50})
    assert len(response.context["rows"]) == 30


class TestReminderPermissions(ModelPermissionMatrix):
    model = Reminder
    url_names = {"list": "billing:reminder_list", "add": "billing:reminder_add"}
    api_list = "/api/v1/reminders"
    api_detail = "/api/v1/reminders/{pk}"

    def make_object(self, estate):
        items = seed_charge_items()
        unit = UnitFactory(entrance__building__estate=estate)
        bill = make_bill(unit, items["water"], payer=resident_in(unit))
        return Reminder.objects.create(
            bill=bill, estate=estate, building_id=unit.building_id, channel="phone", outcome="other"
        )


def test_arrears_and_reminders_are_in_the_billing_navigation(clerk):
    page = clerk.get(reverse("billing:arrears")).content.decode()
    assert 'href="/billing/reminders/"' in page and 'href="/billing/arrears/"' in page
