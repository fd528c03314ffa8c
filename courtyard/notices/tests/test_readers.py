"""Residents and their notices: the portal list, reading, must-read confirmation, likes and
comments — only for notices they are in the audience of."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from courtyard.core.exceptions import StateConflict
from courtyard.core.files import can_view_attachment
from courtyard.core.models import Attachment
from courtyard.notices import selectors, services
from courtyard.notices.choices import AudienceKind as K
from courtyard.notices.choices import NoticeStatus as S
from courtyard.notices.models import Notice, NoticeComment, NoticeReceipt

from .conftest import draft

pytestmark = pytest.mark.django_db


def published(actor, estate, **changes):
    notice = draft(actor, estate, **changes)
    services.submit_notice(actor, notice)  # no approval levels: published at once
    assert notice.status == S.PUBLISHED
    return notice


def receipt(person, notice):
    return NoticeReceipt.objects.get(resident=person, notice=notice)


# The portal list ----------------------------------------------------------------------------


def test_the_portal_lists_pinned_first_then_unread_then_newest(author, estate, zhang, people):
    older = published(author, estate, title="旧")
    read = published(author, estate, title="已读")
    published(author, estate, title="新")
    pinned = published(author, estate, title="置顶", pinned=True)
    Notice.objects.filter(pk=older.pk).update(published_at=timezone.now().replace(year=2020))
    services.mark_read(zhang.user, read)
    services.mark_read(zhang.user, pinned)  # read, but pinned: still on top
    titles = [n.title for n in selectors.portal_notices(zhang.user)]
    assert titles == ["置顶", "新", "旧", "已读"]


def test_the_portal_shows_only_published_notices_of_my_audience(
    author, manager, estate, b2, zhang, people
):
    mine = published(author, estate)
    published(author, estate, audience_kind=K.BUILDINGS, buildings=[b2])  # not my building
    draft(author, estate)
    withdrawn = published(author, estate, title="撤回")
    services.withdraw_notice(manager, withdrawn)
    assert [n.pk for n in selectors.portal_notices(zhang.user)] == [mine.pk]
    with pytest.raises(Http404):
        selectors.portal_notice(zhang.user, withdrawn.pk)


def test_each_listed_notice_carries_my_receipt(author, estate, zhang, people):
    notice = published(author, estate)
    services.like(zhang.user, notice)
    listed = selectors.portal_notice(zhang.user, notice.pk)
    assert listed.my_read_at is None and listed.my_liked_at is not None


def test_staff_have_no_portal_notices(author, estate, people):
    published(author, estate)
    assert not selectors.portal_notices(author).exists()


def test_the_reader_sees_their_own_name_and_room(author, estate, zhang, people):
    notice = published(author, estate, title="{owner_name}请注意", content="<p>{room_no}</p>")
    title, content = selectors.reader_copy(notice, selectors.my_receipt(zhang.user, notice))
    assert title == "张伟请注意"
    assert content == "<p>1栋1单元101</p>"


def test_the_reader_copy_escapes_names(author, estate, u101):
    from .conftest import reader

    odd = reader(u101, "<b>某</b>", "13900000077")
    notice = published(author, estate, content="<p>{owner_name}</p>")
    _title, content = selectors.reader_copy(notice, selectors.my_receipt(odd.user, notice))
    assert content == "<p>&lt;b&gt;某&lt;/b&gt;</p>"


# Reading and must-read ----------------------------------------------------------------------


def test_mark_read_records_the_first_reading_only(author, estate, zhang, people):
    notice = published(author, estate)
    first = services.mark_read(zhang.user, notice).read_at
    assert services.mark_read(zhang.user, notice).read_at == first
    assert receipt(zhang, notice).read_at == first


def test_reading_the_notice_reads_its_app_message(author, estate, zhang, people):
    from courtyard.portal.selectors import unread_count

    notice = published(author, estate)
    assert unread_count(zhang.user) == 1
    services.mark_read(zhang.user, notice)
    assert unread_count(zhang.user) == 0


def test_a_must_read_notice_stays_pending_until_confirmed(author, estate, zhang, people):
    notice = published(author, estate, must_read=True)
    published(author, estate, title="普通")
    assert [n.pk for n in selectors.must_read_pending(zhang.user)] == [notice.pk]
    services.mark_read(zhang.user, notice)  # opening it is not confirming it
    assert selectors.must_read_pending(zhang.user).exists()
    services.confirm_read(zhang.user, notice)
    assert not selectors.must_read_pending(zhang.user).exists()
    mine = receipt(zhang, notice)
    assert mine.confirmed_at is not None and mine.read_at is not None


def test_confirming_reads_too(author, estate, zhang, people):
    notice = published(author, estate, must_read=True)
    services.confirm_read(zhang.user, notice)
    assert receipt(zhang, notice).read_at is not None


def test_confirming_a_notice_that_needs_no_confirmation_is_refused(author, estate, zhang, people):
    notice = published(author, estate)
    with pytest.raises(StateConflict) as error:
        services.confirm_read(zhang.user, notice)
    assert error.value.code == "not_must_read"


def test_another_residents_must_read_is_not_mine(author, estate, b2, zhang, people):
    published(author, estate, must_read=True, audience_kind=K.BUILDINGS, buildings=[b2])
    assert not selectors.must_read_pending(zhang.user).exists()


# Likes --------------------------------------------------------------------------------------


def test_like_and_unlike(author, estate, zhang, people):
    notice = published(author, estate)
    services.like(zhang.user, notice)
    liked = receipt(zhang, notice).liked_at
    assert liked is not None
    assert services.like(zhang.user, notice).liked_at == liked  # twice is once
    services.unlike(zhang.user, notice)
    assert receipt(zhang, notice).liked_at is None


def test_an_expired_notice_can_be_read_but_not_liked_or_commented(author, estate, zhang, people):
    notice = published(author, estate)
    Notice.objects.filter(pk=notice.pk).update(status=S.EXPIRED)
    services.mark_read(zhang.user, notice)
    for action in (services.like, services.unlike):
        with pytest.raises(StateConflict) as error:
            action(zhang.user, notice)
        assert error.value.code == "not_published"
    with pytest.raises(StateConflict):
        services.add_comment(zhang.user, notice, "好")


# Who may act --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        services.mark_read,
        services.confirm_read,
        services.like,
        services.unlike,
        lambda user, notice: services.add_comment(user, notice, "好"),
    ],
)
def test_residents_outside_the_audience_get_404(author, estate, people, action):
    notice = published(author, estate, must_read=True)
    with pytest.raises(Http404):
        action(people["outsider"].user, notice)


@pytest.mark.parametrize("action", [services.mark_read, services.like])
def test_a_draft_or_withdrawn_notice_is_nobodys_to_read(author, manager, estate, zhang, action):
    notice = published(author, estate)
    services.withdraw_notice(manager, notice)
    with pytest.raises(Http404):
        action(zhang.user, notice)


def test_staff_cannot_act_as_readers(author, estate, people):
    notice = published(author, estate)
    with pytest.raises(PermissionDenied):
        services.mark_read(author, notice)


# Comments -----------------------------------------------------------------------------------


def test_an_audience_member_comments(author, estate, zhang, people):
    notice = published(author, estate)
    comment = services.add_comment(zhang.user, notice, "收到，\n谢谢")
    assert comment.resident == zhang and comment.created_by == zhang.user
    assert comment.body == "收到，<br>谢谢"
    assert not comment.is_hidden


def test_an_empty_or_too_long_comment_is_refused(author, estate, zhang, people):
    notice = published(author, estate)
    for body, code in (("  <script>x</script> ", "required"), ("好" * 1001, "max_length")):
        with pytest.raises(ValidationError) as error:
            services.add_comment(zhang.user, notice, body)
        assert error.value.error_dict["body"][0].code == code
    assert not NoticeComment.objects.exists()


def test_readers_do_not_see_hidden_comments(author, manager, estate, zhang, li, people):
    notice = published(author, estate)
    kept = services.add_comment(zhang.user, notice, "好")
    rude = services.add_comment(li.user, notice, "骂人")
    services.hide_comment(manager, rude, "辱骂")
    assert list(selectors.notice_comments(notice, include_hidden=False)) == [kept]
    assert list(selectors.notice_comments(notice)) == [kept, rude]


# Attachments --------------------------------------------------------------------------------


def attachment_of(notice):
    return Attachment.objects.create(
        content_type=ContentType.objects.get_for_model(Notice),
        object_id=str(notice.pk),
        purpose="image",
        file="attachments/x.png",
        original_name="x.png",
        mime_type="image/png",
        size=1,
    )


def test_readers_of_a_published_notice_may_fetch_its_files(author, estate, zhang, people):
    notice = published(author, estate)
    image = attachment_of(notice)
    assert can_view_attachment(zhang.user, image)
    assert not can_view_attachment(people["outsider"].user, image)
    assert can_view_attachment(author, image)


def test_nobody_in_the_portal_fetches_a_drafts_files(author, estate, zhang):
    image = attachment_of(draft(author, estate))
    assert not can_view_attachment(zhang.user, image)
