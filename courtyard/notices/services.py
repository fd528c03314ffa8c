"""The announcement's workflow and the readers' actions: every change of a notice comes
through here, along the state machine declared in ``states.NOTICE`` (draft → pending_review →
approved → published → expired; rejected and withdrawn go back to editing).

Staff actions take the acting user first and need their own permission
(``notices.add_notice``, ``change_notice``, ``delete_notice``, ``submit_notice``,
``publish_notice``, ``withdraw_notice``; ``moderate_noticecomment`` for comments), the
notice in the user's data scope (else 404) and, to change it, every estate of its audience
in scope (else 403). Each locks the notice, checks its state after locking (a refusal is a
``StateConflict`` with a ``code``, HTTP 409, and changes nothing), records the timeline
event; the audit log records the field changes. Messages go out after commit.

Residents act through the portal (``mark_read``, ``confirm_read``, ``like``, ``unlike``,
``add_comment``) on notices they are in the audience of (their receipt), else 404.
"""

import datetime
import logging
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core import bulk, files, message_templates
from courtyard.core.approvals import services as approvals
from courtyard.core.audit import change_source
from courtyard.core.choices import MessageChannel, MessageStatus
from courtyard.core.exceptions import StateConflict
from courtyard.core.messaging import queue_message, template_text
from courtyard.core.models import Message
from courtyard.core.scoping import require_action, restrict
from courtyard.core.tasks import deliver_messages_task
from courtyard.core.timeline import record_event
from courtyard.core.versions import StaleVersion

from . import audience as audiences
from . import variables
from .audience import Audience, audience_count
from .choices import (
    COMMENT_MAX_LENGTH,
    READABLE_STATUSES,
    READER_VARIABLES,
    TITLE_MAX_LENGTH,
    AttachmentPurpose,
    AudienceKind,
    NoticeCategory,
    NoticeChannel,
    NoticeStatus,
)
from .message_texts import PUBLISHED as PUBLISHED_TEMPLATE
from .models import Notice, NoticeComment, NoticeDelivery, NoticeReceipt, NoticeTemplate
from .sanitize import clean_comment, clean_rich, is_blank
from .states import NOTICE

logger = logging.getLogger(__name__)
S = NoticeStatus
APPROVAL_KIND = "notices.notice"
PURPOSE_PUBLISHED = "notice_published"
PUBLISH_BATCH = 2000  # residents per page of rows written
DELIVERY_BATCH = 500  # messages per delivery task
TASK_BATCH = 200  # notices per run of the periodic task

# What a draft is made of: the fields create_notice takes and update_notice may change.
DRAFT_FIELDS = (
    "title",
    "content",
    "category",
    "effective_from",
    "effective_to",
    "pinned",
    "must_read",
    "channels",
    "resend_on_publish",
    "audience_kind",
    "estates",
    "buildings",
    "units",
    "residents",
)
AUDIENCE_FIELDS = ("estates", "buildings", "units", "residents")


# Access ------------------------------------------------------------------------------------


def _require_staff(actor, action, model=Notice):
    if not actor.is_authenticated or getattr(actor, "is_resident", False):
        raise PermissionDenied
    require_action(actor, model, action)


def _locked(actor, notice, action):
    """The notice again, locked, if ``actor`` may ``action`` it: 403 without the permission
    or when its audience reaches beyond their scope, 404 when they cannot see it at all."""
    _require_staff(actor, action)
    found = restrict(Notice.objects.select_for_update(), actor, action).filter(pk=notice.pk).first()
    if found is None:
        raise Http404
    if not audiences.notice_covered(actor, found):
        raise PermissionDenied(_("This announcement reaches estates outside your data scope."))
    return found


def _locked_for(actor, notice, transition):
    """The notice locked for a transition of ``NOTICE``: its permission and scope as
    ``_locked`` checks them, then its state (409 with the transition's code)."""
    fresh = _locked(actor, notice, NOTICE[transition].permission)
    NOTICE.check_state(fresh, transition, actor)
    return fresh


def _refresh(notice, fresh):
    """Bring the caller's object up to date with the saved one."""
    for field in fresh._meta.concrete_fields:
        setattr(notice, field.attname, getattr(fresh, field.attname))
    return notice


# Drafts ------------------------------------------------------------------------------------


