"""Audience resolution (estate, building, unit, residents) and its validation and scope."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from courtyard.notices.audience import (
    Audience,
    audience_count,
    audience_warning,
    resolve_audience,
)
from courtyard.notices.choices import AudienceKind as K
from courtyard.residents.models import Occupancy
from courtyard.residents.tests.helpers import resident_in
from tests.factories import make_user

from .conftest import AUTHOR_PERMS, draft, reader

pytestmark = pytest.mark.django_db


def ids(queryset):
    return set(queryset)


def test_an_estate_audience_is_every_current_resident_of_the_estate(author, estate, people):
    notice = draft(author, estate)
    expected = {people["zhang"].pk, people["li"].pk, people["wang"].pk}
    assert ids(resolve_audience(notice)) == expected
    assert audience_count(notice) == 3


def test_a_building_audience(author, estate, b1, people):
    notice = draft(author, estate, audience_kind=K.BUILDINGS, buildings=[b1])
    assert ids(resolve_audience(notice)) == {people["zhang"].pk, people["li"].pk}


def test_a_unit_audience(author, estate, u102, u201, people):
    notice = draft(author, estate, audience_kind=K.UNITS, units=[u102, u201])
    assert ids(resolve_audience(notice)) == {people["li"].pk, people["wang"].pk}


def test_a_residents_audience(author, estate, people):
    notice = draft(author, estate, audience_kind=K.RESIDENTS, residents=[people["wang"]])
    assert ids(resolve_audience(notice)) == {people["wang"].pk}


def test_household_members_and_tenants_are_in_the_audience(author, estate, u101, zhang):
    member = resident_in(u101, name="张小伟", phone="", role="member")
    tenant = resident_in(u101, name="周租", phone="13900000011", role="tenant")
    notice = draft(author, estate, audience_kind=K.UNITS, units=[u101])
    assert ids(resolve_audience(notice)) == {zhang.pk, member.pk, tenant.pk}


def test_people_who_moved_out_or_await_approval_are_not(author, estate, u101, zhang):
    Occupancy.objects.filter(resident=zhang).update(status="ended", move_out=datetime.date.today())
    pending = resident_in(u101, name="待审", phone="13900000012")
    Occupancy.objects.filter(resident=pending).update(status="pending")
    notice = draft(author, estate)
    assert audience_count(notice) == 0
    assert "no one" in audience_warning(notice)


def test_a_person_with_two_homes_counts_once(author, estate, u101, u201, zhang):
    Occupancy.objects.create(
        resident=zhang,
        unit=u201,
        estate=u201.estate,
        building=u201.building,
        role="owner",
        status="current",
    )
    assert audience_count(draft(author, estate)) == 1


def test_an_audience_being_chosen_is_counted_before_it_is_saved(estate, b1, b2, people):
    assert audience_count(Audience.chosen(K.BUILDINGS, [estate], buildings=[b1, b2])) == 3
    assert audience_count(Audience.chosen(K.BUILDINGS, [estate.pk], buildings=[b2.pk])) == 1
    assert audience_warning(Audience.chosen(K.ESTATES, [estate])) is None


def test_the_audience_resolves_afresh(author, estate, u102, people):
    notice = draft(author, estate)
    reader(u102, "新住户", "13900000020")
    assert audience_count(notice) == 4


# Validation ---------------------------------------------------------------------------------


def field_codes(error):
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def test_estates_are_required(author):
    with pytest.raises(ValidationError) as error:
        draft(author, None, estates=[])
    assert field_codes(error.value)["estates"] == ["required"]


def test_targets_of_the_kind_are_required(author, estate):
    with pytest.raises(ValidationError) as error:
        draft(author, estate, audience_kind=K.UNITS)
    assert field_codes(error.value)["units"] == ["required"]


def test_buildings_must_lie_in_the_chosen_estates(manager, estate, other_unit):
    with pytest.raises(ValidationError) as error:
        draft(manager, estate, audience_kind=K.BUILDINGS, buildings=[other_unit.building])
    assert field_codes(error.value)["buildings"] == ["outside_estates"]


def test_units_must_lie_in_the_chosen_estates(manager, estate, other_unit):
    with pytest.raises(ValidationError) as error:
        draft(manager, estate, audience_kind=K.UNITS, units=[other_unit])
    assert field_codes(error.value)["units"] == ["outside_estates"]


def test_residents_must_live_in_the_chosen_estates(manager, estate, people):
    with pytest.raises(ValidationError) as error:
        draft(manager, estate, audience_kind=K.RESIDENTS, residents=[people["outsider"]])
    assert field_codes(error.value)["residents"] == ["outside_estates"]
    assert "赵强" in error.value.error_dict["residents"][0].message


def test_a_resident_outside_the_authors_scope_is_refused_without_their_name(author, estate, people):
    with pytest.raises(ValidationError) as error:
        draft(author, estate, audience_kind=K.RESIDENTS, residents=[people["outsider"]])
    assert field_codes(error.value)["residents"] == ["out_of_scope"]
    assert "赵强" not in error.value.error_dict["residents"][0].message


def test_an_unknown_kind_is_refused(author, estate):
    with pytest.raises(ValidationError) as error:
        draft(author, estate, audience_kind="everyone")
    assert "audience_kind" in error.value.error_dict


def test_an_estate_outside_the_scope_is_refused(author, other_estate):
    with pytest.raises(ValidationError) as error:
        draft(author, other_estate)
    assert field_codes(error.value)["estates"] == ["out_of_scope"]


def test_a_building_scoped_author_writes_to_their_buildings_only(estate, b1, b2, u101, people):
    keeper = make_user("keeper", *AUTHOR_PERMS, buildings=[b1])
    notice = draft(keeper, estate, audience_kind=K.BUILDINGS, buildings=[b1])
    assert audience_count(notice) == 2
    draft(keeper, estate, audience_kind=K.UNITS, units=[u101])
    draft(keeper, estate, audience_kind=K.RESIDENTS, residents=[people["zhang"]])
    for changes in (
        {},  # the whole estate
        {"audience_kind": K.BUILDINGS, "buildings": [b2]},
        {"audience_kind": K.RESIDENTS, "residents": [people["wang"]]},
    ):
        with pytest.raises(ValidationError) as error:
            draft(keeper, estate, **changes)
        assert "out_of_scope" in sum(field_codes(error.value).values(), [])
