"""Staff pages of repairs: each page and action with and without the permission, out of the
data scope, in a state that refuses it (409 shown as a message), and query counts."""

import base64
import itertools

import pytest
from django.urls import reverse

from courtyard.core.models import Job
from courtyard.repairs import services
from courtyard.repairs.models import FollowUp, RepairCategory, WorkOrder
from tests.factories import BuildingFactory, UnitFactory, make_user
from tests.permission_matrix import ModelPermissionMatrix

from .conftest import CLERK_PERMS, TECH_PERMS, photo, png_bytes

SIGNATURE = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
_makers = itertools.count()


def url(name, order=None):
    return reverse(f"repairs:{name}", args=[order.pk] if order else [])


def order_in(unit, category, user, **fields):
    fields.setdefault("description", "楼道灯不亮")
    fields.setdefault("urgency", "normal")
    fields.setdefault("source", "phone")
    return services.create_work_order(user, category=category, unit=unit, **fields)


@pytest.fixture
def dispatched(new_order, clerk, tech):
    return services.dispatch(clerk, new_order, assignee=tech, note="请30分钟内联系业主")


@pytest.fixture
def in_progress(dispatched, tech):
    return services.start(tech, dispatched)


@pytest.fixture
def foreign_order(other_unit, water):
    maker = make_user("maker", "repairs.add_workorder")
    return order_in(other_unit, water, maker)


class TestWorkOrderPermissions(ModelPermissionMatrix):
    model = WorkOrder
    url_names = {
        "list": "repairs:workorder_list",
        "detail": "repairs:workorder_detail",
        "history": "repairs:workorder_history",
        "add": "repairs:workorder_add",
        "export": "repairs:workorder_export",
    }

    def make_object(self, estate):
        category, _created = RepairCategory.objects.get_or_create(
            code="water_electric", defaults={"name": "水电"}
        )
        maker = make_user(f"maker{next(_makers)}", "repairs.add_workorder")
        unit = UnitFactory(entrance__building__estate=estate)
        return order_in(unit, category, maker)


# The pending list -------------------------------------------------------------------------


def test_pending_list_shows_new_requests_most_urgent_first(client, clerk, unit, water):
    normal = order_in(unit, water, clerk, description="门铃坏了")
    emergency = order_in(unit, water, clerk, description="水管爆裂", urgency="emergency")
    services.accept(clerk, order_in(unit, water, clerk, description="已受理的"))
    client.force_login(clerk)
    response = client.get(url("pending"))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.index(emergency.number) < content.index(normal.number)
    assert "已受理的" not in content
    assert url("workorder_accept", normal) in content
    assert url("workorder_dispatch", normal) in content


def test_pending_list_needs_the_view_permission(client, unit):
    client.force_login(make_user("nobody", "accounts.view_department"))
    assert client.get(url("pending")).status_code == 403


def test_pending_list_has_no_query_per_row(
    client, clerk, unit, water, django_assert_max_num_queries
):
    for i in range(12):
        order_in(unit, water, clerk, description=f"报修{i}", photos=[photo()])
    client.force_login(clerk)
    # The filter sidebar's choices (estates, categories, technicians) and the user's last
    # look (read, then written) are a fixed number of queries on top of the page's.
    with django_assert_max_num_queries(24):
        response = client.get(url("pending"))
    assert response.content.decode().count('class="wo-thumb"') == 12


# The work order list ----------------------------------------------------------------------


def test_list_tabs_filter_by_state(client, clerk, unit, water, new_order):
    accepted = services.accept(clerk, order_in(unit, water, clerk, description="门禁失灵"))
    client.force_login(clerk)
    content = client.get(url("workorder_list"), {"tab": "accepted"}).content.decode()
    assert accepted.number in content and new_order.number not in content
    content = client.get(url("workorder_list"), {"tab": "pending"}).content.decode()
    assert new_order.number in content and accepted.number not in content


def test_list_flags_and_filters_overdue_orders(client, clerk, unit, water, new_order):
    late = order_in(unit, water, clerk, description="电梯异响")
    WorkOrder.objects.filter(pk=late.pk).update(response_due="2020-01-01T00:00:00Z")
    client.force_login(clerk)
    content = client.get(url("workorder_list"), {"overdue": "true"}).content.decode()
    assert late.number in content and new_order.number not in content
    assert "wo-overdue" in content