@dataclass
class Draft:
    """A notice's fields as validated, and its audience."""

    fields: dict
    audience: Audience


def _checked_draft(actor, data):
    """Validate and normalise a draft's data; raise ValidationError keyed by field."""
    errors = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = ValidationError(_("Enter a title."), code="required")
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = ValidationError(
            _("Keep the title to %(max)s characters."),
            code="max_length",
            params={"max": TITLE_MAX_LENGTH},
        )
    content = clean_rich(data.get("content"))
    for name, text in (("title", title), ("content", content)):
        try:
            template_text.check(text, READER_VARIABLES)
        except ValidationError as error:
            errors.setdefault(name, error)
    category = data.get("category") or NoticeCategory.NOTICE
    if category not in NoticeCategory.values:
        errors["category"] = ValidationError(_("Choose a category."), code="invalid")
    start, end = data.get("effective_from"), data.get("effective_to")
    if start is None:
        errors["effective_from"] = ValidationError(
            _("Enter when the announcement takes effect."), code="required"
        )
    elif end is not None and end <= start:
        errors["effective_to"] = ValidationError(
            _("The end must be after the start."), code="end_before_start"
        )
    channels = list(dict.fromkeys(data.get("channels") or ()))
    if any(channel not in NoticeChannel.values for channel in channels):
        errors["channels"] = ValidationError(_("Choose app, SMS or WeChat."), code="invalid")
    audience = Audience.chosen(
        data.get("audience_kind") or AudienceKind.ESTATES,
        data.get("estates") or (),
        data.get("buildings") or (),
        data.get("units") or (),
        data.get("residents") or (),
    )
    try:
        audiences.check(actor, audience)
    except ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    return Draft(
        {
            "title": title,
            "content": content,
            "category": category,
            "effective_from": start,
            "effective_to": end,
            "pinned": bool(data.get("pinned")),
            "must_read": bool(data.get("must_read")),
            "channels": channels,
            "resend_on_publish": bool(data.get("resend_on_publish")),
            "audience_kind": audience.kind,
        },
        audience,
    )


def _audience_ids(audience):
    """{M2M field: ids} of an audience, the targets of other kinds empty."""
    ids = {"estates": set(audience.estate_ids)}
    for kind, field in audiences.TARGET_FIELD.items():
        ids[field] = set(audience.target_ids) if kind == audience.kind else set()
    return ids


def _save_audience(notice, audience):
    for field, ids in _audience_ids(audience).items():
        getattr(notice, field).set(ids)


def _current_draft(notice):
    """A saved notice's draft data, the audience as ids (the base of a partial update)."""
    data = {name: getattr(notice, name) for name in DRAFT_FIELDS if name not in AUDIENCE_FIELDS}
    for field in AUDIENCE_FIELDS:
        data[field] = list(getattr(notice, field).values_list("pk", flat=True))
    return data


def create_notice(actor, **data):
    """A new draft (``notices.add_notice``).

    Takes the ``DRAFT_FIELDS``: ``title``, ``content`` (HTML; stored sanitised),
    ``category``, ``effective_from`` (required), ``effective_to`` (after the start, or None),
    ``pinned``, ``must_read``, ``channels`` (app / sms / wechat), ``resend_on_publish``,
    ``audience_kind`` and ``estates`` plus ``buildings``, ``units`` or ``residents`` for the
    kind (instances or ids; within the estates and the actor's scope). Title and content may
    use the reader's variables ``{owner_name}``, ``{room_no}``, ``{estate_name}``.
    """
    _require_staff(actor, "add")
    unknown = set(data) - set(DRAFT_FIELDS)
    if unknown:
        raise TypeError(f"unknown notice fields: {sorted(unknown)}")
    draft = _checked_draft(actor, data)
    with transaction.atomic():
        notice = Notice.objects.create(status=S.DRAFT, created_by=actor, **draft.fields)
        _save_audience(notice, draft.audience)
        record_event(notice, actor, "created", _("Draft created"))
    return notice


