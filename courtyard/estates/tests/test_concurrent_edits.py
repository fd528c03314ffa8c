"""Two people editing the same record (DESIGN §3, "Concurrent edits"): the second save from a
stale copy is refused instead of silently overwriting the first. Built once in core.versions
(the model's version, the edit view's hidden field, the API's ETag / If-Match)."""

import pytest
from django.test import Client
from django.urls import reverse

from courtyard.core.versions import StaleVersion
from courtyard.estates import services
from courtyard.estates.models import Estate

pytestmark = pytest.mark.django_db


def test_a_save_from_a_stale_copy_is_refused(clerk, estate):
    seen_by_other = Estate.objects.get(pk=estate.pk)
    services.update_estate(clerk, estate, address="一号路")
    with pytest.raises(StaleVersion):
        services.update_estate(clerk, seen_by_other, address="二号路")
    estate.refresh_from_db()
    assert estate.address == "一号路" and estate.version == 2


def edit_form(client, estate):
    page = client.get(reverse("estates:estate_edit", args=[estate.pk]))
    form = page.context["form"]
    return {name: field.value() or "" for name, field in ((n, form[n]) for n in form.fields)}


def test_two_people_saving_the_same_estate_form(clerk, estate):
    first, second = Client(), Client()
    first.force_login(clerk)
    second.force_login(clerk)
    mine, theirs = edit_form(first, estate), edit_form(second, estate)
    assert mine["version"] == 1
    url = reverse("estates:estate_edit", args=[estate.pk])
    assert first.post(url, {**mine, "address": "一号路"}).status_code == 302

    stale = second.post(url, {**theirs, "address": "二号路"})
    assert stale.status_code == 400
    page = stale.content.decode()
    assert "Someone else changed this record meanwhile" in page
    assert "二号路" in page  # what was typed is kept
    estate.refresh_from_db()
    assert estate.address == "一号路"
    # The form now carries the stored version: saving again overwrites, knowingly.
    again = {**theirs, "address": "二号路", "version": stale.context["form"]["version"].value()}
    assert second.post(url, again).status_code == 302
    estate.refresh_from_db()
    assert estate.address == "二号路"


def test_the_api_answers_412_to_a_stale_if_match(api, clerk, estate, client):
    read = api(clerk).get(f"/estates/{estate.pk}")
    tag = read["ETag"]
    assert tag == '"1"'
    headers = {**api(clerk).headers, "If-Match": tag}
    url = f"/api/v1/estates/{estate.pk}"

    def patch(body, headers):
        return client.patch(url, body, content_type="application/json", headers=headers)

    saved = patch({"address": "一号路"}, headers)
    assert saved.status_code == 200 and saved["ETag"] == '"2"'
    stale = patch({"address": "二号路"}, headers)
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert patch({"address": "x"}, {**headers, "If-Match": "nonsense"}).status_code == 412
    estate.refresh_from_db()
    assert estate.address == "一号路"
    assert patch({"address": "三号路"}, api(clerk).headers).status_code == 200  # no If-Match


def test_units_and_buildings_carry_an_etag(api, clerk, unit):
    assert api(clerk).get(f"/units/{unit.pk}")["ETag"] == '"1"'
    assert api(clerk).get(f"/buildings/{unit.building_id}")["ETag"] == '"1"'
