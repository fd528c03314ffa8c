from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courtyard.core.choices import MessageChannel


class NoticeCategory(models.TextChoices):
    NOTICE = "notice", _("Notice")
    EVENT = "event", pgettext_lazy("announcement category", "Event")
    OUTAGE = "outage", _("Water or power outage")
    EMERGENCY = "emergency", _("Emergency")


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_REVIEW = "pending_review", _("Pending review")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    EXPIRED = "expired", _("Expired")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = NoticeStatus
# The author may edit (and submit) a notice in these states; a withdrawn notice is a draft
# that remembers it was published.
EDITABLE_STATUSES = (S.DRAFT, S.REJECTED, S.WITHDRAWN)
WITHDRAWABLE_STATUSES = (S.APPROVED, S.PUBLISHED)
# Readers see a notice in the portal in these states (an expired one stays readable).
READABLE_STATUSES = (S.PUBLISHED, S.EXPIRED)


class AudienceKind(models.TextChoices):
    ESTATES = "estates", _("All residents of the chosen estates")
    BUILDINGS = "buildings", _("Residents of the chosen buildings")
    UNITS = "units", _("Residents of the chosen units")
    RESIDENTS = "residents", _("Chosen residents")


class NoticeChannel(models.TextChoices):
    """The push channels of a notice: values of core's MessageChannel."""

    APP = MessageChannel.APP.value, _("App pop-up")
    SMS = MessageChannel.SMS.value, _("SMS")
    WECHAT = MessageChannel.WECHAT.value, _("WeChat")


class AttachmentPurpose(models.TextChoices):
    """What a core Attachment of a notice is for."""

    ATTACHMENT = "attachment", _("Attachment")
    POSTER = "poster", _("Poster")
    IMAGE = "image", _("Inline image")


# Variables a reader's copy of a notice (title and content) may use; the portal fills them in
# for each reader. A notice template may also use the dates, filled in when a notice is
# started from it.
READER_VARIABLES = {
    "estate_name": _("Estate name"),
    "owner_name": _("Resident name"),
    "room_no": _("Room number"),
}
TEMPLATE_VARIABLES = {
    **READER_VARIABLES,
    "date": _("Date"),
    "start_date": _("Start date"),
    "end_date": _("End date"),
}

TITLE_MAX_LENGTH = 200
COMMENT_MAX_LENGTH = 1000
