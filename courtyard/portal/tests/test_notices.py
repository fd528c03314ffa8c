"""Announcements in the portal: my notices (pinned, unread first), reading, likes, comments,
and the must-read pop-up on every page until I confirm; only notices of my audience."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from courtyard.core.files import attach
from courtyard.notices import services
from courtyard.notices.choices import AudienceKind
from courtyard.notices.choices import NoticeStatus as S
from courtyard.notices.models import NoticeComment, NoticeReceipt
from tests.factories import UnitFactory, make_user

from .conftest import move_in, resident_account

pytestmark = pytest.mark.django_db

MANAGER_PERMS = (
    "notices.view_notice",
    "notices.add_notice",
    "notices.change_notice",
    "notices.submit_notice",
    "notices.publish_notice",
    "notices.withdraw_notice",
    "notices.moderate_noticecomment",
)
PAGES = ["portal:home", "portal:my_home", "portal:notices", "portal:bills", "portal:profile"]


@pytest.fixture
def manager(db):
    return make_user("noticeboss", *MANAGER_PERMS)


def publish(manager, estate, **changes):
    """A notice to the whole estate, published at once (no approval levels configured)."""
    data = {
        "title": "{owner_name}您好：停水通知",
        "content": "<p>{room_no}明日停水。</p>",
        "effective_from": timezone.now() - datetime.timedelta(hours=1),
        "audience_kind": AudienceKind.ESTATES,
        "estates": [estate],
        "channels": ["app"],
    }
    data.update(changes)
    notice = services.create_notice(manager, **data)
    services.submit_notice(manager, notice)
    assert notice.status == S.PUBLISHED
    return notice


def detail(notice):
    return reverse("portal:notice_detail", args=[notice.pk])


def action(name, notice):
    return reverse(f"portal:notice_{name}", args=[notice.pk])


# The list and the detail ----------------------------------------------------------------------


def test_my_notices_pinned_on_top_then_unread_with_their_badges(client, resident, unit, manager):
    read = publish(manager, unit.estate, title="已读的通知")
    publish(manager, unit.estate, title="活动报名", category="event")
    publish(manager, unit.estate, title="紧急：燃气检修", category="emergency", pinned=True)
    services.mark_read(resident, read)
    client.force_login(resident)
    response = client.get(reverse("portal:notices"))
    assert response.status_code == 200
    titles = [n.reader_title for n in response.context["notices"]]
    assert titles == ["紧急：燃气检修", "活动报名", "已读的通知"]
    html = response.content.decode()
    assert html.count('data-testid="notice-unread"') == 2
    assert html.count('data-testid="notice-pinned"') == 1
    assert "bg-red-lt" in html and "bg-green-lt" in html


def test_the_detail_marks_it_read_and_shows_my_copy(client, resident, unit, manager):
    notice = publish(manager, unit.estate)
    client.force_login(resident)
    response = client.get(detail(notice))
    assert response.status_code == 200
    html = response.content.decode()
    assert "王小明您好：停水通知" in html and "1栋" in html and "1201明日停水" in html
    receipt = NoticeReceipt.objects.get(notice=notice, resident__user=resident)
    assert receipt.read_at is not None
    listed = client.get(reverse("portal:notices")).content.decode()
    assert 'data-testid="notice-unread"' not in listed


def test_the_content_shown_is_the_sanitised_html(client, resident, unit, manager):
    notice = publish(
        manager, unit.estate, content='<p onclick="steal()">停水<script>alert(1)</script></p>'
    )
    client.force_login(resident)
    html = client.get(detail(notice)).content.decode()
    assert "<p>停水</p>" in html
    assert "steal()" not in html and "alert(1)" not in html


def test_attachments_are_listed_and_served_to_readers_only(client, resident, unit, manager):
    notice = publish(manager, unit.estate)
    pdf = SimpleUploadedFile("停水范围.pdf", b"%PDF-1.4 plan", content_type="application/pdf")
    file = attach(notice, pdf, manager, purpose="attachment")
    client.force_login(resident)
    assert "停水范围.pdf" in client.get(detail(notice)).content.decode()
    url = reverse("core:attachment", args=[file.pk])
    assert client.get(url).status_code == 200
    neighbour = resident_account("13966667777", "外人")
    move_in(UnitFactory(room_no="909"), "外人", "13966667777", "owner", user=neighbour)
    client.force_login(neighbour)
    assert client.get(url).status_code in (403, 404)


def test_another_residents_notice_is_not_found(client, resident, unit, manager):
    other_unit = UnitFactory(room_no="909")
    stranger = resident_account("13966667777", "赵强")
    move_in(other_unit, "赵强", "13966667777", "owner", user=stranger)
    theirs = publish(manager, other_unit.estate)
    client.force_login(resident)
    assert client.get(detail(theirs)).status_code == 404
    for name in ("like", "unlike", "comment", "confirm"):
        response = client.post(action(name, theirs), {"body": "x", "understood": "on"})
        assert response.status_code == 404
    assert not NoticeComment.objects.exists()
    assert not NoticeReceipt.objects.filter(resident__user=resident).exists()


def test_withdrawn_and_draft_notices_are_not_found(client, resident, unit, manager):
    withdrawn = publish(manager, unit.estate)
    services.withdraw_notice(manager, withdrawn)
    client.force_login(resident)
    assert client.get(detail(withdrawn)).status_code == 404
    assert client.get(reverse("portal:notices")).context["notices"] == []


def test_staff_are_refused(client, staff, unit, manager, resident):
    notice = publish(manager, unit.estate)
    client.force_login(staff)
    assert client.get(reverse("portal:notices")).status_code == 403
    assert client.get(detail(notice)).status_code == 403
    assert client.post(action("like", notice)).status_code == 403


def test_anonymous_visitors_sign_in_first(client, unit, manager, resident):
    notice = publish(manager, unit.estate)
    response = client.get(detail(notice))
    assert response.status_code == 302 and "/portal/login/" in response["Location"]


# Likes and comments ---------------------------------------------------------------------------


def test_like_and_unlike(client, resident, unit, manager):
    notice = publish(manager, unit.estate)
    client.force_login(resident)
    response = client.post(action("like", notice))
    assert response.status_code == 302 and response["Location"].endswith("#likes")
    receipt = NoticeReceipt.objects.get(notice=notice, resident__user=resident)
    assert receipt.liked_at is not None
    page = client.get(detail(notice))
    assert page.context["likes"] == 1 and 'data-testid="notice-unlike"' in page.content.decode()
    client.post(action("unlike", notice))
    receipt.refresh_from_db()
    assert receipt.liked_at is None
    assert client.get(action("like", notice)).status_code == 405


def test_a_comment_is_sanitised_and_shown(client, resident, unit, manager):
    notice = publish(manager, unit.estate)
    client.force_login(resident)
    body = '几点恢复供水？<img src=x onerror="alert(1)"><script>alert(2)</script>'
    response = client.post(action("comment", notice), {"body": body})
    assert response.status_code == 302
    comment = NoticeComment.objects.get()
    assert comment.body == "几点恢复供水？" and comment.created_by == resident
    html = client.get(detail(notice)).content.decode()
    assert "几点恢复供水？" in html and "onerror" not in html


def test_an_empty_comment_keeps_the_form_with_its_error(client, resident, unit, manager):
    notice = publish(manager, unit.estate)
    client.force_login(resident)
    response = client.post(action("comment", notice), {"body": "<script>x</script>"})
    assert response.status_code == 400
    assert response.context["comment_form"].errors["body"]
    assert not NoticeComment.objects.exists()


def test_others_see_no_hidden_comment_but_its_writer_sees_it_marked(
    client, resident, unit, manager
):
    neighbour = resident_account("13966667777", "邻居")
    move_in(unit, "邻居", "13966667777", "tenant", user=neighbour)
    notice = publish(manager, unit.estate)
    services.add_comment(neighbour, notice, "楼上太吵")
    mine = services.add_comment(resident, notice, "垃圾广告")
    services.hide_comment(manager, mine, "广告")
    services.reply_to_comment(manager, NoticeComment.objects.get(body="楼上太吵"), "已联系楼上")
    client.force_login(resident)
    html = client.get(detail(notice)).content.decode()
    assert "垃圾广告" in html and 'data-testid="comment-hidden"' in html and "广告" in html
    assert "邻*<" in html and "已联系楼上" in html
    client.force_login(neighbour)
    html = client.get(detail(notice)).content.decode()
    assert "垃圾广告" not in html and "楼上太吵" in html


def test_an_expired_notice_takes_no_more_likes_or_comments(client, resident, unit, manager):
    notice = publish(manager, unit.estate)
    client.force_login(resident)
    client.get(detail(notice))
    type(notice).objects.filter(pk=notice.pk).update(status=S.EXPIRED)
    # Gone from the portal list: the actions answer "not found".
    assert client.post(action("like", notice)).status_code == 404


# The must-read pop-up -------------------------------------------------------------------------


def test_the_must_read_popup_is_on_every_page_until_confirmed(client, resident, unit, manager):
    notice = publish(manager, unit.estate, title="必读：消防演练", must_read=True)
    client.force_login(resident)
    for name in PAGES:
        html = client.get(reverse(name)).content.decode()
        assert 'data-testid="must-read"' in html, name
        assert "必读：消防演练" in html
        assert "data-bs-dismiss" not in html and "btn-close" not in html
        assert '<main class="cy-portal-main" inert>' in html
    html = client.get(detail(notice)).content.decode()
    assert 'data-testid="must-read"' in html  # no way round it, not even the notice itself
    response = client.post(
        action("confirm", notice), {"understood": "on", "next": reverse("portal:bills")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:bills")
    receipt = NoticeReceipt.objects.get(notice=notice, resident__user=resident)
    assert receipt.confirmed_at is not None and receipt.read_at is not None
    for name in PAGES:
        assert 'data-testid="must-read"' not in client.get(reverse(name)).content.decode()
    assert 'data-testid="notice-confirmed"' in client.get(detail(notice)).content.decode()


def test_confirming_needs_the_tick(client, resident, unit, manager):
    notice = publish(manager, unit.estate, must_read=True)
    client.force_login(resident)
    response = client.post(action("confirm", notice), {"next": reverse("portal:home")})
    assert response.status_code == 302
    assert not NoticeReceipt.objects.filter(confirmed_at__isnull=False).exists()
    html = client.get(reverse("portal:home")).content.decode()
    assert 'data-testid="must-read"' in html and "Tick" in html  # the message, in the pop-up


def test_several_must_reads_come_one_after_another_oldest_first(client, resident, unit, manager):
    first = publish(manager, unit.estate, title="第一份必读", must_read=True)
    second = publish(manager, unit.estate, title="第二份必读", must_read=True)
    client.force_login(resident)
    assert "第一份必读" in client.get(reverse("portal:home")).content.decode()
    client.post(action("confirm", first), {"understood": "on"})
    html = client.get(reverse("portal:home")).content.decode()
    assert "第二份必读" in html and "第一份必读" not in html
    client.post(action("confirm", second), {"understood": "on"})
    assert 'data-testid="must-read"' not in client.get(reverse("portal:home")).content.decode()


def test_the_popup_costs_one_query_when_nothing_is_pending(
    client, resident, unit, manager, django_assert_num_queries
):
    publish(manager, unit.estate)  # read or not, it is no must-read
    client.force_login(resident)
    client.get(reverse("portal:profile"))
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/portal/")
    request.user = resident
    template = Template("{% load portal_notices %}{% pending_must_read as n %}{{ n }}")
    with django_assert_num_queries(1):
        assert template.render(Context({"request": request})) == "None"
        template.render(Context({"request": request}))  # asked once per request


def test_confirming_a_notice_that_is_no_must_read_is_refused_with_a_message(
    client, resident, unit, manager
):
    notice = publish(manager, unit.estate)
    client.force_login(resident)
    response = client.post(action("confirm", notice), {"understood": "on"}, follow=True)
    assert response.status_code == 200
    assert any("no confirmation" in str(m) for m in response.context["messages"])


def test_a_resident_without_a_unit_sees_no_notices_and_no_popup(client, manager, unit, resident):
    publish(manager, unit.estate, must_read=True)
    lonely = resident_account("13955554444", "孤单")
    client.force_login(lonely)
    html = client.get(reverse("portal:notices")).content.decode()
    assert 'data-testid="no-notices"' in html and 'data-testid="must-read"' not in html


def test_the_tab_bar_leads_to_the_notices(client, resident):
    client.force_login(resident)
    html = client.get(reverse("portal:home")).content.decode()
    assert 'data-testid="tab-notices"' in html and reverse("portal:notices") in html
