"""Resident repairs in the portal: report with photos, follow, confirm or reject, rate, cancel;
only my own units and my own orders."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courtyard.core.files import attachments_of
from courtyard.repairs import services
from courtyard.repairs.choices import WorkOrderStatus
from courtyard.repairs.models import RepairCategory, WorkOrder
from tests.factories import UnitFactory, make_user

from .conftest import move_in, resident_account

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PAGES = ["portal:repairs", "portal:repair_new"]


def photo(name="leak.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.fixture
def water(db):
    return RepairCategory.objects.get_or_create(
        code="water_electric", defaults={"name": "水电", "sort_order": 1}
    )[0]


@pytest.fixture
def office(unit):
    """A supervisor who accepts and dispatches, and a technician in the unit's estate."""
    boss = make_user(
        "boss",
        "repairs.view_workorder",
        "repairs.accept_workorder",
        "repairs.dispatch_workorder",
        "repairs.close_workorder",
        "repairs.cancel_workorder",
        estates=[unit.estate],
    )
    tech = make_user(
        "tech",
        "repairs.view_workorder",
        "repairs.complete_workorder",
        "repairs.followup_workorder",
        estates=[unit.estate],
        full_name="张师傅",
    )
    return boss, tech


def report(resident, unit, water, **extra):
    return services.submit_from_portal(
        resident, unit=unit, category=water, description="厨房水龙头漏水", urgency="normal", **extra
    )


def to_completed(order, office):
    boss, tech = office
    services.dispatch(boss, order, assignee=tech, note="请30分钟内联系业主")
    services.start(tech, order)
    services.complete(tech, order, work_done="换了阀芯", cost=Decimal("0"))
    return order


@pytest.mark.parametrize("name", PAGES)
def test_repair_pages_are_for_residents(client, staff, name):
    url = reverse(name)
    assert client.get(url).status_code == 302  # to the portal sign-in
    client.force_login(staff)
    assert client.get(url).status_code == 403


def test_tab_bar_and_home_lead_to_repairs(client, resident):
    client.force_login(resident)
    text = client.get(reverse("portal:home")).content.decode()
    assert 'data-testid="tab-repairs"' in text and reverse("portal:repair_new") in text


def test_the_form_offers_my_units_and_photos_from_the_camera(client, resident, unit, water):
    client.force_login(resident)
    text = client.get(reverse("portal:repair_new")).content.decode()
    assert "翠湖天地 1栋 1201" in text and "水电" in text
    assert 'accept="image/*"' in text and "multiple" in text and "capture=" in text


def test_a_resident_reports_a_repair_with_photos(client, resident, unit, water):
    client.force_login(resident)
    data = {
        "unit": unit.pk,
        "category": water.pk,
        "description": "厨房水龙头漏水",
        "urgency": "urgent",
        "preferred_time": "工作日晚上",
        "photos": [photo("a.png"), photo("b.png")],
    }
    response = client.post(reverse("portal:repair_new"), data)
    order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:repair_detail", args=[order.pk])
    assert order.source == "portal" and order.urgency == "urgent" and order.unit == unit
    assert order.preferred_time == "工作日晚上" and order.resident.user == resident
    assert attachments_of(order).filter(purpose="report").count() == 2
    text = client.get(response["Location"]).content.decode()
    assert order.number in text and "Submitted" in text and "厨房水龙头漏水" in text
    assert text.count("<img ") == 2
    first_photo = attachments_of(order).first()
    download = client.get(reverse("core:attachment", args=[first_photo.pk]))
    assert download.status_code == 200  # a resident may open the photos of their own order


def test_a_photo_that_is_not_an_image_is_refused(client, resident, unit, water):
    client.force_login(resident)
    data = {
        "unit": unit.pk,
        "category": water.pk,
        "description": "漏水",
        "urgency": "normal",
        "photos": [photo("virus.png", b"MZ not an image")],
    }
    response = client.post(reverse("portal:repair_new"), data)
    assert response.status_code == 400
    assert "not a valid file" in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_at_most_nine_photos(client, resident, unit, water):
    client.force_login(resident)
    data = {
        "unit": unit.pk,
        "category": water.pk,
        "description": "漏水",
        "urgency": "normal",
        "photos": [photo(f"{i}.png") for i in range(10)],
    }
    response = client.post(reverse("portal:repair_new"), data)
    assert response.status_code == 400 and not WorkOrder.objects.exists()


def test_a_resident_cannot_report_for_a_unit_that_is_not_theirs(client, resident, water):
    client.force_login(resident)
    other = UnitFactory(room_no="909")
    data = {"unit": other.pk, "category": water.pk, "description": "漏水", "urgency": "normal"}
    response = client.post(reverse("portal:repair_new"), data)
    assert response.status_code == 400 and not WorkOrder.objects.exists()