def update_notice(actor, notice, **changes):
    """Change a draft, a rejected or a withdrawn notice (``notices.change_notice``).

    ``changes`` are any of the ``DRAFT_FIELDS`` (the rest stay); the whole draft is
    validated again. A notice awaiting review, approved, published or expired is refused
    (``not_editable``).
    """
    unknown = set(changes) - set(DRAFT_FIELDS)
    if unknown:
        raise TypeError(f"unknown notice fields: {sorted(unknown)}")
    with transaction.atomic():
        fresh = _locked_for(actor, notice, "edit")
        if fresh.version != notice.version:
            # The draft was saved by someone else since the caller read it: this save would
            # undo their changes (a workflow step acts on the stored notice instead).
            raise StaleVersion()
        before = _current_draft(fresh)
        draft = _checked_draft(actor, {**before, **changes})
        changed = [name for name, value in draft.fields.items() if getattr(fresh, name) != value]
        after = _audience_ids(draft.audience)
        changed += [f for f in AUDIENCE_FIELDS if set(before[f]) != after[f]]
        if not changed:
            return _refresh(notice, fresh)
        for name in draft.fields:
            setattr(fresh, name, draft.fields[name])
        fresh.save()
        _save_audience(fresh, draft.audience)
        record_event(fresh, actor, "edited", _("Draft edited"), fields=changed)
    return _refresh(notice, fresh)


def _require_editable(notice):
    NOTICE.check_state(notice, "edit")


def delete_notice(actor, notice):
    """Delete a draft or rejected notice that was never published (``delete_notice``)."""
    with transaction.atomic():
        fresh = _locked_for(actor, notice, "delete")
        fresh.delete()


# Submitting and the approval's outcome -------------------------------------------------------


def submit_notice(actor, notice):
    """Submit a draft, a rejected or a withdrawn notice for review (``submit_notice``).

    Starts the approval flow of kind ``notices.notice`` for the notice's estate (several
    estates: the default flow). Refused when it is not editable (``not_submittable``), has
    no content (``empty_content``), has already ended (``already_ended``) or its audience is
    nobody now (``empty_audience``). With no approval levels configured it is approved at
    once, and published too when its time has come. Returns the notice.
    """
    with transaction.atomic():
        fresh = _locked_for(actor, notice, "submit")
        if is_blank(fresh.content):
            raise StateConflict(_("Write the announcement before submitting it."), "empty_content")
        if fresh.has_ended:
            raise StateConflict(
                _("The announcement's end has passed; change its dates first."), "already_ended"
            )
        if not audience_count(fresh):
            raise StateConflict(
                _("Nobody lives in the chosen audience: the announcement would reach no one."),
                "empty_audience",
            )
        NOTICE.move(fresh, "submit")
        fresh.submitted_at = timezone.now()
        fresh.reject_reason = ""
        fresh.save(update_fields=["status", "submitted_at", "reject_reason", "updated_at"])
        record_event(fresh, actor, "submitted", _("Submitted for review"))
        estates = list(fresh.estates.values_list("pk", flat=True)[:2])
        approvals.submit(
            actor,
            fresh,
            kind=APPROVAL_KIND,
            estate_id=estates[0] if len(estates) == 1 else None,
            title=_("Announcement: %(title)s") % {"title": fresh.title},
        )
        fresh.refresh_from_db()
    return _refresh(notice, fresh)


def on_approved(request, actor):
    """Approval-engine callback: approved, and published at once when its time has come
    (or expired at once when its end passed meanwhile)."""
    notice = Notice.objects.select_for_update().get(pk=request.object_id)
    NOTICE.check_state(notice, "approve", actor)
    NOTICE.move(notice, "approve")
    notice.approved_at = timezone.now()
    notice.save(update_fields=["status", "approved_at", "updated_at"])
    record_event(notice, actor, "approved", _("Approved"))
    if notice.has_ended:
        _expire(notice, actor)
    elif notice.has_started:
        _publish(notice, actor)


def on_rejected(request, actor, reason):
    """Approval-engine callback: back to the author with the reason."""
    notice = Notice.objects.select_for_update().get(pk=request.object_id)
    NOTICE.check_state(notice, "reject", actor)
    NOTICE.move(notice, "reject")
    notice.reject_reason = (reason or "")[:500]
    notice.save(update_fields=["status", "reject_reason", "updated_at"])
    record_event(notice, actor, "rejected", _("Rejected: %(reason)s") % {"reason": reason})
    author = notice.created_by
    # The engine tells the submitter; the author hears it too when someone else submitted.
    if author is not None and author.pk != request.submitted_by_id and author.is_active:
        queue_message(
            MessageChannel.APP,
            author.get_username(),
            _("Your announcement “%(title)s” was rejected. Reason: %(reason)s")
            % {"title": notice.title, "reason": reason},
            user=author,
            subject=_("Announcement rejected: %(title)s") % {"title": notice.title},
            purpose="notice_rejected",
        )


