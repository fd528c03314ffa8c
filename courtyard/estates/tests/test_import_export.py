"""Units import (all or nothing, per-row errors) and the exports (scope and filters kept)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from courtyard.core.models import Job
from courtyard.estates.models import Entrance, Unit
from tests.factories import UnitFactory, make_user

pytestmark = pytest.mark.django_db

HEADER = ["项目", "楼栋", "单元", "房号", "楼层", "面积", "用途", "状态"]


def workbook(rows, header=HEADER):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("units.xlsx", buffer.getvalue())


def run_import(client, user, upload, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("estates:unit_import"), {"file": upload})
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == reverse("core:job_detail", args=[job.pk])
    return job


def test_valid_file_imports_every_row(client, clerk, entrance, django_capture_on_commit_callbacks):
    upload = workbook(
        [
            ["翠湖花园", "1栋", "1单元", "101", 1, 89.5, "住宅", "空置"],
            ["翠湖花园", "1栋", "1单元", "102", 1, "120.25", "Shop", "occupied"],
            ["翠湖花园", "1栋", "2单元", "101", 1, 75, "", ""],
        ]
    )
    job = run_import(client, clerk, upload, django_capture_on_commit_callbacks)
    assert job.status == "succeeded", (job.result, job.errors)
    assert Unit.objects.count() == 3
    shop = Unit.objects.get(room_no="102")
    assert (shop.use, shop.status, str(shop.area)) == ("shop", "occupied", "120.25")
    # The missing entrance of a known building was created.
    assert Entrance.objects.filter(building=entrance.building, name="2单元").exists()
    assert "3 units imported" in job.result["summary"]
    assert shop.created_by == clerk


def test_one_bad_row_imports_nothing_and_reports_row_column_message(
    client, clerk, unit, django_capture_on_commit_callbacks
):
    upload = workbook(
        [
            ["翠湖花园", "1栋", "1单元", "201", 2, 89.5, "住宅", "空置"],
            ["翠湖花园", "1栋", "1单元", "101", 1, 89.5, "住宅", "空置"],  # exists already
            ["翠湖花园", "9栋", "1单元", "301", 3, 89.5, "住宅", "空置"],  # no such building
            ["翠湖花园", "1栋", "1单元", "401", 4, -1, "castle", "空置"],
            ["翠湖花园", "1栋", "1单元", "201", 2, 89.5, "住宅", "空置"],  # twice in the file
        ]
    )
    job = run_import(client, clerk, upload, django_capture_on_commit_callbacks)
    assert job.status == "failed"
    assert Unit.objects.count() == 1  # only the unit that was there before
    errors = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert errors[(3, "Room number")] == "This room number already exists."
    assert "9栋" in errors[(4, "Building")]
    assert (5, "Use") in errors and (5, "Floor area (m²)") in errors
    assert "rows 2 and 6" in errors[(6, "Room number")]
    assert "nothing was imported" in job.result["message"]


def test_job_page_shows_the_row_errors(client, clerk, unit, django_capture_on_commit_callbacks):
    upload = workbook([["翠湖花园", "1栋", "1单元", "101", 1, 89.5, "", ""]])
    job = run_import(client, clerk, upload, django_capture_on_commit_callbacks)
    page = client.get(reverse("core:job_detail", args=[job.pk])).content.decode()
    assert "This room number already exists." in page and "Room number" in page


def test_estate_outside_the_scope_is_a_row_error(
    client, clerk, other_unit, django_capture_on_commit_callbacks
):
    estate = other_unit.estate
    upload = workbook([[estate.name, other_unit.building.name, "1单元", "9", 1, 50, "", ""]])
    job = run_import(client, clerk, upload, django_capture_on_commit_callbacks)
    assert job.status == "failed" and job.errors[0]["column"] == "Estate"


def test_missing_entrance_is_an_error_for_who_may_not_add_entrances(
    client, entrance, django_capture_on_commit_callbacks
):
    user = make_user("typist", "estates.add_unit", estates=[entrance.estate])
    upload = workbook([["翠湖花园", "1栋", "5单元", "101", 1, 50, "", ""]])
    job = run_import(client, user, upload, django_capture_on_commit_callbacks)
    assert job.status == "failed" and job.errors[0]["column"] == "Entrance"


def test_missing_column_fails_with_a_message(client, clerk, django_capture_on_commit_callbacks):
    upload = workbook([["翠湖花园", "1栋"]], header=["项目", "楼栋"])
    job = run_import(client, clerk, upload, django_capture_on_commit_callbacks)
    assert job.status == "failed" and "missing" in job.result["message"]


def test_not_an_excel_file_is_refused_on_the_page(client, clerk):
    client.force_login(clerk)
    upload = SimpleUploadedFile("units.xlsx", b"room,floor\n")
    response = client.post(reverse("estates:unit_import"), {"file": upload})
    assert response.status_code == 400 and not Job.objects.exists()


def test_template_downloads_with_an_example_row(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("estates:unit_import"), {"template": "1"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Estate", "Building", "Entrance", "Room number")
    assert rows[1][3] == "1201"


def test_import_page_needs_the_add_permission(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("estates:unit_import")).status_code == 403


def export(client, user, params, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("estates:unit_export"), params)
    job = Job.objects.latest("pk")
    assert response["Location"] == reverse("core:job_detail", args=[job.pk])
    assert job.status == "succeeded", job.result
    download = client.get(reverse("core:job_download", args=[job.pk]))
    content = b"".join(download.streaming_content)
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_export_keeps_scope_and_filters(
    client, clerk, unit, other_unit, django_capture_on_commit_callbacks
):
    UnitFactory(entrance=unit.entrance, room_no="102", status="occupied")
    rows = export(client, clerk, {}, django_capture_on_commit_callbacks)
    assert rows[0][:4] == ("Room number", "Estate", "Building", "Entrance")
    assert sorted(r[0] for r in rows[1:]) == ["101", "102"]  # not the other estate's unit
    rows = export(client, clerk, {"status": "occupied"}, django_capture_on_commit_callbacks)
    assert [r[0] for r in rows[1:]] == ["102"]
    assert rows[1][-1] == "Occupied"


def test_exported_list_imports_again(client, clerk, unit, django_capture_on_commit_callbacks):
    rows = export(client, clerk, {}, django_capture_on_commit_callbacks)
    unit.delete()
    Job.objects.all().delete()
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("again.xlsx", buffer.getvalue())
    job = run_import(client, clerk, upload, django_capture_on_commit_callbacks)
    assert job.status == "succeeded", job.errors
    assert Unit.objects.get().room_no == "101"
