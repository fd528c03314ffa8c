"""The announcement's workflow: every transition and every refusal."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from courtyard.core.approvals import services as approvals
from courtyard.core.choices import ApprovalStatus
from courtyard.core.exceptions import StateConflict
from courtyard.core.models import ApprovalRequest, Message
from courtyard.core.timeline import events_for
from courtyard.notices import services
from courtyard.notices.choices import AudienceKind
from courtyard.notices.choices import NoticeStatus as S
from courtyard.notices.models import Notice, NoticeReceipt

from .conftest import draft, hours

pytestmark = pytest.mark.django_db


def verbs(notice):
    return list(events_for(notice).order_by("at", "id").values_list("verb", flat=True))


def put(notice, status, **fields):
    """Move a notice straight to a state (the set-up of a refusal test)."""
    Notice.objects.filter(pk=notice.pk).update(status=status, **fields)
    notice.refresh_from_db()
    return notice


def pending_request(notice):
    return ApprovalRequest.objects.get(object_id=str(notice.pk), status=ApprovalStatus.PENDING)


# Drafts -------------------------------------------------------------------------------------


def test_create_stores_a_sanitised_draft_with_its_audience(author, estate, people):
    notice = draft(author, estate, content="<p onclick='x()'>停水<script>alert(1)</script></p>")
    assert notice.status == S.DRAFT
    assert notice.created_by == author
    assert notice.content == "<p>停水</p>"
    assert list(notice.estates.all()) == [estate]
    assert notice.channels == ["app", "sms"]
    assert verbs(notice) == ["created"]


def test_create_refuses_an_end_before_the_start(author, estate):
    with pytest.raises(ValidationError) as error:
        draft(author, estate, effective_from=hours(5), effective_to=hours(1))
    assert error.value.error_dict["effective_to"][0].code == "end_before_start"
    assert not Notice.objects.exists()


def test_create_refuses_missing_title_start_and_unknown_channel(author, estate):
    with pytest.raises(ValidationError) as error:
        draft(author, estate, title=" ", effective_from=None, channels=["fax"])
    assert set(error.value.error_dict) == {"title", "effective_from", "channels"}


def test_create_refuses_unknown_variables_in_the_content(author, estate):
    with pytest.raises(ValidationError) as error:
        draft(author, estate, content="<p>{amount}</p>")
    assert error.value.error_dict["content"][0].code == "unknown_variable"


def test_update_changes_fields_and_audience_and_records_them(author, estate, b1, people):
    notice = draft(author, estate)
    services.update_notice(
        author, notice, title="停电通知", audience_kind=AudienceKind.BUILDINGS, buildings=[b1]
    )
    assert notice.title == "停电通知"
    assert list(notice.buildings.all()) == [b1]
    event = events_for(notice).filter(verb="edited").get()
    assert set(event.data["fields"]) == {"title", "audience_kind", "buildings"}


def test_update_clears_the_targets_of_another_audience_kind(author, estate, b1, u101):
    notice = draft(author, estate, audience_kind=AudienceKind.BUILDINGS, buildings=[b1])
    services.update_notice(author, notice, audience_kind=AudienceKind.UNITS, units=[u101])
    assert list(notice.buildings.all()) == []
    assert list(notice.units.all()) == [u101]


def test_update_refuses_an_end_before_the_start_and_changes_nothing(author, estate):
    notice = draft(author, estate)
    with pytest.raises(ValidationError):
        services.update_notice(author, notice, effective_to=notice.effective_from)
    notice.refresh_from_db()
    assert notice.effective_to > notice.effective_from


@pytest.mark.parametrize("status", [S.PENDING_REVIEW, S.APPROVED, S.PUBLISHED, S.EXPIRED])
def test_update_refuses_a_notice_that_is_not_editable(author, estate, status):
    notice = put(draft(author, estate), status)
    with pytest.raises(StateConflict) as error:
        services.update_notice(author, notice, title="改")
    assert error.value.code == "not_editable"
    notice.refresh_from_db()
    assert notice.title == "停水通知"


@pytest.mark.parametrize("status", [S.REJECTED, S.WITHDRAWN])
def test_rejected_and_withdrawn_notices_are_edited_like_drafts(author, estate, status):
    notice = put(draft(author, estate), status)
    services.update_notice(author, notice, title="改")
    assert notice.title == "改" and notice.status == status


def test_delete_removes_a_draft(author, estate):
    notice = draft(author, estate)
    services.delete_notice(author, notice)
    assert not Notice.objects.exists()


def test_delete_refuses_a_notice_once_published(author, estate):
    notice = put(draft(author, estate), S.WITHDRAWN, published_at=timezone.now())
    with pytest.raises(StateConflict) as error:
        services.delete_notice(author, notice)
    assert error.value.code == "not_deletable"


# Submitting and approval --------------------------------------------------------------------


def test_submit_starts_the_approval_of_the_notice_kind(author, estate, people, review):
    notice = draft(author, estate)
    services.submit_notice(author, notice)
    assert notice.status == S.PENDING_REVIEW
    request = pending_request(notice)
    assert request.kind == "notices.notice"
    assert request.estate_id == estate.pk
    assert verbs(notice) == ["created", "submitted", "approval_submitted"]


def test_a_notice_for_several_estates_goes_to_the_default_flow(
    manager, estate, other_estate, people, review
):
    notice = draft(manager, estate, estates=[estate, other_estate])
    services.submit_notice(manager, notice)
    assert pending_request(notice).estate_id is None


def test_submit_refuses_an_audience_of_nobody(author, estate, b2):
    notice = draft(author, estate, audience_kind=AudienceKind.BUILDINGS, buildings=[b2])
    with pytest.raises(StateConflict) as error:
        services.submit_notice(author, notice)
    assert error.value.code == "empty_audience"
    notice.refresh_from_db()
    assert notice.status == S.DRAFT
    assert not ApprovalRequest.objects.exists()


def test_submit_refuses_empty_content(author, estate, people):
    notice = draft(author, estate, content="<p> </p>")
    with pytest.raises(StateConflict) as error:
        services.submit_notice(author, notice)
    assert error.value.code == "empty_content"


def test_submit_refuses_a_notice_whose_end_has_passed(author, estate, people):
    notice = draft(author, estate, effective_from=hours(-5), effective_to=hours(-1))
    with pytest.raises(StateConflict) as error:
        services.submit_notice(author, notice)
    assert error.value.code == "already_ended"


def test_submit_twice_is_refused(author, estate, people, review):
    notice = draft(author, estate)
    services.submit_notice(author, notice)
    with pytest.raises(StateConflict) as error:
        services.submit_notice(author, notice)
    assert error.value.code == "already_pending"


@pytest.mark.parametrize("status", [S.APPROVED, S.PUBLISHED, S.EXPIRED])
def test_submit_refuses_a_notice_past_review(author, estate, people, status):
    notice = put(draft(author, estate), status)
    with pytest.raises(StateConflict) as error:
        services.submit_notice(author, notice)
    assert error.value.code == "not_submittable"


def test_approval_of_a_notice_in_effect_publishes_it_at_once(
    author, approver, estate, people, review
):
    notice = draft(author, estate)
    services.submit_notice(author, notice)
    approvals.approve(approver, pending_request(notice))
    notice.refresh_from_db()
    assert notice.status == S.PUBLISHED
    assert notice.approved_at is not None and notice.published_at is not None
    assert NoticeReceipt.objects.filter(notice=notice).count() == 3
    assert verbs(notice)[-3:] == ["approval_approved", "approved", "published"]


def test_approval_of_a_future_notice_leaves_it_approved(author, approver, estate, people, review):
    notice = draft(author, estate, effective_from=hours(2))
    services.submit_notice(author, notice)
    approvals.approve(approver, pending_request(notice))
    notice.refresh_from_db()
    assert notice.status == S.APPROVED
    assert not NoticeReceipt.objects.exists()


def test_without_approval_levels_submitting_approves_and_publishes(author, estate, people):
    notice = draft(author, estate)
    services.submit_notice(author, notice)
    assert notice.status == S.PUBLISHED


def test_rejection_returns_the_notice_to_the_author_with_the_reason(
    author, manager, approver, estate, people, review
):
    notice = draft(author, estate)
    services.submit_notice(manager, notice)  # submitted by someone else than the author
    approvals.reject(approver, pending_request(notice), "措辞不当")
    notice.refresh_from_db()
    assert notice.status == S.REJECTED
    assert notice.reject_reason == "措辞不当"
    told = Message.objects.filter(recipient_user=author, purpose="notice_rejected").get()
    assert "措辞不当" in told.body
    # ... edited and resubmitted: the reason is cleared, a new request pending.
    services.update_notice(author, notice, title="停水通知（更正）")
    services.submit_notice(author, notice)
    assert notice.status == S.PENDING_REVIEW and notice.reject_reason == ""
    assert ApprovalRequest.objects.filter(object_id=str(notice.pk)).count() == 2


def test_the_submitter_author_hears_of_the_rejection_once(author, approver, estate, people, review):
    notice = draft(author, estate)
    services.submit_notice(author, notice)
    approvals.reject(approver, pending_request(notice), "重写")
    assert not Message.objects.filter(purpose="notice_rejected").exists()
    assert Message.objects.filter(recipient_user=author, purpose="approval_decided").count() == 1


# Publishing ---------------------------------------------------------------------------------


def approved(author, estate, **changes):
    notice = draft(author, estate, **changes)
    return put(notice, S.APPROVED, approved_at=timezone.now())


def test_publish_now_publishes_an_approved_notice_in_effect(manager, author, estate, people):
    notice = approved(author, estate)
    result = services.publish_notice(manager, notice)
    assert notice.status == S.PUBLISHED
    assert result.audience == 3


def test_publish_refuses_before_the_effective_time(manager, author, estate, people):
    notice = approved(author, estate, effective_from=hours(3))
    with pytest.raises(StateConflict) as error:
        services.publish_notice(manager, notice)
    assert error.value.code == "not_yet_effective"


@pytest.mark.parametrize(
    "status, code",
    [
        (S.DRAFT, "not_approved"),
        (S.PENDING_REVIEW, "not_approved"),
        (S.REJECTED, "not_approved"),
        (S.WITHDRAWN, "not_approved"),
        (S.EXPIRED, "not_approved"),
        (S.PUBLISHED, "already_published"),
    ],
)
def test_publish_refuses_anything_but_approved(manager, author, estate, people, status, code):
    notice = put(draft(author, estate), status)
    with pytest.raises(StateConflict) as error:
        services.publish_notice(manager, notice)
    assert error.value.code == code


def test_publish_refuses_after_the_end(manager, author, estate, people):
    notice = approved(author, estate)
    Notice.objects.filter(pk=notice.pk).update(effective_to=hours(-0.5))
    with pytest.raises(StateConflict) as error:
        services.publish_notice(manager, notice)
    assert error.value.code == "already_ended"


# Withdrawing --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.APPROVED, S.PUBLISHED])
def test_withdraw_an_approved_or_published_notice(manager, author, estate, status):
    notice = put(draft(author, estate), status)
    services.withdraw_notice(manager, notice, "日期有误")
    assert notice.status == S.WITHDRAWN
    assert notice.withdraw_reason == "日期有误"
    assert verbs(notice)[-1] == "withdrawn"


@pytest.mark.parametrize("status", [S.DRAFT, S.PENDING_REVIEW, S.REJECTED, S.WITHDRAWN, S.EXPIRED])
def test_withdraw_refuses_other_states(manager, author, estate, status):
    notice = put(draft(author, estate), status)
    with pytest.raises(StateConflict) as error:
        services.withdraw_notice(manager, notice)
    assert error.value.code == "not_withdrawable"
    notice.refresh_from_db()
    assert notice.status == status


def test_withdraw_refuses_a_published_notice_past_its_end(manager, author, estate):
    notice = put(draft(author, estate), S.PUBLISHED, effective_to=hours(-1))
    with pytest.raises(StateConflict) as error:
        services.withdraw_notice(manager, notice)
    assert error.value.code == "not_withdrawable"


def test_withdraw_edit_resubmit_republish(manager, author, approver, estate, people, review):
    notice = draft(author, estate)
    services.submit_notice(author, notice)
    approvals.approve(approver, pending_request(notice))
    notice.refresh_from_db()
    services.withdraw_notice(manager, notice)
    assert notice.was_published
    services.update_notice(author, notice, content="<p>改为后天停水。</p>")
    services.submit_notice(author, notice)
    approvals.approve(approver, pending_request(notice))
    notice.refresh_from_db()
    assert notice.status == S.PUBLISHED
    assert NoticeReceipt.objects.filter(notice=notice).count() == 3


# The periodic task ---------------------------------------------------------------------------


def test_publish_due_notices_publishes_approved_notices_whose_time_came(author, estate, people):
    due = approved(author, estate)
    future = approved(author, estate, effective_from=hours(2))
    ended = approved(author, estate, effective_from=hours(-5), effective_to=hours(-1))
    draft_notice = draft(author, estate)
    assert services.publish_due_notices() == 1
    for notice in (due, future, ended, draft_notice):
        notice.refresh_from_db()
    assert due.status == S.PUBLISHED
    assert (future.status, ended.status, draft_notice.status) == (S.APPROVED, S.APPROVED, S.DRAFT)
    assert events_for(due).get(verb="published").actor is None
    assert services.publish_due_notices() == 0
    later = timezone.now() + datetime.timedelta(hours=3)
    assert services.publish_due_notices(now=later) == 1


def test_expire_due_notices_expires_published_and_approved_notices_past_their_end(author, estate):
    published = put(draft(author, estate), S.PUBLISHED, effective_to=hours(-1))
    approved_only = put(draft(author, estate), S.APPROVED, effective_to=hours(-1))
    running = put(draft(author, estate), S.PUBLISHED)
    open_ended = put(draft(author, estate), S.PUBLISHED, effective_to=None)
    withdrawn = put(draft(author, estate), S.WITHDRAWN, effective_to=hours(-1))
    assert services.expire_due_notices() == 2
    for notice in (published, approved_only, running, open_ended, withdrawn):
        notice.refresh_from_db()
    assert published.status == approved_only.status == S.EXPIRED
    assert published.expired_at is not None
    assert (running.status, open_ended.status, withdrawn.status) == (
        S.PUBLISHED,
        S.PUBLISHED,
        S.WITHDRAWN,
    )
    assert events_for(published).get(verb="expired").data == {"automatic": True}


def test_the_periodic_task_publishes_and_expires(author, estate, people):
    from courtyard.notices.tasks import publish_and_expire_task

    due = approved(author, estate)
    ended = put(draft(author, estate), S.PUBLISHED, effective_to=hours(-1))
    publish_and_expire_task.call_local()
    due.refresh_from_db()
    ended.refresh_from_db()
    assert (due.status, ended.status) == (S.PUBLISHED, S.EXPIRED)


def test_the_periodic_task_runs_every_minute():
    from courtyard.notices.tasks import publish_and_expire_task

    validate = publish_and_expire_task.task_class().validate_datetime
    assert validate(datetime.datetime(2026, 5, 1, 9, 17))
    assert validate(datetime.datetime(2026, 5, 1, 23, 59))


def test_an_update_that_changes_nothing_records_nothing(author, estate):
    notice = draft(author, estate)
    services.update_notice(author, notice, title="停水通知", estates=[estate])
    assert verbs(notice) == ["created"]
