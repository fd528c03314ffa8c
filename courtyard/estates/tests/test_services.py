"""The register's rules, whatever the caller: permissions, scope, validation, deletion."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from courtyard.core.exceptions import InUse
from courtyard.estates import services
from courtyard.estates.models import Building, Entrance, Estate, Unit
from tests.factories import BuildingFactory, EntranceFactory, make_user

pytestmark = pytest.mark.django_db


def unit_data(entrance, **overrides):
    data = {
        "entrance": entrance,
        "room_no": "1201",
        "floor": 12,
        "area": Decimal("89.50"),
        "use": "residential",
        "status": "vacant",
        "note": "",
    }
    return {**data, **overrides}


def errors_of(excinfo):
    return excinfo.value.message_dict


# Units ----------------------------------------------------------------------------------------


def test_create_unit_takes_estate_and_building_from_the_entrance(clerk, entrance):
    unit = services.create_unit(clerk, **unit_data(entrance))
    assert (unit.estate, unit.building, unit.entrance) == (
        entrance.estate,
        entrance.building,
        entrance,
    )
    assert unit.created_by == clerk


def test_create_unit_is_audited(clerk, entrance):
    unit = services.create_unit(clerk, **unit_data(entrance))
    assert LogEntry.objects.get_for_object(unit).count() == 1


def test_create_unit_trims_the_room_number(clerk, entrance):
    assert services.create_unit(clerk, **unit_data(entrance, room_no=" 1201 ")).room_no == "1201"


def test_duplicate_room_number_in_the_entrance_is_a_room_no_error(clerk, unit):
    with pytest.raises(ValidationError) as excinfo:
        services.create_unit(clerk, **unit_data(unit.entrance, room_no=unit.room_no))
    assert errors_of(excinfo) == {"room_no": ["This room number already exists."]}
    assert excinfo.value.error_dict["room_no"][0].code == "duplicate"


def test_same_room_number_in_another_entrance_is_fine(clerk, unit):
    other = EntranceFactory(building=unit.building, name="2单元")
    assert services.create_unit(clerk, **unit_data(other, room_no=unit.room_no)).pk


@pytest.mark.parametrize("area", [Decimal("0"), Decimal("-3")])
def test_area_must_be_positive(clerk, entrance, area):
    with pytest.raises(ValidationError) as excinfo:
        services.create_unit(clerk, **unit_data(entrance, area=area))
    assert "area" in errors_of(excinfo)


def test_area_takes_at_most_two_decimals(clerk, entrance):
    with pytest.raises(ValidationError) as excinfo:
        services.create_unit(clerk, **unit_data(entrance, area=Decimal("89.505")))
    assert "area" in errors_of(excinfo)


def test_floor_above_the_buildings_floors_is_refused(clerk, entrance):
    with pytest.raises(ValidationError) as excinfo:
        services.create_unit(clerk, **unit_data(entrance, floor=19))
    assert errors_of(excinfo) == {"floor": ["The building has only 18 floors."]}


def test_floor_zero_is_refused_but_basements_are_fine(clerk, entrance):
    with pytest.raises(ValidationError):
        services.create_unit(clerk, **unit_data(entrance, floor=0))
    assert services.create_unit(clerk, **unit_data(entrance, floor=-1, use="parking")).floor == -1


def test_any_floor_when_the_building_has_no_floor_count(clerk, estate):
    entrance = EntranceFactory(building=BuildingFactory(estate=estate, floors=None))
    assert services.create_unit(clerk, **unit_data(entrance, floor=40)).floor == 40


def test_unknown_use_is_a_field_error(clerk, entrance):
    with pytest.raises(ValidationError) as excinfo:
        services.create_unit(clerk, **unit_data(entrance, use="castle"))
    assert "use" in errors_of(excinfo)


def test_create_unit_requires_the_add_permission(entrance):
    user = make_user("looker", "estates.view_unit")
    with pytest.raises(PermissionDenied):
        services.create_unit(user, **unit_data(entrance))


def test_create_unit_in_an_entrance_outside_the_scope_is_not_found(clerk, other_unit):
    with pytest.raises(Http404):
        services.create_unit(clerk, **unit_data(other_unit.entrance))
    assert Unit.objects.count() == 1


def test_building_scoped_user_cannot_add_to_another_building_of_the_estate(building):
    other = EntranceFactory(building=BuildingFactory(estate=building.estate))
    user = make_user("tech", "estates.add_unit", buildings=[building])
    with pytest.raises(Http404):
        services.create_unit(user, **unit_data(other))


def test_update_unit_moves_it_with_its_building(clerk, unit):
    target = EntranceFactory(building=BuildingFactory(estate=unit.estate, name="2栋"))
    services.update_unit(clerk, unit, entrance=target, status="occupied")
    unit.refresh_from_db()
    assert (unit.building, unit.entrance, unit.status) == (target.building, target, "occupied")


def test_update_unit_keeps_its_own_room_number(clerk, unit):
    services.update_unit(clerk, unit, room_no=unit.room_no, note="南向")
    assert Unit.objects.get(pk=unit.pk).note == "南向"


def test_update_unit_out_of_scope_is_not_found(clerk, other_unit):
    with pytest.raises(Http404):
        services.update_unit(clerk, other_unit, note="x")


def test_update_unit_refuses_unknown_fields(clerk, unit):
    with pytest.raises(TypeError):
        services.update_unit(clerk, unit, estate=unit.estate)


def test_delete_unit(clerk, unit):
    services.delete_unit(clerk, unit)
    assert not Unit.objects.exists()


def test_delete_unit_requires_the_delete_permission(viewer, unit):
    with pytest.raises(PermissionDenied):
        services.delete_unit(viewer, unit)


# Entrances, buildings, estates -----------------------------------------------------------------


def test_entrance_takes_its_estate_from_the_building(clerk, building):
    entrance = services.create_entrance(clerk, building=building, name="3单元")
    assert entrance.estate == building.estate


def test_duplicate_entrance_name_in_a_building_is_refused(clerk, entrance):
    with pytest.raises(ValidationError) as excinfo:
        services.create_entrance(clerk, building=entrance.building, name=entrance.name)
    assert errors_of(excinfo) == {"name": ["This entrance already exists in the building."]}


def test_entrance_with_units_cannot_move(clerk, unit):
    other = BuildingFactory(estate=unit.estate)
    with pytest.raises(ValidationError) as excinfo:
        services.update_entrance(clerk, unit.entrance, building=other)
    assert "building" in errors_of(excinfo)


def test_empty_entrance_moves_with_its_estate(clerk, building):
    entrance = EntranceFactory(building=building)
    other = BuildingFactory(estate=building.estate)
    assert services.update_entrance(clerk, entrance, building=other).building == other


def test_duplicate_building_name_in_an_estate_is_refused(clerk, building):
    with pytest.raises(ValidationError) as excinfo:
        services.create_building(clerk, estate=building.estate, name="1栋")
    assert errors_of(excinfo) == {"name": ["This building already exists in the estate."]}


def test_building_cannot_have_fewer_floors_than_its_units(clerk, unit):
    unit.floor = 12
    unit.save()
    with pytest.raises(ValidationError) as excinfo:
        services.update_building(clerk, unit.building, floors=10)
    assert "floors" in errors_of(excinfo)
    assert services.update_building(clerk, unit.building, floors=12).floors == 12


def test_building_in_an_estate_outside_the_scope_is_not_found(clerk, other_unit):
    with pytest.raises(Http404):
        services.create_building(clerk, estate=other_unit.estate, name="9栋")


def test_create_estate_needs_an_all_estates_scope(clerk, manager):
    with pytest.raises(PermissionDenied):
        services.create_estate(clerk, name="新城", code="X1")
    assert services.create_estate(manager, name="新城", code="X1").created_by == manager


def test_duplicate_estate_name_and_code_are_both_reported(manager, estate):
    with pytest.raises(ValidationError) as excinfo:
        services.create_estate(manager, name=estate.name, code=estate.code)
    assert set(errors_of(excinfo)) == {"name", "code"}


def test_update_estate(clerk, estate):
    services.update_estate(clerk, estate, phone="021-5555")
    assert Estate.objects.get(pk=estate.pk).phone == "021-5555"


# Deletion ----------------------------------------------------------------------------------------


def test_estate_with_buildings_is_in_use(clerk, unit):
    with pytest.raises(InUse) as excinfo:
        services.delete_estate(clerk, unit.estate)
    assert "buildings (1)" in str(excinfo.value.message)
    assert "entrances (1)" in str(excinfo.value.message)
    assert "units (1)" in str(excinfo.value.message)
    assert excinfo.value.code == "in_use"
    assert Estate.objects.filter(pk=unit.estate_id).exists()


def test_entrance_with_units_is_in_use(clerk, unit):
    with pytest.raises(InUse):
        services.delete_entrance(clerk, unit.entrance)


def test_building_with_entrances_is_in_use(clerk, entrance):
    with pytest.raises(InUse):
        services.delete_building(clerk, entrance.building)


def test_empty_records_delete_from_the_bottom_up(clerk, unit):
    entrance, building, estate = unit.entrance, unit.building, unit.estate
    services.delete_unit(clerk, unit)
    services.delete_entrance(clerk, entrance)
    services.delete_building(clerk, building)
    services.delete_estate(clerk, estate)
    assert not (Estate.objects.exists() or Building.objects.exists() or Entrance.objects.exists())


def test_estate_delete_out_of_scope_is_not_found(clerk, other_unit):
    with pytest.raises(Http404):
        services.delete_estate(clerk, other_unit.estate)
