from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemKind(models.TextChoices):
    PERIODIC = "periodic", _("Periodic")
    METERED = "metered", _("Metered")
    ONE_OFF = "one_off", _("One-off")


class Pricing(models.TextChoices):
    PER_AREA = "per_area", _("Per floor area (rate × area × months)")
    PER_UNIT = "per_unit", _("Per unit (fixed × months)")
    PER_SPACE = "per_space", _("Per parking space (fixed × months)")
    METERED = "metered", _("Metered (usage × rate, optional tiers)")
    FIXED = "fixed", _("Fixed amount")


# The pricing rules a periodic bill run can apply, and where each takes its quantity.
PERIODIC_PRICING = (Pricing.PER_AREA, Pricing.PER_UNIT, Pricing.PER_SPACE, Pricing.METERED)


class Cycle(models.TextChoices):
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")
    YEAR = "year", _("Yearly")


CYCLE_MONTHS = {Cycle.MONTH: 1, Cycle.QUARTER: 3, Cycle.YEAR: 12}


class MeterType(models.TextChoices):
    WATER = "water", _("Water")
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", _("Gas")


class ParkingKind(models.TextChoices):
    RENTED = "rented", _("Rented")
    OWNED = "owned", _("Owned")


class BillKind(models.TextChoices):
    PERIODIC = "periodic", _("Periodic")
    TEMPORARY = "temporary", _("Temporary")


class BillStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    UNPAID = "unpaid", _("Unpaid")
    PARTIAL = "partial", _("Partly paid")
    PAID = "paid", _("Paid")
    VOID = "void", _("Voided")


# Published and not settled: what a payer owes, what reminders and the arrears list are about.
OUTSTANDING_STATUSES = (BillStatus.UNPAID, BillStatus.PARTIAL)
PUBLISHED_STATUSES = (BillStatus.UNPAID, BillStatus.PARTIAL, BillStatus.PAID)


class BillRunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Generating")
    GENERATED = "generated", _("Generated (draft)")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")


class PaymentMethod(models.TextChoices):
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    CASH = "cash", _("Cash")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    POS = "pos", _("POS (card)")


class PaymentStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    VOID = "void", _("Voided")


class ReminderChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Voice call")
    PHONE = "phone", _("Phone call by staff")


class CallOutcome(models.TextChoices):
    PROMISED = "promised", _("Promised to pay")
    REFUSED = "refused", _("Refused")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    OTHER = "other", _("Other")
