"""Fixtures of the billing tests: the seeded charge items, an estate with an owned unit, and
the finance clerk who works on it."""

import pytest
from django.contrib.auth.models import Permission

from courtyard.residents.tests.helpers import resident_in
from tests.factories import EstateFactory, UnitFactory, make_user

from .factories import seed_charge_items


@pytest.fixture
def items(db):
    return seed_charge_items()


@pytest.fixture
def estate(db):
    return EstateFactory(name="翠湖天地", code="CHTD")


@pytest.fixture
def unit(estate):
    return UnitFactory(entrance__building__estate=estate, area="88.50")


@pytest.fixture
def owner(unit):
    return resident_in(unit, name="王芳", phone="13800000001")


@pytest.fixture
def other_estate(db):
    return EstateFactory(name="锦绣华园", code="JXHY")


@pytest.fixture
def finance(estate):
    """A finance clerk with every billing permission, limited to ``estate``."""
    return make_user("finance", *billing_permissions(), estates=[estate])


def billing_permissions():
    """Every permission of the billing app, as ``billing.codename`` names."""
    codenames = Permission.objects.filter(content_type__app_label="billing").values_list(
        "codename", flat=True
    )
    return [f"billing.{codename}" for codename in codenames]
