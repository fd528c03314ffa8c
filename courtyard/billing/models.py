"""Fees and payments: charge items and their rates, parking spaces, meter readings, bill runs,
bills, payments with their allocations, refunds and reminders.

Money is ``Decimal`` with two places. Amounts are never edited in place: a published bill is
voided (never changed), a payment is voided (never changed), a deposit is refunded by a new
record. ``Bill.paid_amount`` and ``Bill.refunded_amount`` are running totals kept by the
services in the same transaction as the records they sum; ``manage.py check_ledger`` verifies
every such invariant over the whole database.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
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
    OUTSTANDING_STATUSES,
    BillKind,
    BillRunStatus,
    BillStatus,
    CallOutcome,
    Cycle,
    ItemKind,
    MeterType,
    ParkingKind,
    PaymentMethod,
    PaymentStatus,
    Pricing,
    ReminderChannel,
)

ZERO = Decimal("0.00")


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


@register
class ChargeItem(Versioned, BilingualName, BaseModel):
    """Something billed (计费项目): property fee, water, electricity, parking, deposit, penalty."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ItemKind.choices)
    pricing = models.CharField(_("pricing rule"), max_length=16, choices=Pricing.choices)
    cycle = models.CharField(
        _("billing cycle"), max_length=16, choices=Cycle.choices, blank=True, default=Cycle.MONTH
    )
    meter_type = models.CharField(
        _("meter type"),
        max_length=16,
        choices=MeterType.choices,
        blank=True,
        help_text=_("For a metered item: which meter's readings it bills."),
    )
    due_days = models.PositiveSmallIntegerField(
        _("due after (days)"),
        default=15,
        help_text=_(
            "A bill is due this many days after its period starts (or after it is issued)."
        ),
    )
    applies_to = models.JSONField(
        _("applies to unit uses"),
        default=list,
        blank=True,
        help_text=_("Empty: every unit use."),
    )
    is_deposit = models.BooleanField(
        _("refundable deposit"),
        default=False,
        help_text=_("Paid money can be refunded (e.g. a renovation deposit)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("charge item")
        verbose_name_plural = _("charge items")

    def get_absolute_url(self):
        return reverse("billing:chargeitem_detail", args=[self.pk])

    def applies_to_use(self, use):
        return not self.applies_to or use in self.applies_to

    def due_date_for(self, period):
        """When a periodic bill of ``period`` is due: metered usage is billed after the month is
        read, so ``due_days`` after the period ends; fees are billed in advance, so
        ``due_days`` after it starts."""
        anchor = period.end if self.pricing == Pricing.METERED else period.start
        return anchor + timedelta(days=self.due_days)


@register
class ChargeRate(Versioned, BaseModel):
    """The price of a charge item: the default (no estate) or one estate's, optionally for one
    unit use. Tiers (metered items) are ``[{"upto": "15", "rate": "3.50"}, {"upto": null,
    "rate": "5.00"}]``: each tier's rate applies to the usage up to its ``upto``."""

    item = models.ForeignKey(
        ChargeItem, verbose_name=_("charge item"), on_delete=models.CASCADE, related_name="rates"
    )
    estate = models.ForeignKey(
        "estates.Estate",
        verbose_name=_("estate"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: the default for every estate."),
    )
    unit_use = models.CharField(
        _("unit use"), max_length=16, blank=True, help_text=_("Empty: every unit use.")
    )
    rate = models.DecimalField(
        _("rate"),
        max_digits=12,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Per m² per month, per unit or space per month, per unit of usage, or the amount."
        ),
    )
    tiers = models.JSONField(_("tiers"), default=list, blank=True)

    scope_estate_lookup = "estate"
    scope_shared_without_estate = True  # the default rates apply to every estate

    class Meta:
        ordering = ["item__sort_order", "estate_id", "unit_use"]
        verbose_name = _("charge rate")
        verbose_name_plural = _("charge rates")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "estate", "unit_use"], name="charge_rate_unique"
            ),
            models.UniqueConstraint(
                fields=["item", "unit_use"],
                condition=Q(estate__isnull=True),
                name="charge_rate_default_unique",
            ),
        ]

    def __str__(self):
        return f"{self.item} · {self.estate or _('default')} · {self.rate}"


