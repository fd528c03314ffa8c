"""Request tests of the payment pages: cashier, receipt, payment records, void, refunds."""

import io
from decimal import Decimal
from itertools import count

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from courtyard.billing.choices import BillKind, BillStatus, PaymentStatus
from courtyard.billing.models import Bill, Payment, Refund
from courtyard.billing.payments import services
from courtyard.core.models import Job
from courtyard.core.modules import navigation_for
from courtyard.repairs.tests.conftest import png_bytes
from courtyard.residents.tests.helpers import resident_in
from tests.factories import UnitFactory, make_user
from tests.permission_matrix import ModelPermissionMatrix

from .factories import make_bill, seed_charge_items

D = Decimal
_makers = count()


def url(name, *args):
    return reverse(f"billing:{name}", args=args)


@pytest.fixture
def fee(items):
    return items["property-fee"]


@pytest.fixture
def bills(unit, fee, items, owner):
    return [
        make_bill(unit, fee, "300.00", period="2026-09", payer=owner),
        make_bill(unit, items["water"], "78.75", period="2026-10", payer=owner),
    ]


@pytest.fixture
def signed_in(client, finance):
    client.force_login(finance)
    return client


def cashier_post(bills, amounts=None, **fields):
    data = {"method": "wechat", "reference": "", "note": "", **fields}
    data["bill"] = [str(bill.pk) for bill in bills]
    for bill, amount in zip(bills, amounts or [None] * len(bills), strict=True):
        data[f"amount_{bill.pk}"] = amount if amount is not None else str(bill.outstanding)
        data[f"seen_{bill.pk}"] = str(bill.paid_amount)
    return data


def paid(finance, *allocations, **extra):
    return services.record_payment(
        finance, allocations=list(allocations), method=extra.pop("method", "cash"), **extra
    )


# Cashier ------------------------------------------------------------------------------------


def test_cashier_finds_a_unit_by_room_and_a_person_by_name_or_phone(
    signed_in, unit, owner, other_estate
):
    UnitFactory(entrance__building__estate=other_estate, room_no=unit.room_no)
    response = signed_in.get(url("cashier"), {"q": unit.room_no})
    assert response.status_code == 200
    assert list(response.context["units"]) == [unit]
    assert f"unit={unit.pk}" in response.content.decode()
    for text in ("王芳", "13800000001", "0001"):
        found = signed_in.get(url("cashier"), {"q": text}).context["residents"]
        assert list(found) == [owner], text
    assert "138****0001" in signed_in.get(url("cashier"), {"q": "王芳"}).content.decode()


def test_cashier_search_shows_what_each_unit_owes_in_a_fixed_number_of_queries(
    signed_in, unit, bills, fee
):
    # Issue 19: the clerk picked a unit and only then learnt "无欠费".
    partly = make_bill(unit, fee, "50", period="2026-06", status=BillStatus.PARTIAL)
    Bill.objects.filter(pk=partly.pk).update(paid_amount=D("20.00"))
    make_bill(unit, fee, "10", period="2026-08", status=BillStatus.DRAFT)  # not owed yet
    settled = UnitFactory(entrance__building__estate=unit.estate, room_no=unit.room_no)
    make_bill(settled, fee, "20", status=BillStatus.PAID, paid_amount=D("20"))
    query = {"q": unit.room_no}
    queries_of(signed_in, query)  # caches warmed
    before = queries_of(signed_in, query)
    for _more in range(3):
        UnitFactory(entrance__building__estate=unit.estate, room_no=unit.room_no)
    assert queries_of(signed_in, query) == before  # more units found: no more queries
    response = signed_in.get(url("cashier"), query)
    found = {found.pk: found.owed for found in response.context["units"]}
    assert found[unit.pk] == D("408.75") and found[settled.pk] == 0
    html = response.content.decode()
    assert "¥408.75" in html and "cashier-owes" in html and "Nothing owed" in html


