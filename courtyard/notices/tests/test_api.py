"""/api/v1/notices: drafts, every workflow step through the API, the figures; each endpoint
with its permission (401 / 403), its data scope (404) and its refusals (409 with a code)."""

import pytest

from courtyard.notices import services
from courtyard.notices.choices import NoticeStatus as S
from courtyard.notices.models import Notice, NoticeReceipt
from tests.factories import make_user

from . import test_view_permissions as pages
from .conftest import AUTHOR_PERMS, draft, hours

pytestmark = pytest.mark.django_db

URL = "/notices"


def payload(estate, **changes):
    data = {
        "title": "停水通知",
        "content": "<p>{owner_name}您好，明日停水。</p>",
        "effective_from": hours(-1).isoformat(),
        "effective_to": hours(48).isoformat(),
        "estates": [estate.pk],
        "channels": ["app", "sms"],
    }
    data.update(changes)
    return data


def published(actor, estate, **changes):
    notice = draft(actor, estate, **changes)
    services.submit_notice(actor, notice)  # no approval levels: published at once
    return notice


class TestNoticeApiPermissions(pages.TestNoticePermissions):
    """The permission matrix of /notices and /notices/{pk} (the pages have their own)."""

    url_names = {}
    api_list = "/api/v1/notices"
    api_detail = "/api/v1/notices/{pk}"


# Drafts ---------------------------------------------------------------------------------------


def test_create_answers_the_sanitised_draft(api, author, estate, people):
    data = payload(estate, content="<p onclick='x()'>停水<script>alert(1)</script></p>")
    response = api(author).post(URL, data)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["content"] == "<p>停水</p>"
    assert body["estates"] == [estate.pk] and body["channels"] == ["app", "sms"]
    assert body["author"] == author.pk and body["approval"] is None
    assert body["audience_count"] == 3 and body["audience_warning"] == ""


def test_create_refuses_bad_input_with_field_codes(api, author, estate, other_estate):
    response = api(author).post(
        URL, payload(estate, effective_from=hours(5).isoformat(), effective_to=hours(1).isoformat())
    )
    assert response.status_code == 400
    assert response.json()["code"] == "end_before_start"
    assert "effective_to" in {e["field"] for e in response.json()["errors"]}
    # An estate outside the scope is not found, as if it did not exist.
    response = api(author).post(URL, payload(other_estate))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = api(author).post(URL, payload(estate, category="gossip"))
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"
    assert not Notice.objects.exists()


def test_an_empty_audience_is_warned_in_the_draft(api, author, estate):
    body = api(author).post(URL, payload(estate)).json()
    assert body["audience_count"] == 0 and body["audience_warning"]


def test_without_the_permission_403_and_without_a_token_401(client, api, estate):
    reader = make_user("reader", "notices.view_notice")
    assert api(reader).post(URL, payload(estate)).status_code == 403
    response = client.get(f"/api/v1{URL}")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_list_filters_by_state_category_and_estate(api, manager, estate, other_estate, people):
    mine = draft(manager, estate, title="草稿")
    out = published(manager, estate, title="紧急", category="emergency")
    there = draft(manager, other_estate, title="别处")
    caller = api(manager)
    assert caller.get(URL).json()["count"] == 3
    assert [n["id"] for n in caller.get(URL, status="draft").json()["items"]] == [
        there.pk,
        mine.pk,
    ]
    assert [n["id"] for n in caller.get(URL, category="emergency").json()["items"]] == [out.pk]
    assert [n["id"] for n in caller.get(URL, estate=other_estate.pk).json()["items"]] == [there.pk]
    assert [n["id"] for n in caller.get(URL, q="紧急").json()["items"]] == [out.pk]
    bad = caller.get(URL, status="nonsense")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_filter"


def test_list_and_detail_keep_to_the_data_scope(api, author, manager, estate, other_estate):
    here = draft(manager, estate)
    there = draft(manager, other_estate)
    listed = api(author).get(URL).json()
    assert [n["id"] for n in listed["items"]] == [here.pk]
    assert api(author).get(f"{URL}/{there.pk}").status_code == 404
    assert api(author).get(f"{URL}/{here.pk}").json()["title"] == "停水通知"


