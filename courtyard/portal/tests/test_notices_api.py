"""/api/v1/portal/notices: my notices through the API — list, detail, read, confirm, like and
unlike, comments; someone else's notice is "not found", staff tokens are refused."""

import pytest

from courtyard.notices import services
from courtyard.notices.models import NoticeComment, NoticeReceipt
from tests.factories import UnitFactory

from .conftest import move_in, resident_account
from .test_notices import manager, publish  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

URL = "/portal/notices"


def receipt(user, notice):
    return NoticeReceipt.objects.get(notice=notice, resident__user=user)


def test_list_pinned_first_in_my_words(api, resident, unit, manager):  # noqa: F811
    first = publish(manager, unit.estate, title="{owner_name}：停水")
    pinned = publish(manager, unit.estate, title="置顶", pinned=True, must_read=True)
    response = api(resident).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [n["id"] for n in body["items"]] == [pinned.pk, first.pk]
    row = body["items"][1]
    assert row["title"] == "王小明：停水" and row["excerpt"].endswith("1201明日停水。")
    assert row["read_at"] is None and row["category_label"] == "Notice"
    assert body["items"][0]["must_read"] is True
    page = api(resident).get(URL, limit=1, offset=1).json()
    assert page["count"] == 2 and [n["id"] for n in page["items"]] == [first.pk]


def test_detail_does_not_count_as_reading_but_read_does(api, resident, unit, manager):  # noqa: F811
    notice = publish(manager, unit.estate)
    response = api(resident).get(f"{URL}/{notice.pk}")
    assert response.status_code == 200
    content = response.json()["content"]
    assert content.startswith("<p>1栋") and content.endswith("1201明日停水。</p>")
    assert response.json()["likes"] == 0 and response.json()["files"] == []
    assert receipt(resident, notice).read_at is None
    response = api(resident).post(f"{URL}/{notice.pk}/read")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    assert receipt(resident, notice).read_at is not None


def test_confirm_a_must_read_and_refuse_any_other(api, resident, unit, manager):  # noqa: F811
    must = publish(manager, unit.estate, must_read=True)
    response = api(resident).post(f"{URL}/{must.pk}/confirm")
    assert response.status_code == 200
    assert response.json()["confirmed_at"] is not None and response.json()["read_at"]
    plain = publish(manager, unit.estate)
    response = api(resident).post(f"{URL}/{plain.pk}/confirm")
    assert response.status_code == 409 and response.json()["code"] == "not_must_read"


def test_like_and_unlike(api, resident, unit, manager):  # noqa: F811
    notice = publish(manager, unit.estate)
    response = api(resident).post(f"{URL}/{notice.pk}/like")
    assert response.status_code == 200
    assert response.json()["liked_at"] is not None and response.json()["likes"] == 1
    response = api(resident).delete(f"{URL}/{notice.pk}/like")
    assert response.status_code == 200
    assert response.json()["liked_at"] is None and response.json()["likes"] == 0


def test_comments_added_sanitised_and_listed(api, resident, unit, manager):  # noqa: F811
    notice = publish(manager, unit.estate)
    path = f"{URL}/{notice.pk}/comments"
    response = api(resident).post(path, {"body": "<b>几点</b>恢复？<script>x()</script>"})
    assert response.status_code == 201
    assert response.json()["body"] == "<b>几点</b>恢复？" and response.json()["mine"] is True
    comment = NoticeComment.objects.get()
    services.reply_to_comment(manager, comment, "下午三点")
    listing = api(resident).get(path).json()
    assert listing["count"] == 1
    listed = listing["items"]
    assert [c["body"] for c in listed] == ["<b>几点</b>恢复？"]
    assert listed[0]["replies"][0]["body"] == "下午三点"
    assert listed[0]["replies"][0]["author"] == "Estate office"
    empty = api(resident).post(path, {"body": "  "})
    assert empty.status_code == 400 and empty.json()["code"] == "required"


def test_my_hidden_comment_shows_hidden_to_me_only(api, resident, unit, manager):  # noqa: F811
    neighbour = resident_account("13966667777", "邻居")
    move_in(unit, "邻居", "13966667777", "tenant", user=neighbour)
    notice = publish(manager, unit.estate)
    mine = services.add_comment(resident, notice, "广告")
    services.hide_comment(manager, mine, "广告内容")
    path = f"{URL}/{notice.pk}/comments"
    listed = api(resident).get(path).json()["items"]
    assert listed[0]["hidden"] is True and listed[0]["hidden_reason"] == "广告内容"
    assert api(neighbour).get(path).json() == {"items": [], "count": 0}


def test_an_ended_notice_takes_no_likes(api, resident, unit, manager):  # noqa: F811
    notice = publish(manager, unit.estate)
    type(notice).objects.filter(pk=notice.pk).update(status="expired")
    response = api(resident).post(f"{URL}/{notice.pk}/like")
    assert response.status_code == 404  # no longer among my notices


def test_someone_elses_notice_is_not_found(api, resident, unit, manager):  # noqa: F811
    other = UnitFactory(room_no="909")
    stranger = resident_account("13966667777", "赵强")
    move_in(other, "赵强", "13966667777", "owner", user=stranger)
    theirs = publish(manager, other.estate)
    caller = api(resident)
    assert caller.get(f"{URL}/{theirs.pk}").status_code == 404
    for method, path in [
        ("post", "read"),
        ("post", "confirm"),
        ("post", "like"),
        ("delete", "like"),
        ("get", "comments"),
    ]:
        response = caller.call(method, f"{URL}/{theirs.pk}/{path}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert caller.post(f"{URL}/{theirs.pk}/comments", {"body": "x"}).status_code == 404
    assert caller.get(URL).json()["count"] == 0


def test_staff_tokens_are_refused(api, staff, unit, manager, resident):  # noqa: F811
    notice = publish(manager, unit.estate)
    assert api(staff).get(URL).status_code == 403
    assert api(staff).post(f"{URL}/{notice.pk}/like").status_code == 403


def test_without_a_token_401(client):
    response = client.get(f"/api/v1{URL}")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_comments_are_a_paged_list(api, resident, unit, manager):  # noqa: F811
    notice = publish(manager, unit.estate)
    for number in range(3):
        services.add_comment(resident, notice, f"第{number}条")
    path = f"{URL}/{notice.pk}/comments"
    page = api(resident).get(path, limit=2, offset=1).json()
    assert page["count"] == 3 and len(page["items"]) == 2
