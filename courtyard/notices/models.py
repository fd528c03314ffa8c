"""Announcements (公告): notices with their audience, read receipts, deliveries, comments and
the templates to start one from.

Writes go through ``services``; reads through ``selectors`` (staff, via ``restrict``) and the
portal selectors (residents, via their receipts).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.core.audit import register
from courtyard.core.messaging import template_text
from courtyard.core.models import BaseModel
from courtyard.core.versions import Versioned

from .choices import (
    EDITABLE_STATUSES,
    READABLE_STATUSES,
    TEMPLATE_VARIABLES,
    TITLE_MAX_LENGTH,
    AudienceKind,
    NoticeCategory,
    NoticeChannel,
    NoticeStatus,
)


class Notice(Versioned, BaseModel):
    """An announcement to residents: content, audience, push channels and its workflow state.

    The author is ``created_by``. ``content`` is stored only after the sanitiser. The
    audience is ``audience_kind`` plus the chosen ``estates`` (always) and ``buildings``,
    ``units`` or ``residents`` (which lie within those estates).
    """

    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    content = models.TextField(_("content"), blank=True)
    category = models.CharField(
        _("category"), max_length=16, choices=NoticeCategory.choices, default=NoticeCategory.NOTICE
    )
    pinned = models.BooleanField(_("pinned"), default=False)
    effective_from = models.DateTimeField(_("effective from"))
    effective_to = models.DateTimeField(_("effective to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT
    )
    audience_kind = models.CharField(
        _("audience"), max_length=16, choices=AudienceKind.choices, default=AudienceKind.ESTATES
    )
    estates = models.ManyToManyField(
        "estates.Estate", verbose_name=_("estates"), related_name="+", blank=True
    )
    buildings = models.ManyToManyField(
        "estates.Building", verbose_name=_("buildings"), related_name="+", blank=True
    )
    units = models.ManyToManyField(
        "estates.Unit", verbose_name=_("units"), related_name="+", blank=True
    )
    residents = models.ManyToManyField(
        "residents.Resident", verbose_name=_("residents"), related_name="+", blank=True
    )
    channels = models.JSONField(
        _("push channels"), default=list, blank=True, help_text=_("app, sms, wechat")
    )
    must_read = models.BooleanField(
        _("must read"),
        default=False,
        help_text=_("The portal shows it as a pop-up until the resident confirms reading."),
    )
    resend_on_publish = models.BooleanField(
        _("send again on publishing"),
        default=False,
        help_text=_("Push the notice again to residents who already received it."),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=500, blank=True)
    withdraw_reason = models.CharField(_("reason for withdrawing"), max_length=500, blank=True)
    # Rounds of pushing done: a resend is a new round, so deliveries stay insert-only.
    delivery_round = models.PositiveSmallIntegerField(
        _("delivery round"), default=0, editable=False
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        permissions = [
            ("submit_notice", _("Can submit announcements for review")),
            ("publish_notice", _("Can publish approved announcements now")),
            ("withdraw_notice", _("Can withdraw announcements")),
            ("view_notice_statistics", _("Can view announcement statistics and unread lists")),
        ]
        indexes = [
            # The periodic task: approved notices due to publish, published ones due to expire.
            models.Index(fields=["status", "effective_from"], name="notice_status_from"),
            models.Index(fields=["status", "effective_to"], name="notice_status_to"),
            models.Index(fields=["status", "-created_at"], name="notice_status_created"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("notices:notice_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, scope):
        # Visible when one of its estates is in scope (or holds a building in scope); a
        # subquery on the through table, so the list needs no DISTINCT.
        from courtyard.estates.models import Building

        estates = Q(estate_id__in=scope.estate_ids)
        if scope.building_ids:
            estates |= Q(
                estate_id__in=Building.objects.filter(pk__in=scope.building_ids).values("estate_id")
            )
        return Q(pk__in=cls.estates.through.objects.filter(estates).values("notice_id"))

    @classmethod
    def attachment_visible_to(cls, user, object_id):
        """Files and inline images: staff who may view the notice, and its readers."""
        from courtyard.core.scoping import restrict

        if user.is_resident:
            return NoticeReceipt.objects.filter(
                notice_id=object_id,
                notice__status__in=READABLE_STATUSES,
                resident__user=user,
                resident__archived_at__isnull=True,
            ).exists()
        return restrict(cls.objects.all(), user, "view").filter(pk=object_id).exists()

    @property
    def is_editable(self):
        return self.status in EDITABLE_STATUSES

    @property
    def was_published(self):
        """Published at least once (a withdrawn notice remembers it)."""
        return self.published_at is not None

    @property
    def has_started(self):
        return self.effective_from <= timezone.now()

    @property
    def has_ended(self):
        return self.effective_to is not None and self.effective_to <= timezone.now()

    @property
    def channel_labels(self):
        labels = dict(NoticeChannel.choices)
        return [labels.get(channel, channel) for channel in self.channels]


# The audience is part of what was approved: its changes appear in the history too.
register(Notice, m2m_fields={"estates", "buildings", "units", "residents"})


class NoticeReceipt(models.Model):
    """One audience member's slot for one published notice: read, confirmed, liked.

    Created in bulk at publishing for the whole audience; the unit is the one the notice
    reached the person through (for lists). Not audited: these are readers' clicks.
    """

    notice = models.ForeignKey(
        Notice, verbose_name=_("announcement"), on_delete=models.CASCADE, related_name="receipts"
    )
    resident = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("resident"),
        on_delete=models.CASCADE,
        related_name="notice_receipts",
    )
    unit = models.ForeignKey(
        "estates.Unit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("reading confirmed at"), null=True, blank=True)
    liked_at = models.DateTimeField(_("liked at"), null=True, blank=True)

    scope_exempt = "A reader's slot of a notice: read through its notice (scoped) or by the reader."

    class Meta:
        ordering = ["notice_id", "unit_id", "resident_id"]
        verbose_name = _("read receipt")
        verbose_name_plural = _("read receipts")
        default_permissions = ()  # written by the services, read through the notice
        constraints = [
            models.UniqueConstraint(fields=["notice", "resident"], name="notice_receipt_once"),
        ]
        indexes = [
            # The statistics of one notice: counted from the index alone.
            models.Index(
                fields=["notice", "read_at", "confirmed_at", "liked_at"],
                name="notice_receipt_counts",
            ),
            # The portal: my notices.
            models.Index(fields=["resident", "notice"], name="notice_receipt_reader"),
            # The unread list in its order: a page read from the index.
            models.Index(
                fields=["notice", "unit", "resident"],
                condition=models.Q(read_at__isnull=True),
                name="notice_receipt_unread",
            ),
            # The likes of a notice (the portal), counted from the index alone.
            models.Index(
                fields=["notice"],
                condition=models.Q(liked_at__isnull=False),
                name="notice_receipt_liked",
            ),
        ]

    def __str__(self):
        return f"{self.notice_id} → {self.resident_id}"


class NoticeDelivery(models.Model):
    """One push of a notice to one resident on one channel, with its outbox message.

    Once per person per channel: a later publishing pushes again only when the author
    asks, as a new ``round``.
    """

    notice = models.ForeignKey(
        Notice, verbose_name=_("announcement"), on_delete=models.CASCADE, related_name="deliveries"
    )
    resident = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("resident"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=NoticeChannel.choices)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    message = models.ForeignKey(
        "core.Message",
        verbose_name=_("message"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["notice_id", "round", "resident_id", "channel"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "resident", "channel", "round"], name="notice_delivery_once"
            ),
        ]

    def __str__(self):
        return f"{self.notice_id} → {self.resident_id} ({self.channel})"


@register
class NoticeComment(BaseModel):
    """A resident's comment on a notice, or a staff reply to one (``parent``).

    An abusive comment is hidden, never deleted: it stays, marked, with who hid it and why.
    ``created_by`` is the writer's account (the resident's portal account, or staff).
    """

    notice = models.ForeignKey(
        Notice, verbose_name=_("announcement"), on_delete=models.CASCADE, related_name="comments"
    )
    resident = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty for a staff reply."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("reply to"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
    )
    body = models.TextField(_("comment"))
    is_hidden = models.BooleanField(_("hidden"), default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hidden by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hidden_reason = models.CharField(_("reason for hiding"), max_length=500, blank=True)
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("announcement comment")
        verbose_name_plural = _("announcement comments")
        # Residents write comments through the portal; staff only moderate them.
        default_permissions = ()
        permissions = [
            ("moderate_noticecomment", _("Can hide and reply to announcement comments")),
        ]
        indexes = [models.Index(fields=["notice", "created_at"], name="notice_comment_notice")]

    def __str__(self):
        return self.body[:50]

    @property
    def is_reply(self):
        return self.parent_id is not None


@register
class NoticeTemplate(BaseModel):
    """Wording to start a notice from, with variables ({estate_name}, {owner_name} …).

    Unknown variables and malformed braces are refused on saving.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    category = models.CharField(
        _("category"), max_length=16, choices=NoticeCategory.choices, default=NoticeCategory.NOTICE
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    content = models.TextField(_("content"))

    class Meta:
        ordering = ["category", "name"]
        verbose_name = _("announcement template")
        verbose_name_plural = _("announcement templates")

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        self.check_variables()

    def check_variables(self):
        """Raise ValidationError keyed by field for unknown variables or malformed braces."""
        errors = {}
        for name in ("title", "content"):
            try:
                template_text.check(getattr(self, name), TEMPLATE_VARIABLES)
            except ValidationError as error:
                errors[name] = error
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.check_variables()
        super().save(*args, **kwargs)
