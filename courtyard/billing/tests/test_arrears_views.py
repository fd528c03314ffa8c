"""The arrears list (欠费名单): one row per unit (or payer), filters, order, masked phones,
the Excel export, and a fixed number of queries whatever the number of rows."""

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from courtyard.billing.choices import BillKind, BillStatus
from courtyard.billing.models import Bill, ParkingSpace
from courtyard.billing.reminders import views as reminders_views
from courtyard.core.models import Job
from courtyard.residents.tests.helpers import resident_in
from tests.factories import BuildingFactory, EntranceFactory, UnitFactory, make_user

from .factories import make_bill

pytestmark = pytest.mark.django_db
URL = "/billing/arrears/"
TODAY = timezone.localdate()


def days_ago(days):
    return TODAY - timedelta(days=days)


@pytest.fixture
def world(items, estate, unit, owner):
    """Two overdue bills of the owner's unit, one of a tenant's unit in another building,
    one not yet due, one paid, and a parking space billed to a person without a unit."""
    fee, water, parking = items["property-fee"], items["water"], items["parking"]
    make_bill(unit, fee, "320.00", payer=owner, period="2026-08", due_date=days_ago(90))
    make_bill(unit, water, "45.50", payer=owner, period="2026-09", due_date=days_ago(60))
    make_bill(unit, fee, "320.00", payer=owner, period="2026-10", status=BillStatus.PAID)
    building = BuildingFactory(estate=estate, name="9号楼")
    other = UnitFactory(entrance=EntranceFactory(building=building), room_no="901")
    tenant = resident_in(other, name="李雷", phone="13900000002", role="tenant")
    make_bill(other, fee, "1000.00", payer=tenant, period="2026-09", due_date=days_ago(20))
    make_bill(other, water, "30.00", payer=tenant, period="2026-11", due_date=days_ago(-10))
    space = ParkingSpace.objects.create(estate=estate, code="B-012", resident=tenant)
    Bill.objects.create(
        kind=BillKind.PERIODIC,
        estate=estate,
        parking_space=space,
        payer=tenant,
        item=parking,
        period="2026-09",
        amount="300.00",
        status=BillStatus.UNPAID,
        due_date=days_ago(30),
    )
    return {"unit": unit, "other": other, "owner": owner, "tenant": tenant, "space": space}


@pytest.fixture
def clerk(finance, client):
    client.force_login(finance)
    return client


def rows_of(response):
    return [(row["object"].key, row["object"].owed) for row in response.context["rows"]]


def test_one_row_per_unit_and_per_payer_without_unit(clerk, world):
    response = clerk.get(URL)
    assert response.status_code == 200
    unit, other, tenant = world["unit"], world["other"], world["tenant"]
    # Most days overdue first.
    assert rows_of(response) == [
        (f"u{unit.pk}", pytest.approx(365.50)),
        (f"p{tenant.pk}", pytest.approx(300)),
        (f"u{other.pk}", pytest.approx(1000)),
    ]
    first = response.context["rows"][0]["object"]
    assert first.items == ["物业费", "水费"] and first.periods == ["2026-08", "2026-09"]
    assert first.days_overdue == 90 and first.bill_count == 2
    assert first.payers == [world["owner"]]
    content = response.content.decode()
    assert "138****0001" in content and "13800000001" not in content
    assert "Parking space B-012" in content
    assert "¥1,665.50 in total" in content


def test_phones_in_full_for_those_who_may_see_identities(client, estate, world):
    from .conftest import billing_permissions

    user = make_user(
        "full", *billing_permissions(), "residents.view_full_identity", estates=[estate]
    )
    client.force_login(user)
    assert "13800000001" in client.get(URL).content.decode()


def test_filters_narrow_the_bills_and_the_rows(clerk, world, items):
    unit, other = world["unit"], world["other"]
    by_item = clerk.get(URL, {"item": items["water"].pk})
    assert rows_of(by_item) == [(f"u{unit.pk}", pytest.approx(45.50))]
    assert [
        r.key for r in (row["object"] for row in clerk.get(URL, {"min_days": 50}).context["rows"])
    ] == [f"u{unit.pk}"]
    assert [k for k, _owed in rows_of(clerk.get(URL, {"min_amount": "400"}))] == [f"u{other.pk}"]
    building = other.building
    assert [k for k, _o in rows_of(clerk.get(URL, {"building": building.pk}))] == [f"u{other.pk}"]
    with_not_due = clerk.get(URL, {"include_not_due": "on", "building": building.pk})
    assert rows_of(with_not_due) == [(f"u{other.pk}", pytest.approx(1030))]
    assert [k for k, _o in rows_of(clerk.get(URL, {"q": "李雷"}))] == [
        f"p{world['tenant'].pk}",
        f"u{other.pk}",
    ]


