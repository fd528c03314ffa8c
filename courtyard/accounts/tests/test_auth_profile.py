"""Account settings (账号设置): a user edits their own name, position, phone and email."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from courtyard.accounts import services
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PROFILE = "/accounts/profile/"
GOOD = {
    "full_name": "王小明",
    "position": "客服主管",
    "phone": "13912345678",
    "email": "wang@example.com",
}


def test_profile_page_shows_the_current_values_and_security(client):
    user = make_user("clerk", phone="13812345678", position="Clerk")
    client.force_login(user)
    response = client.get(PROFILE)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="13812345678"' in page
    assert "Two-factor sign-in" in page and "Change password" in page
    assert response.context["events"]  # the force_login sign-in


def test_profile_saves_through_the_service(client):
    user = make_user("clerk")
    client.force_login(user)
    response = client.post(PROFILE, GOOD)
    assert response["Location"] == PROFILE
    user.refresh_from_db()
    assert (user.full_name, user.position, user.phone, user.email) == tuple(GOOD.values())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345678901", "11-digit mainland mobile number"),
        ("phone", "1381234567", "11-digit mainland mobile number"),
        ("phone", "+8613812345678", "11-digit mainland mobile number"),
        ("email", "not-an-email", "Enter a valid email address."),
        ("full_name", "   ", ""),
    ],
)
def test_invalid_values_are_refused_and_nothing_changes(client, field, value, message):
    user = make_user("clerk", phone="13812345678")
    client.force_login(user)
    response = client.post(PROFILE, {**GOOD, field: value})
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors)
    assert response.context["form"][field].value() == value  # what was typed is kept
    user.refresh_from_db()
    assert user.phone == "13812345678" and user.full_name == "Clerk"


def test_phone_and_email_may_be_left_empty():
    user = make_user("clerk", phone="13812345678")
    services.update_profile(user, user, phone="", email="")
    user.refresh_from_db()
    assert user.phone == "" and user.email == ""


def test_only_the_user_may_update_their_own_profile():
    # Administrators change other accounts through admin_services.update_user, which checks
    # that they may administer that user.
    user = make_user("clerk")
    for other in (make_user("peer"), make_user("hr", "accounts.change_user")):
        with pytest.raises(PermissionDenied):
            services.update_profile(other, user, position="Boss")
    user.refresh_from_db()
    assert user.position != "Boss"


def test_the_service_refuses_fields_outside_the_profile():
    user = make_user("clerk")
    with pytest.raises(TypeError):
        services.update_profile(user, user, is_superuser=True)


def test_the_service_validates_like_the_page():
    user = make_user("clerk")
    with pytest.raises(ValidationError) as error:
        services.update_profile(user, user, phone="10000000000", email="x@")
    assert set(error.value.message_dict) == {"phone", "email"}


def test_profile_needs_a_signed_in_user(client):
    response = client.get(PROFILE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_user_menu_links_to_profile_and_password(client):
    client.force_login(make_user("clerk"))
    page = client.get(PROFILE).content.decode()
    assert 'href="/accounts/profile/"' in page and 'href="/accounts/password/"' in page