def test_list_searches_number_description_and_contact(client, clerk, unit, water, new_order):
    other = order_in(unit, water, clerk, description="门禁失灵", contact_name="赵六")
    client.force_login(clerk)
    content = client.get(url("workorder_list"), {"q": "赵六"}).content.decode()
    assert other.number in content and new_order.number not in content
    content = client.get(url("workorder_list"), {"q": new_order.number}).content.decode()
    assert new_order.number in content and other.number not in content


def test_list_filters_by_category_without_the_right_to_manage_categories(
    client, clerk, unit, water, categories, new_order
):
    lift = order_in(unit, categories["elevator"], clerk, description="电梯异响", urgency="urgent")
    assert not clerk.has_perm("repairs.view_repaircategory")
    client.force_login(clerk)
    params = {"category": categories["elevator"].pk, "urgency": "urgent"}
    content = client.get(url("workorder_list"), params).content.decode()
    assert lift.number in content and new_order.number not in content


def test_list_pages_hold_every_order_once(client, clerk, unit, water):
    numbers = {order_in(unit, water, clerk, description=f"报修{i}").number for i in range(30)}
    client.force_login(clerk)
    seen = []
    for page in (1, 2):
        response = client.get(url("workorder_list"), {"page": page})
        seen += [row["object"].number for row in response.context["rows"]]
    assert len(seen) == 30 and set(seen) == numbers


def test_list_has_no_query_per_row(client, clerk, unit, water, tech, django_assert_max_num_queries):
    for i in range(15):
        order = order_in(unit, water, clerk, description=f"报修{i}")
        if i % 2:
            services.dispatch(clerk, order, assignee=tech)
    client.force_login(clerk)
    with django_assert_max_num_queries(19):  # the page's ids, then its rows
        response = client.get(url("workorder_list"), {"sort": "assignee"})
    assert response.status_code == 200