# Publishing --------------------------------------------------------------------------------


@dataclass
class PublishResult:
    audience: int
    messages: int


def publish_notice(actor, notice, *, resend=None):
    """Publish an approved notice now (``notices.publish_notice``), once its time has come.

    Creates a read receipt for every audience member and a message per channel for each
    (see ``_publish``). ``resend`` (default: the notice's ``resend_on_publish``) pushes
    again to people who already received it. Refused unless approved (``not_approved``,
    ``already_published``), before ``effective_from`` (``not_yet_effective``) and after its
    end (``already_ended``).
    """
    with transaction.atomic():
        fresh = _locked_for(actor, notice, "publish")
        result = _publish(fresh, actor, resend=resend)
    _refresh(notice, fresh)
    return result


def _publish(notice, actor, *, resend=None):
    """Publish a locked, approved notice: receipts for the audience, deliveries and messages
    for each channel, a page at a time (COPY on PostgreSQL); messages are delivered after commit.

    Once per person per channel: people who already have a delivery of this notice on a
    channel get none on it, unless ``resend`` (a new round for everybody).
    """
    now = timezone.now()
    resend = notice.resend_on_publish if resend is None else resend
    audience = Audience.of(notice)
    if notice.was_published:
        # Republished after an edit: people no longer in the audience lose the notice.
        notice.receipts.exclude(resident_id__in=audience.resident_ids()).delete()
    if resend or notice.delivery_round == 0:
        notice.delivery_round += 1
        already = set()
    else:
        already = set(notice.deliveries.values_list("resident_id", "channel"))
    writer = _DeliveryWriter(notice, already)
    # One sorted read, streamed (a server-side cursor on PostgreSQL), written a page at a time.
    rows = (
        audience.occupancies()
        .order_by("resident_id", "unit_id")
        .values_list(*_DeliveryWriter.COLUMNS)
        .iterator(chunk_size=PUBLISH_BATCH)
    )
    page = []
    for row in rows:
        page.append(row)
        if len(page) >= PUBLISH_BATCH:
            writer.write(page)
            page = []
    writer.write(page)
    writer.queue_delivery()
    NOTICE.move(notice, "publish")
    notice.published_at = now
    notice.resend_on_publish = False
    notice.save(
        update_fields=[
            "status",
            "published_at",
            "resend_on_publish",
            "delivery_round",
            "updated_at",
        ]
    )
    record_event(
        notice,
        actor,
        "published",
        _("Published to %(count)s residents; %(messages)s messages sent")
        % {"count": writer.people, "messages": len(writer.message_ids)},
        audience=writer.people,
        messages=len(writer.message_ids),
        channels=dict(writer.channel_counts),  # the statistics read them (no count of 100,000s)
        round=notice.delivery_round,
        resend=bool(resend),
    )
    return PublishResult(writer.people, len(writer.message_ids))


