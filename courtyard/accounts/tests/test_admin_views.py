"""Request tests of the account administration pages: access, rendering and effects."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.urls import reverse

from courtyard.accounts.choices import ScopeKind, UserKind
from courtyard.accounts.models import Department, Role, User
from courtyard.core.scoping import user_scope
from courtyard.core.timeline import events_for
from tests.factories import EstateFactory, make_user, permissions

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Initial#2026x"


@pytest.fixture
def admin(client):
    user = make_user("boss", superuser=True)
    client.force_login(user)
    return user


def make_role(name, *perms, builtin=False):
    group = Group.objects.create(name=name)
    group.permissions.set(permissions(*perms))
    return Role.objects.create(group=group, is_builtin=builtin)


def messages_of(response):
    return [str(m) for m in response.wsgi_request._messages]


# -- access ---------------------------------------------------------------------------------
USER_PAGES = [
    ("accounts:user_list", False, "accounts.view_user"),
    ("accounts:user_add", False, "accounts.add_user"),
    ("accounts:user_detail", True, "accounts.view_user"),
    ("accounts:user_edit", True, "accounts.change_user"),
    ("accounts:user_history", True, "accounts.view_user"),
    ("accounts:user_roles", True, "accounts.change_user"),
    ("accounts:user_scope", True, "accounts.change_user"),
    ("accounts:user_password", True, "accounts.reset_password_user"),
]
ROLE_PAGES = [
    ("accounts:role_list", False, "accounts.view_role"),
    ("accounts:role_add", False, "accounts.add_role"),
    ("accounts:role_detail", True, "accounts.view_role"),
    ("accounts:role_edit", True, "accounts.change_role"),
    ("accounts:role_delete", True, "accounts.delete_role"),
    ("accounts:role_history", True, "accounts.view_role"),
]
DEPARTMENT_PAGES = [
    ("accounts:department_list", False, "accounts.view_department"),
    ("accounts:department_add", False, "accounts.add_department"),
    ("accounts:department_edit", True, "accounts.change_department"),
    ("accounts:department_delete", True, "accounts.delete_department"),
]


def target_for(name):
    if name.startswith("accounts:user"):
        return make_user("target")
    if name.startswith("accounts:role"):
        return make_role("Target")
    return Department.objects.create(name="Target")


@pytest.mark.parametrize("name, with_pk, perm", USER_PAGES + ROLE_PAGES + DEPARTMENT_PAGES)
def test_pages_need_their_permission(client, name, with_pk, perm):
    obj = target_for(name)
    url = reverse(name, args=[obj.pk]) if with_pk else reverse(name)
    assert client.get(url).status_code == 302  # anonymous: to sign-in
    client.force_login(make_user("bare", "estates.view_unit"))
    assert client.get(url).status_code == 403
    client.force_login(make_user("holder", perm))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "name, perm",
    [
        ("accounts:user_unlock", "accounts.unlock_user"),
        ("accounts:user_deactivate", "accounts.change_user"),
        ("accounts:user_activate", "accounts.change_user"),
        ("accounts:user_sign_out", "accounts.change_user"),
    ],
)
def test_user_actions_are_post_only_and_need_their_permission(client, name, perm):
    target = make_user("target")
    url = reverse(name, args=[target.pk])
    client.force_login(make_user("bare", "accounts.view_user"))
    assert client.post(url).status_code == 403
    client.force_login(make_user("holder", perm))
    assert client.get(url).status_code == 405


def test_resident_accounts_are_not_staff_pages(admin, client):
    resident = make_user("resident1", kind=UserKind.RESIDENT)
    assert client.get(reverse("accounts:user_detail", args=[resident.pk])).status_code == 404
    listing = client.get(reverse("accounts:user_list")).content.decode()
    assert "resident1" not in listing


# -- users ----------------------------------------------------------------------------------
def test_user_list_filters_by_department_role_activity_and_search(admin, client):
    service = Department.objects.create(name="客服部")
    role = make_role("客服专员")
    alice = make_user("alice", department=service, full_name="李晓梅", phone="13812345678")
    alice.groups.add(role.group)
    make_user("bob", full_name="王强", is_active=False)
    url = reverse("accounts:user_list")

    def usernames(**params):
        response = client.get(url, params)
        return {row["object"].username for row in response.context["rows"]}

    assert usernames(department=service.pk) == {"alice"}
    assert usernames(role=role.pk) == {"alice"}
    assert usernames(is_active="false") == {"bob"}
    assert usernames(q="晓梅") == {"alice"}
    assert usernames(q="1381234") == {"alice"}


def test_user_list_masks_phones_unless_the_viewer_may_change_users(client):
    make_user("alice", phone="13812345678")
    client.force_login(make_user("viewer", "accounts.view_user"))
    page = client.get(reverse("accounts:user_list")).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    client.force_login(make_user("editor", "accounts.view_user", "accounts.change_user"))
    page = client.get(reverse("accounts:user_list")).content.decode()
    assert "13812345678" in page


def test_user_list_query_count_does_not_grow_with_rows(
    admin, client, django_assert_max_num_queries
):
    department = Department.objects.create(name="工程部")
    role = make_role("维修人员")
    for n in range(30):
        make_user(f"tech{n:02d}", department=department).groups.add(role.group)
    # 16: the roles of the page's groups come in one query, for their names in the reader's
    # language.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("accounts:user_list"), {"per_page": 25})
    assert len(response.context["rows"]) == 25


def test_user_detail_shows_roles_scope_security_events_and_lock(admin, client):
    estate = EstateFactory(name="翠湖花园")
    user = make_user("tech", estates=[estate], phone="13812345678")
    user.groups.add(make_role("维修人员").group)
    AccessAttempt.objects.create(
        username="tech", failures_since_start=5, ip_address="10.0.0.1", user_agent="x"
    )
    response = client.get(reverse("accounts:user_detail", args=[user.pk]))
    page = response.content.decode()
    assert "维修人员" in page and "翠湖花园" in page
    assert response.context["locked"] is True
    assert reverse("accounts:user_unlock", args=[user.pk]) in page


def test_create_user_page_creates_a_staff_account(admin, client):
    role = make_role("客服专员")
    response = client.post(
        reverse("accounts:user_add"),
        {
            "username": "kf02",
            "full_name": "周敏",
            "password": GOOD_PASSWORD,
            "password_confirm": GOOD_PASSWORD,
            "phone": "13900001111",
            "roles": [role.pk],
            "kind": "all",
        },
    )
    user = User.objects.get(username="kf02")
    assert response.status_code == 302 and response["Location"] == user.get_absolute_url()
    assert user.must_change_password and user.check_password(GOOD_PASSWORD)
    assert list(user.groups.all()) == [role.group]


def test_create_user_page_asks_for_the_data_scope(admin, client):
    estate = EstateFactory(name="翠湖花园")
    form = client.get(reverse("accounts:user_add")).content.decode()
    assert 'name="kind"' in form and "翠湖花园" in form
    data = {
        "username": "kf04",
        "full_name": "周敏",
        "password": GOOD_PASSWORD,
        "password_confirm": GOOD_PASSWORD,
    }
    missing = client.post(reverse("accounts:user_add"), data)
    assert missing.status_code == 400
    assert "kind" in missing.context["form"].errors
    assert not User.objects.filter(username="kf04").exists()
    client.post(reverse("accounts:user_add"), {**data, "kind": "estates", "estates": [estate.pk]})
    user = User.objects.get(username="kf04")
    assert user_scope(user).estate_ids == {estate.pk}


def test_create_user_page_keeps_input_on_errors(admin, client):
    response = client.post(
        reverse("accounts:user_add"),
        {
            "username": "kf03",
            "full_name": "周敏",
            "password": "weakpass",
            "password_confirm": "weakpass",
            "kind": "all",
        },
    )
    assert response.status_code == 400
    assert "password" in response.context["form"].errors
    assert 'value="kf03"' in response.content.decode()
    mismatch = client.post(
        reverse("accounts:user_add"),
        {
            "username": "kf03",
            "full_name": "周敏",
            "password": GOOD_PASSWORD,
            "password_confirm": GOOD_PASSWORD + "x",
            "kind": "all",
        },
    )
    assert "password_confirm" in mismatch.context["form"].errors
    assert not User.objects.filter(username="kf03").exists()


def test_edit_user_page_updates_the_profile(admin, client):
    user = make_user("tech")
    response = client.post(
        reverse("accounts:user_edit", args=[user.pk]),
        {"full_name": "刘师傅", "position": "电工", "phone": "13700000000", "email": ""},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.position) == ("刘师傅", "电工")


def test_editing_a_stronger_user_is_refused_with_the_reason(client):
    client.force_login(make_user("half", "accounts.view_user", "accounts.change_user"))
    root = make_user("root", superuser=True)
    response = client.post(
        reverse("accounts:user_edit", args=[root.pk]), {"full_name": "X", "phone": "13900000000"}
    )
    assert response.status_code == 403
    assert "permissions that you do not have" in response.content.decode()
    assert client.get(reverse("accounts:user_edit", args=[root.pk])).status_code == 403
    root.refresh_from_db()
    assert root.phone == ""


def test_user_roles_page_sets_roles(admin, client):
    user = make_user("tech")
    role = make_role("维修人员")
    response = client.post(reverse("accounts:user_roles", args=[user.pk]), {"roles": [role.pk]})
    assert response.status_code == 302
    assert list(user.groups.all()) == [role.group]


def test_user_roles_page_shows_the_escalation_refusal(client):
    client.force_login(make_user("half", "accounts.view_user", "accounts.change_user"))
    user = make_user("tech")
    strong = make_role("Strong", "estates.delete_unit")
    response = client.post(reverse("accounts:user_roles", args=[user.pk]), {"roles": [strong.pk]})
    assert response.status_code == 400
    assert "estates.delete_unit" in response.content.decode()


def test_user_scope_page_offers_only_the_actors_estates_and_saves(client):
    mine, other = EstateFactory(name="东区"), EstateFactory(name="西区")
    actor = make_user("local", "accounts.view_user", "accounts.change_user", estates=[mine])
    client.force_login(actor)
    user = make_user("tech", all_estates=False)
    url = reverse("accounts:user_scope", args=[user.pk])
    form = client.get(url).context["form"]
    assert list(form.fields["estates"].queryset) == [mine]
    refused = client.post(url, {"kind": ScopeKind.ESTATES, "estates": [other.pk]})
    assert refused.status_code == 400
    response = client.post(url, {"kind": ScopeKind.ESTATES, "estates": [mine.pk]})
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).get_scope().estate_ids == frozenset({mine.pk})


def test_user_scope_page_refuses_a_wider_scope_with_the_reason(client):
    mine = EstateFactory()
    client.force_login(make_user("local", "accounts.change_user", estates=[mine]))
    roamer = make_user("roamer")
    response = client.post(
        reverse("accounts:user_scope", args=[roamer.pk]),
        {"kind": ScopeKind.ESTATES, "estates": [mine.pk]},
    )
    assert response.status_code == 403
    assert "beyond yours" in response.content.decode()


def test_password_page_resets_the_password(admin, client):
    user = make_user("tech")
    response = client.post(
        reverse("accounts:user_password", args=[user.pk]),
        {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD) and user.must_change_password


def test_unlock_deactivate_and_activate_buttons(admin, client):
    user = make_user("tech")
    AccessAttempt.objects.create(
        username="tech", failures_since_start=5, ip_address="10.0.0.1", user_agent="x"
    )
    client.post(reverse("accounts:user_unlock", args=[user.pk]))
    assert not AccessAttempt.objects.filter(username="tech").exists()
    client.post(reverse("accounts:user_deactivate", args=[user.pk]))
    assert not User.objects.get(pk=user.pk).is_active
    client.post(reverse("accounts:user_activate", args=[user.pk]))
    assert User.objects.get(pk=user.pk).is_active
    assert {"unlocked", "deactivated", "activated"} <= {e.verb for e in events_for(user)}


def test_deactivating_yourself_is_refused_with_a_message(admin, client):
    response = client.post(reverse("accounts:user_deactivate", args=[admin.pk]))
    assert response.status_code == 302
    assert "your own account" in " ".join(messages_of(response))
    assert User.objects.get(pk=admin.pk).is_active


# -- roles ----------------------------------------------------------------------------------
def test_role_page_shows_the_matrix_by_module(admin, client):
    role = make_role("运维主管", "estates.view_unit", "accounts.unlock_user")
    page = client.get(reverse("accounts:role_detail", args=[role.pk])).content.decode()
    for label in ("Residents", "Repairs", "Fees and payments", "System settings"):
        assert label in page
    assert 'data-perm="estates.view_unit"' in page
    assert "Can unlock accounts" in page
    assert page.count(" checked") == 2


def test_role_page_is_read_only_without_change_permission(client):
    role = make_role("Viewer")
    client.force_login(make_user("viewer", "accounts.view_role"))
    page = client.get(reverse("accounts:role_detail", args=[role.pk])).content.decode()
    assert "Save permissions" not in page and " disabled" in page


def test_saving_the_matrix_sets_the_role_permissions(admin, client):
    role = make_role("Ops", "estates.view_unit")
    wanted = permissions("estates.view_estate", "accounts.unlock_user")
    response = client.post(
        reverse("accounts:role_permissions", args=[role.pk]),
        {"permissions": [p.pk for p in wanted]},
    )
    assert response.status_code == 302
    assert set(role.group.permissions.all()) == set(wanted)
    assert events_for(role).filter(verb="permissions_changed").exists()


def test_saving_the_matrix_needs_change_role(client):
    role = make_role("Ops")
    client.force_login(make_user("viewer", "accounts.view_role"))
    assert client.post(reverse("accounts:role_permissions", args=[role.pk])).status_code == 403


def test_create_role_then_land_on_its_matrix(admin, client):
    response = client.post(reverse("accounts:role_add"), {"name": "保洁主管", "description": ""})
    role = Role.objects.get(group__name="保洁主管")
    assert response["Location"] == reverse("accounts:role_detail", args=[role.pk])


def test_duplicate_role_name_is_a_form_error(admin, client):
    make_role("客服专员")
    response = client.post(reverse("accounts:role_add"), {"name": "客服专员"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_deleting_a_built_in_or_held_role_is_refused_with_a_message(admin, client):
    builtin = make_role("系统管理员", builtin=True)
    response = client.post(reverse("accounts:role_delete", args=[builtin.pk]))
    assert "built-in" in " ".join(messages_of(response))
    held = make_role("Ops")
    make_user("tech").groups.add(held.group)
    response = client.post(reverse("accounts:role_delete", args=[held.pk]))
    assert "still held" in " ".join(messages_of(response))
    assert Role.objects.count() == 2
    spare = make_role("Spare")
    client.post(reverse("accounts:role_delete", args=[spare.pk]))
    assert not Role.objects.filter(pk=spare.pk).exists()


def test_role_list_counts_holders(admin, client):
    role = make_role("Ops")
    make_user("tech").groups.add(role.group)
    response = client.get(reverse("accounts:role_list"))
    row = next(r for r in response.context["rows"] if r["object"].pk == role.pk)
    assert row["object"].member_count == 1


# -- departments ----------------------------------------------------------------------------
def test_department_pages_create_edit_and_delete(admin, client):
    client.post(reverse("accounts:department_add"), {"name": "客服部", "description": ""})
    department = Department.objects.get(name="客服部")
    client.post(
        reverse("accounts:department_edit", args=[department.pk]),
        {"name": "客户服务部", "description": "前台"},
    )
    department.refresh_from_db()
    assert department.name == "客户服务部"
    listing = client.get(reverse("accounts:department_list")).content.decode()
    assert reverse("accounts:department_edit", args=[department.pk]) in listing
    client.post(reverse("accounts:department_delete", args=[department.pk]))
    assert not Department.objects.exists()


def test_department_with_members_is_not_deleted(admin, client):
    department = Department.objects.create(name="工程部")
    make_user("tech", department=department)
    response = client.post(reverse("accounts:department_delete", args=[department.pk]))
    assert "still belong" in " ".join(messages_of(response))
    assert Department.objects.exists()
