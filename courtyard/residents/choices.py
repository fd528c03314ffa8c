from django.db import models
from django.utils.translation import gettext_lazy as _


class ResidentKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    COMPANY = "company", _("Company")


class ResidentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    CURRENT = "current", _("Current")
    ARCHIVED = "archived", _("Archived")


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    TENANT = "tenant", _("Tenant")
    MEMBER = "member", _("Household member")


# The main person of a registration is the owner or a tenant; members come with them.
MAIN_ROLES = (Role.OWNER, Role.TENANT)


class OccupancyStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    CURRENT = "current", _("Current")
    ENDED = "ended", _("Moved out")
    REJECTED = "rejected", _("Rejected")


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class VehicleKind(models.TextChoices):
    CAR = "car", _("Car")
    MOTORBIKE = "motorbike", _("Motorbike")
    EBIKE = "ebike", _("E-bike")
    OTHER = "other", _("Other")


class DocumentPurpose(models.TextChoices):
    DEED = "deed", _("Property deed")
    LEASE = "lease", _("Lease")
    OTHER = "other", _("Other document")
    CONFIRMATION = "confirmation", _("Owner's confirmation")
