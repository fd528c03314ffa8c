"""The shell and the generic pages render for staff, with the right data and no leaks."""

import pytest
from auditlog.context import set_actor
from django.test import RequestFactory
from django.urls import reverse

from courtyard.core.choices import JobStatus
from courtyard.core.models import Job, Message
from courtyard.core.modules import NavItem
from courtyard.core.templatetags.courtyard_tags import (
    display,
    nav_entries,
    page_range,
)
from courtyard.core.timeline import record_event
from courtyard.core.views import server_error
from courtyard.estates.models import Estate
from tests.factories import EstateFactory, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("courtyard.core.tests.urls")]

ESTATE_PERMS = [f"estates.{a}_estate" for a in ("view", "add", "change", "delete")]


@pytest.fixture
def clerk(client):
    user = make_user("clerk", *ESTATE_PERMS)
    client.force_login(user)
    return user


def test_home_greets_the_user_and_welcomes_without_cards(client, clerk):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hello, Clerk" in html
    assert 'lang="en"' in html
    assert 'id="estate-filter"' in html


def test_home_shows_registered_cards(client, clerk, monkeypatch):
    from courtyard.core import home

    card = {"title": "Repairs today", "icon": "ti-tool", "items": [("Open", 7, "/x/")]}
    monkeypatch.setattr(home, "_cards", [lambda request: card])
    html = client.get("/").content.decode()
    assert "Repairs today" in html and 'href="/x/"' in html


def test_inbox_lists_notices_and_marks_them_read(client, clerk):
    Message.objects.create(
        channel="app", recipient="clerk", recipient_user=clerk, subject="Work order 17", body="Hi"
    )
    html = client.get("/inbox/").content.decode()
    assert "Work order 17" in html
    assert "cy-bell-count" in html
    assert client.post("/inbox/").status_code == 302
    assert not Message.objects.filter(read_at__isnull=True).exists()
    assert "Mark all as read" not in client.get("/inbox/").content.decode()


def test_missing_permission_shows_no_permission_page(client):
    client.force_login(make_user("nobody"))
    response = client.get("/estates/")
    assert response.status_code == 403
    assert "No permission" in response.content.decode()


def test_unknown_page_shows_not_found_inside_the_shell(client, clerk):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not found" in html and "navbar-vertical" in html


def test_not_found_for_visitors_uses_the_plain_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "navbar-vertical" not in response.content.decode()


def test_server_error_renders_without_the_database():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_running_job_polls_and_finished_job_offers_download(client, clerk):
    job = Job.objects.create(
        kind="estates.import_units", user=clerk, total=200, done=50, status=JobStatus.RUNNING
    )
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in html and "50 / 200" in html
    job.status = JobStatus.SUCCEEDED
    job.result = {"summary": "200 units imported"}
    job.output_name = "units.xlsx"
    job.output_file.name = "jobs/out/units.xlsx"
    job.save()
    partial = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "every 1s" not in partial and "<html" not in partial
    assert "200 units imported" in partial
    assert reverse("core:job_download", args=[job.pk]) in partial


def test_failed_job_lists_row_errors(client, clerk):
    job = Job.objects.create(
        kind="estates.import_units",
        user=clerk,
        status=JobStatus.FAILED,
        result={"message": "2 rows have errors"},
        errors=[{"row": 3, "column": "room_no", "message": "This room number already exists"}],
    )
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "2 rows have errors" in html
    assert "This room number already exists" in html
    assert "every 1s" not in html


def test_list_page_filters_sorts_and_paginates(client, clerk):
    for number in range(30):
        EstateFactory(name=f"Estate {number:02d}")
    response = client.get("/estates/?sort=-name&per_page=25")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Showing 1–25 of 30" in html
    body = html[html.index("<tbody>") :]
    assert body.index("Estate 29") < body.index("Estate 28")
    assert "?sort=name&amp;per_page=25" in html  # the header toggles the order, keeps the rest
    assert 'hx-target="#object-table"' in html
    assert "/estates/export/?sort=-name&amp;per_page=25" in html
    empty = client.get("/estates/?q=nothing-like-this").content.decode()
    assert "No records match these filters" in empty


def test_list_table_partial_for_htmx(client, clerk):
    EstateFactory(name="Lakeside")
    response = client.get(
        "/estates/?page=1", headers={"HX-Request": "true", "HX-Target": "object-table"}
    )
    html = response.content.decode()
    assert "<html" not in html and "Lakeside" in html
    assert 'hx-swap-oob="true"' in html


def test_detail_history_edit_delete_and_import_pages(client, clerk):
    with set_actor(clerk):
        estate = EstateFactory(name="Lakeside", address="")
        estate.address = "1 Lake Road"
        estate.save()
    record_event(estate, clerk, "inspected", "All fine")
    detail = client.get(f"/estates/{estate.pk}/").content.decode()
    assert "Lakeside" in detail and "1 Lake Road" in detail
    assert f"/estates/{estate.pk}/edit/" in detail and f"/estates/{estate.pk}/history/" in detail
    history = client.get(f"/estates/{estate.pk}/history/").content.decode()
    assert "1 Lake Road" in history and "All fine" in history and "inspected" in history
    edit = client.get(f"/estates/{estate.pk}/edit/").content.decode()
    assert "Edit Lakeside" in edit and 'name="name"' in edit
    assert "New estate" in client.get("/estates/add/").content.decode()
    delete = client.get(f"/estates/{estate.pk}/delete/").content.decode()
    assert "btn-danger" in delete and "csrfmiddlewaretoken" in delete
    imported = client.get("/estates/import/").content.decode()
    assert "?template=1" in imported and "翠湖花园" in imported
    error = client.post("/estates/import/", {})
    assert error.status_code == 400 and "Choose an Excel file" in error.content.decode()


def test_edit_form_keeps_input_and_saves(client, clerk):
    response = client.post("/estates/add/", {"name": "", "code": "E9"})
    assert response.status_code == 400
    assert 'value="E9"' in response.content.decode()
    response = client.post("/estates/add/", {"name": "Hillside", "code": "E9"})
    estate = Estate.objects.get(code="E9")
    assert response.status_code == 302 and response.url == f"/estates/{estate.pk}/"


def test_navigation_marks_the_longest_matching_entry_active():
    navigation = [
        (
            "m",
            [NavItem("Estates", "estates:estate_list"), NavItem("Import", "estates:estate_import")],
        ),
    ]
    modules = nav_entries(navigation, "/estates/import/")
    assert [e["active"] for e in modules[0]["items"]] == [False, True]
    assert modules[0]["active"]
    assert not any(e["active"] for e in nav_entries(navigation, "/")[0]["items"])


def test_value_helpers():
    assert display(None) == "—" and display("") == "—"
    assert "Yes" in display(True) and "No" in display(False)

    class Page:
        number = 6

        class paginator:
            num_pages = 20

    assert page_range(Page) == [1, None, 4, 5, 6, 7, 8, None, 20]


def test_empty_list_without_filters_invites_to_add(client, clerk):
    html = client.get("/estates/").content.decode()
    assert "No records yet" in html and "/estates/add/" in html


def test_a_user_without_a_data_scope_is_warned_on_every_page(client):
    banner = "Your data scope is empty"
    client.force_login(make_user("newcomer", *ESTATE_PERMS, all_estates=False))
    assert banner in client.get(reverse("core:home")).content.decode()
    client.force_login(make_user("local", *ESTATE_PERMS, estates=[EstateFactory()]))
    assert banner not in client.get(reverse("core:home")).content.decode()
