"""The resident list page as it is drawn: a search reads its page and its count in one query,
pages through the people found, and draws the units, the sidebar's selects and the export
the same as before they were written out in Python."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from courtyard.core.models import Job
from tests.factories import BuildingFactory, UnitFactory, make_user

from .helpers import resident_in

pytestmark = pytest.mark.django_db
LIST = reverse("residents:resident_list")


def resident_queries(ctx):
    """The captured statements that read people (not the shell's, not the units')."""
    return [
        q["sql"]
        for q in ctx.captured_queries
        if re.search(r'FROM "residents_resident"', q["sql"])
        and 'residents_occupancy"."id"' not in q["sql"].split("FROM")[0]
    ]


@pytest.fixture
def found(entrance):
    """30 people named 建国 (a search finds them all) and one who is not."""
    people = [
        resident_in(UnitFactory(entrance=entrance, room_no=f"3{n:02d}"), name=f"建国{n:02d}")
        for n in range(30)
    ]
    resident_in(UnitFactory(entrance=entrance, room_no="999"), name="李四")
    return people


def showing(page):
    match = re.search(r"(\d+)–(\d+)\D+?(\d+)", page.split("card-footer", 1)[1])
    return tuple(int(n) for n in match.groups()) if match else None


@pytest.mark.parametrize("query", [{"q": "建国"}, {"room": "300"}, {"q": "0000"}])
def test_a_search_reads_its_page_and_count_in_one_query(client, clerk, found, query):
    client.force_login(clerk)
    client.get(LIST, query)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, query)
    assert response.status_code == 200
    statements = resident_queries(ctx)
    assert len(statements) == 1, statements
    assert "OVER ()" in statements[0] and "COUNT(*) AS" not in statements[0]


@pytest.mark.parametrize("query", [{"q": "建国"}, {"q": "建国0"}, {"room": "300"}])
def test_name_and_room_searches_read_the_people_found_by_id(client, clerk, found, query):
    """The ids first, then the people: never a walk of the register in name order hoping to
    meet them (PostgreSQL's plan for a semi-join under a LIMIT; 480 ms for the surname 王
    at 250,000 people)."""
    client.force_login(clerk)
    with CaptureQueriesContext(connection) as ctx:
        client.get(LIST, query)
    (sql,) = resident_queries(ctx)
    postgres = connection.vendor == "postgresql"
    assert ('"residents_resident"."id" = ANY(ARRAY(SELECT' in sql) == postgres
    assert ('"residents_resident"."id" IN (SELECT' in sql) == (not postgres)


def test_a_search_pages_through_the_people_found(client, clerk, found):
    client.force_login(clerk)

    def page(**params):
        response = client.get(LIST, {"q": "建国", **params})
        assert response.status_code == 200
        return response.content.decode()

    first = page()
    assert showing(first) == (1, 25, 30)
    assert "建国00" in first and "建国24" in first and "建国25" not in first
    assert "李四" not in first
    second = page(page=2)
    assert showing(second) == (26, 30, 30) and "建国29" in second and "建国24" not in second
    assert showing(page(page=9)) == (26, 30, 30)  # past the end: the last page
    assert showing(page(page="x")) == (1, 25, 30)
    assert showing(page(per_page=50)) == (1, 30, 30)
    nobody = client.get(LIST, {"q": "不存在"}).content.decode()
    assert showing(nobody) is None and "No records match these filters" in nobody


def test_the_plain_list_still_counts_apart(client, clerk, found):
    """The whole register is counted on its own: a count in the page's query would read
    every person where the page stops after 25."""
    client.force_login(clerk)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(LIST).content.decode()
    assert showing(page) == (1, 25, 31)
    statements = resident_queries(ctx)
    assert len(statements) == 2 and "COUNT(*)" in statements[0]
    assert "OVER ()" not in statements[1]


def test_search_query_count_does_not_grow_with_rows(
    client, clerk, found, django_assert_max_num_queries
):
    client.force_login(clerk)
    client.get(LIST, {"q": "建国"})
    # The shell, the sidebar's estates and buildings, the page with its count, the units.
    with django_assert_max_num_queries(15):
        client.get(LIST, {"q": "建国", "per_page": 25})
    with django_assert_max_num_queries(15):
        client.get(LIST, {"q": "建国", "per_page": 50})


def test_units_drawn_with_link_role_and_estate(client, clerk, unit, unit2):
    person = resident_in(unit, name="张伟")
    member = resident_in(unit2, name="张伟", role="member")
    member.occupancies.update(resident=person)  # one person, two units
    client.force_login(clerk)
    page = client.get(LIST, {"q": "张伟"}).content.decode()
    for room in (unit, unit2):
        cell = (
            f'<div class="text-nowrap"><a href="{room.get_absolute_url()}">'
            f"{room.building.name} {room.entrance.name} {room.room_no}</a>"
        )
        assert cell in page
    assert '<span class="badge bg-green-lt">Owner</span>' in page
    assert '<span class="badge bg-secondary-lt">Household member</span>' in page
    assert f'<span class="text-secondary small">{unit.estate.name}</span>' in page
    assert page.count(person.get_absolute_url()) == 1  # one row for the person


def test_sidebar_selects(client, estate, unit):
    BuildingFactory(estate=estate, name="2栋")
    client.force_login(make_user("boss", superuser=True))
    page = client.get(LIST, {"role": "tenant"}).content.decode()
    building = unit.building
    assert f'<option value="{building.pk}">{estate.name} {building.name}</option>' in page
    assert '<option value="tenant" selected>Tenant</option>' in page
    assert '<select name="building" class="form-select" id="id_building">' in page
    chosen = client.get(LIST, {"estate": estate.pk, "building": building.pk}).content.decode()
    assert f'<option value="{building.pk}" selected>{building.name}</option>' in chosen
    assert f'<option value="{estate.pk}" selected>{estate.name}</option>' in chosen


def test_export_writes_units_and_kind(
    client, clerk, unit, unit2, django_capture_on_commit_callbacks
):
    resident_in(unit, name="张伟")
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("residents:resident_export"), {"q": "张伟"})
    job = Job.objects.get()
    assert job.status == "succeeded", job.result
    header, row = list(load_workbook(job.output_file.open("rb")).active.iter_rows(values_only=True))
    cells = dict(zip(header, row, strict=True))
    assert cells["Units"] == (
        f"{unit.estate.name} {unit.building.name} {unit.entrance.name} {unit.room_no} (Owner)"
    )
    assert cells["Kind"] == "Individual"


def test_api_search_reads_its_page_and_count_in_one_query(client, clerk, found):
    from courtyard.accounts.models import ApiToken

    auth = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(clerk)[1]}"}

    def search(**params):
        with CaptureQueriesContext(connection) as ctx:
            body = client.get("/api/v1/residents", {"q": "建国", **params}, **auth).json()
        return body, resident_queries(ctx)

    body, statements = search(limit=10)
    assert body["count"] == 30 and [i["name"] for i in body["items"]][:2] == ["建国00", "建国01"]
    assert len(body["items"]) == 10 and len(statements) == 1 and "OVER ()" in statements[0]
    body, _statements = search(limit=10, offset=25)
    assert body["count"] == 30 and [i["name"] for i in body["items"]][0] == "建国25"
    body, _statements = search(offset=40)  # past the end: counted apart
    assert body == {"items": [], "count": 30}
    body = client.get("/api/v1/residents", **auth).json()  # the plain list: counted apart
    assert body["count"] == 31
