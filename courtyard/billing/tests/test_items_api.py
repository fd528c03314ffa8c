"""API: charge-items (with rates), charge-rates and parking-spaces."""

from decimal import Decimal

import pytest

from courtyard.billing.models import ChargeItem, ChargeRate, ParkingSpace
from courtyard.residents.models import Vehicle
from tests.factories import make_user

from .conftest import billing_permissions

pytestmark = pytest.mark.django_db


@pytest.fixture
def chief(db):
    return make_user("chief", *billing_permissions())


def test_items_list_with_rates_in_scope(api, finance, items, estate, other_estate):
    ChargeRate.objects.create(item=items["water"], estate=estate, rate=Decimal("3.8"))
    ChargeRate.objects.create(item=items["water"], estate=other_estate, rate=Decimal("9"))
    body = api(finance).get("/charge-items", kind="metered").json()
    assert body["count"] == 2
    water = next(item for item in body["items"] if item["code"] == "water")
    assert {rate["estate"] for rate in water["rates"]} == {None, estate.pk}
    default = next(rate for rate in water["rates"] if rate["estate"] is None)
    assert default["tiers"] == [{"upto": "15", "rate": "3.50"}, {"upto": None, "rate": "5.25"}]


def test_item_detail(api, finance, items):
    body = api(finance).get(f"/charge-items/{items['property-fee'].pk}").json()
    assert body["pricing"] == "per_area" and len(body["rates"]) == 3


def test_create_patch_delete_item(api, chief, items):
    client = api(chief)
    created = client.post(
        "/charge-items",
        {
            "code": "garbage",
            "name": "垃圾费",
            "kind": "periodic",
            "pricing": "per_unit",
            "cycle": "month",
        },
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    patched = client.patch(f"/charge-items/{pk}", {"due_days": 30, "is_active": False})
    assert patched.json()["due_days"] == 30 and patched.json()["is_active"] is False
    assert client.delete(f"/charge-items/{pk}").status_code == 204
    assert not ChargeItem.objects.filter(pk=pk).exists()


def test_bad_item_answers_field_codes(api, chief, items):
    response = api(chief).post(
        "/charge-items",
        {"code": "water", "name": "新水费", "kind": "one_off", "pricing": "fixed"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "duplicate" and "code" in {
        e["field"] for e in response.json()["errors"]
    }


def test_estate_clerk_may_not_create_items(api, finance, items):
    response = api(finance).post(
        "/charge-items", {"code": "x", "name": "X", "kind": "one_off", "pricing": "fixed"}
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_estate_rate_create_patch_delete(api, finance, items, estate):
    client = api(finance)
    created = client.post(
        f"/charge-items/{items['water'].pk}/rates",
        {
            "estate": estate.pk,
            "rate": "3.4",
            "tiers": [{"upto": "10", "rate": "3.4"}, {"upto": None, "rate": "5"}],
        },
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["tiers"][0] == {"upto": "10", "rate": "3.40"}
    patched = client.patch(f"/charge-rates/{pk}", {"tiers": []})
    assert patched.status_code == 200 and patched.json()["tiers"] == []
    assert client.delete(f"/charge-rates/{pk}").status_code == 204


def test_rate_errors_and_scope(api, finance, items, estate, other_estate):
    client = api(finance)
    bad = client.post(
        f"/charge-items/{items['water'].pk}/rates",
        {"estate": estate.pk, "rate": "3", "tiers": [{"upto": "10", "rate": "3"}]},
    )
    assert bad.status_code == 400 and bad.json()["code"] == "bad_tier"
    foreign = client.post(
        f"/charge-items/{items['water'].pk}/rates", {"estate": other_estate.pk, "rate": "3"}
    )
    assert foreign.status_code == 404
    default = ChargeRate.objects.get(item=items["electricity"], estate=None)
    assert client.patch(f"/charge-rates/{default.pk}", {"rate": "1"}).status_code == 403
    assert client.delete(f"/charge-rates/{default.pk}").status_code == 403


def test_parking_space_crud(api, finance, estate, unit, owner):
    car = Vehicle.objects.create(resident=owner, plate="沪A12345")
    client = api(finance)
    created = client.post(
        "/parking-spaces",
        {
            "estate": estate.pk,
            "code": "B1-001",
            "resident": owner.pk,
            "vehicle": car.pk,
            "unit": unit.pk,
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["resident_name"], body["plate"], body["unit"]) == ("王芳", "沪A12345", unit.pk)
    pk = body["id"]
    listing = client.get("/parking-spaces", q="沪A").json()
    assert [item["id"] for item in listing["items"]] == [pk]
    patched = client.patch(f"/parking-spaces/{pk}", {"vehicle": None, "kind": "owned"})
    assert patched.json()["vehicle"] is None and patched.json()["kind"] == "owned"
    assert patched.json()["resident"] == owner.pk  # not named: left as it was
    assert client.delete(f"/parking-spaces/{pk}").status_code == 204


def test_parking_space_errors(api, finance, estate, other_estate):
    ParkingSpace.objects.create(estate=estate, code="B1-001")
    client = api(finance)
    duplicate = client.post("/parking-spaces", {"estate": estate.pk, "code": "B1-001"})
    assert duplicate.status_code == 400 and duplicate.json()["code"] == "duplicate"
    outside = client.post("/parking-spaces", {"estate": other_estate.pk, "code": "X"})
    assert outside.status_code == 404


def test_a_rate_too_large_for_its_column_is_refused_and_the_item_stays_readable(
    api, finance, items, estate
):
    rate = ChargeRate.objects.create(item=items["water"], estate=estate, rate=Decimal("3.8"))
    client = api(finance)
    response = client.patch(f"/charge-rates/{rate.pk}", {"rate": "1000000000000"})
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("rate", "max_whole_digits")
    ]
    rate.refresh_from_db()
    assert rate.rate == Decimal("3.8")
    assert client.get(f"/charge-items/{items['water'].pk}").status_code == 200
