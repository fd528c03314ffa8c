"""API of bills and bill runs: lists with filters, details, the actions and their refusals as
JSON with a code (400 / 403 / 404 / 409)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from courtyard.billing.choices import BillRunStatus, BillStatus
from courtyard.billing.models import Bill, BillRun
from courtyard.billing.runs.services import generate_bills
from courtyard.core.models import Message
from tests.factories import UnitFactory, make_user

from .factories import make_bill, make_reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def fee(items):
    return items["property-fee"]


# bills --------------------------------------------------------------------------------------


def test_list_with_filters(api, finance, unit, owner, fee, items):
    make_bill(unit, fee, "221.25", payer=owner)
    make_bill(unit, items["water"], "35.00", status=BillStatus.PAID, paid_amount=35)
    client = api(finance)

    body = client.get("/bills", status="unpaid", building=unit.building_id).json()

    assert body["count"] == 1
    bill = body["items"][0]
    assert bill["amount"] == "221.25" and bill["outstanding"] == "221.25"
    assert bill["payer_name"] == "王芳" and bill["item_name"] == "Property fee"
    assert bill["unit"] == unit.pk and bill["status"] == "unpaid"
    assert client.get("/bills", resident=owner.pk).json()["count"] == 1
    bad = client.get("/bills", status="nonsense")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_filter"


def test_detail_with_calculation_and_timeline(api, finance, unit, owner, fee):
    bill = make_bill(unit, fee, "221.25", payer=owner, detail={"area": "88.50", "months": 1})
    body = api(finance).get(f"/bills/{bill.pk}").json()
    assert body["calculation"][0]["text"].startswith("88.50 m²")
    assert body["payments"] == [] and body["reminders"] == []
    assert body["timeline"][0]["text"] == "Created"


def test_create_a_temporary_bill(api, finance, unit, owner, items):
    response = api(finance).post(
        "/bills",
        {"item": items["renovation-deposit"].pk, "amount": "2000", "unit": unit.pk},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "temporary" and body["status"] == "draft"
    assert body["payer"] == owner.pk and body["amount"] == "2000.00"


def test_create_refusals(api, finance, unit, items, other_estate):
    client = api(finance)
    bad = client.post("/bills", {"item": items["penalty"].pk, "amount": "-1", "unit": unit.pk})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_amount"
    missing = client.post("/bills", {"item": items["penalty"].pk, "amount": "1", "unit": 99999})
    assert missing.status_code == 404
    foreign = UnitFactory(entrance__building__estate=other_estate)
    outside = client.post(
        "/bills", {"item": items["penalty"].pk, "amount": "1", "unit": foreign.pk}
    )
    assert outside.status_code == 404
    viewer = api(make_user("viewer", "billing.view_bill"))
    assert viewer.post("/bills", {"item": items["penalty"].pk, "amount": "1"}).status_code == 403
    assert not Bill.objects.exists()


def test_publish_selected_drafts(api, finance, unit, owner, fee):
    drafts = [
        make_bill(unit, fee, status=BillStatus.DRAFT, payer=owner, period=p)
        for p in ("2026-01", "2026-02")
    ]
    client = api(finance)
    response = client.post("/bills/publish", {"bills": [b.pk for b in drafts]})
    assert response.status_code == 200 and response.json() == {"published": 2}
    again = client.post("/bills/publish", {"bills": [drafts[0].pk]})
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_publish"
    assert client.post("/bills/publish", {"bills": [999999]}).status_code == 404
    assert Message.objects.count() == 1


def test_void_and_delete(api, finance, unit, fee):
    published = make_bill(unit, fee)
    draft = make_bill(unit, fee, status=BillStatus.DRAFT, period="2026-11")
    client = api(finance)

    no_reason = client.post(f"/bills/{published.pk}/void", {"reason": ""})
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason_required"
    voided = client.post(f"/bills/{published.pk}/void", {"reason": "面积有误"})
    assert voided.status_code == 200 and voided.json()["status"] == "void"
    again = client.post(f"/bills/{published.pk}/void", {"reason": "再次"})
    assert again.status_code == 409 and again.json()["code"] == "already_void"

    refused = client.delete(f"/bills/{published.pk}")
    assert refused.status_code == 409 and refused.json()["code"] == "not_draft"
    assert client.delete(f"/bills/{draft.pk}").status_code == 204
    assert not Bill.objects.filter(pk=draft.pk).exists()


def test_void_with_payments_is_409(api, finance, unit, fee):
    bill = make_bill(unit, fee, status=BillStatus.PAID, paid_amount=Decimal("100.00"))
    response = api(finance).post(f"/bills/{bill.pk}/void", {"reason": "错误"})
    assert response.status_code == 409 and response.json()["code"] == "has_payments"


# bill-runs ----------------------------------------------------------------------------------


def run_payload(estate, *items, **extra):
    return {"estate": estate.pk, "period": "2026-10", "items": [i.pk for i in items], **extra}


def test_preview_run(api, finance, estate, unit, owner, items):
    make_reading(unit, "water", "2026-10", "10")
    response = api(finance).post(
        "/bill-runs/preview", run_payload(estate, items["property-fee"], items["water"])
    )
    body = response.json()
    assert response.status_code == 200
    assert body["bill_count"] == 2 and body["total_amount"] == "256.25"
    assert [t["item_name"] for t in body["totals"]] == ["Property fee", "Water"]
    assert body["problems"] == [] and body["blocked"] == ""
    assert not BillRun.objects.exists()


def test_create_run_progress_and_publish(
    api, finance, estate, unit, owner, items, django_capture_on_commit_callbacks
):
    client = api(finance)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/bill-runs", run_payload(estate, items["property-fee"]))
    assert created.status_code == 201
    run_id = created.json()["id"]
    assert created.json()["progress"]["job"]

    detail = client.get(f"/bill-runs/{run_id}").json()
    assert detail["status"] == "generated" and detail["bill_count"] == 1
    assert detail["progress"]["percent"] == 100
    assert detail["totals"] == [
        {
            "item": items["property-fee"].pk,
            "item_name": "Property fee",
            "count": 1,
            "amount": "221.25",
            "existing": 0,
        }
    ]

    published = client.post(f"/bill-runs/{run_id}/publish")
    assert published.status_code == 200 and published.json()["status"] == "published"
    again = client.post(f"/bill-runs/{run_id}/publish")
    assert again.status_code == 409 and again.json()["code"] == "already_published"
    rerun = client.post("/bill-runs", run_payload(estate, items["property-fee"]))
    assert rerun.status_code == 409 and rerun.json()["code"] == "already_published"


def test_preview_run_says_what_each_problem_does_and_how_far_ahead(
    api, finance, estate, unit, items
):
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 + 2
    far = f"{index // 12:04d}-{index % 12 + 1:02d}"
    client = api(finance)
    body = client.post(
        "/bill-runs/preview", run_payload(estate, items["property-fee"], period=far)
    ).json()
    [no_owner] = body["problems"]
    assert (no_owner["code"], no_owner["outcome"]) == ("no_owner", "no_payer")
    assert no_owner["effect"] == "1 bill is created without a payer"
    assert (body["bill_count"], body["without_payer_count"], body["skipped_count"]) == (1, 1, 0)
    assert body["periods_ahead"] == 2 and body["needs_confirmation"]
    assert "2 months ahead" in body["ahead_note"]
    refused = client.post("/bill-runs", run_payload(estate, items["property-fee"], period=far))
    assert refused.status_code == 400 and refused.json()["code"] == "period_far_ahead"
    assert not BillRun.objects.exists()
    confirmed = run_payload(estate, items["property-fee"], period=far, confirm_ahead=True)
    assert client.post("/bill-runs", confirmed).status_code == 201


def test_run_refusals(api, finance, estate, other_estate, items):
    client = api(finance)
    bad = client.post("/bill-runs/preview", run_payload(estate, items["property-fee"], period="x"))
    assert bad.status_code == 400 and bad.json()["code"] == "bad_period"
    outside = client.post("/bill-runs", run_payload(other_estate, items["property-fee"]))
    assert outside.status_code == 404
    missing = client.post("/bill-runs", run_payload(estate, items["property-fee"], items=[999]))
    assert missing.status_code == 404
    viewer = api(make_user("viewer", "billing.view_billrun"))
    assert viewer.post("/bill-runs", run_payload(estate, items["property-fee"])).status_code == 403
    assert not BillRun.objects.exists()


def test_publishing_a_running_run_is_409(api, finance, estate, unit, items):
    created = api(finance).post("/bill-runs", run_payload(estate, items["property-fee"]))
    run = BillRun.objects.get(pk=created.json()["id"])
    assert run.status == BillRunStatus.PENDING
    response = api(finance).post(f"/bill-runs/{run.pk}/publish")
    assert response.status_code == 409 and response.json()["code"] == "not_generated"
    generate_bills(run)
    assert api(finance).post(f"/bill-runs/{run.pk}/publish").status_code == 200


def test_a_period_that_does_not_exist_is_a_bad_filter(api, finance):
    client = api(finance)
    for period in ("2026-13", "2026-Q5", "last month"):
        response = client.get("/bills", period=period)
        assert response.status_code == 400 and response.json()["code"] == "invalid_filter"
    assert client.get("/bills", period="2026-q4").status_code == 200
