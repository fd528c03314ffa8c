"""Bill pages: the list with its filters and totals (no query per row), a bill's page with its
calculation, payments, reminders and timeline, and the actions — publish, delete, void, a
temporary bill — each refused the same way as its service."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from courtyard.billing.choices import BillStatus
from courtyard.billing.models import Bill, Payment, PaymentAllocation
from courtyard.core.models import Message
from courtyard.residents.tests.helpers import resident_in
from tests.factories import BuildingFactory, EntranceFactory, UnitFactory, make_user
from tests.permission_matrix import ModelPermissionMatrix

from .factories import make_bill, seed_charge_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def fee(items):
    return items["property-fee"]


def url(name, bill=None):
    return reverse(f"billing:{name}", args=[bill.pk] if bill else [])


class TestBillPermissions(ModelPermissionMatrix):
    model = Bill
    url_names = {
        "list": "billing:bill_list",
        "detail": "billing:bill_detail",
        "history": "billing:bill_history",
        "add": "billing:bill_add",
        "delete": "billing:bill_delete",
        "export": "billing:bill_export",
    }
    api_list = "/api/v1/bills"
    api_detail = "/api/v1/bills/{pk}"

    def make_object(self, estate):
        items = seed_charge_items()
        unit = UnitFactory(entrance=EntranceFactory(building=BuildingFactory(estate=estate)))
        return make_bill(unit, items["property-fee"], status=BillStatus.DRAFT)


# The list -----------------------------------------------------------------------------------


def test_list_filters_and_totals(client, finance, unit, owner, fee, items):
    other = UnitFactory(entrance=EntranceFactory(building__estate=unit.estate), room_no="808")
    make_bill(unit, fee, "221.25", payer=owner)
    make_bill(unit, items["water"], "35.00", status=BillStatus.PARTIAL, paid_amount=10, payer=owner)
    make_bill(other, fee, "100.00", status=BillStatus.PAID, paid_amount=100)
    make_bill(other, fee, "50.00", status=BillStatus.DRAFT, period="2026-11")
    client.force_login(finance)

    response = client.get(url("bill_list"), {"status": "unpaid", "building": unit.building_id})

    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 2
    # The totals come after the page, for the same filters.
    assert f'hx-get="{url("bill_totals")}?status=unpaid' in response.content.decode()
    totals = client.get(
        url("bill_totals"), {"status": "unpaid", "building": unit.building_id}
    ).context["totals"]
    assert totals["count"] == 2 and totals["owed"] == Decimal("246.25")
    assert totals["paid"] == Decimal("10.00")
    every = client.get(url("bill_totals"))
    assert every.context["totals"]["count"] == 4
    assert every.context["totals"]["in_drafts"] == Decimal("50.00")
    assert "¥50.00 in drafts" in every.content.decode()
    assert len(client.get(url("bill_list"), {"resident": owner.pk}).context["rows"]) == 2
    assert len(client.get(url("bill_list"), {"room": "808"}).context["rows"]) == 2
    assert len(client.get(url("bill_list"), {"status": "draft"}).context["rows"]) == 1
    assert len(client.get(url("bill_list"), {"q": "王芳"}).context["rows"]) == 2
    assert len(client.get(url("bill_list"), {"period": "2026-11"}).context["rows"]) == 1


def test_list_overdue_filter(client, finance, unit, fee):
    make_bill(unit, fee, due_date=timezone.localdate() - timedelta(days=1))
    make_bill(unit, fee, period="2026-11", due_date=timezone.localdate() + timedelta(days=3))
    client.force_login(finance)
    rows = client.get(url("bill_list"), {"status": "overdue"}).context["rows"]
    assert len(rows) == 1
    assert b"bill-overdue" in client.get(url("bill_list")).content


def test_list_has_no_query_per_row(
    client, finance, unit, owner, items, django_assert_max_num_queries
):
    for month in range(1, 13):
        for code in ("property-fee", "water"):
            make_bill(unit, items[code], payer=owner, period=f"2025-{month:02d}")
    client.force_login(finance)
    # The page's own: count, the page's ids, its rows, their estates and items, the filter's
    # choices; the rest is the layout's (session, user, rights, scope, counters).
    with django_assert_max_num_queries(24):
        response = client.get(url("bill_list"), {"per_page": 50})
    assert len(response.context["rows"]) == 24


def test_htmx_list_reloads_the_totals_with_the_table(client, finance, unit, fee):
    make_bill(unit, fee, "99.00")
    client.force_login(finance)
    response = client.get(
        url("bill_list"),
        {"status": "unpaid"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="object-table",
    )
    html = response.content.decode()
    assert 'hx-swap="outerHTML" hx-swap-oob="true"' in html  # the totals load again
    assert "status=unpaid" in html


def test_export_writes_the_filtered_bills(
    client, finance, unit, fee, django_capture_on_commit_callbacks
):
    make_bill(unit, fee, "10.00")
    make_bill(unit, fee, "20.00", status=BillStatus.PAID, paid_amount=20, period="2026-11")
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url("bill_export"), {"status": "paid"})
    from courtyard.core.models import Job

    job = Job.objects.get()
    assert response.status_code == 302 and job.status == "succeeded" and job.total == 1
    from openpyxl import load_workbook

    sheet = load_workbook(job.output_file.open("rb")).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert "Amount" in rows[0] and len(rows) == 2


def test_publish_the_ticked_drafts(client, finance, unit, owner, fee):
    drafts = [
        make_bill(unit, fee, status=BillStatus.DRAFT, payer=owner, period=f"2026-0{m}")
        for m in (1, 2)
    ]
    client.force_login(finance)
    response = client.post(
        url("bill_publish_selected"),
        {"bill": [b.pk for b in drafts], "next": url("bill_list") + "?status=draft"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?status=draft")
    assert set(Bill.objects.values_list("status", flat=True)) == {BillStatus.UNPAID}
    assert Message.objects.count() == 1
    again = client.post(url("bill_publish_selected"), {"bill": [drafts[0].pk]}, follow=True)
    assert "already" in again.content.decode()


def test_publish_selected_needs_the_permission(client, unit, fee):
    draft = make_bill(unit, fee, status=BillStatus.DRAFT)
    client.force_login(make_user("viewer", "billing.view_bill"))
    assert client.post(url("bill_publish_selected"), {"bill": [draft.pk]}).status_code == 403
    assert b"publish-selected-button" not in client.get(url("bill_list")).content


# One bill -----------------------------------------------------------------------------------


def test_detail_shows_calculation_payments_reminders_and_timeline(
    client, finance, unit, owner, fee
):
    bill = make_bill(
        unit,
        fee,
        "221.25",
        payer=owner,
        status=BillStatus.PARTIAL,
        paid_amount=Decimal("100.00"),
        detail={"area": "88.50", "months": 1, "rate": "2.5000"},
        published_at=timezone.now(),
    )
    payment = Payment.objects.create(
        number="SK-2026-000007", estate_id=unit.estate_id, amount="100.00", method="wechat"
    )
    PaymentAllocation.objects.create(payment=payment, bill=bill, amount="100.00")
    bill.reminders.create(
        estate_id=unit.estate_id, channel="phone", outcome="promised", note="周五交"
    )
    client.force_login(finance)

    html = client.get(url("bill_detail", bill)).content.decode()

    assert "88.50 m² × 2.50 × 1" in html
    assert "SK-2026-000007" in html and "¥121.25" in html
    assert "周五交" in html and "Promised to pay" in html
    assert "Paid 100.00 (receipt SK-2026-000007)" in html
    assert "Published" in html
    assert "Take payment" in html and "Remind" in html and "Void" in html


def test_detail_of_a_draft_offers_publish_and_delete(client, finance, unit, fee):
    bill = make_bill(unit, fee, status=BillStatus.DRAFT)
    client.force_login(finance)
    html = client.get(url("bill_detail", bill)).content.decode()
    assert url("bill_publish", bill) in html and url("bill_delete", bill) in html
    assert url("bill_void", bill) not in html


def test_publish_one_bill(client, finance, unit, owner, fee):
    bill = make_bill(unit, fee, status=BillStatus.DRAFT, payer=owner)
    client.force_login(finance)
    assert client.post(url("bill_publish", bill)).status_code == 302
    bill.refresh_from_db()
    assert bill.status == BillStatus.UNPAID
    assert client.post(url("bill_publish", bill)).status_code == 409


def test_delete_a_draft_and_not_a_published_bill(client, finance, unit, fee):
    draft = make_bill(unit, fee, status=BillStatus.DRAFT)
    published = make_bill(unit, fee, period="2026-11")
    client.force_login(finance)
    assert client.post(url("bill_delete", draft)).status_code == 302
    assert not Bill.objects.filter(pk=draft.pk).exists()
    assert "cannot be deleted" in client.get(url("bill_delete", published)).content.decode()
    response = client.post(url("bill_delete", published), follow=True)
    assert "Only a draft can be deleted" in response.content.decode()
    assert Bill.objects.filter(pk=published.pk).exists()


def test_void_with_a_reason(client, finance, unit, fee):
    bill = make_bill(unit, fee)
    client.force_login(finance)
    assert client.get(url("bill_void", bill)).status_code == 200
    empty = client.post(url("bill_void", bill), {"reason": ""})
    assert empty.status_code == 400
    response = client.post(url("bill_void", bill), {"reason": "面积有误"})
    assert response.status_code == 302
    bill.refresh_from_db()
    assert bill.status == BillStatus.VOID and bill.void_reason == "面积有误"
    again = client.post(url("bill_void", bill), {"reason": "再次"})
    assert again.status_code == 409 and "voided already" in again.content.decode()


def test_void_refused_while_money_is_allocated(client, finance, unit, fee):
    bill = make_bill(unit, fee, status=BillStatus.PAID, paid_amount=Decimal("100.00"))
    client.force_login(finance)
    response = client.post(url("bill_void", bill), {"reason": "错误"})
    assert response.status_code == 409 and "void the payment first" in response.content.decode()


def test_void_needs_its_permission_and_scope(client, unit, fee, other_estate):
    bill = make_bill(unit, fee)
    client.force_login(make_user("viewer", "billing.view_bill"))
    assert client.post(url("bill_void", bill), {"reason": "x"}).status_code == 403
    client.force_login(make_user("far", "billing.void_bill", estates=[other_estate]))
    assert client.post(url("bill_void", bill), {"reason": "x"}).status_code == 404


# A temporary bill ---------------------------------------------------------------------------


def test_temporary_bill_for_a_unit(client, finance, unit, owner, items):
    client.force_login(finance)
    page = client.get(url("bill_add"), {"unit": unit.pk})
    assert page.status_code == 200
    response = client.post(
        url("bill_add"),
        {
            "estate": unit.estate_id,
            "building": unit.building_id,
            "entrance": unit.entrance_id,
            "unit": unit.pk,
            "item": items["renovation-deposit"].pk,
            "amount": "2000",
            "note": "装修押金",
            "publish": "on",
        },
    )
    bill = Bill.objects.get()
    assert response.status_code == 302 and response["Location"] == bill.get_absolute_url()
    assert bill.payer == owner and bill.status == BillStatus.UNPAID
    assert bill.amount == Decimal("2000.00") and bill.kind == "temporary"


def test_temporary_bill_keeps_what_was_typed_on_a_bad_amount(client, finance, unit, items):
    client.force_login(finance)
    response = client.post(
        url("bill_add"),
        {
            "estate": unit.estate_id,
            "building": unit.building_id,
            "entrance": unit.entrance_id,
            "unit": unit.pk,
            "item": items["penalty"].pk,
            "amount": "-5",
            "note": "违章搭建",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "greater than zero" in html and "违章搭建" in html
    assert not Bill.objects.exists()


def test_temporary_bill_for_a_resident_alone(client, finance, unit, owner, items):
    client.force_login(finance)
    response = client.post(
        url("bill_add") + f"?resident={owner.pk}",
        {"payer": owner.pk, "item": items["penalty"].pk, "amount": "30", "due_date": "2026-12-01"},
    )
    assert response.status_code == 302
    bill = Bill.objects.get()
    assert bill.unit is None and bill.payer == owner and bill.due_date == date(2026, 12, 1)
    assert bill.status == BillStatus.DRAFT


def test_picker_lists_the_rooms_and_their_people(client, finance, unit, owner):
    tenant = resident_in(unit, name="租客", role="tenant", phone="13700000000")
    client.force_login(finance)
    response = client.get(
        url("bill_add_picker"),
        {
            "estate": unit.estate_id,
            "building": unit.building_id,
            "entrance": unit.entrance_id,
            "unit": unit.pk,
            "prev_estate": unit.estate_id,
            "prev_building": unit.building_id,
            "prev_entrance": unit.entrance_id,
            "prev_unit": "",
        },
    )
    html = response.content.decode()
    assert unit.room_no in html and "王芳" in html and tenant.name in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_amounts_read_grouped_by_thousands(client, finance, unit, fee, language):
    bill = make_bill(unit, fee, "1639566.41", status=BillStatus.PARTIAL, paid_amount=1000)
    client.force_login(finance)
    client.cookies["django_language"] = language

    shown = client.get(url("bill_detail", bill)).content.decode()
    listed = client.get(url("bill_list")).content.decode()

    assert "¥1,639,566.41" in shown and "¥1,638,566.41" in shown
    assert "1,639,566.41" in listed and "1639566.41" not in listed
