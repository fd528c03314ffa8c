"""The demo residents: most lived-in units, tenants, members, history, one pending, the account."""

import pytest
from django.core.management import call_command

from courtyard.accounts.models import User
from courtyard.residents.models import Occupancy, Registration, Resident

pytestmark = pytest.mark.django_db


def test_seed_demo_residents_and_the_resident_account():
    call_command("seed_demo", verbosity=0)
    assert Resident.objects.filter(status="current").count() > 300
    roles = set(Occupancy.objects.filter(status="current").values_list("role", flat=True))
    assert roles == {"owner", "tenant", "member"}
    assert Resident.objects.filter(status="archived").count() == 4
    assert Registration.objects.filter(status="pending").count() == 1
    masked = Resident.objects.exclude(id_number_masked="").first().id_number_masked
    assert "********" in masked and len(masked) == 18
    account = User.objects.get(username="13800000001")
    assert account.kind == "resident" and account.check_password("Courtyard#2026")
    assert account.resident.occupancies.filter(status="current", role="owner").exists()
    assert not User.objects.filter(kind="staff", phone="13800000001").exists()
    counts = (Resident.objects.count(), Occupancy.objects.count(), User.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Resident.objects.count(), Occupancy.objects.count(), User.objects.count()) == counts
