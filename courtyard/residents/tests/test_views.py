"""The residents pages: lists (masking, search, filters, query counts), the new-resident form,
edits, archive, import and export."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from courtyard.core.models import Job
from courtyard.residents.models import Occupancy, Registration, Resident
from tests.factories import UnitFactory, make_user

from .conftest import id_number
from .helpers import resident_in

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


def test_list_masks_phones_and_ids_unless_permitted(client, clerk, admin, unit):
    owner = resident_in(unit, phone="13912345678")
    client.force_login(clerk)
    page = client.get(reverse("residents:resident_list")).content.decode()
    assert owner.name in page and "139****5678" in page and "13912345678" not in page
    assert owner.id_number_masked not in page and owner.id_number_masked[-4:] in page
    client.force_login(admin)
    page = client.get(reverse("residents:resident_list")).content.decode()
    assert "13912345678" in page and owner.id_number_masked in page


def test_list_search_and_filters(client, clerk, unit, unit2):
    zhang = resident_in(unit, name="张伟", phone="13911110001")
    wang = resident_in(unit2, name="王芳", role="tenant", phone="13922220002")
    member = resident_in(unit2, name="王小明", role="member", phone="13933330003")
    client.force_login(clerk)

    def names(**query):
        response = client.get(reverse("residents:resident_list"), query)
        assert response.status_code == 200
        page = response.content.decode()
        return {p.name for p in (zhang, wang, member) if p.get_absolute_url() in page}

    assert names(q="王") == {"王芳", "王小明"}
    assert names(q="0002") == {"王芳"}
    assert names(q="13911110001") == {"张伟"}
    assert names(q=zhang.id_number_masked[-4:]) == {"张伟"}
    assert names(room="102") == {"王芳", "王小明"}
    assert names(role="tenant") == {"王芳"}
    assert names(building=unit.building_id) == {"张伟", "王芳", "王小明"}
    assert names(arrears="yes") == set()


def test_list_query_count_does_not_grow_with_rows(
    client, clerk, unit, entrance, django_assert_max_num_queries
):
    for n in range(30):
        resident_in(UnitFactory(entrance=entrance, room_no=f"2{n:02d}"), name=f"住户{n}")
    client.force_login(clerk)
    client.get(reverse("residents:resident_list"))
    # The shell (session, user, permissions, scope, badges, estate filter) takes about 13;
    # the list adds its count, its page and one query for every row's units.
    with django_assert_max_num_queries(17):
        response = client.get(reverse("residents:resident_list"), {"per_page": 25})
    assert response.status_code == 200 and "住户29" in response.content.decode()
    with django_assert_max_num_queries(17):
        client.get(reverse("residents:registration_list"))
    with django_assert_max_num_queries(17):
        client.get(reverse("residents:resident_history_list"))


def test_detail_page_lists_units_household_and_vehicles(
    client, clerk, unit, django_assert_max_num_queries
):
    owner = resident_in(unit)
    member = resident_in(unit, name="陈小静", role="member")
    client.force_login(clerk)
    with django_assert_max_num_queries(25):
        page = client.get(owner.get_absolute_url()).content.decode()
    assert unit.room_no in page and member.name in page
    history = client.get(reverse("residents:resident_history", args=[owner.pk]))
    assert history.status_code == 200


def test_unit_picker_marks_occupied_rooms_without_a_query_per_room(client, clerk, unit):
    # Issue 19: the clerk found out the room was taken only after submitting.
    resident_in(unit)
    resident_in(unit, name="陈小静", role="member")
    empty = UnitFactory(entrance=unit.entrance, room_no="1999")
    client.force_login(clerk)
    query = {
        "estate": unit.estate_id,
        "building": unit.building_id,
        "entrance": unit.entrance_id,
        "prev_estate": unit.estate_id,
        "prev_building": unit.building_id,
        "prev_entrance": unit.entrance_id,
    }
    picker = reverse("residents:unit_picker")
    html = client.get(picker, query).content.decode()
    assert f'<option value="{unit.pk}">{unit.room_no} — 2 people live here</option>' in html
    assert f'<option value="{empty.pk}">1999</option>' in html
    with CaptureQueriesContext(connection) as before:
        client.get(picker, query)
    for room in range(3):
        resident_in(UnitFactory(entrance=unit.entrance, room_no=f"20{room}"))
    with CaptureQueriesContext(connection) as after:
        client.get(picker, query)
    assert len(after) == len(before)


def test_new_resident_form_with_a_member_and_a_document(client, clerk, unit):
    client.force_login(clerk)
    assert client.get(reverse("residents:resident_add")).status_code == 200
    picker = client.get(
        reverse("residents:unit_picker"),
        {
            "estate": unit.estate_id,
            "building": unit.building_id,
            "entrance": unit.entrance_id,
            "prev_estate": unit.estate_id,
            "prev_building": unit.building_id,
            "prev_entrance": "",
        },
    )
    # The room select offers the entrance's rooms (matching the option, not any value="…":
    # ids of different tables coincide on a fresh SQLite database).
    assert f'<option value="{unit.pk}">{unit.room_no}</option>' in picker.content.decode()
    data = {
        "estate": unit.estate_id,
        "building": unit.building_id,
        "entrance": unit.entrance_id,
        "unit": unit.pk,
        "role": "owner",
        "name": "赵磊",
        "kind": "individual",
        "id_number": id_number(41),
        "phone": "13611112222",
        "move_in": "2026-03-01",
        "members-TOTAL_FORMS": "2",
        "members-INITIAL_FORMS": "0",
        "members-0-name": "孙丽",
        "members-0-relation": "配偶",
        "members-0-id_number": id_number(42),
        "members-1-name": "",
        "deeds": SimpleUploadedFile("deed.pdf", PDF, content_type="application/pdf"),
    }
    response = client.post(reverse("residents:resident_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    owner = Resident.objects.get(name="赵磊")
    assert owner.status == "current"
    assert Occupancy.objects.filter(unit=unit, status="current").count() == 2


def test_new_resident_form_keeps_input_and_names_the_errors(client, clerk, unit):
    resident_in(unit)
    client.force_login(clerk)
    data = {
        "unit": unit.pk,
        "role": "owner",
        "name": "赵磊",
        "kind": "individual",
        "id_number": "110101199001011234",
        "phone": "1234",
        "move_in": "2026-03-01",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-0-name": "孙丽",
        "members-0-id_number": "123",
    }
    response = client.post(reverse("residents:resident_add"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "check digit" in page and "valid mobile number" in page
    assert "already has an owner" in page and "孙丽" in page
    assert not Registration.objects.exists()


def test_contact_edit_and_core_edit_refused_without_confirmation(client, clerk, admin, unit):
    owner = resident_in(unit)
    client.force_login(clerk)
    response = client.post(
        reverse("residents:resident_edit", args=[owner.pk]),
        {"phone": "13700001234", "email": "", "emergency_contact": "", "emergency_phone": ""},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.phone == "13700001234"
    client.force_login(admin)
    url = reverse("residents:resident_core", args=[owner.pk])
    response = client.post(url, {"name": "陈静怡", "kind": "individual"})
    assert response.status_code == 400
    assert "confirmation" in response.content.decode()
    owner.refresh_from_db()
    assert owner.name == "陈静"
    upload = SimpleUploadedFile("ok.pdf", PDF, content_type="application/pdf")
    response = client.post(
        url,
        {
            "name": "陈静怡",
            "kind": "individual",
            "confirmation_note": "业主签字",
            "confirmation_file": upload,
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.name == "陈静怡"


def test_archive_page_refuses_while_living_there_then_archives(client, clerk, unit):
    owner = resident_in(unit)
    client.force_login(clerk)
    url = reverse("residents:resident_delete", args=[owner.pk])
    assert "still lives in" in client.get(url).content.decode()
    response = client.post(url, {"reason": ""})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.archived_at is None
    occupancy = owner.occupancies.get()
    client.post(
        reverse("residents:occupancy_move_out", args=[occupancy.pk]), {"move_out": "2026-05-01"}
    )
    client.post(url, {"reason": "已售"})
    owner.refresh_from_db()
    assert owner.status == "archived"
    history = client.get(reverse("residents:resident_history_list"), {"q": owner.name})
    assert owner.get_absolute_url() in history.content.decode()
    listing = client.get(reverse("residents:resident_list"))
    assert owner.get_absolute_url() not in listing.content.decode()


def test_vehicles_and_members_from_the_detail_page(client, clerk, unit):
    owner = resident_in(unit)
    client.force_login(clerk)
    client.post(
        reverse("residents:vehicle_add", args=[owner.pk]), {"plate": "沪A12345", "kind": "car"}
    )
    assert owner.vehicles.get().plate == "沪A12345"
    client.post(
        reverse("residents:member_add", args=[owner.pk]),
        {"unit": unit.pk, "name": "陈小静", "relation": "女儿"},
    )
    assert Occupancy.objects.filter(unit=unit, role="member", status="current").exists()


def workbook(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["项目", "楼栋", "单元", "房号", "姓名", "身份", "身份证号", "手机号", "关系"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("residents.xlsx", buffer.getvalue())


def run_import(client, user, upload, capture):
    client.force_login(user)
    with capture(execute=True):
        response = client.post(reverse("residents:resident_import"), {"file": upload})
    assert response.status_code == 302
    return Job.objects.get()


def test_import_all_or_nothing_with_row_errors(
    client, clerk, unit, unit2, django_capture_on_commit_callbacks
):
    place = [unit.estate.name, unit.building.name, unit.entrance.name]
    rows = [
        [*place, "101", "张伟", "业主", id_number(51), "13911112222", ""],
        [*place, "101", "李娜", "同住人", id_number(52), "", "配偶"],
        [*place, "101", "王五", "业主", id_number(53), "13911113333", ""],  # second owner
        [*place, "999", "赵六", "业主", id_number(54), "13911114444", ""],  # unknown unit
        [*place, "102", "钱七", "租户", "110101199001011234", "12345", ""],  # bad ID, phone
        [*place, "102", "李娜", "同住人", id_number(52), "", ""],
        [*place, "102", "李娜", "同住人", id_number(52), "", ""],  # twice in a unit
    ]
    job = run_import(client, clerk, workbook(rows), django_capture_on_commit_callbacks)
    assert job.status == "failed"
    by_row = {(e["row"], e["column"]) for e in job.errors}
    assert (4, "Role") in by_row
    assert (5, "Room number") in by_row
    assert (6, "ID number") in by_row and (6, "Mobile number") in by_row
    assert (8, "ID number") in by_row
    assert not Resident.objects.exists()
    page = client.get(reverse("core:job_detail", args=[job.pk])).content.decode()
    assert "nothing was imported" in page


def test_import_valid_file(client, clerk, unit, unit2, django_capture_on_commit_callbacks):
    place = [unit.estate.name, unit.building.name, unit.entrance.name]
    rows = [
        [*place, "101", "张伟", "业主", id_number(51), "13911112222", ""],
        [*place, "101", "李娜", "同住人", id_number(52), "", "配偶"],
        [*place, "102", "张伟", "租户", id_number(51), "13911112222", ""],
    ]
    job = run_import(client, clerk, workbook(rows), django_capture_on_commit_callbacks)
    assert job.status == "succeeded", job.errors
    assert Resident.objects.count() == 2
    unit2.refresh_from_db()
    assert unit2.status == "rented"
    template = client.get(reverse("residents:resident_import"), {"template": 1})
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")


def test_export_keeps_filters_and_masks(
    client, clerk, unit, unit2, django_capture_on_commit_callbacks
):
    resident_in(unit, name="张伟", phone="13911112222")
    resident_in(unit2, name="王芳", phone="13922223333")
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("residents:resident_export"), {"q": "张"})
    job = Job.objects.get()
    assert job.status == "succeeded", job.result
    sheet = load_workbook(job.output_file.open("rb")).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "张伟" and rows[1][1] == "139****2222"


def test_registration_pages(client, clerk, unit):
    from courtyard.residents import services

    from .conftest import person

    make_user("someone")
    registration = services.submit_registration(
        clerk, unit=unit, main=person(), move_in="2026-01-01"
    )
    client.force_login(clerk)
    assert client.get(registration.get_absolute_url()).status_code == 200
    assert client.get(reverse("residents:registration_list")).status_code == 200
