"""The approval pages and API: inbox tabs, a request's detail and decisions, the flows."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from courtyard.core.approvals import services as approvals
from courtyard.core.models import ApprovalFlow, ApprovalRequest
from tests.factories import EstateFactory, UnitFactory, make_user

from .test_approvals import KIND, configure, submit, test_kind, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(world):  # noqa: F811
    configure(world, world["first"], world["second"])
    return submit(world)


def detail_url(request):
    return reverse("core:approval_detail", args=[request.pk])


# Inbox --------------------------------------------------------------------------------------


def test_inbox_lists_what_awaits_me_with_its_level(client, world, pending):  # noqa: F811
    client.force_login(world["approver1"])
    response = client.get(reverse("core:approval_inbox"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Room check" in body
    assert "1 / 2" in body
    assert world["estate"].name in body
    assert 'class="badge bg-red text-red-fg badge-pill ms-auto cy-approval-count"' in body


def test_inbox_tabs_show_my_submissions_and_my_decisions(client, world, pending):  # noqa: F811
    client.force_login(world["submitter"])
    assert "Room check" not in client.get(reverse("core:approval_inbox")).content.decode()
    mine = client.get(reverse("core:approval_inbox"), {"box": "submitted"})
    assert "Room check" in mine.content.decode()
    approvals.approve(world["approver1"], pending)
    client.force_login(world["approver1"])
    decided = client.get(reverse("core:approval_inbox"), {"box": "decided"})
    assert "Room check" in decided.content.decode()
    assert "Room check" not in client.get(reverse("core:approval_inbox")).content.decode()


def test_inbox_needs_no_query_per_row(client, world, django_assert_max_num_queries):  # noqa: F811
    configure(world, world["first"])
    for number in range(8):
        unit = UnitFactory(entrance__building__estate=world["estate"])
        approvals.submit(
            world["submitter"], unit, kind=KIND, estate_id=unit.estate_id, title=f"Check {number}"
        )
    client.force_login(world["approver1"])
    client.get(reverse("core:approval_inbox"))
    with django_assert_max_num_queries(18):  # the shell (session, scope, counts) + 3
        response = client.get(reverse("core:approval_inbox"))
    body = response.content.decode()
    assert all(f"Check {number}</a>" in body for number in range(8))


def test_inbox_is_for_staff_only(client):
    assert client.get(reverse("core:approval_inbox")).status_code == 302


# Detail and decisions -----------------------------------------------------------------------


def test_detail_shows_the_levels_and_the_forms_to_the_approver(client, world, pending):  # noqa: F811
    client.force_login(world["approver1"])
    response = client.get(detail_url(pending))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Manager" in body and "Director" in body
    assert "Approve level 1 of 2" in body
    assert reverse("core:approval_reject", args=[pending.pk]) in body


def test_the_submitter_sees_the_detail_without_forms(client, world, pending):  # noqa: F811
    client.force_login(world["submitter"])
    response = client.get(detail_url(pending))
    assert response.status_code == 200
    assert "Approve level" not in response.content.decode()


def test_the_page_says_why_there_are_no_buttons(client, world, pending):  # noqa: F811
    client.force_login(world["submitter"])
    page = client.get(detail_url(pending)).content.decode()
    assert "You cannot decide this request." in page
    assert "nobody may decide their own request" in page
    client.force_login(world["approver2"])  # holds level 2's role, not level 1's
    page = client.get(detail_url(pending)).content.decode()
    assert "Level 1 is decided by the role “Manager”, which you do not hold." in page
    client.force_login(world["approver1"])
    assert "You cannot decide" not in client.get(detail_url(pending)).content.decode()


def test_detail_of_someone_unrelated_or_out_of_scope_is_404(client, world, pending):  # noqa: F811
    client.force_login(make_user("stranger", estates=[world["estate"]]))
    assert client.get(detail_url(pending)).status_code == 404
    client.force_login(
        make_user("far_viewer", "core.view_approvalrequest", estates=[EstateFactory()])
    )
    assert client.get(detail_url(pending)).status_code == 404


def test_a_viewer_with_the_permission_in_scope_sees_it(client, world, pending):  # noqa: F811
    client.force_login(make_user("viewer", "core.view_approvalrequest", estates=[world["estate"]]))
    assert client.get(detail_url(pending)).status_code == 200


def test_approve_through_the_page(client, world, pending):  # noqa: F811
    client.force_login(world["approver1"])
    url = reverse("core:approval_approve", args=[pending.pk])
    response = client.post(url, {"level": 1, "comment": "Checked"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.current_level == 2
    # A double click: the second post finds level 1 decided and says so.
    again = client.post(url, {"level": 1, "comment": "Checked"}, follow=True)
    assert "already been decided" in again.content.decode()


def test_approving_without_the_role_is_403(client, world, pending):  # noqa: F811
    client.force_login(world["approver2"])
    url = reverse("core:approval_approve", args=[pending.pk])
    assert client.post(url, {"level": 1}).status_code == 403


def test_reject_through_the_page_needs_a_reason(client, world, pending):  # noqa: F811
    client.force_login(world["approver1"])
    url = reverse("core:approval_reject", args=[pending.pk])
    response = client.post(url, {"level": 1, "reason": ""})
    assert response.status_code == 400
    assert ApprovalRequest.objects.get(pk=pending.pk).status == "pending"
    assert client.post(url, {"level": 1, "reason": "Wrong unit"}).status_code == 302
    assert ApprovalRequest.objects.get(pk=pending.pk).status == "rejected"


def test_decision_pages_are_post_only(client, world, pending):  # noqa: F811
    client.force_login(world["approver1"])
    assert client.get(reverse("core:approval_approve", args=[pending.pk])).status_code == 405


def test_status_partial_shows_the_latest_request(world, pending):  # noqa: F811
    from django.template.loader import render_to_string

    html = render_to_string(
        "core/approvals/partials/status.html",
        {"approval": approvals.latest_request(world["unit"])},
    )
    assert "Pending approval" in html
    assert "Level 1 of 2" in html
    assert detail_url(pending) in html
    assert render_to_string("core/approvals/partials/status.html", {"approval": None}).strip() == ""


def test_status_partial_shows_the_rejection_reason(world, pending):  # noqa: F811
    from django.template.loader import render_to_string

    approvals.reject(world["approver1"], pending, "Deed is missing")
    html = render_to_string(
        "core/approvals/partials/status.html",
        {"approval": approvals.latest_request(world["unit"])},
    )
    assert "Rejected" in html and "Reason: Deed is missing" in html


def test_the_record_link_shows_only_to_those_who_may_open_it(client, world, pending):  # noqa: F811
    unit_url = world["unit"].get_absolute_url()
    client.force_login(world["approver1"])
    assert unit_url not in client.get(detail_url(pending)).content.decode()
    client.force_login(world["admin"])
    assert unit_url in client.get(detail_url(pending)).content.decode()


# Flow configuration -------------------------------------------------------------------------


def test_flow_pages_need_the_permission(client, world):  # noqa: F811
    client.force_login(world["approver1"])
    assert client.get(reverse("core:approval_flows")).status_code == 403
    assert client.get(reverse("core:approval_flow", args=[KIND])).status_code == 403


def test_flow_list_shows_kinds_with_their_levels(client, world):  # noqa: F811
    configure(world, world["first"], world["second"])
    client.force_login(world["admin"])
    body = client.get(reverse("core:approval_flows")).content.decode()
    assert "Unit check" in body
    assert "1. Manager" in body and "2. Director" in body


def test_saving_the_levels_of_a_flow(client, world):  # noqa: F811
    client.force_login(world["admin"])
    url = reverse("core:approval_flow", args=[KIND])
    assert client.get(url).status_code == 200
    data = {
        "levels-TOTAL_FORMS": 2,
        "levels-INITIAL_FORMS": 0,
        "levels-0-order": 2,
        "levels-0-role": world["first"].pk,
        "levels-1-order": 1,
        "levels-1-role": world["second"].pk,
        "levels-1-name": "Director's check",
    }
    assert client.post(url, data).status_code == 302
    flow = ApprovalFlow.objects.get(kind=KIND, estate=None)
    levels = [(lv.order, lv.role.name, lv.name) for lv in approvals.flow_levels(flow)]
    assert levels == [(1, "Director", "Director's check"), (2, "Manager", "")]
    data["levels-INITIAL_FORMS"] = 2
    data["levels-0-DELETE"] = "on"
    client.post(url, data)
    assert [lv.role.name for lv in approvals.flow_levels(flow)] == ["Director"]


def test_a_duplicate_role_is_a_form_error(client, world):  # noqa: F811
    client.force_login(world["admin"])
    data = {
        "levels-TOTAL_FORMS": 2,
        "levels-INITIAL_FORMS": 0,
        "levels-0-role": world["first"].pk,
        "levels-1-role": world["first"].pk,
    }
    response = client.post(reverse("core:approval_flow", args=[KIND]), data)
    assert response.status_code == 200
    assert "only once" in response.content.decode()


def test_an_estate_flow_is_added_from_the_default_and_removed(client, world):  # noqa: F811
    configure(world, world["first"])
    client.force_login(world["admin"])
    response = client.post(
        reverse("core:approval_flow_add_estate", args=[KIND]), {"estate": world["estate"].pk}
    )
    assert response.status_code == 302
    flow = ApprovalFlow.objects.get(kind=KIND, estate=world["estate"])
    assert [lv.role for lv in approvals.flow_levels(flow)] == [world["first"]]
    edit = reverse("core:approval_flow_estate", args=[KIND, world["estate"].pk])
    assert client.get(edit).status_code == 200
    delete = reverse("core:approval_flow_delete_estate", args=[KIND, world["estate"].pk])
    assert client.post(delete).status_code == 302
    assert not ApprovalFlow.objects.filter(estate=world["estate"]).exists()


def test_an_estate_outside_the_scope_is_404_in_the_flow_editor(client, world):  # noqa: F811
    estate = EstateFactory()
    client.force_login(make_user("flows", "core.change_approvalflow", estates=[world["estate"]]))
    assert (
        client.get(reverse("core:approval_flow_estate", args=[KIND, estate.pk])).status_code == 404
    )
    assert client.get(reverse("core:approval_flow", args=["no.such.kind"])).status_code == 404


def test_flow_nav_entry_is_under_system(client, world):  # noqa: F811
    client.force_login(world["admin"])
    body = client.get(reverse("core:home")).content.decode()
    assert reverse("core:approval_flows") in body


# API ----------------------------------------------------------------------------------------


def test_api_lists_mine_to_decide(api, world, pending):  # noqa: F811
    response = api(world["approver1"]).get("/approvals")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    item = data["items"][0]
    assert (item["id"], item["status"], item["current_level"], item["level_count"]) == (
        pending.pk,
        "pending",
        1,
        2,
    )
    assert item["subject_type"] == "estates.unit"
    assert item["estate"] == world["estate"].pk
    assert api(world["approver2"]).get("/approvals").json()["count"] == 0
    assert api(world["submitter"]).get("/approvals", box="submitted").json()["count"] == 1


def test_api_detail_and_approve_then_conflict(api, world, pending):  # noqa: F811
    client = api(world["approver1"])
    detail = client.get(f"/approvals/{pending.pk}").json()
    assert detail["may_decide"] is True
    assert [level["state"] for level in detail["levels"]] == ["current", "waiting"]
    approved = client.post(f"/approvals/{pending.pk}/approve", {"comment": "ok", "level": 1})
    assert approved.status_code == 200
    assert approved.json()["levels"][0]["comment"] == "ok"
    again = client.post(f"/approvals/{pending.pk}/approve", {"comment": "", "level": 1})
    assert again.status_code == 409
    assert again.json()["code"] == "level_decided"
    done = api(world["approver2"]).post(f"/approvals/{pending.pk}/approve", {})
    assert done.json()["status"] == "approved"
    late = api(world["approver2"]).post(f"/approvals/{pending.pk}/reject", {"reason": "x"})
    assert (late.status_code, late.json()["code"]) == (409, "not_pending")


def test_api_refuses_the_submitter_and_other_roles(api, world, pending):  # noqa: F811
    own = api(world["submitter"]).post(f"/approvals/{pending.pk}/approve", {})
    assert (own.status_code, own.json()["code"]) == (403, "own_request")
    assert "nobody may decide their own request" in own.json()["detail"]
    other = make_user("other_role", estates=[world["estate"]])
    other.groups.add(world["second"])  # may decide level 2, so may see it, but not level 1
    wrong = api(other).post(f"/approvals/{pending.pk}/approve", {})
    assert (wrong.status_code, wrong.json()["code"]) == (403, "not_approver")
    assert "“Manager”" in wrong.json()["detail"]


def test_api_out_of_scope_is_404(api, world, pending):  # noqa: F811
    outsider = make_user("outsider", estates=[EstateFactory()])
    outsider.groups.add(world["first"])
    assert api(outsider).get(f"/approvals/{pending.pk}").status_code == 404
    response = api(outsider).post(f"/approvals/{pending.pk}/approve", {})
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_api_reject_needs_a_reason(api, world, pending):  # noqa: F811
    response = api(world["approver1"]).post(f"/approvals/{pending.pk}/reject", {"reason": " "})
    assert response.status_code == 400
    assert response.json()["code"] == "required"
    response = api(world["approver1"]).post(f"/approvals/{pending.pk}/reject", {"reason": "No"})
    assert response.json()["status"] == "rejected"


def test_api_is_closed_to_residents(api, world, pending):  # noqa: F811
    resident = make_user("resident1", kind="resident")
    assert api(resident).get("/approvals").status_code == 403


def test_roles_used_by_flows_are_listed_in_the_group_choices(world):  # noqa: F811
    from courtyard.core.approvals.forms import LevelForm

    assert set(LevelForm().fields["role"].queryset) >= {world["first"], world["second"]}
    assert Group.objects.filter(name="Manager").exists()


# API: flows ---------------------------------------------------------------------------------


@pytest.fixture
def flow_admin(world):  # noqa: F811
    """May configure flows, with an all-estates scope (the default flow is company-wide)."""
    return make_user("flow_admin", "core.change_approvalflow", all_estates=True)


def test_api_lists_every_kind_with_its_default_and_the_estates_in_scope(
    api,
    world,  # noqa: F811
    flow_admin,
):
    configure(world, world["first"])
    configure(world, world["second"], estate=world["estate"])
    hidden = EstateFactory()
    configure(world, world["first"], estate=hidden)
    limited = make_user("limited", "core.change_approvalflow", estates=[world["estate"]])
    response = api(limited).get("/approval-flows", kind=KIND)
    assert response.status_code == 200
    flows = response.json()["items"]
    assert [(f["estate"], [lv["role_name"] for lv in f["levels"]]) for f in flows] == [
        (None, ["Manager"]),
        (world["estate"].pk, ["Director"]),
    ]
    everything = api(flow_admin).get("/approval-flows", limit=500).json()["items"]
    assert {f["kind"] for f in everything} >= {KIND, "residents.registration"}
    assert api(world["approver1"]).get("/approval-flows").status_code == 403


def test_api_sets_the_default_flow_only_with_an_all_estates_scope(
    api,
    world,  # noqa: F811
    flow_admin,
):
    body = {"levels": [{"role": world["first"].pk, "name": "审核"}, {"role": world["second"].pk}]}
    response = api(flow_admin).call("put", f"/approval-flows/{KIND}", body)
    assert response.status_code == 200, response.json()
    assert [(lv["order"], lv["role"], lv["name"]) for lv in response.json()["levels"]] == [
        (1, world["first"].pk, "审核"),
        (2, world["second"].pk, ""),
    ]
    assert api(flow_admin).get(f"/approval-flows/{KIND}").json()["levels"][1]["role_name"] == (
        "Director"
    )
    limited = make_user("limited", "core.change_approvalflow", estates=[world["estate"]])
    refused = api(limited).call("put", f"/approval-flows/{KIND}", {"levels": []})
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert "all estates" in refused.json()["detail"]
    assert len(approvals.flow_levels(approvals.resolve_flow(KIND, None))) == 2


def test_api_refuses_a_duplicate_or_missing_role_and_an_unknown_kind(
    api,
    world,  # noqa: F811
    flow_admin,
):
    client = api(flow_admin)
    role = world["first"].pk
    twice = client.call(
        "put", f"/approval-flows/{KIND}", {"levels": [{"role": role}, {"role": role}]}
    )
    assert (twice.status_code, twice.json()["code"]) == (400, "duplicate")
    missing = client.call("put", f"/approval-flows/{KIND}", {"levels": [{"role": 999_999}]})
    assert missing.status_code == 404
    assert client.get("/approval-flows/no.such_kind").status_code == 404
    assert not ApprovalFlow.objects.exists()


def test_api_starts_changes_and_removes_an_estate_flow(api, world):  # noqa: F811
    configure(world, world["first"])
    estate = world["estate"]
    limited = make_user("limited", "core.change_approvalflow", estates=[estate])
    client = api(limited)
    url = f"/approval-flows/{KIND}/estates/{estate.pk}"
    assert client.get(url).status_code == 404  # follows the default until started
    started = client.post(url, {})
    assert started.status_code == 201
    assert [lv["role_name"] for lv in started.json()["levels"]] == ["Manager"]
    assert client.post(url, {}).json()["code"] == "flow_exists"
    emptied = client.call("put", url, {"levels": []})
    assert emptied.json()["levels"] == []
    assert approvals.resolve_flow(KIND, estate.pk).estate_id == estate.pk
    assert client.delete(url).status_code == 204
    assert approvals.resolve_flow(KIND, estate.pk).estate_id is None
    outside = f"/approval-flows/{KIND}/estates/{EstateFactory().pk}"
    assert client.call("put", outside, {"levels": []}).status_code == 404
    assert client.post(outside, {}).status_code == 404
