import pytest
from django.core.exceptions import PermissionDenied

from courtyard.core.scoping import may_change_company_wide, require_company_wide, restrict
from courtyard.estates.models import Building, Unit
from tests.factories import BuildingFactory, EntranceFactory, UnitFactory, make_user

pytestmark = pytest.mark.django_db


def test_restrict_without_permission_returns_nothing():
    UnitFactory()
    user = make_user("nobody")
    assert restrict(Unit.objects.all(), user, "view").count() == 0


def test_restrict_limits_to_granted_estates():
    mine, other = UnitFactory(), UnitFactory()
    user = make_user("clerk", "estates.view_unit", estates=[mine.estate])
    assert list(restrict(Unit.objects.all(), user, "view")) == [mine]
    assert other not in restrict(Unit.objects.all(), user, "view")


def test_restrict_by_building_grant_includes_that_buildings_units_only():
    building = BuildingFactory()
    inside = UnitFactory(entrance=EntranceFactory(building=building))
    UnitFactory(entrance=EntranceFactory(building=BuildingFactory(estate=building.estate)))
    user = make_user("tech", "estates.view_unit", "estates.view_building", buildings=[building])
    assert list(restrict(Unit.objects.all(), user, "view")) == [inside]
    assert list(restrict(Building.objects.all(), user, "view")) == [building]


def test_superuser_sees_everything():
    UnitFactory(), UnitFactory()
    admin = make_user("root", superuser=True)
    assert restrict(Unit.objects.all(), admin, "view").count() == 2


def test_only_an_all_estates_scope_may_change_company_wide_settings():
    building = BuildingFactory()
    assert may_change_company_wide(make_user("all"))
    assert may_change_company_wide(make_user("root", superuser=True, all_estates=False))
    assert not may_change_company_wide(make_user("one", estates=[building.estate]))
    assert not may_change_company_wide(make_user("block", buildings=[building]))
    assert not may_change_company_wide(make_user("none", all_estates=False))


def test_a_company_wide_refusal_says_why():
    user = make_user("one", estates=[BuildingFactory().estate])
    with pytest.raises(PermissionDenied, match="may change company-wide settings"):
        require_company_wide(user)
    with pytest.raises(PermissionDenied, match="^Only here$"):
        require_company_wide(user, "Only here")
    require_company_wide(make_user("all"))  # no refusal
