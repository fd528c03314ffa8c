"""Two people editing the same person (DESIGN §3, "Concurrent edits"): the contact and core
forms and the API refuse a save from a stale copy instead of silently overwriting."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.concurrent_edits import assert_refused_keeping_typed, if_match_round, save_twice

from .helpers import resident_in

pytestmark = pytest.mark.django_db


def test_a_stale_contact_form_keeps_what_was_typed(clerk, unit):
    person = resident_in(unit)
    url = reverse("residents:resident_edit", args=[person.pk])
    stale = save_twice(clerk, url, {"email": "first@example.com"}, {"note": "第二位的备注"})
    assert_refused_keeping_typed(stale, "第二位的备注")
    person.refresh_from_db()
    assert person.email == "first@example.com" and person.note == ""


def test_a_stale_core_form_keeps_what_was_typed(admin, unit):
    person = resident_in(unit)
    url = reverse("residents:resident_core", args=[person.pk])

    def confirmed(name):
        upload = SimpleUploadedFile("ok.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        return {"name": name, "confirmation_note": "业主签字", "confirmation_file": upload}

    stale = save_twice(admin, url, confirmed("陈静怡"), confirmed("陈晶"))
    assert_refused_keeping_typed(stale, "陈晶")
    person.refresh_from_db()
    assert person.name == "陈静怡"


def test_the_api_answers_412_to_a_stale_if_match(client, api, admin, unit):
    person = resident_in(unit)
    if_match_round(
        client,
        api(admin).headers,
        f"/api/v1/residents/{person.pk}",
        {"email": "first@example.com"},
        {"email": "second@example.com"},
    )
    person.refresh_from_db()
    assert person.email == "first@example.com"
