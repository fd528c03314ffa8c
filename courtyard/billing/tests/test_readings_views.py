"""Pages of meter readings: the entry grid, the list, one reading, import and export."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from courtyard.billing.models import MeterReading
from courtyard.billing.readings.services import shift_month
from courtyard.core.models import Job
from tests.factories import EntranceFactory, UnitFactory, make_user

from .factories import make_bill, make_reading

# Readings are kept only of the meters a charge item bills (water and electricity).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("items")]

THIS_MONTH = timezone.localdate().strftime("%Y-%m")
LAST_MONTH = shift_month(THIS_MONTH, -1)


def url(name, *args):
    return reverse(f"billing:{name}", args=args)


@pytest.fixture
def rooms(unit):
    """Four rooms of one building with three months of ordinary water usage each."""
    units = [unit] + [
        UnitFactory(entrance=unit.entrance, room_no=f"{floor}01", floor=floor)
        for floor in (5, 6, 7)
    ]
    for room in units:
        value = Decimal("100")
        make_reading(room, "water", shift_month(THIS_MONTH, -4), value, value)
        for back in (3, 2, 1):
            make_reading(room, "water", shift_month(THIS_MONTH, -back), value + 10, value)
            value += 10
    return units  # each last read at 130, usual usage 10


def grid_params(unit, meter="water", period=THIS_MONTH):
    return {"building": unit.building_id, "meter_type": meter, "period": period}


# The grid -----------------------------------------------------------------------------------


def test_grid_starts_with_the_picker(client, finance, unit):
    client.force_login(finance)
    content = client.get(url("reading_grid")).content.decode()
    assert "Choose a building, a meter and a month" in content
    assert unit.building.name in content


def test_grid_lists_rooms_with_previous_reading_and_usual_usage(client, finance, rooms):
    client.force_login(finance)
    response = client.get(url("reading_grid"), grid_params(rooms[0]))
    content = response.content.decode()
    assert response.status_code == 200
    for room in rooms:
        assert f'name="r-{room.pk}"' in content
    assert 'data-previous="130.00"' in content and 'data-median="10' in content
    assert "4 rooms: 0 read, 4 to go." in content


def test_grid_reads_a_fixed_number_of_queries(
    client, finance, rooms, django_assert_max_num_queries
):
    client.force_login(finance)
    with django_assert_max_num_queries(22) as few:
        client.get(url("reading_grid"), grid_params(rooms[0]))
    for number in range(20):
        room = UnitFactory(entrance=rooms[0].entrance, room_no=f"9{number:02d}", floor=9)
        make_reading(room, "water", LAST_MONTH, "50", "40")
    with django_assert_max_num_queries(len(few)):
        client.get(url("reading_grid"), grid_params(rooms[0]))


def test_saving_the_grid_saves_every_typed_row_and_flags_unusual_usage(client, finance, rooms):
    client.force_login(finance)
    data = {**grid_params(rooms[0]), "read_on": timezone.localdate().isoformat()}
    data.update({f"r-{rooms[0].pk}": "141", f"r-{rooms[1].pk}": "190", f"r-{rooms[2].pk}": ""})
    response = client.post(url("reading_grid"), data)
    assert response.status_code == 302
    assert response["Location"].startswith(url("reading_grid") + "?building=")
    saved = {r.unit_id: r for r in MeterReading.objects.filter(period=THIS_MONTH)}
    assert set(saved) == {rooms[0].pk, rooms[1].pk}
    assert saved[rooms[0].pk].usage == 11 and not saved[rooms[0].pk].is_flagged
    assert saved[rooms[1].pk].usage == 60 and saved[rooms[1].pk].needs_review
    page = client.get(response["Location"]).content.decode()
    assert "2 readings saved. 1 has unusual usage and waits for review" in page
    assert "Awaits review" in page and "1 awaits review" in page


def test_one_refused_row_saves_nothing_and_keeps_what_was_typed(client, finance, rooms):
    client.force_login(finance)
    data = grid_params(rooms[0])
    data.update({f"r-{rooms[0].pk}": "141", f"r-{rooms[1].pk}": "120", f"r-{rooms[2].pk}": "x"})
    response = client.post(url("reading_grid"), data)
    content = response.content.decode()
    assert response.status_code == 400
    assert not MeterReading.objects.filter(period=THIS_MONTH).exists()
    assert 'value="141"' in content and 'value="120"' in content and 'value="x"' in content
    assert "120.00 is below the previous reading 130.00" in content
    assert "2 rows have errors; nothing was saved." in content


def test_grid_corrects_a_saved_reading_and_leaves_unchanged_ones(client, finance, rooms):
    make_reading(rooms[0], "water", THIS_MONTH, "140", "130")
    make_reading(rooms[1], "water", THIS_MONTH, "141", "130")
    client.force_login(finance)
    data = grid_params(rooms[0])
    data.update({f"r-{rooms[0].pk}": "140.00", f"r-{rooms[1].pk}": "142"})
    client.post(url("reading_grid"), data)
    values = dict(MeterReading.objects.filter(period=THIS_MONTH).values_list("unit_id", "reading"))
    assert values == {rooms[0].pk: Decimal("140"), rooms[1].pk: Decimal("142")}


def test_grid_locks_rooms_read_later_or_billed(client, finance, rooms, items):
    make_reading(rooms[0], "water", THIS_MONTH, "140", "130")
    start = date.fromisoformat(f"{LAST_MONTH}-01")
    make_bill(
        rooms[1],
        items["water"],
        period=LAST_MONTH,
        period_start=start,
        period_end=start + timedelta(days=27),
    )
    client.force_login(finance)
    content = client.get(url("reading_grid"), grid_params(rooms[0], period=LAST_MONTH)).content
    content = content.decode()
    assert f"{THIS_MONTH} already read" in content and "Billed" in content
    data = grid_params(rooms[0], period=LAST_MONTH)
    data[f"r-{rooms[0].pk}"] = "999"  # a locked row is not saved, whatever is sent
    client.post(url("reading_grid"), data)
    assert MeterReading.objects.get(unit=rooms[0], period=LAST_MONTH).reading == Decimal("130")


def test_grid_of_a_building_outside_the_scope_is_refused(client, finance, other_estate):
    foreign = UnitFactory(entrance__building__estate=other_estate)
    client.force_login(finance)
    response = client.get(url("reading_grid"), grid_params(foreign))
    assert response.status_code == 400 and f'name="r-{foreign.pk}"' not in response.content.decode()
    data = {**grid_params(foreign), f"r-{foreign.pk}": "5"}
    assert client.post(url("reading_grid"), data).status_code == 400
    assert not MeterReading.objects.exists()


def test_grid_refuses_a_future_month(client, finance, unit):
    client.force_login(finance)
    params = grid_params(unit, period=shift_month(THIS_MONTH, 1))
    response = client.get(url("reading_grid"), params)
    assert response.status_code == 400 and "has not come yet" in response.content.decode()


def test_grid_of_a_building_scoped_reader_shows_only_their_building(client, unit):
    other = UnitFactory(entrance=EntranceFactory(building__estate=unit.estate))
    reader = make_user("reader", "billing.add_meterreading", buildings=[unit.building])
    client.force_login(reader)
    content = client.get(url("reading_grid")).content.decode()
    assert unit.building.name in content and other.building.name not in content


# List, detail, review ------------------------------------------------------------------------


def test_list_filters_and_has_no_query_per_row(
    client, finance, rooms, other_estate, django_assert_max_num_queries
):
    make_reading(rooms[0], "water", THIS_MONTH, "300", "130", is_flagged=True, flag_reason="x")
    make_reading(rooms[0], "electricity", THIS_MONTH, "10", "0")
    foreign = UnitFactory(entrance__building__estate=other_estate, room_no="8888")
    make_reading(foreign, "water", THIS_MONTH, "1", "0")
    client.force_login(finance)
    with django_assert_max_num_queries(20):
        response = client.get(url("meterreading_list"))
    content = response.content.decode()
    assert "Showing 1–18 of 18" in content and "8888" not in content
    assert "1 reading has unusual usage" in content
    flagged = client.get(url("meterreading_list"), {"review": "needs_review"}).content.decode()
    assert "Showing 1–1 of 1" in flagged
    by_month = client.get(
        url("meterreading_list"), {"period": THIS_MONTH, "meter_type": "water"}
    ).content.decode()
    assert "Showing 1–1 of 1" in by_month
    bad = client.get(url("meterreading_list"), {"period": "November"}).content.decode()
    assert "Write the month like 2026-11." in bad


def test_reading_page_shows_the_flag_and_the_reviewer_accepts(client, finance, unit):
    reading = make_reading(
        unit, "water", THIS_MONTH, "300", "130", is_flagged=True, flag_reason="用量异常"
    )
    client.force_login(finance)
    content = client.get(url("meterreading_detail", reading.pk)).content.decode()
    assert "用量异常" in content and "Accept usage" in content
    response = client.post(url("meterreading_accept", reading.pk), {"note": "业主确认"})
    assert response.status_code == 302
    reading.refresh_from_db()
    assert reading.reviewed_by == finance
    content = client.get(url("meterreading_detail", reading.pk)).content.decode()
    assert "Unusual usage, accepted" in content and "业主确认" in content
    again = client.post(url("meterreading_accept", reading.pk), follow=True).content.decode()
    assert "This reading was accepted already." in again


def test_reader_without_review_permission_sees_no_accept_button(client, unit, estate):
    reading = make_reading(unit, "water", THIS_MONTH, "300", "130", is_flagged=True)
    reader = make_user("reader", "billing.view_meterreading", estates=[estate])
    client.force_login(reader)
    assert "Accept usage" not in client.get(url("meterreading_detail", reading.pk)).content.decode()
    assert client.post(url("meterreading_accept", reading.pk)).status_code == 403


def test_correcting_a_reading(client, finance, unit):
    make_reading(unit, "water", LAST_MONTH, "100", "100")
    reading = make_reading(unit, "water", THIS_MONTH, "150", "100")
    client.force_login(finance)
    page = client.get(url("meterreading_edit", reading.pk)).content.decode()
    assert "Previous reading: 100.00" in page
    below = client.post(
        url("meterreading_edit", reading.pk), {"reading": "90", "read_on": reading.read_on}
    )
    assert below.status_code == 400 and "below the previous reading" in below.content.decode()
    client.post(
        url("meterreading_edit", reading.pk), {"reading": "112", "read_on": reading.read_on}
    )
    reading.refresh_from_db()
    assert reading.usage == 12
    assert client.get(url("meterreading_history", reading.pk)).status_code == 200


def test_deleting_the_latest_reading(client, finance, unit):
    first = make_reading(unit, "water", LAST_MONTH, "100", "100")
    latest = make_reading(unit, "water", THIS_MONTH, "150", "100")
    client.force_login(finance)
    refused = client.post(url("meterreading_delete", first.pk), follow=True).content.decode()
    assert "Only a meter&#x27;s latest reading can be deleted." in refused or (
        "Only a meter's latest reading can be deleted." in refused
    )
    assert client.get(url("meterreading_delete", latest.pk)).status_code == 200
    client.post(url("meterreading_delete", latest.pk))
    assert list(MeterReading.objects.all()) == [first]


# Import and export --------------------------------------------------------------------------


def workbook(rows, header=("项目", "楼栋", "单元", "房号", "表类型", "抄表月份", "读数")):
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("readings.xlsx", buffer.getvalue())


def run_import(client, user, upload, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("meterreading_import"), {"file": upload})
    assert response.status_code == 302
    return Job.objects.get()


def test_import_saves_every_row(client, finance, rooms, django_capture_on_commit_callbacks):
    place = [rooms[0].estate.name, rooms[0].building.name, rooms[0].entrance.name]
    upload = workbook(
        [
            [*place, rooms[0].room_no, "水", THIS_MONTH, 141],
            [*place, rooms[1].room_no, "Water", THIS_MONTH.replace("-", "/"), "190"],
            [*place, rooms[2].room_no, "电表", THIS_MONTH, 55.5],
        ]
    )
    job = run_import(client, finance, upload, django_capture_on_commit_callbacks)
    assert job.status == "succeeded", (job.result, job.errors)
    assert "3 readings saved." in job.result["summary"]
    assert "1 reading is flagged for review." in job.result["summary"]
    assert MeterReading.objects.filter(period=THIS_MONTH).count() == 3


def test_import_with_a_bad_row_saves_nothing_and_lists_every_error(
    client, finance, rooms, django_capture_on_commit_callbacks
):
    place = [rooms[0].estate.name, rooms[0].building.name, rooms[0].entrance.name]
    upload = workbook(
        [
            [*place, rooms[0].room_no, "水", THIS_MONTH, 141],
            [*place, rooms[1].room_no, "水", THIS_MONTH, 120],  # below the previous 130
            [*place, "9999", "水", THIS_MONTH, 1],  # no such room
            [place[0], "无此楼", place[2], "101", "水", THIS_MONTH, 1],  # no such building
            [*place, rooms[2].room_no, "蒸汽", THIS_MONTH, 1],
            [*place, rooms[3].room_no, "水", "", 1],
        ]
    )
    job = run_import(client, finance, upload, django_capture_on_commit_callbacks)
    assert job.status == "failed"
    assert not MeterReading.objects.filter(period=THIS_MONTH).exists()
    errors = {(e["row"], e["column"]) for e in job.errors}
    assert errors == {
        (4, "Room number"),
        (5, "Building"),
        (6, "Meter"),
        (7, "Month"),
    }
    # Finding the rooms failed, so the readings were not checked yet: fix those first.
    upload = workbook(
        [
            [*place, rooms[0].room_no, "水", THIS_MONTH, 141],
            [*place, rooms[1].room_no, "水", THIS_MONTH, 120],
        ]
    )
    Job.objects.all().delete()
    job = run_import(client, finance, upload, django_capture_on_commit_callbacks)
    assert job.status == "failed" and "nothing was imported" in job.result["message"]
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "Reading")]
    assert "below the previous reading 130.00" in job.errors[0]["message"]
    page = client.get(reverse("core:job_detail", args=[job.pk])).content.decode()
    assert "below the previous reading" in page


def test_import_template_and_building_sheet(client, finance, rooms):
    client.force_login(finance)
    blank = client.get(url("meterreading_import"), {"template": "1"})
    header = [c.value for c in next(load_workbook(io.BytesIO(blank.content)).active.rows)]
    assert header[:7] == [
        "Estate",
        "Building",
        "Entrance",
        "Room number",
        "Meter",
        "Month",
        "Reading",
    ]
    sheet = client.get(url("meterreading_import"), {"template": "1", **grid_params(rooms[0])})
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0][-1] == "Previous reading" and len(rows) == 5
    assert rows[1][4:7] == ("Water", THIS_MONTH, None) and rows[1][-1] == 130


def test_building_sheet_can_be_filled_and_imported(
    client, finance, rooms, django_capture_on_commit_callbacks
):
    client.force_login(finance)
    sheet = client.get(url("meterreading_import"), {"template": "1", **grid_params(rooms[0])})
    book = load_workbook(io.BytesIO(sheet.content))
    filled = Workbook()
    target = filled.active
    for index, row in enumerate(book.active.iter_rows(values_only=True)):
        row = list(row)
        if index:
            row[6] = 135
        target.append(row)
    buffer = io.BytesIO()
    filled.save(buffer)
    job = run_import(
        client,
        finance,
        SimpleUploadedFile("r.xlsx", buffer.getvalue()),
        django_capture_on_commit_callbacks,
    )
    assert job.status == "succeeded", job.errors
    assert MeterReading.objects.filter(period=THIS_MONTH, usage=5).count() == 4


def test_export_writes_the_filtered_readings(
    client, finance, rooms, django_capture_on_commit_callbacks
):
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url("meterreading_export"), {"period": LAST_MONTH})
    job = Job.objects.get()
    assert job.status == "succeeded", job.result
    rows = list(load_workbook(job.output_file.open("rb")).active.iter_rows(values_only=True))
    assert rows[0][:6] == ("Month", "Estate", "Building", "Entrance", "Room number", "Meter")
    assert len(rows) == 5 and {row[0] for row in rows[1:]} == {LAST_MONTH}


def test_reader_who_may_not_correct_sees_saved_rows_locked(client, rooms, estate):
    make_reading(rooms[0], "water", THIS_MONTH, "140", "130")
    reader = make_user("reader", "billing.add_meterreading", estates=[estate])
    client.force_login(reader)
    content = client.get(url("reading_grid"), grid_params(rooms[0])).content.decode()
    row = content[content.index(f'name="r-{rooms[0].pk}"') :].split("</tr>")[0]
    assert "readonly" in row and "Saved" in row and "no_change" not in row
    assert "Saved readings are locked for you" in content