def queries_of(client, query):
    """How many queries a request takes now (the bound for the same request with more rows)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url("cashier"), query)
    return len(captured)


def test_cashier_lists_what_a_unit_owes_with_amounts_prefilled(
    signed_in, unit, bills, fee, django_assert_max_num_queries
):
    make_bill(unit, fee, "10", period="2026-08", status=BillStatus.DRAFT)
    make_bill(unit, fee, "20", period="2026-07", status=BillStatus.PAID, paid_amount=D("20"))
    partly = make_bill(unit, fee, "50", period="2026-06", status=BillStatus.PARTIAL)
    Bill.objects.filter(pk=partly.pk).update(paid_amount=D("20.00"))
    with django_assert_max_num_queries(18):
        response = signed_in.get(url("cashier"), {"unit": unit.pk})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert {row["bill"].pk for row in rows} == {bills[0].pk, bills[1].pk, partly.pk}
    amounts = {row["bill"].pk: row["amount"] for row in rows}
    assert amounts[partly.pk] == "30.00" and amounts[bills[1].pk] == "78.75"
    content = response.content.decode()
    assert f'name="amount_{bills[0].pk}" value="300.00"' in content
    assert 'name="method"' in content and "王芳" in content


def test_cashier_lists_what_a_person_owes(signed_in, owner, bills):
    response = signed_in.get(url("cashier"), {"resident": owner.pk})
    assert {row["bill"].pk for row in response.context["rows"]} == {b.pk for b in bills}


def test_cashier_outside_the_scope_is_not_found(signed_in, other_estate):
    stranger_unit = UnitFactory(entrance__building__estate=other_estate)
    stranger = resident_in(stranger_unit, name="外人")
    assert signed_in.get(url("cashier"), {"unit": stranger_unit.pk}).status_code == 404
    assert signed_in.get(url("cashier"), {"resident": stranger.pk}).status_code == 404
    assert list(signed_in.get(url("cashier"), {"q": "外人"}).context["residents"]) == []


def test_cashier_records_one_payment_for_two_bills_and_shows_the_receipt(
    signed_in, unit, bills, owner
):
    response = signed_in.post(
        f"{url('cashier')}?unit={unit.pk}",
        cashier_post(bills, payer=owner.pk, reference="4200001234"),
    )
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("payment_receipt", payment.pk)
    assert payment.amount == D("378.75") and payment.method == "wechat"
    assert payment.payer == owner and payment.reference == "4200001234"
    stored = Bill.objects.filter(pk__in=[b.pk for b in bills])
    assert all(b.status == BillStatus.PAID for b in stored)
    receipt = signed_in.get(response["Location"])
    content = receipt.content.decode()
    assert payment.number in content and "叁佰柒拾捌元柒角伍分" in content
    assert "物业费" in content and "水费" in content and "2026-09" in content


def test_cashier_partial_payment_leaves_the_rest_owed(signed_in, unit, bills):
    signed_in.post(f"{url('cashier')}?unit={unit.pk}", cashier_post(bills[:1], ["120.50"]))
    bill = Bill.objects.get(pk=bills[0].pk)
    assert bill.status == BillStatus.PARTIAL and bill.outstanding == D("179.50")


def test_cashier_evidence_photo_is_kept_with_the_payment(signed_in, unit, bills):
    slip = SimpleUploadedFile("slip.png", png_bytes(), content_type="image/png")
    data = cashier_post(bills[:1], method="bank_transfer", evidence=slip)
    signed_in.post(f"{url('cashier')}?unit={unit.pk}", data)
    payment = Payment.objects.get()
    detail = signed_in.get(url("payment_detail", payment.pk)).content.decode()
    assert "slip.png" in detail


@pytest.mark.parametrize(
    "amount,message",
    [
        ("-5", "greater than zero"),
        ("abc", "Enter an amount"),
        ("300.01", "more than the 300.00 still owed"),
    ],
)
def test_cashier_refuses_bad_amounts_and_keeps_what_was_typed(
    signed_in, unit, bills, amount, message
):
    data = cashier_post(bills, [amount, "78.75"], reference="keep-me")
    response = signed_in.post(f"{url('cashier')}?unit={unit.pk}", data)
    assert response.status_code == 400
    content = response.content.decode()
    assert message in content
    assert f'value="{amount}"' in content and 'value="keep-me"' in content
    assert not Payment.objects.exists()


def test_cashier_needs_a_method_and_a_bill(signed_in, unit, bills):
    data = cashier_post(bills)
    data.pop("method")
    assert signed_in.post(f"{url('cashier')}?unit={unit.pk}", data).status_code == 400
    data = cashier_post([])
    response = signed_in.post(f"{url('cashier')}?unit={unit.pk}", data)
    assert response.status_code == 400 and "Choose at least one bill" in response.content.decode()
    assert not Payment.objects.exists()


def test_cashier_refuses_a_bill_paid_since_the_page_was_drawn(signed_in, finance, unit, bills):
    """The second cashier's page showed the bill unpaid; meanwhile the first took the money."""
    data = cashier_post(bills[:1])
    paid(finance, (bills[0], "300"))
    response = signed_in.post(f"{url('cashier')}?unit={unit.pk}", data)
    assert response.status_code == 409
    assert "paid meanwhile" in response.content.decode()
    assert Payment.objects.count() == 1