@register
class ParkingSpace(BaseModel):
    """A parking space (车位) of an estate, rented or owned, billed monthly by the parking item."""

    estate = models.ForeignKey(
        "estates.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("space number"), max_length=20)
    kind = models.CharField(
        _("kind"), max_length=16, choices=ParkingKind.choices, default=ParkingKind.RENTED
    )
    area = models.CharField(_("area / level"), max_length=50, blank=True)
    resident = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parking_spaces",
    )
    vehicle = models.ForeignKey(
        "residents.Vehicle",
        verbose_name=_("vehicle"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parking_spaces",
    )
    unit = models.ForeignKey(
        "estates.Unit",
        verbose_name=_("billed to unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parking_spaces",
        help_text=_("The unit whose account the parking bills go to (optional)."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope_estate_lookup = "estate"

    class Meta:
        ordering = ["estate_id", "code"]
        verbose_name = _("parking space")
        verbose_name_plural = _("parking spaces")
        constraints = [
            models.UniqueConstraint(fields=["estate", "code"], name="parking_space_code_unique")
        ]

    def __str__(self):
        return self.code

    def get_absolute_url(self):
        return reverse("billing:parkingspace_detail", args=[self.pk])


@register
class MeterReading(BaseModel):
    """One meter reading (抄表) of a unit for a month; usage is against the previous reading."""

    unit = models.ForeignKey(
        "estates.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="meter_readings",
    )
    estate = models.ForeignKey(
        "estates.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "estates.Building", verbose_name=_("building"), on_delete=models.PROTECT, related_name="+"
    )
    meter_type = models.CharField(_("meter"), max_length=16, choices=MeterType.choices)
    period = models.CharField(_("period"), max_length=7, help_text=_("The month read, YYYY-MM."))
    reading = models.DecimalField(
        _("reading"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    previous_reading = models.DecimalField(
        _("previous reading"), max_digits=12, decimal_places=2, default=ZERO
    )
    usage = models.DecimalField(_("usage"), max_digits=12, decimal_places=2, default=ZERO)
    read_on = models.DateField(_("read on"), default=timezone.localdate)
    is_flagged = models.BooleanField(_("flagged for review"), default=False)
    flag_reason = models.CharField(_("flag reason"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    scope_estate_lookup = "estate"
    scope_building_lookup = "building"

    class Meta:
        ordering = ["-period", "unit_id", "meter_type"]
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        permissions = [("review_meterreading", _("Can accept flagged meter readings"))]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "meter_type", "period"], name="meter_reading_unique"
            )
        ]
        indexes = [models.Index(fields=["building", "meter_type", "period"])]

    def __str__(self):
        return f"{self.unit_id} {self.meter_type} {self.period}: {self.reading}"

    @property
    def needs_review(self):
        return self.is_flagged and self.reviewed_at is None


@register
class BillRun(BaseModel):
    """One generation of periodic bills (生成周期账单) for a scope, cycle, period and items."""

    estate = models.ForeignKey(
        "estates.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+"
    )
    buildings = models.ManyToManyField(
        "estates.Building",
        verbose_name=_("buildings"),
        blank=True,
        related_name="+",
        help_text=_("Empty: the whole estate."),
    )
    items = models.ManyToManyField(ChargeItem, verbose_name=_("charge items"), related_name="+")
    cycle = models.CharField(_("cycle"), max_length=16, choices=Cycle.choices)
    period = models.CharField(_("period"), max_length=7)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(
        _("status"), max_length=16, choices=BillRunStatus.choices, default=BillRunStatus.PENDING
    )
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bill_count = models.PositiveIntegerField(_("bills created"), default=0)
    total_amount = money_field(_("total"), default=ZERO)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_estate_lookup = "estate"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bill run")
        verbose_name_plural = _("bill runs")

    def __str__(self):
        return f"{self.estate_id} {self.period}"

    def get_absolute_url(self):
        return reverse("billing:billrun_detail", args=[self.pk])


@register
class Bill(BaseModel):
    """What a unit (or a parking space) owes for one charge item and period (账单)."""

    kind = models.CharField(_("kind"), max_length=16, choices=BillKind.choices)
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
        related_name="bills",
    )
    parking_space = models.ForeignKey(
        ParkingSpace,
        verbose_name=_("parking space"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bills",
    )
    payer = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("payer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bills",
    )
    item = models.ForeignKey(
        ChargeItem, verbose_name=_("charge item"), on_delete=models.PROTECT, related_name="bills"
    )
    bill_run = models.ForeignKey(
        BillRun,
        verbose_name=_("bill run"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bills",
    )
    work_order = models.OneToOneField(
        "repairs.WorkOrder",
        verbose_name=_("work order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bill",
    )
    period = models.CharField(_("period"), max_length=7, blank=True)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, default=ZERO)
    unit_price = models.DecimalField(
        _("unit price"), max_digits=12, decimal_places=4, default=Decimal("0")
    )
    amount = money_field(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    paid_amount = money_field(_("paid"), default=ZERO)
    refunded_amount = money_field(_("refunded"), default=ZERO)
    detail = models.JSONField(_("calculation"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=BillStatus.choices, default=BillStatus.DRAFT
    )
    due_date = models.DateField(_("due date"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    void_reason = models.CharField(_("void reason"), max_length=255, blank=True)
    reminder_count = models.PositiveSmallIntegerField(_("reminders"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)

    scope_estate_lookup = "estate"
    scope_building_lookup = "building"

    class Meta:
        ordering = ["-period_start", "unit_id", "item_id"]
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        permissions = [
            ("publish_bill", _("Can publish bills")),
            ("void_bill", _("Can void published bills")),
        ]
        constraints = [
            # One periodic bill per unit (or space), item and period: a second run fills gaps.
            # A space's bill may name the unit it is billed to; two spaces of one unit are
            # two bills, so the unit's constraint leaves space bills to the space's.
            models.UniqueConstraint(
                fields=["unit", "item", "period"],
                condition=Q(kind="periodic", unit__isnull=False, parking_space__isnull=True),
                name="bill_periodic_unit_unique",
            ),
            models.UniqueConstraint(
                fields=["parking_space", "item", "period"],
                condition=Q(kind="periodic", parking_space__isnull=False),
                name="bill_periodic_space_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bill_amount_positive"),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0) & Q(paid_amount__lte=models.F("amount")),
                name="bill_paid_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["building", "status", "due_date"]),
            models.Index(fields=["estate", "status", "due_date"]),
            models.Index(fields=["payer", "status"]),
            models.Index(fields=["unit", "status"]),
        ]

    def __str__(self):
        when = self.period or (f"{self.created_at:%Y-%m-%d}" if self.created_at else "")
        return f"{self.item} {when}".strip()

    def get_absolute_url(self):
        return reverse("billing:bill_detail", args=[self.pk])

    @property
    def outstanding(self):
        if self.status in OUTSTANDING_STATUSES:
            return self.amount - self.paid_amount
        return ZERO

    @property
    def is_overdue(self):
        return self.status in OUTSTANDING_STATUSES and self.due_date < timezone.localdate()


@register
class Payment(BaseModel):
    """Money received (缴费记录) against one or more bills; its number is the receipt number."""

    number = models.CharField(_("receipt number"), max_length=20, unique=True, editable=False)
    estate = models.ForeignKey(
        "estates.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+"
    )
    payer = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("payer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    payer_name = models.CharField(_("paid by"), max_length=100, blank=True)
    amount = money_field(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    paid_at = models.DateTimeField(_("paid at"), default=timezone.now)
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("Transaction or slip number.")
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.VALID
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    void_reason = models.CharField(_("void reason"), max_length=255, blank=True)
    bills = models.ManyToManyField(Bill, through="PaymentAllocation", related_name="payments")

    scope_estate_lookup = "estate"

    class Meta:
        ordering = ["-paid_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        permissions = [("void_payment", _("Can void payments"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")
        ]
        indexes = [models.Index(fields=["estate", "-paid_at"])]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("billing:payment_detail", args=[self.pk])


class PaymentAllocation(models.Model):
    """The part of a payment that settles one bill."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="allocations")
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["payment", "bill"], name="allocation_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]

    def __str__(self):
        return f"{self.payment_id} → {self.bill_id}: {self.amount}"


@register
class Refund(BaseModel):
    """Money paid back on a deposit bill (退押金): a new record, never an edit of the payment."""

    number = models.CharField(_("refund number"), max_length=20, unique=True, editable=False)
    estate = models.ForeignKey(
        "estates.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+"
    )
    bill = models.ForeignKey(
        Bill, verbose_name=_("bill"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount = money_field(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    refunded_at = models.DateTimeField(_("refunded at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=255)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope_estate_lookup = "estate"

    class Meta:
        ordering = ["-refunded_at", "-id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")
        ]

    def __str__(self):
        return self.number


@register
class Reminder(BaseModel):
    """One dunning action (催缴) on an unpaid bill: an SMS, a voice call or a staff phone call."""

    bill = models.ForeignKey(
        Bill, verbose_name=_("bill"), on_delete=models.CASCADE, related_name="reminders"
    )
    estate = models.ForeignKey(
        "estates.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "estates.Building", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=ReminderChannel.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=CallOutcome.choices, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    message = models.ForeignKey(
        "core.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_estate_lookup = "estate"
    scope_building_lookup = "building"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")

    def __str__(self):
        return f"{self.bill_id} {self.channel} {self.created_at:%Y-%m-%d}"


class ReceiptSequence(models.Model):
    """The last receipt (or refund) number given for one prefix and year, taken under a lock."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="receipt_sequence_unique")
        ]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last_number}"