def test_update_a_draft_and_refuse_a_published_one(api, manager, estate, people):
    notice = draft(manager, estate)
    response = api(manager).patch(f"{URL}/{notice.pk}", {"title": "停水通知（更新）"})
    assert response.status_code == 200 and response.json()["title"] == "停水通知（更新）"
    response = api(manager).patch(f"{URL}/{notice.pk}", {"effective_to": None})
    assert response.json()["effective_to"] is None
    services.submit_notice(manager, notice)
    response = api(manager).patch(f"{URL}/{notice.pk}", {"title": "改"})
    assert response.status_code == 409 and response.json()["code"] == "not_editable"


def test_delete_a_draft_but_not_a_published_one(api, manager, estate, people):
    notice = draft(manager, estate)
    assert api(manager).delete(f"{URL}/{notice.pk}").status_code == 204
    assert not Notice.objects.filter(pk=notice.pk).exists()
    notice = published(manager, estate)
    response = api(manager).delete(f"{URL}/{notice.pk}")
    assert response.status_code == 409 and response.json()["code"] == "not_deletable"


# The workflow ---------------------------------------------------------------------------------


def test_submit_approve_and_the_notice_is_published(api, manager, approver, review, estate, people):
    notice = draft(manager, estate)
    response = api(manager).post(f"{URL}/{notice.pk}/submit", {})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending_review"
    assert body["approval"]["status"] == "pending" and body["approval"]["level_count"] == 1
    again = api(manager).post(f"{URL}/{notice.pk}/submit", {})
    assert again.status_code == 409 and again.json()["code"] == "already_pending"
    # Nobody decides on their own submission, and the answer says so.
    own = api(manager).post(f"{URL}/{notice.pk}/approve", {})
    assert (own.status_code, own.json()["code"]) == (403, "own_request")
    response = api(approver).post(f"{URL}/{notice.pk}/approve", {"comment": "同意"})
    assert response.status_code == 200
    assert response.json()["status"] == "published"  # its time had come
    assert NoticeReceipt.objects.filter(notice=notice).count() == 3
    again = api(approver).post(f"{URL}/{notice.pk}/approve", {})
    assert again.status_code == 409 and again.json()["code"] == "not_pending"


def test_reject_returns_it_with_the_reason(api, manager, approver, review, estate, people):
    notice = draft(manager, estate)
    api(manager).post(f"{URL}/{notice.pk}/submit", {})
    response = api(approver).post(f"{URL}/{notice.pk}/reject", {"reason": " "})
    assert response.status_code == 400 and response.json()["code"] == "required"
    response = api(approver).post(f"{URL}/{notice.pk}/reject", {"reason": "措辞不当"})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["reject_reason"] == "措辞不当"


def test_deciding_a_notice_never_submitted_or_out_of_sight(
    api, manager, approver, review, estate, other_estate, people
):
    notice = draft(manager, estate)
    response = api(manager).post(f"{URL}/{notice.pk}/approve", {})
    assert response.status_code == 409 and response.json()["code"] == "not_pending"
    api(manager).post(f"{URL}/{notice.pk}/submit", {})
    stranger = make_user("stranger", "notices.view_notice", estates=[other_estate])
    assert api(stranger).post(f"{URL}/{notice.pk}/approve", {}).status_code == 404
    assert api(approver).post(f"{URL}/999999/approve", {}).status_code == 404


