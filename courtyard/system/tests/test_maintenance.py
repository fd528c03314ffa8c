from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from courtyard.accounts.models import ApiToken
from courtyard.system import services
from courtyard.system.models import MaintenanceWindow
from courtyard.system.selectors import maintenance_state
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def switch_on(hours=2, message="Database upgrade"):
    until = timezone.now() + timedelta(hours=hours)
    services.switch_maintenance(None, on=True, until=until, message=message)
    return until


def test_switch_on_and_off_changes_the_shared_state():
    assert maintenance_state().is_on is False
    until = switch_on()
    state = maintenance_state()
    assert state.is_on and state.message == "Database upgrade"
    assert abs((state.until - until).total_seconds()) < 1
    services.switch_maintenance(None, on=False)
    assert maintenance_state() == maintenance_state().__class__(False, None, "")


def test_switching_requires_the_maintenance_permission():
    with pytest.raises(PermissionDenied):
        services.switch_maintenance(make_user("clerk"), on=True)
    services.switch_maintenance(make_user("ops", "system.change_maintenance"), on=True)
    assert maintenance_state().is_on


def test_expected_end_in_the_past_is_refused():
    with pytest.raises(ValidationError) as error:
        services.switch_maintenance(None, on=True, until=timezone.now() - timedelta(minutes=1))
    assert "until" in error.value.message_dict
    assert not MaintenanceWindow.objects.filter(is_on=True).exists()


def test_sign_in_page_announces_the_upgrade_and_its_end(client):
    assert "System upgrade in progress" not in client.get(LOGIN).content.decode()
    until = switch_on(message="Upgrading billing")
    page = client.get(LOGIN).content.decode()
    assert "System upgrade in progress" in page
    assert timezone.localtime(until).strftime("%Y-%m-%d %H:%M") in page
    assert "Upgrading billing" in page


def test_non_administrators_cannot_sign_in_while_it_is_on(client):
    make_user("clerk")
    switch_on()
    response = client.post(LOGIN, {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 400
    assert "only administrators can sign in" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("perms,superuser", [((), True), (("system.change_maintenance",), False)])
def test_administrators_sign_in_while_it_is_on(client, perms, superuser):
    make_user("boss", *perms, superuser=superuser)
    switch_on()
    response = client.post(LOGIN, {"username": "boss", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 200


def test_signed_in_non_administrators_are_sent_to_the_notice(client):
    client.force_login(make_user("clerk"))
    until = switch_on()
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response["Location"] == "/maintenance/"
    notice = client.get("/maintenance/").content.decode()
    assert "System upgrade in progress" in notice
    assert timezone.localtime(until).strftime("%Y-%m-%d %H:%M") in notice
    htmx = client.get(reverse("core:home"), HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == "/maintenance/"


def test_notice_page_says_when_the_system_is_back(client):
    page = client.get("/maintenance/").content.decode()
    assert "The system is available" in page


def test_api_answers_503_json_to_non_administrators(client):
    _token, clerk = ApiToken.issue(make_user("clerk"))
    _token, boss = ApiToken.issue(make_user("boss", superuser=True))
    switch_on()
    refused = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {clerk}")
    assert refused.status_code == 503
    assert refused.json()["code"] == "maintenance" and refused.json()["detail"]
    assert "Retry-After" in refused
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {boss}").status_code == 200


def test_maintenance_page_needs_the_permission(client):
    client.force_login(make_user("clerk"))
    assert client.get(reverse("system:maintenance")).status_code == 403


def test_switching_on_the_page_is_audited_with_actor_and_source(client):
    admin = make_user("ops", "system.change_maintenance")
    client.force_login(admin)
    until = (timezone.localtime() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("system:maintenance"),
        {"action": "on", "until": until, "message": "Nightly upgrade"},
    )
    assert response.status_code == 302
    assert maintenance_state().is_on
    entry = LogEntry.objects.get_for_model(MaintenanceWindow).latest("timestamp")
    assert entry.actor == admin and entry.additional_data["source"] == "web"
    assert entry.changes["is_on"] == ["False", "True"]
    page = client.get(reverse("system:maintenance")).content.decode()
    assert "Nightly upgrade" in page
    client.post(reverse("system:maintenance"), {"action": "off"})
    assert not maintenance_state().is_on


def test_page_keeps_input_and_shows_error_for_a_past_end(client):
    client.force_login(make_user("boss", superuser=True))
    response = client.post(
        reverse("system:maintenance"),
        {"action": "on", "until": "2001-01-01T06:00", "message": "keep me"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "must lie in the future" in page and "keep me" in page
    assert not maintenance_state().is_on


def test_command_switches_and_reports(capsys):
    call_command("maintenance", "on", "--until", "2099-12-01 06:00", "--message", "Upgrade")
    state = maintenance_state()
    assert state.is_on and timezone.localtime(state.until).strftime("%Y-%m-%d %H:%M") == (
        "2099-12-01 06:00"
    )
    call_command("maintenance", "status")
    assert "on (expected end 2099-12-01 06:00)" in capsys.readouterr().out
    call_command("maintenance", "off")
    assert not maintenance_state().is_on
    assert "off" in capsys.readouterr().out


def test_api_sign_in_is_refused_to_non_administrators_while_it_is_on(client):
    make_user("clerk")
    make_user("boss", superuser=True)
    switch_on()

    def sign_in(username):
        return client.post(
            "/api/v1/auth/login",
            {"username": username, "password": PASSWORD},
            content_type="application/json",
        )

    refused = sign_in("clerk")
    assert refused.status_code == 503 and refused.json()["code"] == "maintenance"
    assert not ApiToken.objects.filter(user__username="clerk").exists()
    assert sign_in("boss").status_code == 200
