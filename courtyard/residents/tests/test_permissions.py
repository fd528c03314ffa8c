"""The permission matrix of the residents pages and API: anonymous, no permission, scope."""

import pytest
from django.urls import reverse

from courtyard.accounts.models import User
from courtyard.residents import services
from courtyard.residents.models import Registration, Resident
from tests.factories import BuildingFactory, EntranceFactory, UnitFactory
from tests.permission_matrix import ModelPermissionMatrix

from .conftest import person
from .helpers import resident_in


def unit_of(estate):
    return UnitFactory(entrance=EntranceFactory(building=BuildingFactory(estate=estate)))


class TestResidentPermissions(ModelPermissionMatrix):
    model = Resident
    url_names = {
        name: f"residents:resident_{name}"
        for name in ("list", "add", "detail", "edit", "delete", "history", "import", "export")
    }
    api_list = "/api/v1/residents"
    api_detail = "/api/v1/residents/{pk}"

    def make_object(self, estate):
        return resident_in(unit_of(estate))


class TestRegistrationPermissions(ModelPermissionMatrix):
    model = Registration
    url_names = {
        "list": "residents:registration_list",
        "detail": "residents:registration_detail",
        "history": "residents:registration_history",
    }

    def make_object(self, estate):
        from tests.factories import make_user

        submitter = make_user(f"submitter-{estate.pk}", "residents.add_resident")
        return services.submit_registration(
            submitter,
            unit=unit_of(estate),
            main=person(sequence=estate.pk),
            move_in="2026-01-01",
        )


RESIDENT_PAGES = [
    ("residents:resident_list", False),
    ("residents:resident_add", False),
    ("residents:resident_history_list", False),
    ("residents:registration_list", False),
    ("residents:resident_import", False),
    ("residents:resident_detail", True),
    ("residents:resident_edit", True),
    ("residents:resident_core", True),
    ("residents:resident_delete", True),
]


@pytest.mark.django_db
def test_a_resident_account_never_reaches_the_staff_pages(client, unit):
    owner = resident_in(unit)
    account = User.objects.create_user(
        username="13800000009", phone="13800000009", kind="resident", must_change_password=False
    )
    owner.user = account
    owner.save()
    client.force_login(account)
    for name, with_pk in RESIDENT_PAGES:
        url = reverse(name, args=[owner.pk]) if with_pk else reverse(name)
        response = client.get(url)
        assert response.status_code in (302, 403), name
        if response.status_code == 302:
            assert not response["Location"].startswith("/residents/"), name
    from courtyard.accounts.models import ApiToken

    _token, raw = ApiToken.issue(account)
    answer = client.get("/api/v1/residents", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 403


@pytest.mark.django_db
def test_core_pages_need_their_own_permission(client, clerk, unit):
    owner = resident_in(unit)
    client.force_login(clerk)
    assert client.get(reverse("residents:resident_core", args=[owner.pk])).status_code == 403
    assert client.get(reverse("residents:resident_edit", args=[owner.pk])).status_code == 200