def test_publish_when_its_time_has_come(api, manager, approver, review, estate, people):
    notice = draft(manager, estate, effective_from=hours(2))
    api(manager).post(f"{URL}/{notice.pk}/submit", {})
    assert api(approver).post(f"{URL}/{notice.pk}/approve", {}).json()["status"] == "approved"
    response = api(manager).post(f"{URL}/{notice.pk}/publish", {})
    assert response.status_code == 409 and response.json()["code"] == "not_yet_effective"
    Notice.objects.filter(pk=notice.pk).update(effective_from=hours(-1))
    response = api(manager).post(f"{URL}/{notice.pk}/publish", {})
    assert response.status_code == 200, response.content
    body = response.json()
    # Three people; 张伟 and 李娜 have accounts (app), all three phones (SMS).
    assert body["audience"] == 3 and body["messages"] == 5
    assert body["notice"]["status"] == "published"
    again = api(manager).post(f"{URL}/{notice.pk}/publish", {})
    assert again.status_code == 409 and again.json()["code"] == "already_published"


def test_publish_and_withdraw_need_their_permissions(api, author, estate, people):
    notice = published(make_user("boss", *AUTHOR_PERMS), estate)
    assert api(author).post(f"{URL}/{notice.pk}/publish", {}).status_code == 403
    assert api(author).post(f"{URL}/{notice.pk}/withdraw", {}).status_code == 403


def test_withdraw_a_published_notice_but_not_a_draft(api, manager, estate, people):
    notice = published(manager, estate)
    response = api(manager).post(f"{URL}/{notice.pk}/withdraw", {"reason": "时间有变"})
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert response.json()["withdraw_reason"] == "时间有变"
    fresh = draft(manager, estate)
    response = api(manager).post(f"{URL}/{fresh.pk}/withdraw", {})
    assert response.status_code == 409 and response.json()["code"] == "not_withdrawable"


def test_withdrawn_edit_and_resubmit(api, manager, estate, people):
    notice = published(manager, estate)
    api(manager).post(f"{URL}/{notice.pk}/withdraw", {})
    response = api(manager).patch(f"{URL}/{notice.pk}", {"title": "停水时间调整"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    response = api(manager).post(f"{URL}/{notice.pk}/submit", {})
    assert response.json()["status"] == "published"


# Figures --------------------------------------------------------------------------------------


def test_statistics_count_reads_likes_and_comments(api, manager, estate, zhang, li, people):
    notice = published(manager, estate, must_read=True)
    services.mark_read(zhang.user, notice)
    services.like(zhang.user, notice)
    services.confirm_read(li.user, notice)
    services.add_comment(li.user, notice, "收到")
    response = api(manager).get(f"{URL}/{notice.pk}/statistics")
    assert response.status_code == 200
    assert response.json() == {
        "audience": 3,
        "read": 2,
        "unread": 1,
        "read_rate": 66.7,
        "confirmed": 1,
        "liked": 1,
        "comments": 1,
        "hidden_comments": 0,
        "deliveries": {"app": 2, "sms": 3},
    }


def test_the_unread_list_masks_phones(api, manager, estate, zhang, li, wang, people):
    notice = published(manager, estate)
    services.mark_read(zhang.user, notice)
    response = api(manager).get(f"{URL}/{notice.pk}/unread")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {row["name"] for row in body["items"]} == {"李娜", "王芳"}
    assert {row["phone"] for row in body["items"]} == {"139****0002", "139****0003"}
    assert all("翠湖花园" in row["place"] for row in body["items"])


def test_figures_need_the_statistics_permission_and_the_scope(
    api, author, manager, estate, other_estate, people
):
    notice = published(manager, estate)
    for path in ("statistics", "unread"):
        assert api(author).get(f"{URL}/{notice.pk}/{path}").status_code == 403
    there = published(manager, other_estate)
    watcher = make_user(
        "watcher", "notices.view_notice", "notices.view_notice_statistics", estates=[estate]
    )
    assert api(watcher).get(f"{URL}/{notice.pk}/statistics").status_code == 200
    assert api(watcher).get(f"{URL}/{there.pk}/statistics").status_code == 404


def test_states_shown_on_the_detail(api, manager, estate, people):
    notice = published(manager, estate)
    body = api(manager).get(f"{URL}/{notice.pk}").json()
    assert body["status"] == S.PUBLISHED and body["status_label"] == "Published"
    assert body["published_at"] is not None and body["attachments"] == []
