"""The spreadsheet importer: header mapping, typed cells, per-row errors, all or nothing, the
error report, progress and the audit source, on a small importer of entrances."""

import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy
from openpyxl import Workbook, load_workbook

from courtyard.core import excel, importing
from courtyard.core.generic import ObjectImportView
from courtyard.core.importing import (
    Choice,
    Date,
    Email,
    Importer,
    Integer,
    Month,
    Number,
    Reference,
    Text,
)
from courtyard.core.jobs import start_job
from courtyard.core.models import Job
from courtyard.estates import services
from courtyard.estates.choices import UnitUse
from courtyard.estates.models import Building, Entrance, Estate
from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, make_user

pytestmark = pytest.mark.django_db


class EntranceImporter(Importer):
    kind = "test.import_entrances"
    model = Entrance
    title = "entrances"
    fallback_column = "name"
    columns = (
        Reference("estate", gettext_lazy("Estate"), model=Estate, aliases=("小区",)),
        Reference("building", gettext_lazy("Building"), model=Building, within="estate"),
        Text("name", gettext_lazy("Entrance"), example="1单元"),
        Text("note", gettext_lazy("Note"), required=False),
    )

    def save_row(self, values):
        services.create_entrance(self.user, building=values["building"], name=values["name"])


HEADER = ["Estate", "Building", "Entrance"]


@pytest.fixture
def building(db):
    return BuildingFactory(estate=EstateFactory(name="翠湖花园"), name="1栋")


@pytest.fixture
def clerk(building):
    perms = ("estates.add_entrance", "estates.view_entrance")
    return make_user("clerk", *perms, estates=[building.estate])


def workbook(rows, header=HEADER):
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("entrances.xlsx", buffer.getvalue())


def run(capture, user, rows, header=HEADER, language="en"):
    with translation.override(language), capture(execute=True):
        job = start_job(user, EntranceImporter.kind, input_file=workbook(rows, header))
    job.refresh_from_db()
    return job


def errors_of(job):
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


# The file as a whole --------------------------------------------------------------------------


def test_rows_are_saved_with_headers_in_either_language_and_others_ignored(
    clerk, building, django_capture_on_commit_callbacks
):
    rows = [["翠湖花园", "1栋", "1单元", "ignored"], ["翠湖花园", "1栋", "2单元", None]]
    header = ["小区", "楼栋", "单元", "Previous note"]  # an alias, Chinese labels, an unknown one
    job = run(django_capture_on_commit_callbacks, clerk, rows, header)
    assert job.status == "succeeded", (job.result, job.errors)
    assert job.result["summary"] == "2 rows imported."
    assert sorted(building.entrances.values_list("name", flat=True)) == ["1单元", "2单元"]


def test_a_missing_required_header_fails_the_file_by_name(
    clerk, django_capture_on_commit_callbacks
):
    job = run(django_capture_on_commit_callbacks, clerk, [["翠湖花园", "1栋"]], HEADER[:2])
    assert job.status == "failed" and job.errors == [] and not job.output_file
    assert "“Entrance”" in job.result["message"] and "missing" in job.result["message"]


def test_a_file_without_rows_or_permission_fails_with_the_reason(
    clerk, django_capture_on_commit_callbacks
):
    job = run(django_capture_on_commit_callbacks, clerk, [])
    assert job.result["message"] == "The file has no rows to import."
    Job.objects.all().delete()
    viewer = make_user("viewer", "estates.view_entrance")
    job = run(django_capture_on_commit_callbacks, viewer, [["翠湖花园", "1栋", "1单元"]])
    assert job.result["message"] == "No permission."


# Rows ----------------------------------------------------------------------------------------


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_saved(
    clerk, building, django_capture_on_commit_callbacks
):
    EstateFactory(name="滨江苑")  # outside the clerk's scope
    rows = [
        ["翠湖花园", "1栋", "1单元"],
        ["滨江苑", "1栋", "1单元"],
        ["翠湖花园", "9栋", "1单元"],
        ["翠湖花园", "1栋", None],
    ]
    job = run(django_capture_on_commit_callbacks, clerk, rows)
    assert job.status == "failed" and not Entrance.objects.exists()
    assert job.result["message"] == "3 rows have errors; nothing was imported."
    assert errors_of(job) == [
        (3, "Estate", "No estate named “滨江苑” in your data scope."),
        (4, "Building", "No building named “9栋” in 翠湖花园."),
        (5, "Entrance", "This field is required."),
    ]


def test_row_errors_are_in_the_language_of_who_started_the_import(
    clerk, django_capture_on_commit_callbacks
):
    job = run(
        django_capture_on_commit_callbacks, clerk, [["翠湖花园", "1栋", ""]], language="zh-hans"
    )
    with translation.override("zh-hans"):
        expected = (2, gettext("Entrance"), gettext("This field is required."))
    assert errors_of(job) == [expected] and expected[1:] == ("单元", "此项为必填项。")


def test_a_services_refusal_is_the_rows_error_and_rolls_every_row_back(
    clerk, building, django_capture_on_commit_callbacks
):
    EntranceFactory(building=building, name="1单元")
    rows = [
        ["翠湖花园", "1栋", "2单元"],
        ["翠湖花园", "1栋", "1单元"],
        ["翠湖花园", "1栋", "2单元"],
    ]
    job = run(django_capture_on_commit_callbacks, clerk, rows)
    assert job.status == "failed"
    message = "This entrance already exists in the building."
    # Row 4 names the entrance row 2 added: refused in the same transaction, then undone.
    assert errors_of(job) == [(3, "Entrance", message), (4, "Entrance", message)]
    assert list(building.entrances.values_list("name", flat=True)) == ["1单元"]


