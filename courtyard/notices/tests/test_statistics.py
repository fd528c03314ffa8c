"""A notice's statistics and unread list, and the moderation of its comments."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from courtyard.core.exceptions import StateConflict
from courtyard.core.timeline import events_for
from courtyard.notices import selectors, services
from courtyard.notices.models import NoticeComment

from .conftest import draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(author, estate, people):
    notice = draft(author, estate, must_read=True)
    services.submit_notice(author, notice)  # no approval levels: published at once
    return notice


def test_statistics_count_audience_reads_confirmations_likes_and_comments(
    notice, manager, zhang, li, wang
):
    services.mark_read(zhang.user, notice)
    services.confirm_read(li.user, notice)  # confirming reads too
    services.like(zhang.user, notice)
    first = services.add_comment(zhang.user, notice, "好")
    rude = services.add_comment(li.user, notice, "骂人")
    services.reply_to_comment(manager, first, "谢谢支持")  # replies are not counted
    services.hide_comment(manager, rude, "辱骂")
    figures = selectors.notice_statistics(notice)
    assert (figures.audience, figures.read, figures.unread) == (3, 2, 1)
    assert (figures.confirmed, figures.liked) == (1, 1)
    assert (figures.comments, figures.hidden_comments) == (2, 1)
    assert figures.read_rate == 66.7


def test_statistics_take_two_queries(notice, django_assert_num_queries):
    with django_assert_num_queries(2):
        selectors.notice_statistics(notice)


def test_statistics_of_an_unpublished_notice_are_zero(author, estate, people):
    figures = selectors.notice_statistics(draft(author, estate))
    assert (figures.audience, figures.read, figures.read_rate) == (0, 0, 0)


def test_the_unread_list_is_the_audience_that_has_not_read(notice, zhang, li, wang):
    services.mark_read(zhang.user, notice)
    unread = selectors.unread_audience(notice)
    assert [(r.resident.name, r.unit.room_no) for r in unread] == [("李娜", "102"), ("王芳", "201")]


def test_delivery_counts_by_channel(notice):
    assert selectors.delivery_counts(notice) == {"app": 2, "sms": 3}


# Moderation ---------------------------------------------------------------------------------


def test_hiding_keeps_the_comment_marked_and_audited(notice, manager, li):
    comment = services.add_comment(li.user, notice, "骂人")
    services.hide_comment(manager, comment, "辱骂")
    comment.refresh_from_db()
    assert comment.is_hidden and comment.hidden_by == manager
    assert comment.hidden_reason == "辱骂" and comment.hidden_at is not None
    assert NoticeComment.objects.filter(pk=comment.pk).exists()
    event = events_for(notice).get(verb="comment_hidden")
    assert event.actor == manager and event.data == {"comment": comment.pk}
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(NoticeComment), object_pk=str(comment.pk)
    )
    assert any("is_hidden" in (entry.changes_dict or {}) for entry in entries)


def test_hiding_needs_a_reason(notice, manager, li):
    comment = services.add_comment(li.user, notice, "骂人")
    with pytest.raises(ValidationError):
        services.hide_comment(manager, comment, " ")
    comment.refresh_from_db()
    assert not comment.is_hidden


def test_hiding_twice_is_refused(notice, manager, li):
    comment = services.add_comment(li.user, notice, "骂人")
    services.hide_comment(manager, comment, "辱骂")
    with pytest.raises(StateConflict) as error:
        services.hide_comment(manager, comment, "又")
    assert error.value.code == "already_hidden"


def test_staff_reply_under_a_comment(notice, manager, zhang):
    comment = services.add_comment(zhang.user, notice, "几点恢复？")
    reply = services.reply_to_comment(manager, comment, "<b>下午4点</b>")
    assert reply.parent == comment and reply.resident is None
    assert reply.created_by == manager and reply.body == "<b>下午4点</b>"
    # A reply to the reply hangs under the first comment too.
    again = services.reply_to_comment(manager, reply, "已恢复")
    assert again.parent == comment
    listed = selectors.notice_comments(notice).get()
    assert [r.body for r in listed.replies.all()] == ["<b>下午4点</b>", "已恢复"]
    assert events_for(notice).filter(verb="comment_replied").count() == 2


def test_a_hidden_comment_gets_no_reply(notice, manager, li):
    comment = services.add_comment(li.user, notice, "骂人")
    services.hide_comment(manager, comment, "辱骂")
    with pytest.raises(StateConflict) as error:
        services.reply_to_comment(manager, comment, "请文明发言")
    assert error.value.code == "hidden"
