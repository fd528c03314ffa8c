"""The register's pages: 200 with the permission, 403 without, 404 outside the scope."""

import pytest
from django.urls import reverse

from courtyard.estates.models import Unit
from tests.factories import BuildingFactory, EntranceFactory, UnitFactory, make_user

pytestmark = pytest.mark.django_db

OBJECT_PAGES = ["detail", "edit", "delete", "history"]
PERMISSION_OF_PAGE = {"detail": "view", "history": "view", "edit": "change", "delete": "delete"}


def record_of(name, unit):
    return unit if name == "unit" else getattr(unit, name)


@pytest.mark.parametrize("model", ["estate", "building", "entrance", "unit"])
@pytest.mark.parametrize("page", OBJECT_PAGES)
def test_object_pages_answer_200_403_404(client, clerk, unit, other_unit, model, page):
    url = reverse(f"estates:{model}_{page}", args=[record_of(model, unit).pk])
    client.force_login(clerk)
    assert client.get(url).status_code == 200
    outside = reverse(f"estates:{model}_{page}", args=[record_of(model, other_unit).pk])
    assert client.get(outside).status_code == 404
    action = PERMISSION_OF_PAGE[page]
    others = [f"estates.view_{model}"] if action != "view" else []
    client.force_login(make_user(f"no-{action}", *others, estates=[unit.estate]))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("model", ["estate", "building", "entrance", "unit"])
