"""Bill run pages: the form and its preview (nothing written), starting the run (its job),
the run's page with progress, totals and problems, and publishing it once."""

import pytest
from django.urls import reverse
from django.utils import timezone

from courtyard.billing.choices import BillRunStatus, BillStatus
from courtyard.billing.models import Bill, BillRun
from courtyard.billing.runs.services import generate_bills, publish_bill_run, start_bill_run
from courtyard.core.models import Message
from tests.factories import BuildingFactory, EntranceFactory, UnitFactory, make_user
from tests.permission_matrix import ModelPermissionMatrix

from .factories import make_reading, seed_charge_items

pytestmark = pytest.mark.django_db


def url(name, run=None):
    return reverse(f"billing:{name}", args=[run.pk] if run else [])


def form_data(estate, *items, period="2026-10", **extra):
    return {
        "estate": estate.pk,
        "cycle": "month",
        "period": period,
        "items": [item.pk for item in items],
        **extra,
    }


def generated(actor, estate, *items, period="2026-10"):
    run = start_bill_run(
        actor, estate=estate, buildings=[], cycle="month", period=period, items=list(items)
    )
    generate_bills(run)
    run.refresh_from_db()
    return run


class TestBillRunPermissions(ModelPermissionMatrix):
    model = BillRun
    url_names = {
        "list": "billing:billrun_list",
        "detail": "billing:billrun_detail",
        "history": "billing:billrun_history",
        "add": "billing:billrun_add",
    }
    api_list = "/api/v1/bill-runs"
    api_detail = "/api/v1/bill-runs/{pk}"

    def make_object(self, estate):
        items = seed_charge_items()
        UnitFactory(entrance=EntranceFactory(building=BuildingFactory(estate=estate)))
        admin = make_user(f"runner{estate.pk}", superuser=True)
        return generated(admin, estate, items["property-fee"])


