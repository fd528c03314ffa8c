from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkOrderStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# "Cancelled from any open state": every state before closed or cancelled.
OPEN_STATUSES = (
    WorkOrderStatus.SUBMITTED,
    WorkOrderStatus.ACCEPTED,
    WorkOrderStatus.DISPATCHED,
    WorkOrderStatus.IN_PROGRESS,
    WorkOrderStatus.COMPLETED,
)
# Not yet answered by the office: the response deadline runs.
UNRESPONDED_STATUSES = (WorkOrderStatus.SUBMITTED, WorkOrderStatus.ACCEPTED)
# Not yet repaired: the resolution deadline runs.
UNRESOLVED_STATUSES = (
    WorkOrderStatus.SUBMITTED,
    WorkOrderStatus.ACCEPTED,
    WorkOrderStatus.DISPATCHED,
    WorkOrderStatus.IN_PROGRESS,
)
# A technician's open load.
ASSIGNED_STATUSES = (WorkOrderStatus.DISPATCHED, WorkOrderStatus.IN_PROGRESS)


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


# Most urgent first (the pending list's order).
URGENCY_RANK = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.NORMAL: 2}


class Source(models.TextChoices):
    PORTAL = "portal", _("Resident portal")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    INSPECTION = "inspection", _("Inspection")
    STAFF = "staff", _("Staff")


class PhotoPurpose(models.TextChoices):
    REPORT = "report", _("Report photo")
    COMPLETION = "completion", _("Completion photo")
    SIGNATURE = "signature", _("Resident's signature")
    PHOTO = "photo", _("Follow-up photo")


MAX_PHOTOS = 9