def test_the_error_report_is_the_uploaded_rows_with_an_error_column(
    client, clerk, building, django_capture_on_commit_callbacks
):
    rows = [["翠湖花园", "1栋", "1单元", 12], [None] * 4, ["翠湖花园", "9栋", "2单元", 3.5]]
    job = run(django_capture_on_commit_callbacks, clerk, rows, [*HEADER, "Extra"])
    client.force_login(clerk)
    page = client.get(reverse("core:job_detail", args=[job.pk])).content.decode()
    download = reverse("core:job_download", args=[job.pk])
    assert download in page and "Download the rows with their errors" in page
    content = b"".join(client.get(download).streaming_content)
    report = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert report[0] == ("Estate", "Building", "Entrance", "Extra", "Errors")
    assert report[1][:4] == ("翠湖花园", "1栋", "1单元", 12) and not report[1][4]
    assert report[2][:4] == ("翠湖花园", "9栋", "2单元", 3.5)
    assert report[2][4] == "Building: No building named “9栋” in 翠湖花园."
    assert len(report) == 3  # the blank row is left out, as it was when reading


def test_the_report_reads_back_as_the_same_rows(clerk, django_capture_on_commit_callbacks):
    job = run(django_capture_on_commit_callbacks, clerk, [["翠湖花园", "-1栋", "+1单元"]])
    parsed = excel.read_sheet(job.output_file.open("rb"), EntranceImporter.columns)
    assert parsed.rows == [
        (2, {"estate": "翠湖花园", "building": "-1栋", "name": "+1单元", "note": ""})
    ]


# The job -------------------------------------------------------------------------------------


def test_progress_is_reported_while_checking_and_complete_at_the_end(
    clerk, monkeypatch, django_capture_on_commit_callbacks
):
    reported = []
    real = importing.progress
    monkeypatch.setattr(importing, "CHUNK", 2)
    monkeypatch.setattr(
        importing, "progress", lambda job, *args: (reported.append(args), real(job, *args))
    )
    rows = [["翠湖花园", "1栋", f"{n}单元"] for n in range(1, 6)]
    job = run(django_capture_on_commit_callbacks, clerk, rows)
    assert job.status == "succeeded"
    assert reported == [(0, 10), (2,), (4,), (5,), (10,)]
    assert (job.done, job.total, job.percent) == (10, 10, 100)


def test_imported_records_are_audited_as_an_import_by_who_started_it(
    clerk, django_capture_on_commit_callbacks
):
    run(django_capture_on_commit_callbacks, clerk, [["翠湖花园", "1栋", "1单元"]])
    entry = LogEntry.objects.get_for_model(Entrance).get()
    assert entry.actor == clerk and entry.additional_data["source"] == "import"


def test_references_take_one_query_per_column_whatever_the_files_length(clerk, building):
    importer = EntranceImporter(SimpleNamespace(user=clerk))
    importer.scoped(Estate)  # the user's scope is read once

    def queries(count):
        records = [(n, {"estate": "翠湖花园", "building": f"{n}栋"}) for n in range(count)]
        with CaptureQueriesContext(connection) as captured:
            importer.find_references(records)
        return len(captured)

    assert queries(3) == queries(150) == 2
    found = importer.found["building"]
    assert found[(building.estate_id, "1栋")] == building


def test_an_import_view_takes_its_job_columns_and_title_from_the_importer():
    class EntranceImportView(ObjectImportView):
        queryset = Entrance.objects.all()
        importer = EntranceImporter

    view = EntranceImportView
    assert (view.job_kind, view.columns, view.template_title) == (
        "test.import_entrances",
        EntranceImporter.columns,
        "entrances",
    )


# Cells ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column,text,value",
    [
        (Integer("n", "N"), "-2", -2),
        (Number("n", "N"), "89.50", Decimal("89.50")),
        (Date("d", "D"), "2024/5/1", datetime.date(2024, 5, 1)),
        (Date("d", "D"), "2024-05-01 00:00:00", datetime.date(2024, 5, 1)),  # a date cell
        (Month("m", "M"), "2026年3月", "2026-03"),
        (Month("m", "M"), "2026/11", "2026-11"),
        (Email("e", "E"), "a@example.com", "a@example.com"),
        (Choice("u", "U", choices=UnitUse), "shop", UnitUse.SHOP),
        (Choice("u", "U", choices=UnitUse), "Shop", UnitUse.SHOP),
        (Choice("u", "U", choices=UnitUse), "商铺", UnitUse.SHOP),  # the Chinese label
        (Choice("u", "U", choices=UnitUse, words={"商业": UnitUse.SHOP}), "商业", UnitUse.SHOP),
    ],
)
def test_cells_are_parsed_into_typed_values(column, text, value):
    assert column.parse(text) == value


@pytest.mark.parametrize(
    "column,text,message",
    [
        (Integer("n", "N"), "1.5", "Enter a whole number."),
        (Number("n", "N", example="89.50"), "abc", "Enter a number, e.g. 89.50."),
        (Number("n", "N"), "NaN", "Enter a number."),
        (Date("d", "D"), "2024-02-30", "Enter a date such as 2024-05-01."),
        (Month("m", "M"), "2026-13", "Write the month like 2026-11."),
        (Email("e", "E"), "a@", "Enter a valid email address."),
        (Choice("u", "U", choices=UnitUse), "castle", "“castle” is not one of: Residential"),
    ],
)
def test_a_cell_that_is_not_its_type_says_what_to_write(column, text, message):
    with pytest.raises(ValidationError) as error:
        column.parse(text)
    assert error.value.messages[0].startswith(message)
