"""Pages of charge items, fee standards and parking spaces."""

from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from courtyard.billing.models import ChargeItem, ChargeRate, ParkingSpace
from courtyard.core.models import Job
from courtyard.residents.models import Vehicle
from tests.factories import UnitFactory, make_user

from .conftest import billing_permissions

pytestmark = pytest.mark.django_db


@pytest.fixture
def chief(db):
    return make_user("chief", *billing_permissions())


def url(name, *args):
    return reverse(f"billing:{name}", args=args)


# Charge items -------------------------------------------------------------------------------


def test_item_list_shows_each_item_with_its_default_rates(
    client, finance, items, django_assert_max_num_queries
):
    client.force_login(finance)
    # A page's own reads (session, user, scope, menus) are 13 of them.
    with django_assert_max_num_queries(18):
        response = client.get(url("chargeitem_list"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "2.50 / m² · month" in content and "Shop: 4.00 / m² · month" in content
    assert "3.50 / t (tiered)" in content
    # Items are company-wide: an estate's clerk sees no button to add one.
    assert url("chargeitem_add") not in content
    assert url("chargerate_list") in content


def test_item_list_filters_by_kind(client, finance, items):
    client.force_login(finance)
    content = client.get(url("chargeitem_list"), {"kind": "metered"}).content.decode()
    assert "水费" in content and "物业费" not in content


def test_item_page_lists_default_and_estate_rates(client, finance, items, estate, other_estate):
    water = items["water"]
    ChargeRate.objects.create(item=water, estate=estate, rate=Decimal("3.80"))
    ChargeRate.objects.create(item=water, estate=other_estate, rate=Decimal("9.99"))
    client.force_login(finance)
    content = client.get(url("chargeitem_detail", water.pk)).content.decode()
    assert "0–15 t: 3.50" in content and "above 15 t: 5.25" in content
    assert "3.80" in content and "9.99" not in content  # the other estate is outside the scope
    assert "Every unit use" in content


def test_all_estates_user_adds_an_item(client, chief, items):
    client.force_login(chief)
    assert client.get(url("chargeitem_add")).status_code == 200
    response = client.post(
        url("chargeitem_add"),
        {
            "code": "garbage",
            "name": "垃圾清运费",
            "kind": "periodic",
            "pricing": "per_unit",
            "cycle": "month",
            "due_days": "10",
            "applies_to": ["residential", "shop"],
            "is_active": "on",
            "sort_order": "80",
        },
    )
    item = ChargeItem.objects.get(code="garbage")
    assert response.status_code == 302 and response["Location"] == item.get_absolute_url()
    assert item.applies_to == ["residential", "shop"]


def test_bad_item_keeps_what_was_typed(client, chief, items):
    client.force_login(chief)
    response = client.post(
        url("chargeitem_add"),
        {
            "code": "gas",
            "name": "燃气费",
            "kind": "metered",
            "pricing": "per_area",
            "due_days": 15,
            "sort_order": 0,
            "cycle": "month",
        },
    )
    content = response.content.decode()
    assert response.status_code == 400
    assert "燃气费" in content and "Choose which meter this item bills." in content


def test_edit_keeps_the_code(client, chief, items):
    client.force_login(chief)
    water = items["water"]
    page = client.get(url("chargeitem_edit", water.pk)).content.decode()
    assert 'name="code"' not in page
    data = {
        "name": "自来水费",
        "kind": "metered",
        "pricing": "metered",
        "cycle": "month",
        "meter_type": "water",
        "due_days": 20,
        "sort_order": 20,
        "is_active": "on",
    }
    assert client.post(url("chargeitem_edit", water.pk), data).status_code == 302
    water.refresh_from_db()
    assert (water.code, water.name, water.due_days) == ("water", "自来水费", 20)


def test_estate_clerk_may_not_open_the_item_form(client, finance, items):
    client.force_login(finance)
    assert client.get(url("chargeitem_edit", items["water"].pk)).status_code == 403
    assert client.get(url("chargeitem_add")).status_code == 403


def test_delete_page_says_why_an_item_in_use_cannot_go(client, chief, items, unit):
    from .factories import make_bill

    make_bill(unit, items["penalty"], kind="temporary")
    client.force_login(chief)
    page = client.get(url("chargeitem_delete", items["penalty"].pk)).content.decode()
    assert "cannot be deleted" in page
    assert client.post(url("chargeitem_delete", items["repair"].pk)).status_code == 302
    assert not ChargeItem.objects.filter(code="repair").exists()


# Fee standards ------------------------------------------------------------------------------


def test_fee_standards_of_the_chosen_estate(
    client, finance, items, estate, django_assert_max_num_queries
):
    ChargeRate.objects.create(item=items["electricity"], estate=estate, rate=Decimal("0.58"))
    client.force_login(finance)
    with django_assert_max_num_queries(19):
        response = client.get(url("chargerate_list"), {"estate": estate.pk})
    content = response.content.decode()
    assert response.status_code == 200
    assert "0.58" in content and "the estate's own rate" in content
    assert "Set for 翠湖天地" in content  # the items without an own rate


def test_fee_standards_of_an_estate_outside_the_scope_are_not_found(
    client, finance, items, other_estate
):
    client.force_login(finance)
    assert client.get(url("chargerate_list"), {"estate": other_estate.pk}).status_code == 404


def test_setting_an_estate_rate_from_the_fee_standards(client, finance, items, estate):
    client.force_login(finance)
    back = f"{url('chargerate_list')}?estate={estate.pk}"
    address = (
        f"{url('chargerate_add')}?item={items['water'].pk}&estate={estate.pk}&use=&next={back}"
    )
    page = client.get(address).content.decode()
    assert "Tier 1" in page
    response = client.post(
        address,
        {
            "estate": estate.pk,
            "unit_use": "",
            "rate": "",
            "tier_upto_1": "12",
            "tier_rate_1": "3.30",
            "tier_rate_2": "4.90",
            "next": back,
        },
    )
    assert response.status_code == 302 and response["Location"] == back
    rate = ChargeRate.objects.get(item=items["water"], estate=estate)
    assert rate.rate == Decimal("3.30")
    assert rate.tiers == [{"upto": "12", "rate": "3.30"}, {"upto": None, "rate": "4.90"}]


def test_rate_form_errors_keep_the_figures(client, finance, items, estate):
    client.force_login(finance)
    address = f"{url('chargerate_add')}?item={items['water'].pk}"
    response = client.post(
        address,
        {
            "estate": estate.pk,
            "tier_upto_1": "20",
            "tier_rate_1": "3",
            "tier_upto_2": "10",
            "tier_rate_2": "4",
        },
    )
    content = response.content.decode()
    assert response.status_code == 400 and "Tier bounds must go up." in content
    assert 'value="20"' in content


def test_changing_and_removing_an_estate_rate(client, finance, items, estate):
    own = ChargeRate.objects.create(item=items["electricity"], estate=estate, rate=Decimal("0.5"))
    client.force_login(finance)
    response = client.post(url("chargerate_edit", own.pk), {"rate": "0.66"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.rate == Decimal("0.66") and own.estate == estate
    assert client.get(url("chargerate_delete", own.pk)).status_code == 200
    client.post(url("chargerate_delete", own.pk))
    assert not ChargeRate.objects.filter(pk=own.pk).exists()


def test_estate_clerk_cannot_touch_default_rates(client, finance, items):
    default = ChargeRate.objects.get(item=items["electricity"], estate=None)
    client.force_login(finance)
    assert client.post(url("chargerate_edit", default.pk), {"rate": "9"}).status_code == 403
    default.refresh_from_db()
    assert default.rate == Decimal("0.62")


def test_rate_of_another_estate_is_not_found(client, finance, items, other_estate):
    foreign = ChargeRate.objects.create(item=items["water"], estate=other_estate, rate=Decimal(1))
    client.force_login(finance)
    assert client.get(url("chargerate_edit", foreign.pk)).status_code == 404
    assert client.post(url("chargerate_delete", foreign.pk)).status_code == 404


# Parking spaces -----------------------------------------------------------------------------


def test_parking_list_filters_and_has_no_query_per_row(
    client, finance, estate, unit, owner, django_assert_max_num_queries
):
    car = Vehicle.objects.create(resident=owner, plate="沪A12345")
    for number in range(12):
        ParkingSpace.objects.create(
            estate=estate, code=f"B1-{number:03d}", resident=owner, vehicle=car, unit=unit
        )
    ParkingSpace.objects.create(estate=estate, code="B2-001", kind="owned")
    client.force_login(finance)
    with django_assert_max_num_queries(19):
        response = client.get(url("parkingspace_list"))
    assert response.content.decode().count("沪A12345") == 12
    content = client.get(url("parkingspace_list"), {"taken": "no"}).content.decode()
    assert "B2-001" in content and "B1-001" not in content
    content = client.get(url("parkingspace_list"), {"q": "沪A123"}).content.decode()
    assert "B1-001" in content and "B2-001" not in content


def test_parking_list_hides_other_estates(client, finance, estate, other_estate):
    ParkingSpace.objects.create(estate=estate, code="MINE-1")
    ParkingSpace.objects.create(estate=other_estate, code="THEIRS-1")
    client.force_login(finance)
    content = client.get(url("parkingspace_list")).content.decode()
    assert "MINE-1" in content and "THEIRS-1" not in content


def test_new_space_picks_unit_then_resident_then_vehicle(client, finance, estate, unit, owner):
    car = Vehicle.objects.create(resident=owner, plate="沪A12345")
    client.force_login(finance)
    assert client.get(url("parkingspace_add")).status_code == 200
    picker = client.get(
        url("parkingspace_picker"),
        {
            "estate": estate.pk,
            "prev_estate": estate.pk,
            "building": unit.building_id,
            "prev_building": unit.building_id,
            "entrance": unit.entrance_id,
            "prev_entrance": unit.entrance_id,
            "unit": unit.pk,
            "prev_unit": "",
        },
    ).content.decode()
    assert "王芳" in picker
    picker = client.get(
        url("parkingspace_picker"),
        {
            "estate": estate.pk,
            "prev_estate": estate.pk,
            "unit": unit.pk,
            "prev_unit": unit.pk,
            "resident": owner.pk,
            "prev_resident": "",
        },
    ).content.decode()
    assert "沪A12345" in picker
    response = client.post(
        url("parkingspace_add"),
        {
            "estate": estate.pk,
            "unit": unit.pk,
            "resident": owner.pk,
            "vehicle": car.pk,
            "code": "B1-101",
            "kind": "rented",
            "is_active": "on",
        },
    )
    space = ParkingSpace.objects.get(code="B1-101")
    assert response.status_code == 302 and response["Location"] == space.get_absolute_url()
    assert (space.estate, space.unit, space.resident, space.vehicle) == (estate, unit, owner, car)
    page = client.get(space.get_absolute_url()).content.decode()
    assert "沪A12345" in page and "王芳" in page


def test_picker_clears_what_follows_a_changed_select(client, finance, estate, unit, owner):
    other = UnitFactory(entrance=unit.entrance)
    client.force_login(finance)
    picker = client.get(
        url("parkingspace_picker"),
        {
            "estate": estate.pk,
            "prev_estate": estate.pk,
            "entrance": unit.entrance_id,
            "prev_entrance": unit.entrance_id,
            "unit": other.pk,
            "prev_unit": unit.pk,
            "resident": owner.pk,
            "prev_resident": owner.pk,
        },
    ).content.decode()
    resident_select = picker[picker.index('name="resident"') :]
    assert f'value="{owner.pk}" selected' not in resident_select.split("</select>")[0]


def test_duplicate_space_number_is_a_form_error(client, finance, estate):
    ParkingSpace.objects.create(estate=estate, code="B1-001")
    client.force_login(finance)
    response = client.post(
        url("parkingspace_add"), {"estate": estate.pk, "code": "B1-001", "kind": "rented"}
    )
    assert response.status_code == 400
    assert "This space number already exists in the estate." in response.content.decode()


def test_edit_and_delete_a_space(client, finance, estate, unit):
    space = ParkingSpace.objects.create(estate=estate, code="B1-001", unit=unit)
    client.force_login(finance)
    page = client.get(url("parkingspace_edit", space.pk)).content.decode()
    assert 'value="B1-001"' in page
    response = client.post(
        url("parkingspace_edit", space.pk),
        {"estate": estate.pk, "code": "B1-009", "kind": "owned", "area": "负一层"},
    )
    assert response.status_code == 302
    space.refresh_from_db()
    assert (space.code, space.kind, space.unit, space.is_active) == ("B1-009", "owned", None, False)
    assert client.get(url("parkingspace_history", space.pk)).status_code == 200
    client.post(url("parkingspace_delete", space.pk))
    assert not ParkingSpace.objects.exists()


def test_export_writes_the_filtered_spaces(
    client, finance, estate, other_estate, django_capture_on_commit_callbacks
):
    ParkingSpace.objects.create(estate=estate, code="B1-001", kind="owned")
    ParkingSpace.objects.create(estate=estate, code="B1-002")
    ParkingSpace.objects.create(estate=other_estate, code="X-1", kind="owned")
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url("parkingspace_export"), {"kind": "owned"})
    job = Job.objects.get()
    assert response["Location"] == reverse("core:job_detail", args=[job.pk])
    assert job.status == "succeeded", job.result
    sheet = load_workbook(job.output_file.open("rb")).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Space number"
    assert [row[0] for row in rows[1:]] == ["B1-001"]


def test_system_parameters_page_links_to_the_fee_standards(client):
    admin = make_user("root", superuser=True)
    client.force_login(admin)
    content = client.get(reverse("system:parameters")).content.decode()
    assert url("chargerate_list") in content
