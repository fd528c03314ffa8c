"""The scope gate fails closed: a model at an estate, building or unit that declares no scope
is an error (system check core.E001, and ImproperlyConfigured when it is first restricted)."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.test.utils import isolate_apps

from courtyard.billing.models import ChargeItem, ChargeRate
from courtyard.core.models import ApprovalFlow
from courtyard.core.scoping import (
    FULL_SCOPE,
    Scope,
    check_scope_declarations,
    restrict,
    scope_q,
)
from courtyard.estates.models import Building, Estate, Unit
from tests.factories import BuildingFactory, EstateFactory, make_user


def test_every_model_at_a_place_of_the_scope_declares_its_scope():
    assert check_scope_declarations() == []


@isolate_apps("courtyard.core")
def test_a_model_at_an_estate_without_a_scope_fails_the_check_and_its_first_restriction():
    class Stray(models.Model):  # noqa: DJ008
        estate = models.ForeignKey(Estate, on_delete=models.CASCADE)

    errors = check_scope_declarations(models=[Stray])
    assert [error.id for error in errors] == ["core.E001"]
    assert "core.Stray points at a place of the data scope (estate)" in errors[0].msg
    with pytest.raises(ImproperlyConfigured, match="declares no scope"):
        scope_q(Stray, Scope(estate_ids=frozenset({1})))
    with pytest.raises(ImproperlyConfigured):  # all estates too: the declaration is missing
        scope_q(Stray, FULL_SCOPE)


@isolate_apps("courtyard.core")
def test_a_unit_or_a_many_to_many_of_buildings_counts_as_a_place():
    class ByUnit(models.Model):  # noqa: DJ008
        unit = models.ForeignKey(Unit, null=True, on_delete=models.SET_NULL)

    class ByBuildings(models.Model):  # noqa: DJ008
        buildings = models.ManyToManyField(Building)

    flagged = {error.obj for error in check_scope_declarations(models=[ByUnit, ByBuildings])}
    assert flagged == {ByUnit, ByBuildings}


@isolate_apps("courtyard.core")
def test_a_declared_lookup_or_an_exemption_with_its_reason_passes():
    class Scoped(models.Model):  # noqa: DJ008
        estate = models.ForeignKey(Estate, on_delete=models.CASCADE)
        scope_estate_lookup = "estate"

    class Exempt(models.Model):  # noqa: DJ008
        estate = models.ForeignKey(Estate, on_delete=models.CASCADE)
        scope_exempt = "A counter, never listed."

    class Elsewhere(models.Model):  # noqa: DJ008
        name = models.CharField(max_length=10)

    assert check_scope_declarations(models=[Scoped, Exempt, Elsewhere]) == []
    assert scope_q(Exempt, Scope(estate_ids=frozenset({1}))) is None
    assert scope_q(Elsewhere, Scope(estate_ids=frozenset({1}))) is None


@pytest.mark.django_db
def test_charge_rates_in_scope_are_the_defaults_and_the_scoped_estates_own():
    mine, other = EstateFactory(), EstateFactory()
    item = ChargeItem.objects.create(code="fee", name="Fee", kind="one_off", pricing="fixed")
    default = ChargeRate.objects.create(item=item, rate="1")
    own = ChargeRate.objects.create(item=item, estate=mine, rate="2")
    ChargeRate.objects.create(item=item, estate=other, rate="3")
    clerk = make_user("clerk", "billing.view_chargerate", estates=[mine])
    assert set(restrict(ChargeRate.objects.all(), clerk)) == {default, own}
    block = make_user("block", "billing.view_chargerate", buildings=[BuildingFactory(estate=mine)])
    assert list(restrict(ChargeRate.objects.all(), block)) == [default]


@pytest.mark.django_db
def test_approval_flows_in_scope_are_the_defaults_and_the_scoped_estates_own():
    mine, other = EstateFactory(), EstateFactory()
    default = ApprovalFlow.objects.create(kind="k")
    own = ApprovalFlow.objects.create(kind="k", estate=mine)
    ApprovalFlow.objects.create(kind="k", estate=other)
    clerk = make_user("clerk", "core.change_approvalflow", estates=[mine])
    assert set(restrict(ApprovalFlow.objects.all(), clerk, "change")) == {default, own}
