"""Repairs: work orders from report to closed and rated, their follow-ups and categories."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.core.audit import register
from courtyard.core.bilingual import BilingualName
from courtyard.core.models import BaseModel
from courtyard.core.versions import Versioned

from .choices import (
    OPEN_STATUSES,
    UNRESOLVED_STATUSES,
    UNRESPONDED_STATUSES,
    URGENCY_RANK,
    Source,
    Urgency,
    WorkOrderStatus,
)


@register
class RepairCategory(BilingualName, BaseModel):
    """A kind of repair (水电, 门禁, 电梯 …): configurable, seeded by a data migration."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    requires_signature = models.BooleanField(
        _("requires the resident's signature"),
        default=False,
        help_text=_("Completing an order of this category needs the resident's signature."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("repair category")
        verbose_name_plural = _("repair categories")

    def get_absolute_url(self):
        return reverse("repairs:repaircategory_detail", args=[self.pk])


@register
class TechnicianSkill(BaseModel):
    """A category of repair a technician can handle (used to suggest whom to dispatch)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        on_delete=models.CASCADE,
        related_name="repair_skills",
    )
    category = models.ForeignKey(
        RepairCategory,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="skills",
    )

    class Meta:
        ordering = ["user_id", "category__sort_order"]
        verbose_name = _("technician skill")
        verbose_name_plural = _("technician skills")
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="technician_skill_unique")
        ]

    def __str__(self):
        return f"{self.user} · {self.category}"


@register
class WorkOrder(Versioned, BaseModel):
    """A repair request (报修工单) from report to closed, with its deadlines and rating."""

    number = models.CharField(_("number"), max_length=20, editable=False)
    estate = models.ForeignKey(
        "estates.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "estates.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "estates.Unit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    location = models.CharField(
        _("location"),
        max_length=200,
        blank=True,
        help_text=_("For a public area: where exactly (e.g. 2栋 lift lobby)."),
    )
    category = models.ForeignKey(
        RepairCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    description = models.TextField(_("description"))
    urgency = models.CharField(
        _("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    # 0 emergency, 1 urgent, 2 normal: the pending list sorts on it with an index.
    priority = models.PositiveSmallIntegerField(_("priority"), default=2, editable=False)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.STAFF
    )
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    preferred_time = models.CharField(_("preferred visit time"), max_length=100, blank=True)
    is_paid = models.BooleanField(_("paid repair"), default=False)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=WorkOrderStatus.choices,
        default=WorkOrderStatus.SUBMITTED,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_work_orders",
    )
    dispatch_note = models.CharField(_("dispatch note"), max_length=500, blank=True)
    resident = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_orders",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_work_orders",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    response_due = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolve by"), null=True, blank=True)
    response_breach_notified_at = models.DateTimeField(
        _("response breach notified at"), null=True, blank=True, editable=False
    )
    resolution_breach_notified_at = models.DateTimeField(
        _("resolution breach notified at"), null=True, blank=True, editable=False
    )
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    work_done = models.TextField(_("work done"), blank=True)
    materials = models.TextField(_("materials"), blank=True)
    cost = models.DecimalField(
        _("cost"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    closed_automatically = models.BooleanField(_("closed automatically"), default=False)
    # Set when the paid-repair hooks ran, so that a charge is raised once per order.
    charge_raised_at = models.DateTimeField(
        _("charge raised at"), null=True, blank=True, editable=False
    )

    scope_estate_lookup = "estate"
    scope_building_lookup = "building"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        permissions = [
            ("accept_workorder", _("Can accept work orders")),
            ("dispatch_workorder", _("Can dispatch work orders")),
            ("followup_workorder", _("Can add follow-ups to work orders")),
            ("complete_workorder", _("Can start and complete work orders (technician)")),
            ("close_workorder", _("Can close and reopen work orders")),
            ("cancel_workorder", _("Can cancel work orders")),
            ("view_repair_statistics", _("Can view repair statistics")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "number"], name="workorder_number_per_estate"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="workorder_rating_1_to_5",
            ),
        ]
        indexes = [
            # Lists by state within an estate, newest first.
            models.Index(
                fields=["estate", "status", "-created_at"], name="workorder_estate_status"
            ),
            # A tab, newest first; the scope's columns let a scoped list and its count
            # be read from the index alone.
            models.Index(
                fields=["status", "-created_at", "estate", "building"],
                name="workorder_status_created",
            ),
            models.Index(fields=["estate", "-created_at"], name="workorder_estate_created"),
            # The pending list: most urgent, then oldest.
            models.Index(fields=["status", "priority", "created_at"], name="workorder_pending"),
            models.Index(fields=["assignee", "status"], name="workorder_assignee_status"),
            models.Index(fields=["building", "status"], name="workorder_building_status"),
            models.Index(fields=["unit", "-created_at"], name="workorder_unit_created"),
            models.Index(fields=["status", "response_due"], name="workorder_response_due"),
            models.Index(fields=["status", "resolution_due"], name="workorder_resolution_due"),
            models.Index(fields=["status", "completed_at"], name="workorder_status_completed"),
            models.Index(fields=["resident", "-created_at"], name="workorder_resident_created"),
            # The list's usual filters within a tab (category, urgency), newest first, and
            # the scope's columns.
            models.Index(
                fields=["status", "category", "urgency", "-created_at", "estate", "building"],
                name="workorder_status_category",
            ),
            # The statistics' recurring units and categories: read alone, in this order.
            models.Index(
                fields=["unit", "category", "created_at", "estate", "building"],
                name="workorder_recurrence",
            ),
        ]

    def __str__(self):
        return self.number or str(_("new work order"))

    def get_absolute_url(self):
        return reverse("repairs:workorder_detail", args=[self.pk])

    def save(self, *args, **kwargs):
        self.priority = URGENCY_RANK.get(self.urgency, 2)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "urgency" in update_fields:
            kwargs["update_fields"] = set(update_fields) | {"priority"}
        super().save(*args, **kwargs)

    @property
    def place(self):
        """The unit, or the public area (building and location)."""
        if self.unit_id:
            return str(self.unit)
        parts = [str(self.building) if self.building_id else self.estate.name, self.location]
        return " ".join(p for p in parts if p)

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def response_overdue(self):
        """Not yet accepted and past the response deadline."""
        return (
            self.status in UNRESPONDED_STATUSES
            and self.response_due is not None
            and timezone.now() > self.response_due
        )

    @property
    def resolution_overdue(self):
        """Not yet repaired and past the resolution deadline."""
        return (
            self.status in UNRESOLVED_STATUSES
            and self.resolution_due is not None
            and timezone.now() > self.resolution_due
        )

    @property
    def is_overdue(self):
        return self.response_overdue or self.resolution_overdue

    @classmethod
    def overdue_q(cls, now=None):
        """The Q of orders past a running deadline (for lists and the breach task)."""
        now = now or timezone.now()
        return Q(status__in=UNRESPONDED_STATUSES, response_due__lt=now) | Q(
            status__in=UNRESOLVED_STATUSES, resolution_due__lt=now
        )

    @classmethod
    def attachment_visible_to(cls, user, object_id):
        """Photos and signatures: staff who may view the order, and the resident it is for."""
        from courtyard.core.scoping import restrict

        if user.is_resident:
            return cls.objects.filter(
                Q(resident__user=user) | Q(reported_by=user), pk=object_id
            ).exists()
        return restrict(cls.objects.all(), user, "view").filter(pk=object_id).exists()


@register
class FollowUp(BaseModel):
    """A follow-up record on a work order (跟进记录): text, and photos as attachments."""

    work_order = models.ForeignKey(
        WorkOrder,
        verbose_name=_("work order"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("text"))

    scope_estate_lookup = "work_order__estate"
    scope_building_lookup = "work_order__building"

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self):
        return f"{self.work_order} · {self.created_at:%Y-%m-%d %H:%M}"

    @classmethod
    def attachment_visible_to(cls, user, object_id):
        follow_up = cls.objects.filter(pk=object_id).values("work_order_id").first()
        if follow_up is None:
            return False
        return WorkOrder.attachment_visible_to(user, follow_up["work_order_id"])


class PendingListVisit(models.Model):
    """When a user last looked at the pending repairs, so that what arrived since is marked
    new: ``new_since`` is where their current look started from (see
    ``services.look_at_pending``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    seen_at = models.DateTimeField(_("last looked at"))
    new_since = models.DateTimeField(_("new since"), null=True, blank=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.user_id}: {self.seen_at:%Y-%m-%d %H:%M}"


class WorkOrderSequence(models.Model):
    """The last work-order number given in one estate and year (taken under a row lock)."""

    estate = models.ForeignKey("estates.Estate", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    scope_exempt = "A counter taken under a row lock by the create service, never listed."

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["estate", "year"], name="workorder_sequence_unique")
        ]

    def __str__(self):
        return f"{self.estate_id}/{self.year}: {self.last_number}"


class WorkOrderDailyFigure(models.Model):
    """The work orders reported on one day in one building (or in one estate's public areas),
    counted and summed for the statistics; kept by ``repairs.rollup``."""

    day = models.DateField(_("day"))
    estate = models.ForeignKey(
        "estates.Estate", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    building = models.ForeignKey(
        "estates.Building", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    orders = models.PositiveIntegerField(default=0)
    # Orders per current status.
    submitted = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    dispatched = models.PositiveIntegerField(default=0)
    in_progress = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    # Response (accepted − reported) and resolution (completed − reported) times.
    responded = models.PositiveIntegerField(default=0)
    response_hours = models.FloatField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolution_hours = models.FloatField(default=0)
    # Deadlines of the orders not cancelled, and those answered or resolved after them.
    response_due = models.PositiveIntegerField(default=0)
    response_late = models.PositiveIntegerField(default=0)
    resolution_due = models.PositiveIntegerField(default=0)
    resolution_late = models.PositiveIntegerField(default=0)
    # Deadlines still running: each is a breach once it has passed, so the statistics compare
    # them with the time of reading (all passed, none, or that day's orders looked at).
    unanswered = models.PositiveIntegerField(default=0)
    unanswered_due_first = models.DateTimeField(null=True)
    unanswered_due_last = models.DateTimeField(null=True)
    unresolved = models.PositiveIntegerField(default=0)
    unresolved_due_first = models.DateTimeField(null=True)
    unresolved_due_last = models.DateTimeField(null=True)
    reopened = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)

    scope_estate_lookup = "estate"
    scope_building_lookup = "building"

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["day", "estate", "building"], name="workorder_figure_day")]

    def __str__(self):
        return f"{self.day} {self.estate_id}/{self.building_id}: {self.orders}"


