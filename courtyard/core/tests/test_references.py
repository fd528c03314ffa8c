"""References: an id in a body or a form resolves through the data scope, never past it."""

import pytest
from django.http import Http404

from courtyard.core.references import referable, resolve, resolve_many
from courtyard.estates.forms import BuildingForm
from courtyard.estates.models import Building, Estate, Unit
from courtyard.repairs.models import RepairCategory
from tests.factories import EstateFactory, UnitFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def units():
    return UnitFactory(), UnitFactory()


def test_a_reference_in_the_scope_resolves_without_the_view_permission(units):
    mine, _other = units
    cashier = make_user("cashier", "billing.add_payment", estates=[mine.estate])
    assert resolve(cashier, Unit, mine.pk) == mine
    assert resolve(cashier, Unit, None) is None


def test_a_reference_outside_the_scope_is_not_found_like_a_missing_one(units):
    mine, other = units
    cashier = make_user("cashier", "billing.add_payment", estates=[mine.estate])
    for pk in (other.pk, 999_999):
        with pytest.raises(Http404):
            resolve(cashier, Unit.objects.select_related("estate"), pk)


def test_a_building_grant_names_only_its_buildings_units(units):
    mine, _other = units
    local = UnitFactory(entrance__building__estate=mine.estate)
    keeper = make_user("keeper", buildings=[local.building])
    assert list(referable(keeper, Unit)) == [local]
    with pytest.raises(Http404):
        resolve(keeper, Unit, mine.pk)


def test_many_references_keep_their_order_once_each_and_fail_together(units):
    mine, other = units
    second = UnitFactory(entrance__building__estate=mine.estate)
    clerk = make_user("clerk", estates=[mine.estate])
    assert resolve_many(clerk, Unit, [second.pk, mine.pk, second.pk]) == [second, mine]
    assert resolve_many(clerk, Unit, []) == []
    with pytest.raises(Http404):
        resolve_many(clerk, Unit, [mine.pk, other.pk])


def test_a_model_without_a_data_scope_resolves_by_existence(units):
    category = RepairCategory.objects.create(code="pipes", name="管道")
    clerk = make_user("clerk", estates=[units[0].estate])
    assert resolve(clerk, RepairCategory, category.pk) == category
    with pytest.raises(Http404):
        resolve(clerk, RepairCategory, 999_999)


def test_a_user_without_a_scope_names_nothing(units):
    nobody = make_user("nobody", all_estates=False)
    assert not referable(nobody, Unit).exists()


def test_model_form_choices_are_the_references_of_the_scope():
    """A clerk who may add buildings but not view the estate register still picks their
    estate; another estate is refused as an invalid choice."""
    mine, other = EstateFactory(), EstateFactory()
    clerk = make_user("clerk", "estates.add_building", estates=[mine])
    form = BuildingForm(user=clerk)
    assert list(form.fields["estate"].queryset) == [mine]
    refused = BuildingForm({"estate": other.pk, "name": "9栋"}, user=clerk)
    assert not refused.is_valid() and "estate" in refused.errors
    assert Estate.objects.count() == 2 and not Building.objects.exists()