def test_export_writes_the_current_filter_to_a_workbook(
    client, clerk, unit, water, new_order, django_capture_on_commit_callbacks
):
    other = order_in(unit, water, clerk, description="门禁失灵")
    services.accept(clerk, other)
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url("workorder_export"), {"tab": "pending"})
    job = Job.objects.get()
    assert response["Location"] == reverse("core:job_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "succeeded", (job.result, job.errors)
    assert job.total == 1


# One work order ---------------------------------------------------------------------------


def test_detail_shows_the_timeline_with_follow_up_photos(client, clerk, tech, in_progress):
    services.add_follow_up(tech, in_progress, text="已更换阀门", photos=[photo()])
    client.force_login(clerk)
    response = client.get(url("workorder_detail", in_progress))
    content = response.content.decode()
    assert response.status_code == 200
    assert "已更换阀门" in content and "wo-thumb" in content
    assert "Work started" in content and "李师傅" in content


def test_detail_outside_the_scope_is_not_found(client, clerk, foreign_order):
    client.force_login(clerk)
    assert client.get(url("workorder_detail", foreign_order)).status_code == 404


def test_detail_offers_only_the_actions_the_state_and_rights_allow(client, clerk, new_order):
    client.force_login(clerk)
    content = client.get(url("workorder_detail", new_order)).content.decode()
    assert "js-accept" in content and "js-dispatch" in content
    assert "js-start" not in content and "js-complete" not in content and "js-close" not in content


# Accept, dispatch -------------------------------------------------------------------------


def test_accept(client, clerk, new_order):
    client.force_login(clerk)
    response = client.post(url("workorder_accept", new_order), {"next": url("pending")})
    assert response.status_code == 302 and response["Location"] == url("pending")
    new_order.refresh_from_db()
    assert new_order.status == "accepted"


def test_accept_twice_is_a_conflict_shown_as_a_message(client, clerk, new_order):
    services.accept(clerk, new_order)
    client.force_login(clerk)
    response = client.post(url("workorder_accept", new_order))
    assert response.status_code == 409
    assert "cannot be changed this way" in response.content.decode()


def test_accept_needs_the_permission_and_the_scope(client, new_order, foreign_order, estate):
    client.force_login(make_user("viewer", "repairs.view_workorder", estates=[estate]))
    assert client.post(url("workorder_accept", new_order)).status_code == 403
    client.force_login(make_user("acceptor", *CLERK_PERMS, estates=[estate]))
    assert client.post(url("workorder_accept", foreign_order)).status_code == 404


def test_dispatch_page_suggests_the_skilled_technician(client, clerk, new_order, tech, tech2):
    client.force_login(clerk)
    response = client.get(url("workorder_dispatch", new_order))
    content = response.content.decode()
    assert response.status_code == 200
    assert "李师傅" in content and "王师傅" in content
    assert content.index("李师傅") < content.index("王师傅")
    assert "wo-suggested-badge" in content
    assert f'value="{tech.pk}" checked' in content


def test_dispatch_from_submitted_accepts_and_dispatches(client, clerk, new_order, tech):
    client.force_login(clerk)
    response = client.post(
        url("workorder_dispatch", new_order), {"assignee": tech.pk, "note": "请30分钟内联系业主"}
    )
    assert response.status_code == 302
    new_order.refresh_from_db()
    assert (new_order.status, new_order.assignee, new_order.dispatch_note) == (
        "dispatched",
        tech,
        "请30分钟内联系业主",
    )
    assert new_order.accepted_at is not None


def test_reassign_keeps_the_history(client, clerk, dispatched, tech2):
    client.force_login(clerk)
    assert client.get(url("workorder_dispatch", dispatched)).status_code == 200
    response = client.post(url("workorder_dispatch", dispatched), {"assignee": tech2.pk})
    assert response.status_code == 302
    dispatched.refresh_from_db()
    assert dispatched.assignee == tech2
    content = client.get(url("workorder_detail", dispatched)).content.decode()
    assert "Reassigned from 李师傅 to 王师傅" in content


def test_dispatch_to_someone_not_offered_is_refused(client, clerk, new_order, tech):
    client.force_login(clerk)
    response = client.post(url("workorder_dispatch", new_order), {"assignee": clerk.pk})
    assert response.status_code == 400
    new_order.refresh_from_db()
    assert new_order.status == "submitted"


def test_dispatch_of_a_cancelled_order_is_a_conflict(client, clerk, new_order, tech):
    services.cancel(clerk, new_order, reason="业主自行修好")
    client.force_login(clerk)
    response = client.post(
        url("workorder_dispatch", new_order), {"assignee": tech.pk, "note": "尽快"}
    )
    assert response.status_code == 409
    content = response.content.decode()
    assert "cannot be changed this way" in content and "尽快" in content


def test_dispatch_needs_the_permission(client, new_order, estate):
    client.force_login(make_user("viewer", "repairs.view_workorder", estates=[estate]))
    assert client.get(url("workorder_dispatch", new_order)).status_code == 403


# The technician ---------------------------------------------------------------------------


def test_my_work_orders_lists_only_my_open_orders(client, dispatched, tech, tech2, unit, water):
    client.force_login(tech)
    response = client.get(url("my_work_orders"))
    content = response.content.decode()
    assert response.status_code == 200
    assert dispatched.number in content and "js-start" in content
    assert 'capture="environment"' not in content  # the camera opens on the follow-up page
    client.force_login(tech2)
    assert dispatched.number not in client.get(url("my_work_orders")).content.decode()


def test_my_work_orders_is_for_technicians(client, clerk):
    client.force_login(clerk)
    assert client.get(url("my_work_orders")).status_code == 403


def test_start_from_my_list(client, tech, dispatched):
    client.force_login(tech)
    response = client.post(url("workorder_start", dispatched), {"next": url("my_work_orders")})
    assert response["Location"] == url("my_work_orders")
    dispatched.refresh_from_db()
    assert dispatched.status == "in_progress"


def test_start_twice_is_a_conflict(client, tech, in_progress):
    client.force_login(tech)
    assert client.post(url("workorder_start", in_progress)).status_code == 409


def test_follow_up_with_photos(client, tech, in_progress):
    client.force_login(tech)
    page = client.get(url("workorder_follow_up", in_progress)).content.decode()
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    response = client.post(
        url("workorder_follow_up", in_progress),
        {"text": "等待配件", "photos": [photo("a.png"), photo("b.png")]},
    )
    assert response.status_code == 302
    follow_up = FollowUp.objects.get(work_order=in_progress)
    assert follow_up.text == "等待配件"


def test_follow_up_refuses_a_file_that_is_not_an_image(client, tech, in_progress):
    client.force_login(tech)
    bad = photo("fake.png", b"not an image at all")
    response = client.post(
        url("workorder_follow_up", in_progress), {"text": "等待配件", "photos": [bad]}
    )
    assert response.status_code == 400
    assert "等待配件" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_follow_up_needs_the_permission(client, clerk, in_progress):
    client.force_login(clerk)
    assert client.get(url("workorder_follow_up", in_progress)).status_code == 403


def test_complete_with_signature(client, tech, in_progress):
    client.force_login(tech)
    page = client.get(url("workorder_complete", in_progress)).content.decode()
    assert "signature-pad" in page and "signature.js" in page
    response = client.post(
        url("workorder_complete", in_progress),
        {
            "work_done": "更换角阀",
            "materials": "角阀1个",
            "cost": "35.00",
            "photos": [photo()],
            "signature": SIGNATURE,
        },
    )
    assert response.status_code == 302
    in_progress.refresh_from_db()
    assert in_progress.status == "completed" and str(in_progress.cost) == "35.00"


def test_complete_without_a_required_signature_keeps_what_was_typed(
    client, tech, in_progress, water
):
    water.requires_signature = True
    water.save()
    client.force_login(tech)
    response = client.post(
        url("workorder_complete", in_progress), {"work_done": "更换角阀", "cost": "35"}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "needs the resident" in content and "更换角阀" in content
    in_progress.refresh_from_db()
    assert in_progress.status == "in_progress"


def test_complete_before_start_is_a_conflict(client, tech, dispatched):
    client.force_login(tech)
    response = client.post(url("workorder_complete", dispatched), {"work_done": "更换角阀"})
    assert response.status_code == 409
    assert "更换角阀" in response.content.decode()


# Close, cancel, reopen ----------------------------------------------------------------------


@pytest.fixture
def completed(in_progress, tech):
    return services.complete(tech, in_progress, work_done="更换角阀")


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor)
    return client


def test_close_and_reopen(supervisor_client, completed):
    client = supervisor_client
    assert client.post(url("workorder_close", completed)).status_code == 302
    completed.refresh_from_db()
    assert completed.status == "closed"
    assert client.get(url("workorder_reopen", completed)).status_code == 200
    response = client.post(url("workorder_reopen", completed), {"reason": "又漏了"})
    assert response.status_code == 302
    completed.refresh_from_db()
    assert (completed.status, completed.reopen_count) == ("dispatched", 1)


def test_close_an_open_order_is_a_conflict(supervisor_client, in_progress):
    response = supervisor_client.post(url("workorder_close", in_progress))
    assert response.status_code == 409


def test_close_needs_the_permission(client, clerk, completed):
    client.force_login(clerk)
    assert client.post(url("workorder_close", completed)).status_code == 403


def test_cancel_needs_a_reason(client, clerk, new_order):
    client.force_login(clerk)
    assert client.get(url("workorder_cancel", new_order)).status_code == 200
    assert client.post(url("workorder_cancel", new_order), {"reason": ""}).status_code == 400
    response = client.post(url("workorder_cancel", new_order), {"reason": "重复报修"})
    assert response.status_code == 302
    new_order.refresh_from_db()
    assert (new_order.status, new_order.cancel_reason) == ("cancelled", "重复报修")


def test_cancel_a_closed_order_is_a_conflict(client, supervisor, completed):
    services.close(supervisor, completed)
    client.force_login(supervisor)
    response = client.post(url("workorder_cancel", completed), {"reason": "重复报修"})
    assert response.status_code == 409
    assert "重复报修" in response.content.decode()


def test_actions_outside_the_scope_are_not_found(supervisor_client, foreign_order):
    for name in ("workorder_dispatch", "workorder_cancel", "workorder_follow_up"):
        assert supervisor_client.get(url(name, foreign_order)).status_code == 404, name


# A new order taken by staff ----------------------------------------------------------------


def test_new_order_for_a_unit(client, clerk, unit, water):
    client.force_login(clerk)
    assert client.get(url("workorder_add")).status_code == 200
    response = client.post(
        url("workorder_add"),
        {
            "estate": unit.estate_id,
            "building": unit.building_id,
            "entrance": unit.entrance_id,
            "unit": unit.pk,
            "category": water.pk,
            "description": "卫生间漏水",
            "urgency": "urgent",
            "source": "walk_in",
            "contact_name": "王小明",
            "contact_phone": "13900000009",
            "photos": [photo()],
        },
    )
    order = WorkOrder.objects.get()
    assert response["Location"] == order.get_absolute_url()
    assert (order.unit, order.source, order.urgency) == (unit, "walk_in", "urgent")


def test_new_order_for_a_public_area(client, clerk, unit, water):
    client.force_login(clerk)
    response = client.post(
        url("workorder_add"),
        {
            "estate": unit.estate_id,
            "building": unit.building_id,
            "location": "负一楼车库入口",
            "category": water.pk,
            "description": "车库灯不亮",
            "urgency": "normal",
            "source": "inspection",
        },
    )
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert (order.unit, order.building, order.location) == (None, unit.building, "负一楼车库入口")


def test_new_order_refuses_a_building_outside_the_scope(client, clerk, water, other_unit):
    client.force_login(clerk)
    response = client.post(
        url("workorder_add"),
        {
            "estate": other_unit.estate_id,
            "building": other_unit.building_id,
            "unit": other_unit.pk,
            "category": water.pk,
            "description": "车库灯不亮",
            "urgency": "normal",
            "source": "phone",
        },
    )
    assert response.status_code == 400
    assert not WorkOrder.objects.exists()


def test_unit_picker_narrows_the_rooms(client, clerk, unit):
    BuildingFactory(estate=unit.estate, name="9栋")
    client.force_login(clerk)
    response = client.get(
        url("unit_picker"),
        {
            "estate": unit.estate_id,
            "prev_estate": unit.estate_id,
            "building": unit.building_id,
            "prev_building": unit.building_id,
            "entrance": unit.entrance_id,
        },
    )
    assert response.status_code == 200 and unit.room_no in response.content.decode()


def test_nav_lists_the_repairs_pages(client, clerk, tech):
    client.force_login(clerk)
    content = client.get(url("pending")).content.decode()
    assert "Pending repairs" in content and "Work orders" in content
    assert "My work orders" not in content
    client.force_login(tech)
    assert "My work orders" in client.get(url("my_work_orders")).content.decode()


@pytest.mark.parametrize("perms", [TECH_PERMS])
def test_technician_sees_start_on_their_order(client, perms, dispatched, tech):
    client.force_login(tech)
    content = client.get(url("workorder_detail", dispatched)).content.decode()
    assert "js-start" in content and "js-dispatch" not in content


def test_home_card_counts_pending_and_overdue(client, clerk, new_order):
    WorkOrder.objects.filter(pk=new_order.pk).update(response_due="2020-01-01T00:00:00Z")
    client.force_login(clerk)
    content = client.get(reverse("core:home")).content.decode()
    assert url("pending") in content and "?overdue=true" in content


def test_list_sorting_answers_htmx_with_the_table_only(client, clerk, new_order):
    client.force_login(clerk)
    response = client.get(
        url("workorder_list"),
        {"sort": "-urgency"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="object-table",
    )
    content = response.content.decode()
    assert new_order.number in content and "<html" not in content


def test_overdue_tab_and_its_export(
    client, clerk, unit, water, new_order, django_capture_on_commit_callbacks
):
    late = order_in(unit, water, clerk, description="电梯异响")
    WorkOrder.objects.filter(pk=late.pk).update(resolution_due="2020-01-01T00:00:00Z")
    client.force_login(clerk)
    content = client.get(url("workorder_list"), {"tab": "overdue"}).content.decode()
    assert late.number in content and new_order.number not in content
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url("workorder_export"), {"tab": "overdue"})
    job = Job.objects.get()
    assert job.status == "succeeded" and job.total == 1


def test_list_filters_by_assignee(client, clerk, unit, water, dispatched, tech):
    other = order_in(unit, water, clerk, description="门禁失灵")
    client.force_login(clerk)
    page = client.get(url("workorder_list")).content.decode()
    assert "李师傅" in page  # offered in the assignee filter to a clerk
    content = client.get(url("workorder_list"), {"assignee": tech.pk}).content.decode()
    assert dispatched.number in content and other.number not in content


def test_dispatch_from_the_pending_list_returns_there(client, clerk, new_order, tech):
    client.force_login(clerk)
    pending = client.get(url("pending")).content.decode()
    assert f"{url('workorder_dispatch', new_order)}?next=" in pending
    response = client.post(
        url("workorder_dispatch", new_order), {"assignee": tech.pk, "next": url("pending")}
    )
    assert response["Location"] == url("pending")