def test_cashier_refuses_a_bill_of_another_scope(signed_in, unit, bills, other_estate, fee):
    foreign = make_bill(UnitFactory(entrance__building__estate=other_estate), fee, "10")
    data = cashier_post([bills[0], foreign])
    assert signed_in.post(f"{url('cashier')}?unit={unit.pk}", data).status_code == 404
    assert not Payment.objects.exists()


# Receipt ------------------------------------------------------------------------------------


def test_receipt_shows_every_line_the_words_and_prints(signed_in, finance, bills, owner):
    payment = paid(finance, (bills[0], "300"), (bills[1], "78.75"), reference="WX9")
    content = signed_in.get(url("payment_receipt", payment.pk)).content.decode()
    for text in (
        payment.number,
        "翠湖天地",
        "王芳",
        "300.00",
        "78.75",
        "378.75",
        "叁佰柒拾捌元柒角伍分",
        "Cash",
        "WX9",
        "Finance",
        "billing/payments.css",
        "data-print",
    ):
        assert text in content, text


def test_a_voided_receipt_says_so(signed_in, finance, bills):
    payment = paid(finance, (bills[0], "300"))
    services.void_payment(finance, payment, "收错")
    content = signed_in.get(url("payment_receipt", payment.pk)).content.decode()
    assert "receipt-void" in content and "收错" in content


# Payment records ----------------------------------------------------------------------------


@pytest.fixture
def records(finance, unit, bills, items, estate):
    """Three payments: WeChat for the fee, cash for the water (voided), and a deposit."""
    deposit = make_bill(unit, items["renovation-deposit"], "2000", kind=BillKind.TEMPORARY)
    first = paid(finance, (bills[0], "300"), method="wechat")
    second = paid(finance, (bills[1], "78.75"), method="cash")
    services.void_payment(finance, second, "重复收费")
    third = paid(finance, (deposit, "2000"), method="bank_transfer")
    return first, second, third


def listed(client, **filters):
    response = client.get(url("payment_list"), filters)
    assert response.status_code == 200
    return {row["object"].pk for row in response.context["rows"]}


def test_payment_records_filter(signed_in, records, unit, items, owner):
    first, second, third = records
    assert listed(signed_in) == {first.pk, second.pk, third.pk}
    assert listed(signed_in, method="cash") == {second.pk}
    assert listed(signed_in, status="void") == {second.pk}
    assert listed(signed_in, item=items["water"].pk) == {second.pk}
    assert listed(signed_in, resident="王芳") == {first.pk, second.pk}
    assert listed(signed_in, resident="0001") == {first.pk, second.pk}
    assert listed(signed_in, room=unit.room_no) == {first.pk, second.pk, third.pk}
    assert listed(signed_in, room="no-such-room") == set()
    assert listed(signed_in, q=first.number) == {first.pk}
    assert listed(signed_in, paid_from="2000-01-01", paid_to="2000-01-02") == set()