def test_my_list_is_newest_first_with_status_badges(
    client, resident, unit, water, django_assert_max_num_queries
):
    first = report(resident, unit, water)
    second = report(resident, unit, water)
    services.cancel(resident, first, reason="自己修好了")
    client.force_login(resident)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("portal:repairs"))
    orders = response.context["orders"]
    assert [o.pk for o in orders] == [second.pk, first.pk]
    text = response.content.decode()
    assert "Cancelled" in text and "Submitted" in text


def test_someone_elses_order_is_not_found(client, resident, unit, water):
    neighbour = resident_account("13966667777", "邻居")
    move_in(unit, "邻居", "13966667777", "tenant", user=neighbour)
    order = report(neighbour, unit, water)
    client.force_login(resident)
    assert client.get(reverse("portal:repair_detail", args=[order.pk])).status_code == 404
    response = client.post(reverse("portal:repair_cancel", args=[order.pk]), {"reason": "x"})
    assert response.status_code == 404
    assert order.pk not in [o.pk for o in client.get(reverse("portal:repairs")).context["orders"]]


def test_cancel_before_dispatch_only(client, resident, unit, water, office):
    order = report(resident, unit, water)
    client.force_login(resident)
    detail = reverse("portal:repair_detail", args=[order.pk])
    assert 'data-testid="repair-cancel"' in client.get(detail).content.decode()
    response = client.post(reverse("portal:repair_cancel", args=[order.pk]), {"reason": ""})
    assert response.status_code == 400
    response = client.post(reverse("portal:repair_cancel", args=[order.pk]), {"reason": "不用了"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.CANCELLED and order.cancel_reason == "不用了"

    dispatched = report(resident, unit, water)
    services.dispatch(office[0], dispatched, assignee=office[1])
    assert (
        'data-testid="repair-cancel"'
        not in client.get(reverse("portal:repair_detail", args=[dispatched.pk])).content.decode()
    )
    response = client.post(
        reverse("portal:repair_cancel", args=[dispatched.pk]), {"reason": "不用了"}, follow=True
    )
    assert "call the office to cancel" in response.content.decode()
    dispatched.refresh_from_db()
    assert dispatched.status == WorkOrderStatus.DISPATCHED


def test_detail_shows_the_technician_timeline_and_completion(
    client, resident, unit, water, office, django_assert_max_num_queries
):
    order = to_completed(report(resident, unit, water), office)
    client.force_login(resident)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("portal:repair_detail", args=[order.pk]))
    text = response.content.decode()
    assert "张师傅" in text and "换了阀芯" in text and "Completed" in text
    assert 'data-testid="repair-confirm"' in text and 'data-testid="repair-reject"' in text
    assert 'data-testid="repair-rate"' not in text  # rated after confirming
    assert len(response.context["events"]) >= 4


def test_reject_needs_a_reason_and_sends_the_order_back(client, resident, unit, water, office):
    order = to_completed(report(resident, unit, water), office)
    client.force_login(resident)
    url = reverse("portal:repair_reject", args=[order.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and response.context["open_form"] == "reject_form"
    assert client.post(url, {"reason": "还在漏"}).status_code == 302
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.DISPATCHED and order.reopen_count == 1
    # Rejecting again (no longer completed) is refused with a message, nothing changes.
    response = client.post(url, {"reason": "还在漏"}, follow=True)
    order.refresh_from_db()
    assert order.reopen_count == 1
    assert response.redirect_chain and "alert" in response.content.decode()


def test_confirm_then_rate_once(client, resident, unit, water, office):
    order = to_completed(report(resident, unit, water), office)
    client.force_login(resident)
    assert client.post(reverse("portal:repair_confirm", args=[order.pk])).status_code == 302
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.CLOSED
    rate = reverse("portal:repair_rate", args=[order.pk])
    response = client.post(rate, {"stars": "9"})
    assert response.status_code == 400
    assert client.post(rate, {"stars": "5", "comment": "师傅很专业"}).status_code == 302
    order.refresh_from_db()
    assert order.rating == 5 and order.rating_comment == "师傅很专业"
    text = client.get(reverse("portal:repair_detail", args=[order.pk])).content.decode()
    assert 'data-testid="repair-rating"' in text and 'data-testid="repair-rate"' not in text
    client.post(rate, {"stars": "1"})
    order.refresh_from_db()
    assert order.rating == 5


def test_rating_an_open_order_is_refused(client, resident, unit, water):
    order = report(resident, unit, water)
    client.force_login(resident)
    client.post(reverse("portal:repair_rate", args=[order.pk]), {"stars": "4"})
    order.refresh_from_db()
    assert order.rating is None