class _DeliveryWriter:
    """Writes the receipts, messages and deliveries of one publishing, a page at a time."""

    COLUMNS = (
        "resident_id",
        "unit_id",
        "estate__name",
        "building__name",
        "unit__entrance__name",
        "unit__room_no",
        "resident__name",
        "resident__phone",
        "resident__user_id",
        "resident__user__username",
    )

    # Written as plain rows through the driver: building and preparing 100,000s of model
    # instances for bulk_create cost several times the inserts themselves.
    MESSAGE_COLUMNS = (
        "channel",
        "recipient",
        "recipient_user_id",
        "subject",
        "body",
        "purpose",
        "status",
        "attempts",
        "last_error",
        "provider_ref",
        "created_at",
    )
    RECEIPT_COLUMNS = ("notice_id", "resident_id", "unit_id")
    DELIVERY_COLUMNS = ("notice_id", "resident_id", "channel", "message_id", "round", "created_at")

    def __init__(self, notice, already):
        self.notice = notice
        self.already = already
        self.subject, self.body, _customised = message_templates.current(PUBLISHED_TEMPLATE)
        self.date = f"{timezone.localtime(notice.effective_from):%Y-%m-%d}"
        self.people = 0
        self.message_ids = []
        self.channel_counts = Counter()
        self.last = None  # the rows come by resident: a repeat is the same person's next home
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        self.message_tail = (PURPOSE_PUBLISHED, MessageStatus.QUEUED.value, 0, "", "", stamp)
        self.delivery_tail = (notice.delivery_round, stamp)
        # Only publishing writes receipts: nobody has one before the first.
        self.republished = notice.was_published

    def write(self, page):
        notice = self.notice
        receipts, messages, deliveries = [], [], []
        for row in page:
            resident_id, unit_id, estate, building, entrance, room, name, phone, user_id, login = (
                row
            )
            if resident_id == self.last:  # a second home: one receipt and message per person
                continue
            self.last = resident_id
            receipts.append((notice.pk, resident_id, unit_id))
            targets = {
                NoticeChannel.APP: login if user_id else "",
                NoticeChannel.SMS: phone,
                NoticeChannel.WECHAT: phone,
            }
            channels = [
                channel
                for channel in notice.channels
                if targets.get(channel) and (resident_id, channel) not in self.already
            ]
            if not channels:
                continue
            context = variables.reader_context(
                name=name, estate_name=estate, building=building, entrance=entrance, room_no=room
            )
            context["title"] = variables.render(notice.title, context)
            context["date"] = self.date
            subject = template_text.render(self.subject, context)[:200]
            body = template_text.render(self.body, context)
            for channel in channels:
                messages.append(
                    (channel, targets[channel], user_id, subject, body, *self.message_tail)
                )
                deliveries.append((notice.pk, resident_id, channel))
                self.channel_counts[channel] += 1
        self.people += len(receipts)
        # Republished: the receipts people have are kept as they are (read, liked …).
        bulk.insert(NoticeReceipt, self.RECEIPT_COLUMNS, receipts, skip_conflicts=self.republished)
        ids = bulk.insert(Message, self.MESSAGE_COLUMNS, messages)
        bulk.insert(NoticeDelivery, self.DELIVERY_COLUMNS, self._deliveries(deliveries, ids))
        self.message_ids.extend(ids)

    def _deliveries(self, deliveries, message_ids):
        return [
            (*delivery, message_id, *self.delivery_tail)
            for delivery, message_id in zip(deliveries, message_ids, strict=True)
        ]

    def queue_delivery(self):
        ids = self.message_ids
        for start in range(0, len(ids), DELIVERY_BATCH):
            batch = ids[start : start + DELIVERY_BATCH]
            transaction.on_commit(lambda batch=batch: deliver_messages_task(batch))


# Withdrawing and expiring -------------------------------------------------------------------


def withdraw_notice(actor, notice, reason=""):
    """Withdraw an approved or published notice that has not ended (``withdraw_notice``).

    Readers no longer see it; the author may edit it and submit it again. Anything else is
    refused (``not_withdrawable``).
    """
    with transaction.atomic():
        fresh = _locked_for(actor, notice, "withdraw")
        NOTICE.move(fresh, "withdraw")
        fresh.withdrawn_at = timezone.now()
        fresh.withdraw_reason = (reason or "").strip()[:500]
        fresh.save(update_fields=["status", "withdrawn_at", "withdraw_reason", "updated_at"])
        record_event(
            fresh,
            actor,
            "withdrawn",
            _("Withdrawn: %(reason)s") % {"reason": fresh.withdraw_reason}
            if fresh.withdraw_reason
            else _("Withdrawn"),
            reason=fresh.withdraw_reason,
        )
    return _refresh(notice, fresh)


def _expire(notice, actor=None):
    NOTICE.move(notice, "expire")
    notice.expired_at = timezone.now()
    notice.save(update_fields=["status", "expired_at", "updated_at"])
    record_event(notice, actor, "expired", _("Expired at its end"), automatic=actor is None)


def expire_due_notices(now=None):
    """Expire published (and approved, never published) notices whose end has passed;
    returns how many. Run every minute by ``tasks.publish_and_expire``."""
    now = now or timezone.now()
    due = Notice.objects.filter(
        status__in=NOTICE["expire"].sources, effective_to__lte=now
    ).values_list("pk", flat=True)
    expired = 0
    with change_source("task"):
        for pk in list(due[:TASK_BATCH]):
            with transaction.atomic():
                notice = (
                    Notice.objects.select_for_update()
                    .filter(pk=pk, status__in=NOTICE["expire"].sources, effective_to__lte=now)
                    .first()
                )
                if notice is None:  # withdrawn meanwhile
                    continue
                _expire(notice)
                expired += 1
    return expired


