"""Charge items, rates and parking spaces: every rule and refusal of the services."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from courtyard.billing.items import services
from courtyard.billing.items.selectors import rate_table, tier_lines
from courtyard.billing.models import ChargeItem, ChargeRate, ParkingSpace
from courtyard.billing.selectors import rate_for
from courtyard.core.exceptions import InUse
from courtyard.core.timeline import events_for
from courtyard.residents.models import Vehicle
from courtyard.residents.tests.helpers import resident_in
from tests.factories import UnitFactory, make_user

from .conftest import billing_permissions
from .factories import make_bill

pytestmark = pytest.mark.django_db


@pytest.fixture
def chief(db):
    """Every billing permission, all estates: may change company-wide items and defaults."""
    return make_user("chief", *billing_permissions())


def codes(error):
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


# Charge items -------------------------------------------------------------------------------


def test_create_item_with_valid_rule(chief, items):
    item = services.create_charge_item(
        chief,
        code="garbage-fee",
        name="垃圾清运费",
        kind="periodic",
        pricing="per_unit",
        cycle="month",
        due_days=10,
        applies_to=["residential"],
    )
    assert item.pk and item.created_by == chief
    assert [e.verb for e in events_for(item)] == ["created"]


def test_item_kind_and_pricing_must_agree(chief, items):
    with pytest.raises(ValidationError) as caught:
        services.create_charge_item(
            chief, code="x", name="X", kind="metered", pricing="per_area", cycle="month"
        )
    assert codes(caught.value) == {"pricing": ["pricing_mismatch"], "meter_type": ["required"]}


def test_periodic_item_needs_a_cycle_and_one_off_has_none(chief, items):
    with pytest.raises(ValidationError) as caught:
        services.create_charge_item(
            chief, code="x", name="X", kind="periodic", pricing="per_unit", cycle=""
        )
    assert "cycle" in caught.value.error_dict
    one_off = services.create_charge_item(
        chief, code="y", name="Y", kind="one_off", pricing="fixed", cycle="month"
    )
    assert one_off.cycle == ""


def test_only_one_off_items_are_deposits(chief, items):
    with pytest.raises(ValidationError) as caught:
        services.create_charge_item(
            chief,
            code="x",
            name="X",
            kind="periodic",
            pricing="per_unit",
            cycle="month",
            is_deposit=True,
        )
    assert "is_deposit" in caught.value.error_dict


def test_duplicate_code_and_name_are_field_errors(chief, items):
    with pytest.raises(ValidationError) as caught:
        services.create_charge_item(
            chief, code="water", name="水费", kind="one_off", pricing="fixed"
        )
    assert codes(caught.value) == {"code": ["duplicate"], "name": ["duplicate"]}


def test_unknown_unit_use_is_refused(chief, items):
    with pytest.raises(ValidationError) as caught:
        services.update_charge_item(chief, items["property-fee"], applies_to=["castle"])
    assert "applies_to" in caught.value.error_dict


def test_pricing_of_an_item_with_bills_cannot_change(chief, items, unit):
    make_bill(unit, items["property-fee"])
    with pytest.raises(ValidationError) as caught:
        services.update_charge_item(chief, items["property-fee"], pricing="per_unit")
    assert codes(caught.value) == {"pricing": ["has_bills"]}
    # The name and activity may still change.
    services.update_charge_item(chief, items["property-fee"], name="物业服务费", is_active=False)
    assert ChargeItem.objects.get(code="property-fee").name == "物业服务费"


def test_item_code_is_not_changeable(chief, items):
    with pytest.raises(TypeError):
        services.update_charge_item(chief, items["water"], code="aqua")


def test_estate_scoped_user_may_not_change_company_wide_items(finance, items):
    with pytest.raises(PermissionDenied):
        services.update_charge_item(finance, items["water"], name="自来水费")
    with pytest.raises(PermissionDenied):
        services.create_charge_item(finance, code="x", name="X", kind="one_off", pricing="fixed")


def test_item_changes_need_the_permission(items):
    viewer = make_user("viewer", "billing.view_chargeitem")
    with pytest.raises(PermissionDenied):
        services.update_charge_item(viewer, items["water"], name="自来水费")


def test_item_with_bills_cannot_be_deleted(chief, items, unit):
    make_bill(unit, items["penalty"], kind="temporary")
    with pytest.raises(InUse):
        services.delete_charge_item(chief, items["penalty"])
    services.delete_charge_item(chief, items["repair"])
    assert not ChargeItem.objects.filter(code="repair").exists()


# Rates --------------------------------------------------------------------------------------


def test_estate_rate_overrides_the_default(finance, items, estate, unit):
    fee = items["property-fee"]
    services.create_rate(finance, item=fee, estate=estate, rate=Decimal("3.10"))
    assert rate_for(fee, estate.pk, "residential").rate == Decimal("3.10")
    # The estate's rate for every use comes before the default for shops.
    assert rate_for(fee, estate.pk, "shop").rate == Decimal("3.10")
    assert [e.verb for e in events_for(fee)] == ["rate_set"]


def test_rate_for_an_estate_outside_the_scope_is_not_found(finance, items, other_estate):
    with pytest.raises(Http404):
        services.create_rate(finance, item=items["water"], estate=other_estate, rate=Decimal("4"))


def test_default_rates_need_an_all_estates_scope(finance, chief, items):
    default = ChargeRate.objects.get(item=items["electricity"], estate=None)
    with pytest.raises(PermissionDenied):
        services.update_rate(finance, default, rate=Decimal("0.70"))
    services.update_rate(chief, default, rate=Decimal("0.70"))
    default.refresh_from_db()
    assert default.rate == Decimal("0.70")


def test_tiers_are_checked_and_stored_as_text(finance, items, estate):
    water = items["water"]
    rate = services.create_rate(
        finance,
        item=water,
        estate=estate,
        rate=Decimal("0"),
        tiers=[{"upto": Decimal("20"), "rate": Decimal("3.20")}, {"upto": None, "rate": "4.80"}],
    )
    assert rate.tiers == [{"upto": "20", "rate": "3.20"}, {"upto": None, "rate": "4.80"}]
    assert rate.rate == Decimal("3.20")  # the first tier's price
    assert tier_lines(rate, "t") == ["0–20 t: 3.20", "above 20 t: 4.80"]
    with pytest.raises(ValidationError) as caught:
        services.update_rate(
            finance, rate, tiers=[{"upto": "20", "rate": "3"}, {"upto": "10", "rate": "4"}]
        )
    assert codes(caught.value) == {"tiers": ["bad_tier"]}


def test_only_metered_items_have_tiers(chief, items):
    with pytest.raises(ValidationError) as caught:
        services.create_rate(
            chief,
            item=items["parking"],
            unit_use="rented",
            rate=Decimal("280"),
            tiers=[{"upto": None, "rate": "1"}],
        )
    assert codes(caught.value) == {"tiers": ["bad_tier"]}


def test_negative_or_overprecise_rate_is_refused(finance, items, estate):
    for bad in (Decimal("-1"), Decimal("1.23456"), "abc"):
        with pytest.raises(ValidationError) as caught:
            services.create_rate(finance, item=items["electricity"], estate=estate, rate=bad)
        assert codes(caught.value) == {"rate": ["bad_rate"]}


def test_parking_rates_are_for_parking_kinds(finance, items, estate):
    with pytest.raises(ValidationError) as caught:
        services.create_rate(
            finance, item=items["parking"], estate=estate, unit_use="shop", rate=Decimal("1")
        )
    assert "unit_use" in caught.value.error_dict
    services.create_rate(
        finance, item=items["parking"], estate=estate, unit_use="owned", rate=Decimal("60")
    )


def test_second_rate_for_the_same_place_is_a_duplicate(finance, items, estate):
    services.create_rate(finance, item=items["water"], estate=estate, rate=Decimal("3"))
    with pytest.raises(ValidationError) as caught:
        services.create_rate(finance, item=items["water"], estate=estate, rate=Decimal("4"))
    assert codes(caught.value) == {"unit_use": ["duplicate"]}


def test_removing_an_estate_rate_falls_back_to_the_default(finance, chief, items, estate):
    water = items["water"]
    own = services.create_rate(finance, item=water, estate=estate, rate=Decimal("3"))
    services.delete_rate(finance, own)
    assert rate_for(water, estate.pk).estate_id is None
    default = ChargeRate.objects.get(item=water, estate=None, unit_use="")
    with pytest.raises(ValidationError) as caught:
        services.delete_rate(chief, default)
    assert caught.value.code == "default_rate"


def test_rate_table_shows_default_and_own_side_by_side(finance, items, estate):
    services.create_rate(
        finance, item=items["property-fee"], estate=estate, unit_use="shop", rate=Decimal("5")
    )
    table = rate_table(finance, estate)
    rows = {(row.item.code, row.use): row for row in table.rows}
    shop = rows[("property-fee", "shop")]
    assert shop.default.rate == Decimal("4.00") and shop.own.rate == Decimal("5")
    assert shop.effective == shop.own
    assert rows[("property-fee", "")].own is None
    assert rows[("property-fee", "office")].effective.rate == Decimal("3.20")
    assert rows[("water", "")].default.tier_lines == ["0–15 t: 3.50", "above 15 t: 5.25"]


# Parking spaces -----------------------------------------------------------------------------


@pytest.fixture
def car(owner):
    return Vehicle.objects.create(resident=owner, plate="沪A12345")


def test_parking_space_with_resident_vehicle_and_unit(finance, estate, unit, owner, car):
    space = services.create_parking_space(
        finance, estate=estate, code="B1-001", resident=owner, vehicle=car, unit=unit
    )
    assert (space.resident, space.vehicle, space.unit) == (owner, car, unit)


def test_space_number_is_unique_per_estate(finance, estate, other_estate):
    services.create_parking_space(finance, estate=estate, code="B1-001")
    with pytest.raises(ValidationError) as caught:
        services.create_parking_space(finance, estate=estate, code="B1-001")
    assert codes(caught.value) == {"code": ["duplicate"]}


def test_space_outside_the_scope_is_not_found(finance, other_estate):
    with pytest.raises(Http404):
        services.create_parking_space(finance, estate=other_estate, code="A-1")
    space = ParkingSpace.objects.create(estate=other_estate, code="A-1")
    with pytest.raises(Http404):
        services.update_parking_space(finance, space, note="x")


def test_vehicle_must_belong_to_the_resident(finance, estate, unit, owner):
    stranger = resident_in(UnitFactory(entrance=unit.entrance), name="李四")
    their_car = Vehicle.objects.create(resident=stranger, plate="沪B99999")
    with pytest.raises(ValidationError) as caught:
        services.create_parking_space(
            finance, estate=estate, code="B1-002", resident=owner, vehicle=their_car
        )
    assert codes(caught.value) == {"vehicle": ["wrong_resident"]}


def test_resident_and_unit_must_be_of_the_estate(finance, estate, other_estate, owner, unit):
    ParkingSpace.objects.create(estate=other_estate, code="X")
    chief = make_user("boss", *billing_permissions())
    with pytest.raises(ValidationError) as caught:
        services.create_parking_space(
            chief, estate=other_estate, code="X-2", resident=owner, unit=unit
        )
    assert codes(caught.value) == {"unit": ["wrong_estate"], "resident": ["wrong_estate"]}


def test_the_resident_of_a_space_lives_in_the_unit_it_is_billed_to(finance, estate, unit, owner):
    neighbour_unit = UnitFactory(entrance=unit.entrance)
    neighbour = resident_in(neighbour_unit, name="张伟")
    with pytest.raises(ValidationError) as error:
        services.create_parking_space(
            finance, estate=estate, code="B1-004", resident=neighbour, unit=unit
        )
    assert codes(error.value) == {"resident": ["not_of_unit"]}
    space = services.create_parking_space(
        finance, estate=estate, code="B1-004", resident=neighbour, unit=neighbour_unit
    )
    with pytest.raises(ValidationError) as error:
        services.update_parking_space(finance, space, unit=unit)
    assert codes(error.value) == {"resident": ["not_of_unit"]}
    space.refresh_from_db()
    assert space.unit == neighbour_unit


def test_space_with_bills_cannot_be_deleted(finance, estate, unit, items):
    space = services.create_parking_space(finance, estate=estate, code="B1-003")
    make_bill(unit, items["parking"], parking_space=space, period="2026-09")
    with pytest.raises(InUse):
        services.delete_parking_space(finance, space)
