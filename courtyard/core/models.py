"""Shared base models and the records every module uses: timeline, files, messages, jobs."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .audit import AuditedMixin, register
from .choices import (
    ApprovalDecisionKind,
    ApprovalStatus,
    JobStatus,
    MessageChannel,
    MessageStatus,
)


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows the one gate: ``restrict(user, action)``."""

    def restrict(self, user, action="view"):
        from .scoping import restrict

        return restrict(self, user, action)


class BaseModel(AuditedMixin, models.Model):
    """Timestamps and the creating user, shared by every domain record."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class TimelineEvent(models.Model):
    """One business event in the life of a record (submitted, dispatched, published …)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    verb = models.CharField(_("event"), max_length=64)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")

    def __str__(self):
        return f"{self.verb} @ {self.at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    """An uploaded file that belongs to a record and is served only through a permission check."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    owner = GenericForeignKey("content_type", "object_id")
    purpose = models.CharField(_("purpose"), max_length=32, blank=True)
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    mime_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class Message(models.Model):
    """One outbound notification on one channel, rendered before it is queued (the outbox)."""

    channel = models.CharField(_("channel"), max_length=16, choices=MessageChannel.choices)
    recipient = models.CharField(_("recipient"), max_length=255)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages_received",
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    purpose = models.CharField(_("purpose"), max_length=64, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider_ref = models.CharField(_("provider reference"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient_user", "channel", "read_at"])]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        default_permissions = ("view", "change")  # the outbox is written by services only

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient}"


class ParameterValue(AuditedMixin, models.Model):
    """The stored value of one registered system parameter (see core.parameters)."""

    key = models.CharField(_("key"), max_length=100, unique=True)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("parameter value")
        verbose_name_plural = _("parameter values")

    def __str__(self):
        return self.key


# Parameter changes appear in the audit log: who changed which value from what to what.
register(ParameterValue)


class MessageTemplate(AuditedMixin, models.Model):
    """An administrator's wording of one registered message (see core.message_templates)."""

    key = models.CharField(_("key"), max_length=100, unique=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        # Templates are registered by code; administrators reword them (and restore the default).
        default_permissions = ("view", "change")

    def __str__(self):
        return self.key


# Template changes appear in the audit log like parameter changes.
register(MessageTemplate)


class Job(models.Model):
    """A piece of long work (import, export, bill run) run by the worker, with its progress."""

    kind = models.CharField(_("kind"), max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    input_file = models.FileField(_("input file"), upload_to="jobs/in/", blank=True)
    output_file = models.FileField(_("output file"), upload_to="jobs/out/", blank=True)
    output_name = models.CharField(_("output file name"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # A running job's worker renews its lease; an expired lease means the worker died.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "lease_until"])]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self):
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self):
        if self.status == JobStatus.SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def is_finished(self):
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


# Approvals (see core.approvals) -----------------------------------------------------------


@register
class ApprovalFlow(AuditedMixin, models.Model):
    """The approval levels of one kind of record: the default, or one estate's own."""

    kind = models.CharField(_("kind"), max_length=64)
    estate = models.ForeignKey(
        settings.COURTYARD_ESTATE_MODEL,
        verbose_name=_("estate"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: the default flow for every estate without its own."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_estate_lookup = "estate"
    scope_shared_without_estate = True  # the default flow applies to every estate

    class Meta:
        ordering = ["kind", "estate_id"]
        verbose_name = _("approval flow")
        verbose_name_plural = _("approval flows")
        default_permissions = ("view", "change")
        constraints = [
            models.UniqueConstraint(fields=["kind", "estate"], name="approval_flow_per_estate"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(estate__isnull=True), name="approval_flow_default"
            ),
        ]

    def __str__(self):
        return f"{self.kind} ({self.estate or _('default')})"


@register
class ApprovalLevel(AuditedMixin, models.Model):
    """One level of a flow: the members of its role decide at this step."""

    flow = models.ForeignKey(
        ApprovalFlow,
        verbose_name=_("approval flow"),
        on_delete=models.CASCADE,
        related_name="levels",
    )
    order = models.PositiveSmallIntegerField(_("level"))
    role = models.ForeignKey(
        "auth.Group", verbose_name=_("role"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["flow", "order"]
        verbose_name = _("approval level")
        verbose_name_plural = _("approval levels")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["flow", "order"], name="approval_level_order"),
        ]

    def __str__(self):
        return f"{self.order}: {self.name or self.role}"


@register
class ApprovalRequest(AuditedMixin, models.Model):
    """One submission of a record for approval, with the levels it must pass (a snapshot)."""

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    estate_id = models.IntegerField(_("estate"), null=True, blank=True, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="approval_requests",
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.PENDING,
        db_index=True,
    )
    current_level = models.PositiveSmallIntegerField(_("current level"), default=1)
    # Copied from the flow at submission, so that later configuration changes leave a running
    # request alone: [{"role": group id, "role_name": ..., "name": ...}, ...].
    levels = models.JSONField(_("levels"), default=list, blank=True)
    # The role of the level now to decide (denormalised from ``levels`` for the inbox query).
    current_role = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        default_permissions = ("view",)  # written by core.approvals only
        indexes = [models.Index(fields=["content_type", "object_id", "-submitted_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status="pending"),
                name="approval_one_pending_per_subject",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("core:approval_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, scope):
        return Q(estate_id__in=scope.estate_ids)

    @property
    def level_count(self):
        return len(self.levels)

    @property
    def is_pending(self):
        return self.status == ApprovalStatus.PENDING

    @property
    def rejection_reason(self):
        """The reason given when the request was rejected ("" otherwise)."""
        if self.status != ApprovalStatus.REJECTED:
            return ""
        rejection = self.decisions.filter(decision=ApprovalDecisionKind.REJECT).first()
        return rejection.comment if rejection else ""


@register
class ApprovalDecision(AuditedMixin, models.Model):
    """One approver's decision at one level of a request, with their comment or reason."""

    request = models.ForeignKey(
        ApprovalRequest,
        verbose_name=_("approval request"),
        on_delete=models.CASCADE,
        related_name="decisions",
    )
    level = models.PositiveSmallIntegerField(_("level"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="approval_decisions",
    )
    decision = models.CharField(_("decision"), max_length=16, choices=ApprovalDecisionKind.choices)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["request", "level"]
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["request", "level"], name="approval_decision_per_level"
            ),
        ]

    def __str__(self):
        return f"{self.request_id}/{self.level}: {self.get_decision_display()}"