def publish_due_notices(now=None):
    """Publish the approved notices whose ``effective_from`` has come; returns how many."""
    now = now or timezone.now()
    due = (
        Notice.objects.filter(status__in=NOTICE["publish"].sources, effective_from__lte=now)
        .exclude(effective_to__lte=now)
        .order_by("effective_from", "pk")
        .values_list("pk", flat=True)
    )
    published = 0
    with change_source("task"):
        for pk in list(due[:TASK_BATCH]):
            try:
                with transaction.atomic():
                    notice = (
                        Notice.objects.select_for_update()
                        .filter(
                            pk=pk, status__in=NOTICE["publish"].sources, effective_from__lte=now
                        )
                        .first()
                    )
                    if notice is None:  # published or withdrawn meanwhile
                        continue
                    _publish(notice, None)
                    published += 1
            except Exception:  # one notice's failure must not hold up the others
                logger.exception("publishing notice %s failed", pk)
    return published


# Readers -----------------------------------------------------------------------------------


def _receipt(user, notice):
    """The reader's receipt of a notice they may read, else 404 (403 for staff)."""
    if not user.is_authenticated or not getattr(user, "is_resident", False):
        raise PermissionDenied
    receipt = (
        NoticeReceipt.objects.select_related("notice", "resident")
        .filter(
            notice_id=notice.pk,
            notice__status__in=READABLE_STATUSES,
            resident__user=user,
            resident__archived_at__isnull=True,
        )
        .first()
    )
    if receipt is None:
        raise Http404
    return receipt


def _require_published(receipt):
    NOTICE.check_state(receipt.notice, "respond")


def _stamp(receipt, **values):
    NoticeReceipt.objects.filter(pk=receipt.pk).update(**values)
    for name, value in values.items():
        setattr(receipt, name, value)
    return receipt


def mark_read(user, notice):
    """The reader opened the notice: the first time counts, and the notice's app messages
    to them count as read in their inbox too. Returns the receipt."""
    receipt = _receipt(user, notice)
    if receipt.read_at is None:
        now = timezone.now()
        NoticeReceipt.objects.filter(pk=receipt.pk, read_at__isnull=True).update(read_at=now)
        receipt.read_at = now
        _inbox_read(receipt, now)
    return receipt


def confirm_read(user, notice):
    """The reader confirms having read a must-read notice (closes the pop-up)."""
    receipt = _receipt(user, notice)
    if not receipt.notice.must_read:
        raise StateConflict(_("This announcement needs no confirmation."), "not_must_read")
    if receipt.confirmed_at is None:
        now = timezone.now()
        if receipt.read_at is None:
            _inbox_read(receipt, now)
        return _stamp(receipt, confirmed_at=now, read_at=receipt.read_at or now)
    return receipt


def _inbox_read(receipt, now):
    pushed = NoticeDelivery.objects.filter(
        notice_id=receipt.notice_id, resident_id=receipt.resident_id, channel=NoticeChannel.APP
    ).values("message_id")
    Message.objects.filter(pk__in=pushed, read_at__isnull=True).update(read_at=now)


def like(user, notice):
    receipt = _receipt(user, notice)
    _require_published(receipt)
    return receipt if receipt.liked_at else _stamp(receipt, liked_at=timezone.now())


def unlike(user, notice):
    receipt = _receipt(user, notice)
    _require_published(receipt)
    return _stamp(receipt, liked_at=None) if receipt.liked_at else receipt


def add_comment(user, notice, body):
    """A reader's comment on a published notice (sanitised: text, line breaks, b/i/a)."""
    receipt = _receipt(user, notice)
    _require_published(receipt)
    body = _comment_body(body)
    return NoticeComment.objects.create(
        notice_id=notice.pk, resident=receipt.resident, body=body, created_by=user
    )


