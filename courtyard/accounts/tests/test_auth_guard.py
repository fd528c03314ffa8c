"""The guards on a signed-in session: forced password change, required second factor, idle
timeout."""

import time

import pytest
from django.core.cache import cache

from courtyard.accounts.choices import SecurityEventKind
from courtyard.accounts.models import ApiToken, SecurityEvent
from courtyard.core import parameters
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

CHANGE = "/accounts/password/"


@pytest.fixture
def set_parameter():
    def set_value(key, value):
        parameters.set_value(key, value)
        cache.delete(parameters.CACHE_KEY)  # on_commit never fires inside a test transaction

    yield set_value
    cache.delete(parameters.CACHE_KEY)


@pytest.fixture
def newcomer(client):
    user = make_user("newcomer", must_change_password=True)
    client.force_login(user)
    return user


# -- forced password change ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/accounts/profile/", "/inbox/", "/accounts/two-factor/"])
def test_every_page_leads_to_the_change_form_until_the_password_is_changed(client, newcomer, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == CHANGE


def test_the_change_form_itself_opens_on_the_plain_layout(client, newcomer):
    response = client.get(CHANGE)
    assert response.status_code == 200
    assert response.context["base_template"] == "base_simple.html"
    assert "Choose your password" in response.content.decode()


def test_sign_out_still_works_during_the_forced_change(client, newcomer):
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_language_switch_and_static_files_are_not_redirected(client, newcomer):
    response = client.post("/i18n/setlang/", {"language": "en", "next": CHANGE})
    assert response["Location"] == CHANGE
    assert client.get("/static/courtyard/courtyard.css").status_code != 302


def test_the_api_is_not_redirected(client, newcomer):
    _token, raw = ApiToken.issue(newcomer)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["username"] == "newcomer"


def test_changing_the_password_lifts_the_redirect(client, newcomer):
    response = client.post(
        CHANGE,
        {"old_password": PASSWORD, "new_password1": "Fresh#Pass9", "new_password2": "Fresh#Pass9"},
    )
    assert response["Location"] == "/"
    newcomer.refresh_from_db()
    assert not newcomer.must_change_password
    assert newcomer.check_password("Fresh#Pass9")
    assert client.get("/accounts/profile/").status_code == 200
    assert SecurityEvent.objects.filter(
        user=newcomer, kind=SecurityEventKind.PASSWORD_CHANGED
    ).exists()


def test_a_weak_new_password_is_refused_and_the_redirect_stays(client, newcomer):
    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    )
    assert response.status_code == 400
    assert "The password must contain" in response.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.must_change_password and newcomer.check_password(PASSWORD)
    assert client.get("/")["Location"] == CHANGE


def test_residents_are_not_sent_to_the_staff_change_form(client):
    resident = make_user("resident", kind="resident", must_change_password=True)
    client.force_login(resident)
    response = client.get("/")
    assert response.get("Location") != CHANGE


# -- required second factor ------------------------------------------------------------------


def test_required_second_factor_without_a_device_leads_to_the_set_up_page(client):
    client.force_login(make_user("guarded", require_two_factor=True))
    response = client.get("/")
    assert response["Location"] == "/accounts/two-factor/"
    assert client.get("/accounts/two-factor/").status_code == 200
    assert client.get("/accounts/two-factor/app/").status_code == 200
    assert client.get("/accounts/profile/").status_code == 200


def test_the_policy_parameter_requires_it_for_everyone(client, set_parameter):
    client.force_login(make_user("anyone"))
    assert client.get("/inbox/").status_code == 200
    set_parameter("security.require_two_factor", True)
    assert client.get("/inbox/")["Location"] == "/accounts/two-factor/"


def test_the_password_change_comes_before_the_second_factor(client):
    client.force_login(make_user("both", must_change_password=True, require_two_factor=True))
    assert client.get("/")["Location"] == CHANGE


def test_htmx_requests_get_an_hx_redirect(client, newcomer):
    response = client.get("/inbox/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == CHANGE


# -- idle timeout ----------------------------------------------------------------------------


def idle_for(client, seconds):
    session = client.session
    session["last_activity"] = int(time.time()) - seconds
    session.save()


def test_activity_is_remembered_on_every_page(client):
    client.force_login(make_user("clerk"))
    client.get("/inbox/")
    assert abs(client.session["last_activity"] - time.time()) < 5


def test_activity_is_written_at_most_once_a_minute(client):
    """A page within the minute leaves the session alone (no session write per request)."""
    client.force_login(make_user("clerk"))
    idle_for(client, 20)
    client.get("/inbox/")
    assert time.time() - client.session["last_activity"] >= 20
    idle_for(client, 90)
    client.get("/inbox/")
    assert abs(client.session["last_activity"] - time.time()) < 5


def test_a_session_idle_longer_than_the_limit_is_signed_out(client):
    user = make_user("clerk")
    client.force_login(user)
    idle_for(client, 31 * 60)
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/inbox/"
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.TIMED_OUT).exists()


def test_a_session_idle_shorter_than_the_limit_stays(client):
    client.force_login(make_user("clerk"))
    idle_for(client, 29 * 60)
    assert client.get("/inbox/").status_code == 200


def test_the_limit_comes_from_the_parameter(client, set_parameter):
    set_parameter("security.idle_timeout_minutes", 5)
    client.force_login(make_user("clerk"))
    idle_for(client, 6 * 60)
    assert client.get("/inbox/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_api_is_not_subject_to_the_idle_timeout(client):
    user = make_user("clerk")
    _token, raw = ApiToken.issue(user)
    client.force_login(user)
    idle_for(client, 90 * 60)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
