"""The permission matrix of meter readings: pages, the grid, review, and the API."""

import pytest
from django.urls import reverse
from django.utils import timezone

from courtyard.billing.models import MeterReading
from tests.factories import EntranceFactory, UnitFactory, make_user
from tests.permission_matrix import ModelPermissionMatrix

from .factories import make_reading

THIS_MONTH = timezone.localdate().strftime("%Y-%m")


class TestMeterReadingPermissions(ModelPermissionMatrix):
    model = MeterReading
    url_names = {
        name: f"billing:meterreading_{name}"
        for name in ("list", "detail", "history", "edit", "delete", "import", "export")
    }
    api_list = "/api/v1/meter-readings"
    api_detail = "/api/v1/meter-readings/{pk}"

    def make_object(self, estate):
        unit = UnitFactory(entrance=EntranceFactory(building__estate=estate))
        return make_reading(unit, "water", THIS_MONTH, "10", "0", is_flagged=True)


@pytest.mark.django_db
class TestGridAndReviewPermissions:
    @pytest.fixture
    def flagged(self, db):
        unit = UnitFactory()
        return make_reading(unit, "water", THIS_MONTH, "10", "0", is_flagged=True)

    def test_grid_sends_anonymous_users_to_sign_in(self, client):
        response = client.get(reverse("billing:reading_grid"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_grid_needs_the_add_permission(self, client, flagged):
        client.force_login(make_user("viewer", "billing.view_meterreading"))
        assert client.get(reverse("billing:reading_grid")).status_code == 403
        client.force_login(make_user("reader", "billing.add_meterreading"))
        assert client.get(reverse("billing:reading_grid")).status_code == 200

    def test_accepting_needs_the_review_permission(self, client, flagged):
        address = reverse("billing:meterreading_accept", args=[flagged.pk])
        client.force_login(make_user("viewer", "billing.view_meterreading"))
        assert client.post(address).status_code == 403
        client.force_login(make_user("reviewer", "billing.review_meterreading"))
        assert client.post(address).status_code == 302
        flagged.refresh_from_db()
        assert flagged.reviewed_at is not None

    def test_accepting_outside_the_scope_is_not_found(self, client, flagged):
        other = UnitFactory().estate
        user = make_user("reviewer", "billing.review_meterreading", estates=[other])
        client.force_login(user)
        address = reverse("billing:meterreading_accept", args=[flagged.pk])
        assert client.post(address).status_code == 404
        flagged.refresh_from_db()
        assert flagged.reviewed_at is None