def test_payment_records_are_a_fixed_number_of_queries(
    signed_in, finance, unit, fee, records, django_assert_max_num_queries
):
    for month in range(1, 10):
        bill = make_bill(unit, fee, "10", period=f"2025-{month:02d}")
        paid(finance, (bill, "10"))
    with django_assert_max_num_queries(20):
        response = signed_in.get(url("payment_list"))
    assert len(response.context["rows"]) == 12
    content = response.content.decode()
    assert "物业费 2026-09" in content and unit.room_no in content


def test_payment_records_outside_the_scope_are_not_listed(client, records, estate, other_estate):
    first, second, third = records
    elsewhere = make_user("elsewhere", "billing.view_payment", estates=[other_estate])
    client.force_login(elsewhere)
    assert listed(client) == set()
    assert client.get(url("payment_detail", first.pk)).status_code == 404
    assert client.get(url("payment_receipt", first.pk)).status_code == 404


def test_payment_records_export_to_excel(signed_in, records, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.get(url("payment_export"), {"method": "wechat"})
    job = Job.objects.get()
    assert response["Location"] == reverse("core:job_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "succeeded", (job.result, job.errors)
    sheet = load_workbook(io.BytesIO(job.output_file.read())).active
    rows = list(sheet.values)
    assert rows[0][0] == "Receipt number" and len(rows) == 2
    assert rows[1][0] == records[0].number and "物业费 2026-09" in rows[1]


def test_payment_detail_shows_method_time_allocations_and_void(signed_in, records):
    first, second, third = records
    content = signed_in.get(url("payment_detail", second.pk)).content.decode()
    assert "Cash" in content and "78.75" in content and "重复收费" in content
    assert url("payment_void", second.pk) not in content  # already void
    content = signed_in.get(url("payment_detail", first.pk)).content.decode()
    assert url("payment_void", first.pk) in content and url("payment_receipt", first.pk) in content
    content = signed_in.get(url("payment_detail", third.pk)).content.decode()
    assert url("refund_add", third.allocations.get().bill_id) in content
    assert signed_in.get(url("payment_history", first.pk)).status_code == 200


# Void ---------------------------------------------------------------------------------------


def test_void_form_voids_with_a_reason(signed_in, records, bills):
    first = records[0]
    assert signed_in.get(url("payment_void", first.pk)).status_code == 200
    response = signed_in.post(url("payment_void", first.pk), {"reason": ""})
    assert response.status_code == 400
    response = signed_in.post(url("payment_void", first.pk), {"reason": "收错户"})
    assert response.status_code == 302
    assert Payment.objects.get(pk=first.pk).status == PaymentStatus.VOID
    assert Bill.objects.get(pk=bills[0].pk).status == BillStatus.UNPAID
    again = signed_in.post(url("payment_void", first.pk), {"reason": "again"})
    assert again.status_code == 409 and "already voided" in again.content.decode()


def test_void_needs_its_own_permission(client, records, estate):
    clerk = make_user("clerk", "billing.view_payment", "billing.add_payment", estates=[estate])
    client.force_login(clerk)
    assert client.get(url("payment_void", records[0].pk)).status_code == 403
    assert (
        url("payment_void", records[0].pk)
        not in client.get(url("payment_detail", records[0].pk)).content.decode()
    )


# Refunds ------------------------------------------------------------------------------------


def test_refund_form_refunds_a_deposit(signed_in, records):
    deposit = records[2].allocations.get().bill
    response = signed_in.get(url("refund_add", deposit.pk))
    assert response.status_code == 200 and 'value="2000.00"' in response.content.decode()
    response = signed_in.post(
        url("refund_add", deposit.pk),
        {"amount": "2500", "method": "cash", "reason": "验收合格"},
    )
    assert response.status_code == 400 and "At most 2000.00" in response.content.decode()
    response = signed_in.post(
        url("refund_add", deposit.pk),
        {"amount": "1800", "method": "bank_transfer", "reason": "验收合格", "reference": "B1"},
    )
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert refund.amount == D("1800.00") and refund.number.startswith("TK-")
    listing = signed_in.get(url("refund_list"))
    assert refund.number in listing.content.decode()


def test_refund_of_a_non_deposit_is_refused(signed_in, records, bills):
    response = signed_in.post(
        url("refund_add", bills[0].pk), {"amount": "1", "method": "cash", "reason": "x"}
    )
    assert response.status_code == 400 and "Only a deposit" in response.content.decode()


def test_refund_outside_the_scope_is_not_found(client, records, other_estate):
    client.force_login(make_user("far", "billing.add_refund", estates=[other_estate]))
    deposit = records[2].allocations.get().bill
    assert client.get(url("refund_add", deposit.pk)).status_code == 404


# Navigation ---------------------------------------------------------------------------------


def test_navigation_offers_the_cashier_and_the_records(finance, estate):
    entries = {item.url_name for _module, items in navigation_for(finance) for item in items}
    assert {"billing:cashier", "billing:payment_list", "billing:refund_list"} <= entries
    viewer = make_user("viewer", "billing.view_payment", estates=[estate])
    entries = {item.url_name for _module, items in navigation_for(viewer) for item in items}
    assert "billing:payment_list" in entries and "billing:cashier" not in entries


# Permission matrix --------------------------------------------------------------------------


def payment_in(estate):
    seed_charge_items()
    unit = UnitFactory(entrance__building__estate=estate)
    bill = make_bill(unit, items_by_code()["property-fee"], "10")
    maker = make_user(f"maker{next(_makers)}", "billing.add_payment")
    return services.record_payment(maker, allocations=[(bill, "10")], method="cash")


def items_by_code():
    from courtyard.billing.models import ChargeItem

    return {item.code: item for item in ChargeItem.objects.all()}


class TestPaymentPermissions(ModelPermissionMatrix):
    model = Payment
    url_names = {
        "list": "billing:payment_list",
        "detail": "billing:payment_detail",
        "history": "billing:payment_history",
        "export": "billing:payment_export",
    }
    api_list = "/api/v1/payments"
    api_detail = "/api/v1/payments/{pk}"

    def make_object(self, estate):
        return payment_in(estate)


class TestRefundPermissions(ModelPermissionMatrix):
    model = Refund
    url_names = {"list": "billing:refund_list"}
    api_list = "/api/v1/refunds"
    api_detail = "/api/v1/refunds/{pk}"

    def make_object(self, estate):
        payment_in(estate)
        unit = UnitFactory(entrance__building__estate=estate)
        deposit = make_bill(
            unit, items_by_code()["renovation-deposit"], "100", kind=BillKind.TEMPORARY
        )
        maker = make_user(f"maker{next(_makers)}", "billing.add_payment", "billing.add_refund")
        services.record_payment(maker, allocations=[(deposit, "100")], method="cash")
        return services.refund_deposit(maker, deposit, amount="50", method="cash", reason="x")


@pytest.mark.parametrize(
    "name,args,permission",
    [
        ("cashier", (), "billing.add_payment"),
        ("payment_receipt", ("payment",), "billing.view_payment"),
        ("payment_void", ("payment",), "billing.void_payment"),
        ("refund_add", ("bill",), "billing.add_refund"),
    ],
)
def test_action_pages_need_their_permission(client, estate, name, args, permission):
    payment = payment_in(estate)
    objects = {"payment": payment.pk, "bill": payment.allocations.get().bill_id}
    path = url(name, *[objects[a] for a in args])
    assert client.get(path).status_code == 302  # anonymous: sign in
    client.force_login(make_user("bare", "accounts.view_department"))
    assert client.get(path).status_code == 403
    client.force_login(make_user("holder", permission, estates=[estate]))
    assert client.get(path).status_code == 200
