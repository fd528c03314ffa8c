"""Portal pages: who reaches them, what they show, and what a resident can change."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courtyard.accounts import resident_accounts
from courtyard.accounts.models import ApiToken, OneTimeCode
from courtyard.core.models import Attachment, Message
from courtyard.residents.choices import OccupancyStatus, Role
from tests.factories import PASSWORD, UnitFactory, make_user

from .conftest import PHONE, move_in, resident_account

pytestmark = pytest.mark.django_db

PAGES = ["portal:home", "portal:my_home", "portal:messages", "portal:profile", "portal:password"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_the_portal_sign_in(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={url}"


@pytest.mark.parametrize("name", PAGES)
def test_staff_are_refused_portal_pages(client, staff, name):
    client.force_login(staff)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_residents_reach_every_portal_page(client, resident, name):
    client.force_login(resident)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "cy-portal-tabs" in response.content.decode()


@pytest.mark.parametrize("name", ["portal:login", "portal:login_code", "portal:activate"])
def test_sign_in_pages_are_public(client, name):
    assert client.get(reverse(name)).status_code == 200


def test_home_shows_my_unit_household_documents_and_office(
    client, resident, django_assert_max_num_queries
):
    client.force_login(resident)
    with django_assert_max_num_queries(15):  # 14, and the must-read pop-up's one
        response = client.get(reverse("portal:home"))
    text = response.content.decode()
    assert "翠湖天地 1栋" in text and "1201" in text
    assert "since 2024-05-01" in text and "Owner" in text
    assert "李娜" in text and "139****2222" in text and "13911112222" not in text
    assert "deed.pdf" in text
    assert "021-55501234" in text
    assert response.context["estate"].name == "翠湖天地"  # the top bar


def test_home_leaves_out_ended_and_other_units(client, resident, unit):
    move_in(unit, "旧租客", "13933334444", Role.TENANT, status=OccupancyStatus.ENDED)
    move_in(UnitFactory(room_no="909"), "陌生人", "13955556666", Role.OWNER)
    client.force_login(resident)
    text = client.get(reverse("portal:home")).content.decode()
    assert "旧租客" not in text and "陌生人" not in text and "909" not in text


def test_home_without_units_explains_what_to_do(client):
    client.force_login(resident_account("13977778888"))
    response = client.get(reverse("portal:home"))
    assert "No unit is registered to your account yet" in response.content.decode()


def test_my_home_shows_the_unit_in_detail(client, resident):
    client.force_login(resident)
    text = client.get(reverse("portal:my_home")).content.decode()
    assert "89.50" in text and "配偶" in text and "deed.pdf" in text


def test_a_resident_downloads_own_documents_only(client, resident, unit):
    other = move_in(UnitFactory(), "陌生人", "13955556666", Role.OWNER)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from courtyard.core.files import attach

    theirs = attach(other, SimpleUploadedFile("lease.pdf", b"%PDF-1.4 x"), None)
    mine = Attachment.objects.get(original_name="deed.pdf")
    client.force_login(resident)
    assert client.get(reverse("core:attachment", args=[mine.pk])).status_code == 200
    assert client.get(reverse("core:attachment", args=[theirs.pk])).status_code == 404


def test_staff_still_need_the_view_permission_for_documents(client, resident):
    mine = Attachment.objects.get(original_name="deed.pdf")
    client.force_login(make_user("bare"))
    assert client.get(reverse("core:attachment", args=[mine.pk])).status_code == 404
    client.force_login(make_user("viewer", "residents.view_resident"))
    assert client.get(reverse("core:attachment", args=[mine.pk])).status_code == 200


def test_messages_list_mine_and_mark_read(client, resident, staff):
    Message.objects.create(channel="app", recipient="x", recipient_user=resident, body="水费账单")
    Message.objects.create(channel="app", recipient="x", recipient_user=staff, body="别人的")
    Message.objects.create(channel="sms", recipient=PHONE, recipient_user=resident, body="短信")
    client.force_login(resident)
    response = client.get(reverse("portal:messages"))
    text = response.content.decode()
    assert "水费账单" in text and "别人的" not in text and "短信" not in text
    assert response.context["unread_count"] == 1
    client.post(reverse("portal:messages"))
    assert not Message.objects.filter(recipient_user=resident, channel="app", read_at=None)


def test_one_message_can_be_marked_read(client, resident):
    first, second = (
        Message.objects.create(channel="app", recipient="x", recipient_user=resident, body=b)
        for b in ("一", "二")
    )
    client.force_login(resident)
    client.post(reverse("portal:messages"), {"message": first.pk})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at and not second.read_at


def test_profile_saves_email_and_emergency_contact(client, resident):
    client.force_login(resident)
    response = client.post(
        reverse("portal:profile"),
        {
            "email": "wang@example.com",
            "emergency_contact": "王父",
            "emergency_phone": "13988889999",
        },
    )
    assert response["Location"] == reverse("portal:profile")
    person = resident.resident
    person.refresh_from_db()
    assert (person.email, person.emergency_contact, person.emergency_phone) == (
        "wang@example.com",
        "王父",
        "13988889999",
    )
    resident.refresh_from_db()
    assert resident.email == "wang@example.com"


def test_profile_refuses_a_bad_emergency_phone_and_keeps_the_input(client, resident):
    client.force_login(resident)
    response = client.post(
        reverse("portal:profile"),
        {"email": "", "emergency_contact": "王父", "emergency_phone": "123"},
    )
    assert response.status_code == 400
    assert "emergency_phone" in response.context["form"].errors
    assert 'value="王父"' in response.content.decode()


def test_profile_shows_name_and_phone_read_only(client, resident):
    client.force_login(resident)
    response = client.get(reverse("portal:profile"))
    assert set(response.context["form"].fields) == {"email", "emergency_contact", "emergency_phone"}
    assert "王小明" in response.content.decode() and PHONE in response.content.decode()


def test_change_password(client, resident):
    client.force_login(resident)
    response = client.post(
        reverse("portal:password"),
        {"old_password": PASSWORD, "new_password1": "Other#Pass9", "new_password2": "Other#Pass9"},
    )
    assert response["Location"] == reverse("portal:profile")
    resident.refresh_from_db()
    assert resident.check_password("Other#Pass9")


def test_a_resident_changing_their_password_in_the_portal_revokes_tokens(client, resident):
    token = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(resident)[1]}"}
    assert Client().get("/api/v1/portal/bills", **token).status_code == 200
    elsewhere = Client()
    elsewhere.force_login(resident)
    client.force_login(resident)
    client.post(
        reverse("portal:password"),
        {"old_password": PASSWORD, "new_password1": "Other#Pass9", "new_password2": "Other#Pass9"},
    )
    assert Client().get("/api/v1/portal/bills", **token).status_code == 401
    assert elsewhere.get(reverse("portal:profile")).status_code == 302
    assert client.get(reverse("portal:profile")).status_code == 200


def test_a_code_only_resident_sets_a_password_without_a_current_one(client, resident):
    resident.set_unusable_password()
    resident.save()
    client.force_login(resident)
    assert "old_password" not in client.get(reverse("portal:password")).context["form"].fields
    client.post(
        reverse("portal:password"), {"new_password1": "Other#Pass9", "new_password2": "Other#Pass9"}
    )
    resident.refresh_from_db()
    assert resident.check_password("Other#Pass9")


# -- signing in -------------------------------------------------------------------------------


def test_password_sign_in_goes_to_the_portal_home(client, resident):
    response = client.post(reverse("portal:login"), {"username": PHONE, "password": PASSWORD})
    assert response["Location"] == reverse("portal:home")


def test_staff_signing_in_at_the_portal_are_pointed_to_the_staff_sign_in(client, staff):
    response = client.post(reverse("portal:login"), {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 400
    assert "staff sign-in" in response.content.decode()
    assert reverse("accounts:login") in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_residents_signing_in_at_the_staff_page_go_to_the_portal(client, resident):
    response = client.post(
        reverse("accounts:login"), {"username": PHONE, "password": PASSWORD, "next": "/estates/"}
    )
    assert response["Location"] == reverse("portal:home")


def test_portal_sign_in_locks_out_after_five_failures(client, resident):
    for _ in range(5):
        client.post(reverse("portal:login"), {"username": PHONE, "password": "wrong"})
    response = client.post(reverse("portal:login"), {"username": PHONE, "password": PASSWORD})
    assert response.status_code == 403
    assert "locked" in response.content.decode()
    assert "cy-portal" in response.content.decode()  # the portal's own page
    assert "_auth_user_id" not in client.session


def test_sms_code_sign_in_in_two_steps(client, resident):
    response = client.post(reverse("portal:login_code"), {"phone": PHONE})
    assert response["Location"] == reverse("portal:login_code")
    page = client.get(reverse("portal:login_code"))
    assert 'name="code"' in page.content.decode()
    body = Message.objects.get(purpose="portal_sign_in").body
    code = re.search(r"\b(\d{6})\b", body).group(1)
    response = client.post(reverse("portal:login_code"), {"code": code})
    assert response["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:home")).status_code == 200


def test_sms_code_step_answers_the_same_for_an_unknown_number(client, resident):
    known = client.post(reverse("portal:login_code"), {"phone": PHONE}, follow=True)
    client.get(reverse("portal:login_code") + "?change=1")
    unknown = client.post(reverse("portal:login_code"), {"phone": "13700000000"}, follow=True)
    assert [str(m) for m in known.context["messages"]] == [
        str(m) for m in unknown.context["messages"]
    ]
    assert Message.objects.filter(purpose="portal_sign_in").count() == 1


def test_a_wrong_sms_code_is_a_form_error(client, resident):
    client.post(reverse("portal:login_code"), {"phone": PHONE})
    response = client.post(reverse("portal:login_code"), {"code": "abcdef"})
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == ["The code is not correct."]


def test_activation_page_signs_the_resident_in(client, unit):
    clerk = make_user("inviter", "residents.invite_resident")
    _user, message = resident_accounts.invite_resident_account(
        clerk, phone="13966667777", full_name="赵六"
    )
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    response = client.post(
        reverse("portal:activate"),
        {
            "phone": "13966667777",
            "code": code,
            "new_password1": "Zhao#Liu2026",
            "new_password2": "Zhao#Liu2026",
        },
    )
    assert response["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:home")).status_code == 200


def test_activation_page_reports_a_wrong_code(client):
    response = client.post(
        reverse("portal:activate"),
        {
            "phone": PHONE,
            "code": "123456",
            "new_password1": "Zhao#Liu2026",
            "new_password2": "Zhao#Liu2026",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == ["The code is not correct."]


def test_sign_out_returns_to_the_portal_sign_in(client, resident):
    client.force_login(resident)
    response = client.post(reverse("portal:logout"))
    assert response["Location"] == reverse("portal:login")
    assert "_auth_user_id" not in client.session


def test_the_staff_sign_in_hands_portal_pages_to_the_portal_sign_in(client):
    # e.g. after the idle timeout, which sends everybody to the staff sign-in page
    response = client.get(reverse("accounts:login"), {"next": "/portal/messages/"})
    assert response["Location"] == f"{reverse('portal:login')}?next=%2Fportal%2Fmessages%2F"


# -- limits on signing in --------------------------------------------------------------------


def sms_code():
    body = Message.objects.filter(purpose="portal_sign_in").first().body
    return re.search(r"\b(\d{6})\b", body).group(1)


def test_sms_codes_are_limited_per_number_and_the_page_keeps_it(client, resident):
    for _ in range(5):
        OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
        client.post(reverse("portal:login_code"), {"phone": PHONE})
    response = client.post(reverse("portal:login_code"), {"phone": PHONE})
    assert response.status_code == 429
    assert "Too many codes requested; try again in" in response.content.decode()
    assert response.context["phone_form"]["phone"].value() == PHONE
    assert Message.objects.filter(purpose="portal_sign_in").count() == 5


def test_wrong_sms_codes_lock_the_number(client, resident):
    client.post(reverse("portal:login_code"), {"phone": PHONE})
    wrong = "000000" if sms_code() != "000000" else "111111"
    for _ in range(4):
        assert client.post(reverse("portal:login_code"), {"code": wrong}).status_code == 400
    response = client.post(reverse("portal:login_code"), {"code": wrong})
    assert response.status_code == 403
    assert "This account is locked" in response.content.decode()
    assert client.post(reverse("portal:login_code"), {"code": sms_code()}).status_code == 403
    response = client.post(reverse("portal:login"), {"username": PHONE, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_wrong_activation_codes_lock_the_number(client):
    clerk = make_user("inviter", "residents.invite_resident")
    _user, message = resident_accounts.invite_resident_account(
        clerk, phone="13966667777", full_name="赵六"
    )
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    form = {
        "phone": "13966667777",
        "code": "000000" if code != "000000" else "111111",
        "new_password1": "Zhao#Liu2026",
        "new_password2": "Zhao#Liu2026",
    }
    for _ in range(4):
        assert client.post(reverse("portal:activate"), form).status_code == 400
    response = client.post(reverse("portal:activate"), form)
    assert response.status_code == 403
    assert "This account is locked" in response.content.decode()
    assert response.context["form"]["phone"].value() == "13966667777"
    assert client.post(reverse("portal:activate"), {**form, "code": code}).status_code == 403


def test_portal_sign_in_is_limited_per_address_across_numbers(client, resident):
    for number in range(20):
        client.post(
            reverse("portal:login"), {"username": f"1370000{number:04d}", "password": "wrong"}
        )
    response = client.post(reverse("portal:login"), {"username": PHONE, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed attempts from your network address" in response.content.decode()
    assert "_auth_user_id" not in client.session
    other = Client(REMOTE_ADDR="198.51.100.7")
    response = other.post(reverse("portal:login"), {"username": PHONE, "password": PASSWORD})
    assert response["Location"] == reverse("portal:home")
