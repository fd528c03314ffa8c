"""Repair categories (报修类别) and technicians' skills (技师技能): the services, the pages
that manage them, their permission matrix and their API."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courtyard.accounts.models import ApiToken
from courtyard.repairs import services
from courtyard.repairs.models import RepairCategory, TechnicianSkill
from tests.factories import EstateFactory, make_user
from tests.permission_matrix import ModelPermissionMatrix

from .conftest import TECH_PERMS

CATEGORY_PERMS = (
    "repairs.view_repaircategory",
    "repairs.add_repaircategory",
    "repairs.change_repaircategory",
)
SKILL_PERMS = ("repairs.view_technicianskill", "repairs.change_technicianskill")


def bearer(user):
    _token, raw = ApiToken.issue(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def manager(db):
    """A repairs supervisor of the whole company: manages categories and skills."""
    return make_user("manager", *CATEGORY_PERMS, *SKILL_PERMS, "repairs.view_workorder")


# Categories: services ----------------------------------------------------------------------


def test_create_category_makes_up_a_code_and_audits(manager):
    category = services.create_repair_category(manager, name="  绿化 ", sort_order=7)
    assert category.name == "绿化" and category.code.startswith("category-")
    assert category.sort_order == 7 and category.is_active
    from auditlog.models import LogEntry

    assert LogEntry.objects.get_for_object(category).count() == 1


def test_category_names_are_unique(manager, water):
    with pytest.raises(ValidationError) as caught:
        services.create_repair_category(manager, name=water.name)
    assert caught.value.error_dict["name"][0].code == "duplicate"


def test_categories_are_company_wide_settings(water, estate):
    scoped = make_user("scoped", *CATEGORY_PERMS, estates=[estate])
    with pytest.raises(PermissionDenied):
        services.update_repair_category(scoped, water, is_active=False)
    viewer = make_user("viewer", "repairs.view_repaircategory")
    with pytest.raises(PermissionDenied):
        services.create_repair_category(viewer, name="x")


def test_a_deactivated_category_is_offered_to_no_new_order(manager, water, clerk, unit):
    services.update_repair_category(manager, water, is_active=False)
    with pytest.raises(ValidationError) as caught:
        services.create_work_order(
            clerk, category=water, unit=unit, description="漏水", urgency="normal", source="phone"
        )
    assert "category" in caught.value.error_dict


# Skills: services --------------------------------------------------------------------------


def test_set_skills_replaces_the_categories_and_audits_each_row(manager, tech, categories):
    from auditlog.models import LogEntry

    door, lift = categories["door_access"], categories["elevator"]
    services.set_skills(manager, tech, [door, lift])
    assert set(tech.repair_skills.values_list("category", flat=True)) == {door.pk, lift.pk}
    added = TechnicianSkill.objects.get(user=tech, category=door)
    assert LogEntry.objects.get_for_object(added).count() == 1


def test_set_skills_refuses_an_inactive_category(manager, tech, categories):
    door = categories["door_access"]
    door.is_active = False
    door.save()
    with pytest.raises(ValidationError) as caught:
        services.set_skills(manager, tech, [door])
    assert caught.value.error_dict["categories"][0].code == "inactive_category"


def test_set_skills_of_a_technician_outside_the_scope_is_not_found(tech, categories):
    elsewhere = make_user("elsewhere", *SKILL_PERMS, estates=[EstateFactory()])
    with pytest.raises(Http404):
        services.set_skills(elsewhere, tech, [categories["elevator"]])


def test_technicians_for_follows_the_scope(tech, estate):
    other = make_user("far", *TECH_PERMS, estates=[EstateFactory()])
    here = make_user("here", *SKILL_PERMS, estates=[estate])
    assert set(services.technicians_for(here)) == {tech}
    assert {tech, other} <= set(services.technicians_for(make_user("all", *SKILL_PERMS)))


# Pages -------------------------------------------------------------------------------------


class TestRepairCategoryPermissions(ModelPermissionMatrix):
    """Categories are company-wide: no estate hides one; only all-estates users change them."""

    model = RepairCategory
    url_names = {
        name: f"repairs:repaircategory_{name}"
        for name in ("list", "add", "detail", "edit", "history")
    }
    api_list = "/api/v1/repair-categories"
    api_detail = "/api/v1/repair-categories/{pk}"

    def make_object(self, estate):
        return RepairCategory.objects.create(code=f"c-{estate.pk}", name=f"类别{estate.pk}")

    def test_pages_open_with_the_permission(self, client):
        self._setup()
        perms = {self._perm(page) for page in self._pages()}
        client.force_login(self.make_user("holder", *perms))
        for page in self._pages():
            assert client.get(self._url(page, self.obj)).status_code == 200, page

    def test_objects_outside_the_scope_are_not_found(self, client):
        pytest.skip("repair categories belong to no estate")

    def test_write_pages_refuse_estate_scoped_users(self, client):
        self._setup()
        perms = {self._perm(page) for page in self._pages()}
        client.force_login(self.make_user("scoped", *perms, estates=[self.home_estate]))
        for page in ("add", "edit"):
            assert client.get(self._url(page, self.obj)).status_code == 403, page

    def test_api_matrix(self, client):
        self._setup()
        detail = self.api_detail.format(pk=self.obj.pk)
        assert client.get(self.api_list).status_code == 401
        headers = bearer(self.make_user("api_none"))
        assert client.get(self.api_list, **headers).status_code == 403
        assert client.get(detail, **headers).status_code == 403
        holder = self.make_user("api_holder", self._perm("list"), estates=[self.home_estate])
        headers = bearer(holder)
        ids = {item["id"] for item in client.get(self.api_list, **headers).json()["items"]}
        assert {self.obj.pk, self.foreign.pk} <= ids
        assert client.get(detail, **headers).status_code == 200
        missing = client.get(self.api_detail.format(pk=0), **headers)
        assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_category_pages_add_edit_and_deactivate(client, manager, water):
    client.force_login(manager)
    response = client.post(
        reverse("repairs:repaircategory_add"),
        {"name": "绿化", "code": "", "sort_order": "9", "is_active": "on"},
    )
    assert response.status_code == 302
    greenery = RepairCategory.objects.get(name="绿化")
    assert response["Location"] == greenery.get_absolute_url()
    response = client.post(
        reverse("repairs:repaircategory_edit", args=[water.pk]),
        {"name": "水电维修", "sort_order": "0"},
    )
    assert response.status_code == 302
    water.refresh_from_db()
    assert water.name == "水电维修" and not water.is_active and water.code == "water_electric"
    listing = client.get(reverse("repairs:repaircategory_list"), {"is_active": "on"})
    assert "绿化" in listing.content.decode() and "水电维修" not in listing.content.decode()


def test_category_form_keeps_what_was_typed_on_a_duplicate(client, manager, water):
    client.force_login(manager)
    response = client.post(
        reverse("repairs:repaircategory_add"), {"name": water.name, "sort_order": "3"}
    )
    assert response.status_code == 400
    assert "Another repair category has this name." in response.content.decode()


class TestTechnicianSkillPages:
    def test_the_list_needs_the_view_permission(self, client, tech, estate):
        client.force_login(make_user("clerkish", "repairs.view_workorder", estates=[estate]))
        assert client.get(reverse("repairs:technicianskill_list")).status_code == 403
        edit = reverse("repairs:technicianskill_edit", args=[tech.pk])
        client.force_login(make_user("viewer", "repairs.view_technicianskill", estates=[estate]))
        assert client.get(edit).status_code == 403

    def test_the_list_shows_technicians_in_the_scope_with_their_skills(
        self, client, tech, tech2, estate, categories
    ):
        far = make_user("far", *TECH_PERMS, estates=[EstateFactory()], full_name="赵师傅")
        for number in range(5):
            user = make_user(f"t{number}", *TECH_PERMS, estates=[estate])
            TechnicianSkill.objects.create(user=user, category=categories["elevator"])
        client.force_login(make_user("lead", *SKILL_PERMS, estates=[estate]))
        client.get(reverse("repairs:technicianskill_list"))  # the session's first reads
        with CaptureQueriesContext(connection) as few:
            response = client.get(reverse("repairs:technicianskill_list"))
        content = response.content.decode()
        assert response.status_code == 200
        assert "李师傅" in content and "水电" in content and "王师傅" in content
        assert far.full_name not in content
        for number in range(5, 10):
            user = make_user(f"t{number}", *TECH_PERMS, estates=[estate])
            TechnicianSkill.objects.create(user=user, category=categories["elevator"])
        with CaptureQueriesContext(connection) as more:
            client.get(reverse("repairs:technicianskill_list"))
        assert len(more) == len(few)  # no query per technician

    def test_the_list_filters_by_category_and_by_no_skills(self, client, tech, tech2, water):
        client.force_login(make_user("lead", *SKILL_PERMS))
        url = reverse("repairs:technicianskill_list")
        covered = client.get(url, {"category": water.pk}).content.decode()
        assert "李师傅" in covered and "王师傅" not in covered
        bare = client.get(url, {"without_skills": "on"}).content.decode()
        assert "王师傅" in bare and "李师傅" not in bare

    def test_setting_skills_on_the_page(self, client, tech2, categories, estate):
        client.force_login(make_user("lead", *SKILL_PERMS, estates=[estate]))
        edit = reverse("repairs:technicianskill_edit", args=[tech2.pk])
        assert client.get(edit).status_code == 200
        chosen = [categories["elevator"].pk, categories["pipes"].pk]
        response = client.post(edit, {"categories": chosen})
        assert response.status_code == 302
        assert response["Location"] == reverse("repairs:technicianskill_list")
        assert set(tech2.repair_skills.values_list("category", flat=True)) == set(chosen)

    def test_a_technician_outside_the_scope_is_not_found(self, client, tech):
        client.force_login(make_user("lead", *SKILL_PERMS, estates=[EstateFactory()]))
        edit = reverse("repairs:technicianskill_edit", args=[tech.pk])
        assert client.get(edit).status_code == 404
        assert client.post(edit, {"categories": []}).status_code == 404
        assert tech.repair_skills.exists()


# API ---------------------------------------------------------------------------------------


def test_api_creates_changes_and_deactivates_a_category(client, manager, water):
    headers = bearer(manager)
    created = client.post(
        "/api/v1/repair-categories",
        {"name": "绿化", "sort_order": 9},
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "绿化" and body["is_active"] and body["code"]
    changed = client.patch(
        f"/api/v1/repair-categories/{water.pk}",
        {"is_active": False},
        content_type="application/json",
        **headers,
    )
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    listing = client.get("/api/v1/repair-categories", {"is_active": "true"}, **headers).json()
    assert {"items", "count"} <= set(listing)
    assert water.pk not in {row["id"] for row in listing["items"]}


def test_api_duplicate_category_is_a_400_with_a_code(client, manager, water):
    response = client.post(
        "/api/v1/repair-categories",
        {"name": water.name},
        content_type="application/json",
        **bearer(manager),
    )
    assert response.status_code == 400 and response.json()["code"] == "duplicate"


def test_api_lists_technicians_and_sets_their_skills(client, tech, tech2, categories, estate):
    lead = make_user("lead", *SKILL_PERMS, estates=[estate])
    headers = bearer(lead)
    listing = client.get("/api/v1/technicians", **headers).json()
    rows = {row["id"]: row for row in listing["items"]}
    assert listing["count"] == 2
    assert rows[tech.pk]["skills"] == [categories["water_electric"].pk]
    assert rows[tech.pk]["skill_names"] == ["水电"]
    response = client.put(
        f"/api/v1/technicians/{tech2.pk}/skills",
        {"categories": [categories["elevator"].pk]},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200 and response.json()["skills"] == [categories["elevator"].pk]
    far = make_user("far", *TECH_PERMS, estates=[EstateFactory()])
    missing = client.put(
        f"/api/v1/technicians/{far.pk}/skills",
        {"categories": []},
        content_type="application/json",
        **headers,
    )
    assert missing.status_code == 404