def _comment_body(text):
    body = clean_comment(text)
    if is_blank(body):
        raise ValidationError({"body": ValidationError(_("Write a comment."), code="required")})
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "body": ValidationError(
                    _("Keep the comment to %(max)s characters."),
                    code="max_length",
                    params={"max": COMMENT_MAX_LENGTH},
                )
            }
        )
    return body


# Moderating comments ------------------------------------------------------------------------


def _moderated(actor, comment):
    """The comment again, locked, if ``actor`` may moderate it (its notice in scope)."""
    _require_staff(actor, "moderate", NoticeComment)
    if not restrict(Notice.objects.all(), actor, "view").filter(pk=comment.notice_id).exists():
        raise Http404
    return NoticeComment.objects.select_for_update().select_related("notice").get(pk=comment.pk)


def hide_comment(actor, comment, reason):
    """Hide an abusive comment (``moderate_noticecomment``): kept, marked, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Give a reason for hiding the comment."), "required")}
        )
    with transaction.atomic():
        fresh = _moderated(actor, comment)
        if fresh.is_hidden:
            raise StateConflict(_("This comment is already hidden."), "already_hidden")
        fresh.is_hidden = True
        fresh.hidden_by = actor
        fresh.hidden_reason = reason[:500]
        fresh.hidden_at = timezone.now()
        fresh.save(update_fields=["is_hidden", "hidden_by", "hidden_reason", "hidden_at"])
        record_event(
            fresh.notice,
            actor,
            "comment_hidden",
            _("Comment hidden: %(reason)s") % {"reason": fresh.hidden_reason},
            comment=fresh.pk,
        )
    return _refresh(comment, fresh)


def reply_to_comment(actor, comment, body):
    """A staff reply under a resident's comment (``moderate_noticecomment``)."""
    body = _comment_body(body)
    with transaction.atomic():
        fresh = _moderated(actor, comment)
        if fresh.is_hidden:
            raise StateConflict(_("A hidden comment cannot be replied to."), "hidden")
        reply = NoticeComment.objects.create(
            notice=fresh.notice,
            parent_id=fresh.parent_id or fresh.pk,  # replies hang under the first comment
            body=body,
            created_by=actor,
        )
        record_event(
            fresh.notice, actor, "comment_replied", _("Replied to a comment"), comment=fresh.pk
        )
    return reply


# Files and inline images --------------------------------------------------------------------

# What a file of a notice may be, by its purpose (checked by content, core.files).
FILE_KINDS = {
    AttachmentPurpose.ATTACHMENT: files.DOCUMENT_KINDS,
    AttachmentPurpose.POSTER: files.IMAGE_KINDS,
}


def save_draft(actor, notice=None, *, add_files=(), remove_files=(), **fields):
    """The form's save: create a draft (``notice`` None) or change one, and its files, in one
    transaction. ``fields`` as ``create_notice`` / ``update_notice`` take them; ``add_files``
    and ``remove_files`` as ``change_files``. Returns the notice."""
    add_files = _checked_files(add_files)
    with transaction.atomic():
        if notice is None:
            notice = create_notice(actor, **fields)
            # Created by the actor in their scope: its first files come with the right to add.
            _write_files(actor, notice, add_files, ())
        else:
            notice = update_notice(actor, notice, **fields)
            change_files(actor, notice, add=add_files, remove=remove_files)
    return notice


def change_files(actor, notice, *, add=(), remove=()):
    """Attach files to a notice and remove some, as one change on its timeline
    (``notices.change_notice``; a notice not editable, or changed since the caller read it, is
    refused as ``update_notice`` refuses it).

    ``add`` holds (purpose, file) pairs: attachments PDF, JPEG or PNG, posters JPEG or PNG,
    each checked by its content (a bad one: ValidationError on ``upload``, nothing stored).
    ``remove`` holds ids of the notice's attachments and posters; its inline images stay (the
    content links them). Returns the attachments added and how many were removed.
    """
    add = _checked_files(add)
    if not add and not remove:
        return [], 0
    with transaction.atomic():
        fresh = _locked(actor, notice, "change")
        _require_editable(fresh)
        if fresh.version != notice.version:
            raise StaleVersion()
        return _write_files(actor, fresh, add, remove)