def test_a_bad_filter_shows_its_error_and_every_row(clerk, world):
    response = clerk.get(URL, {"min_days": "-3"})
    assert response.status_code == 200
    assert len(response.context["rows"]) == 3
    assert response.context["filterset"].errors


@pytest.mark.parametrize(
    ("sort", "first"), [("-owed", "other"), ("owed", "tenant"), ("days_overdue", "other")]
)
def test_rows_sort_by_the_chosen_column(clerk, world, sort, first):
    key = f"p{world['tenant'].pk}" if first == "tenant" else f"u{world[first].pk}"
    assert rows_of(clerk.get(URL, {"sort": sort}))[0][0] == key


def test_reminder_count_and_time_show_on_the_row(clerk, world):
    now = timezone.now()
    Bill.objects.filter(unit=world["unit"]).update(reminder_count=2, last_reminded_at=now)
    row = clerk.get(URL).context["rows"][0]["object"]
    assert row.reminders == 2 and row.last_reminded == now


def test_htmx_sorting_answers_the_table_alone(clerk, world):
    response = clerk.get(
        URL, {"sort": "-owed"}, headers={"HX-Request": "true", "HX-Target": "object-table"}
    )
    names = {t.name for t in response.templates}
    assert "billing/partials/arrears_table.html" in names and "base.html" not in names


def test_other_scopes_and_the_top_bar_estate_are_left_out(client, world, other_estate, items):
    outsider_unit = UnitFactory(entrance__building__estate=other_estate)
    make_bill(outsider_unit, items["property-fee"], due_date=days_ago(5))
    from .conftest import billing_permissions

    client.force_login(make_user("all", *billing_permissions()))
    assert len(client.get(URL).context["rows"]) == 4
    session = client.session
    session["estate_id"] = other_estate.pk
    session.save()
    assert [k for k, _o in rows_of(client.get(URL))] == [f"u{outsider_unit.pk}"]


def test_the_page_takes_the_same_queries_for_many_rows(
    clerk, world, items, estate, django_assert_max_num_queries
):
    fee = items["property-fee"]
    for number in range(40):
        unit = UnitFactory(entrance__building__estate=estate)
        person = resident_in(unit, name=f"住户{number}", phone=f"1390000{number:04d}")
        make_bill(unit, fee, payer=person, due_date=days_ago(number + 1))
    # 16 for any page (session, user, parameters, maintenance, permissions, scope, the
    # filters' estates, buildings and items, the badges of the layout, the session's save)
    # and 6 for the list: count, total, page, units, bill lines, payers
    with django_assert_max_num_queries(24):
        response = clerk.get(URL, {"per_page": 100})
    assert len(response.context["rows"]) == 43


def read_xlsx(content):
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_export_writes_the_filtered_rows_with_masked_phones(clerk, world, finance):
    response = clerk.get(reverse("billing:arrears_export"), {"min_days": 50})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = read_xlsx(b"".join(response.streaming_content))
    assert rows[0][:4] == ["Unit", "Resident", "Phone", "Charge items"]
    assert len(rows) == 2
    unit = world["unit"]
    assert rows[1][0].endswith(unit.room_no) and rows[1][1] == "王芳"
    assert rows[1][2] == "138****0001" and rows[1][3] == "物业费、水费"
    assert rows[1][5] == 2 and rows[1][6] == 365.5 and rows[1][8] == 90
    job = Job.objects.get()
    assert job.user == finance and job.params["filters"] == {"min_days": "50"}


def test_a_large_export_runs_as_a_job(
    clerk, world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(reminders_views, "DIRECT_EXPORT_ROWS", 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk.get(reverse("billing:arrears_export"), {"sort": "-owed"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["summary"] == "3 rows exported."
    rows = read_xlsx(job.output_file.read())
    assert rows[1][0].endswith(world["other"].room_no)  # the current order: most owed first


def test_arrears_need_the_view_bill_permission(client, estate, world):
    client.force_login(make_user("nobody", "billing.view_reminder", estates=[estate]))
    assert client.get(URL).status_code == 403
    assert client.get(reverse("billing:arrears_export")).status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_unit_whose_bills_have_no_payer_shows_its_owner(clerk, items, estate, owner, unit):
    Bill.objects.all().delete()
    make_bill(unit, items["property-fee"], due_date=date(2026, 1, 1))
    row = clerk.get(URL).context["rows"][0]["object"]
    assert row.payers == [owner]