@pytest.mark.parametrize("page", ["list", "add"])
def test_model_pages_answer_200_and_403(client, clerk, unit, model, page):
    url = reverse(f"estates:{model}_{page}")
    client.force_login(clerk)
    assert client.get(url).status_code == 200
    client.force_login(make_user("nobody"))
    assert client.get(url).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, unit):
    response = client.get(reverse("estates:unit_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unit_list_shows_only_the_scope(client, clerk, unit, other_unit):
    client.force_login(clerk)
    page = client.get(reverse("estates:unit_list")).content.decode()
    assert unit.get_absolute_url() in page
    assert other_unit.get_absolute_url() not in page


def test_unit_list_filters(client, clerk, unit):
    occupied = UnitFactory(entrance=unit.entrance, room_no="102", status="occupied")
    client.force_login(clerk)
    page = client.get(reverse("estates:unit_list"), {"status": "occupied"}).content.decode()
    assert occupied.get_absolute_url() in page
    assert unit.get_absolute_url() not in page
    page = client.get(reverse("estates:unit_list"), {"q": "101"}).content.decode()
    assert unit.get_absolute_url() in page and occupied.get_absolute_url() not in page


def test_unit_list_respects_the_top_bar_estate(client, manager, unit, other_unit):
    client.force_login(manager)
    session = client.session
    session["estate_id"] = other_unit.estate_id
    session.save()
    page = client.get(reverse("estates:unit_list")).content.decode()
    assert other_unit.get_absolute_url() in page and unit.get_absolute_url() not in page


def test_unit_list_queries_do_not_grow_with_rows(
    client, clerk, entrance, django_assert_max_num_queries
):
    for number in range(30):
        UnitFactory(entrance=entrance, room_no=f"{number + 1:04d}")
    client.force_login(clerk)
    client.get(reverse("estates:unit_list"))  # warm the permission caches of the session
    with django_assert_max_num_queries(17):
        response = client.get(reverse("estates:unit_list"), {"per_page": 100})
    assert response.status_code == 200
    assert response.content.decode().count("/estates/units/") >= 30


def test_unit_list_htmx_answers_the_table_only(client, clerk, unit):
    client.force_login(clerk)
    response = client.get(
        reverse("estates:unit_list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="object-table"
    )
    assert b"<html" not in response.content and b"101" in response.content


def unit_post(entrance, **overrides):
    data = {
        "estate": entrance.estate_id,
        "building": entrance.building_id,
        "entrance": entrance.pk,
        "room_no": "1201",
        "floor": "12",
        "area": "89.50",
        "use": "residential",
        "status": "vacant",
        "note": "",
    }
    return {**data, **overrides}


def test_add_unit(client, clerk, entrance):
    client.force_login(clerk)
    response = client.post(reverse("estates:unit_add"), unit_post(entrance))
    unit = Unit.objects.get()
    assert response.status_code == 302 and response["Location"] == unit.get_absolute_url()
    assert unit.building == entrance.building


def test_duplicate_room_number_is_a_form_error_that_keeps_the_input(client, clerk, unit):
    client.force_login(clerk)
    response = client.post(
        reverse("estates:unit_add"), unit_post(unit.entrance, room_no="101", note="朝南")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This room number already exists." in page
    assert 'value="朝南"' in page and 'value="89.50"' in page
    assert Unit.objects.count() == 1


def test_invalid_area_keeps_the_typed_value(client, clerk, entrance):
    client.force_login(clerk)
    response = client.post(reverse("estates:unit_add"), unit_post(entrance, area="-5"))
    assert response.status_code == 400
    assert "The floor area must be greater than zero." in response.content.decode()
    assert 'value="-5"' in response.content.decode()


def test_entrance_outside_the_scope_is_not_a_choice(client, clerk, other_unit):
    client.force_login(clerk)
    response = client.post(reverse("estates:unit_add"), unit_post(other_unit.entrance))
    assert response.status_code == 400 and not Unit.objects.filter(room_no="1201").exists()


def test_entrance_of_another_building_is_refused(client, clerk, entrance):
    other = EntranceFactory(building=BuildingFactory(estate=entrance.estate))
    client.force_login(clerk)
    data = unit_post(other, building=entrance.building_id)
    response = client.post(reverse("estates:unit_add"), data)
    assert response.status_code == 400
    assert "This entrance is not in the chosen building." in response.content.decode()


def test_unit_form_offers_entrances_grouped_by_building(client, clerk, entrance):
    client.force_login(clerk)
    page = client.get(reverse("estates:unit_add")).content.decode()
    assert f'<optgroup label="{entrance.estate.name} {entrance.building.name}">' in page


def test_unit_form_starts_with_the_parents_from_the_query(client, clerk, entrance):
    client.force_login(clerk)
    url = reverse("estates:unit_add") + f"?building={entrance.building_id}"
    page = client.get(url).content.decode()
    assert f'<option value="{entrance.building_id}" selected>' in page


def test_parent_choices_fill_in_the_parents_of_an_entrance(client, clerk, entrance):
    client.force_login(clerk)
    response = client.get(
        reverse("estates:unit_parent_choices"), {"entrance": entrance.pk, "changed": "entrance"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and page.count('hx-swap-oob="true"') == 3
    assert f'<option value="{entrance.estate_id}" selected>' in page
    assert f'<option value="{entrance.building_id}" selected>' in page


def test_parent_choices_narrow_buildings_to_the_estate(client, clerk, building, other_unit):
    client.force_login(clerk)
    page = client.get(
        reverse("estates:unit_parent_choices"), {"estate": building.estate_id, "changed": "estate"}
    ).content.decode()
    assert building.name in page and other_unit.building.name not in page


def test_edit_unit(client, clerk, unit):
    client.force_login(clerk)
    response = client.post(
        reverse("estates:unit_edit", args=[unit.pk]),
        unit_post(unit.entrance, room_no="101", status="rented"),
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.status == "rented"


def test_delete_page_says_why_an_estate_in_use_cannot_go(client, clerk, unit):
    client.force_login(clerk)
    page = client.get(reverse("estates:estate_delete", args=[unit.estate_id])).content.decode()
    assert "cannot be deleted" in page and "buildings (1)" in page
    response = client.post(reverse("estates:estate_delete", args=[unit.estate_id]), follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert unit.estate.__class__.objects.filter(pk=unit.estate_id).exists()


def test_delete_unit(client, clerk, unit):
    client.force_login(clerk)
    response = client.post(reverse("estates:unit_delete", args=[unit.pk]))
    assert response.status_code == 302 and not Unit.objects.exists()


def test_building_detail_lists_entrances_and_the_room_grid(client, clerk, unit):
    client.force_login(clerk)
    page = client.get(reverse("estates:building_detail", args=[unit.building_id])).content.decode()
    assert unit.entrance.get_absolute_url() in page and unit.get_absolute_url() in page


def test_estate_detail_lists_buildings_with_occupancy(client, clerk, unit):
    UnitFactory(entrance=unit.entrance, room_no="102", status="occupied")
    client.force_login(clerk)
    response = client.get(reverse("estates:estate_detail", args=[unit.estate_id]))
    assert response.context["buildings"][0].unit_count == 2
    assert response.context["rate"] == 50


def test_history_shows_the_change(client, clerk, unit):
    from courtyard.estates import services

    services.update_unit(clerk, unit, note="换锁")
    client.force_login(clerk)
    page = client.get(reverse("estates:unit_history", args=[unit.pk])).content.decode()
    assert "换锁" in page


def test_home_card_counts_the_scope(client, clerk, unit, other_unit):
    UnitFactory(entrance=unit.entrance, room_no="102", status="occupied")
    client.force_login(clerk)
    response = client.get(reverse("core:home"))
    card = next(c for c in response.context["cards"] if c["title"] == "Property register")
    values = {str(label): value for label, value, _url in card["items"]}
    assert values == {"Estates": 1, "Buildings": 1, "Units": 2, "Occupancy rate": "50%"}