def _checked_files(add):
    add = list(add)
    errors = []
    for purpose, uploaded in add:
        if purpose not in FILE_KINDS:
            raise ValueError(f"not a purpose of a notice's file: {purpose!r}")
        try:
            files.validate_upload(uploaded, FILE_KINDS[purpose])
        except ValidationError as error:
            errors.extend(error.error_list)
    if errors:
        raise ValidationError({"upload": errors})
    return add


def _write_files(actor, notice, add, remove):
    added = [
        files.attach(notice, uploaded, actor, purpose=purpose, kinds=FILE_KINDS[purpose])
        for purpose, uploaded in add
    ]
    removed = 0
    if remove:
        removed, _by_model = (
            files.attachments_of(notice)
            .filter(pk__in=remove, purpose__in=list(FILE_KINDS))
            .delete()
        )
    if added or removed:
        record_event(
            notice,
            actor,
            "files_changed",
            _("Files changed: %(added)s added, %(removed)s removed")
            % {"added": len(added), "removed": removed},
        )
    return added, removed


def add_file(actor, notice, uploaded, purpose=AttachmentPurpose.ATTACHMENT):
    """One attachment or poster (see ``change_files``); returns the stored attachment."""
    added, _removed = change_files(actor, notice, add=[(purpose, uploaded)])
    return added[0]


def remove_file(actor, notice, attachment_id):
    """Remove one attachment or poster of the notice (see ``change_files``); 404 when it is
    none of its attachments and posters."""
    with transaction.atomic():
        _added, removed = change_files(actor, notice, remove=[attachment_id])
        if not removed:
            raise Http404


def add_image(actor, notice, uploaded):
    """An image inserted in the content from the editor: JPEG or PNG, checked by its content,
    stored with an editable notice (``notices.change_notice``) for the content to link to.

    Not on the timeline (saving the content that shows it is) and not held to the version the
    caller read: the editor uploads while the draft is being written. Returns the attachment.
    """
    with transaction.atomic():
        fresh = _locked(actor, notice, "change")
        _require_editable(fresh)
        if uploaded is None:
            raise ValidationError({"image": ValidationError(_("Choose an image."), "required")})
        try:
            return files.attach(
                fresh, uploaded, actor, AttachmentPurpose.IMAGE, kinds=files.IMAGE_KINDS
            )
        except ValidationError as error:
            raise ValidationError({"image": error.error_list}) from None


# Templates ---------------------------------------------------------------------------------


TEMPLATE_FIELDS = ("name", "category", "title", "content")


def _save_template(template):
    template.name = (template.name or "").strip()
    template.title = (template.title or "").strip()
    template.content = clean_rich(template.content)
    template.full_clean()
    template.save()
    return template


def create_template(actor, *, name, title, content, category=NoticeCategory.NOTICE):
    """A notice template (``notices.add_noticetemplate``); unknown variables are refused."""
    _require_staff(actor, "add", NoticeTemplate)
    with transaction.atomic():
        return _save_template(
            NoticeTemplate(
                name=name, category=category, title=title, content=content, created_by=actor
            )
        )


def update_template(actor, template, **changes):
    """Change a template's ``name``, ``category``, ``title`` or ``content``."""
    _require_staff(actor, "change", NoticeTemplate)
    unknown = set(changes) - set(TEMPLATE_FIELDS)
    if unknown:
        raise TypeError(f"unknown template fields: {sorted(unknown)}")
    with transaction.atomic():
        fresh = NoticeTemplate.objects.select_for_update().get(pk=template.pk)
        for name, value in changes.items():
            setattr(fresh, name, value)
        _save_template(fresh)
    return _refresh(template, fresh)


def delete_template(actor, template):
    _require_staff(actor, "delete", NoticeTemplate)
    with transaction.atomic():
        NoticeTemplate.objects.filter(pk=template.pk).delete()


def fill_template(template, *, estates=(), effective_from=None, effective_to=None):
    """The title and content of a new notice started from ``template``: the estate names
    and dates filled in, the reader's variables (name, room) left for each reader."""
    names = [getattr(e, "name", e) for e in estates]
    start, end = effective_from, effective_to
    context = {"date": _date(start or timezone.now()), "start_date": _date(start)}
    context["end_date"] = _date(end)
    if names:
        context["estate_name"] = "、".join(str(n) for n in names)
    return (
        variables.fill(template.title, context),
        variables.fill(template.content, context, html=True),
    )


def _date(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{value:%Y-%m-%d}"
    return value.isoformat()