class WorkOrderDailyCategory(models.Model):
    """The work orders reported on one day in one building (or one estate's public areas) and
    one category; kept by ``repairs.rollup`` with ``WorkOrderDailyFigure``."""

    day = models.DateField(_("day"))
    estate = models.ForeignKey(
        "estates.Estate", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    building = models.ForeignKey(
        "estates.Building", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    category = models.ForeignKey(
        RepairCategory, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    orders = models.PositiveIntegerField(default=0)

    scope_estate_lookup = "estate"
    scope_building_lookup = "building"

    class Meta:
        default_permissions = ()
        indexes = [
            # Read per category without the rows: the statistics' only use of this table.
            models.Index(
                fields=["category", "day", "estate", "building", "orders"],
                name="workorder_category_day",
            ),
            models.Index(fields=["day"], name="workorder_category_figure_day"),
        ]

    def __str__(self):
        return f"{self.day} {self.estate_id}/{self.building_id}/{self.category_id}: {self.orders}"


class WorkOrderFigureDay(models.Model):
    """Whether one day's rollup rows (``WorkOrderDailyFigure``, ``WorkOrderDailyCategory``) add
    up its work orders: a change to an order marks its day stale (read from the orders) until
    the day is summed again."""

    day = models.DateField(_("day"), unique=True)
    is_current = models.BooleanField(default=False)
    computed_at = models.DateTimeField(null=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.day}: {'current' if self.is_current else 'stale'}"