def test_form_offers_the_estates_buildings_and_periodic_items(client, finance, estate, items):
    BuildingFactory(estate=estate, name="9号楼")
    client.force_login(finance)
    response = client.get(url("billrun_add"), {"estate": estate.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "9号楼" in html and "物业费" in html and "水费" in html
    assert "装修押金" not in html  # one-off items are raised as temporary bills
    partial = client.get(
        url("billrun_add"),
        {"estate": estate.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="run-buildings",
    )
    assert partial.content.decode().lstrip().startswith('<div id="run-buildings">')


def test_preview_shows_totals_and_problems_and_writes_nothing(
    client, finance, estate, unit, owner, items
):
    flagged = UnitFactory(entrance=unit.entrance, room_no="1202", area="70.00")
    make_reading(unit, "water", "2026-10", "110", previous="100")
    make_reading(flagged, "water", "2026-10", "900", previous="100", is_flagged=True)
    client.force_login(finance)

    response = client.get(
        url("billrun_add"),
        {**form_data(estate, items["property-fee"], items["water"]), "preview": "1"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.bill_count == 3  # two property fees, one water bill
    assert 'data-code="flagged_reading"' in html and "1202" in html
    assert 'data-code="no_owner"' in html
    assert "Generate 3 draft bills" in html
    assert not Bill.objects.exists() and not BillRun.objects.exists()


def test_preview_refuses_bad_input_on_the_form(client, finance, estate, items):
    client.force_login(finance)
    response = client.get(
        url("billrun_add"),
        {**form_data(estate, items["property-fee"], period="2026-13"), "preview": "1"},
    )
    assert response.status_code == 400
    assert "is not a period" in response.content.decode()


def test_preview_of_a_published_period_offers_no_generate_button(
    client, finance, estate, unit, owner, items
):
    publish_bill_run(finance, generated(finance, estate, items["property-fee"]))
    client.force_login(finance)
    response = client.get(
        url("billrun_add"), {**form_data(estate, items["property-fee"]), "preview": "1"}
    )
    html = response.content.decode()
    assert "run-blocking" in html and "run-generate-button" not in html


def test_generate_starts_the_job_and_the_run_page_shows_its_result(
    client, finance, estate, unit, owner, items, django_capture_on_commit_callbacks
):
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("billrun_add"), form_data(estate, items["property-fee"]))
    run = BillRun.objects.get()
    assert response.status_code == 302 and response["Location"] == url("billrun_detail", run)
    run.refresh_from_db()
    assert run.status == BillRunStatus.GENERATED and run.bill_count == 1
    html = client.get(url("billrun_detail", run)).content.decode()
    assert "¥221.25" in html and "Publish 1 bill" in html


def test_generating_a_published_period_again_is_refused(
    client, finance, estate, unit, owner, items
):
    publish_bill_run(finance, generated(finance, estate, items["property-fee"]))
    client.force_login(finance)
    response = client.post(url("billrun_add"), form_data(estate, items["property-fee"]))
    assert response.status_code == 400
    assert "published for this scope already" in response.content.decode()
    assert BillRun.objects.count() == 1


def test_progress_polls_until_the_run_is_done(client, finance, estate, unit, items):
    run = start_bill_run(
        finance,
        estate=estate,
        buildings=[],
        cycle="month",
        period="2026-10",
        items=[items["property-fee"]],
    )
    client.force_login(finance)
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "run-progress"}
    waiting = client.get(url("billrun_detail", run), **headers)
    assert 'hx-trigger="every 1s"' in waiting.content.decode()
    assert "HX-Refresh" not in waiting
    generate_bills(run)
    done = client.get(url("billrun_detail", run), **headers)
    assert done["HX-Refresh"] == "true"


def test_publish_the_run_once(client, finance, estate, unit, owner, items):
    run = generated(finance, estate, items["property-fee"])
    client.force_login(finance)
    assert client.post(url("billrun_publish", run)).status_code == 302
    assert Bill.objects.get().status == BillStatus.UNPAID
    assert Message.objects.count() == 1
    again = client.post(url("billrun_publish", run), follow=True)
    assert "published already" in again.content.decode()
    assert Message.objects.count() == 1


def test_publish_needs_the_permission_and_the_scope(client, estate, other_estate, unit, items):
    admin = make_user("admin", superuser=True)
    run = generated(admin, estate, items["property-fee"])
    client.force_login(make_user("viewer", "billing.view_billrun"))
    assert client.post(url("billrun_publish", run)).status_code == 403
    client.force_login(make_user("far", "billing.publish_bill", estates=[other_estate]))
    assert client.post(url("billrun_publish", run)).status_code == 404
    assert Bill.objects.get().status == BillStatus.DRAFT


def test_run_list(client, finance, estate, unit, items, django_assert_max_num_queries):
    for month in range(1, 7):
        generated(finance, estate, items["property-fee"], period=f"2026-0{month}")
    client.force_login(finance)
    with django_assert_max_num_queries(20):
        response = client.get(url("billrun_list"))
    assert len(response.context["rows"]) == 6


def months_from_now(count):
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def test_the_estate_defaults_to_the_top_bars_filter_or_the_only_estate(
    client, finance, estate, other_estate, items
):
    client.force_login(finance)  # finance works on one estate only
    html = client.get(url("billrun_add")).content.decode()
    assert f'<option value="{estate.pk}" selected>' in html
    admin = make_user("admin", superuser=True)
    client.force_login(admin)
    html = client.get(url("billrun_add")).content.decode()
    assert "selected>" not in html.split('name="estate"')[1].split("</select>")[0]
    client.post(reverse("core:set_estate"), {"estate": other_estate.pk})
    html = client.get(url("billrun_add")).content.decode()
    assert f'<option value="{other_estate.pk}" selected>' in html


def test_preview_says_what_happens_to_the_bills_of_each_problem(
    client, finance, estate, unit, owner, items
):
    UnitFactory(entrance=unit.entrance, room_no="1204", area="50.00")  # nobody owns it
    client.force_login(finance)
    response = client.get(
        url("billrun_add"), {**form_data(estate, items["property-fee"]), "preview": "1"}
    )
    html = response.content.decode()
    assert "1 bill is created without a payer" in html
    assert "2 draft bills will be created." in html
    assert "1 of them has no payer" in html
    assert "the problems above are skipped" not in html


def test_a_period_far_ahead_is_generated_only_when_confirmed(
    client, finance, estate, unit, owner, items
):
    client.force_login(finance)
    data = form_data(estate, items["property-fee"], period=months_from_now(3))
    html = client.get(url("billrun_add"), {**data, "preview": "1"}).content.decode()
    assert "3 months ahead" in html and 'name="confirm_ahead"' in html
    refused = client.post(url("billrun_add"), data)
    assert refused.status_code == 400 and not BillRun.objects.exists()
    assert 'name="confirm_ahead"' in refused.content.decode()  # the preview again, to confirm
    started = client.post(url("billrun_add"), {**data, "confirm_ahead": "on"})
    assert started.status_code == 302 and BillRun.objects.get().period == months_from_now(3)
