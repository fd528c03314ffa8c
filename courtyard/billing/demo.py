"""Demo fees and payments: a year of monthly bills for the demo estates, most of them paid, some
overdue and reminded, so that the bills, the cashier, the arrears list and the resident portal
have a year of real work to show.

- meter readings (water, electricity) of every lived-in unit, read on the first of each month,
  seasonal; two spikes (a leak, an electric heater) flagged by the readings' own rule and
  accepted by finance, and one flagged this month that waits for review;
- a few parking spaces, rented or owned, billed to their users' units;
- one bill run per estate and month (property fee, water, electricity, parking) through the
  bill run services: generated and published on the second of the month, fees due on the
  16th (metered usage 15 days after the month ends);
- payments in the habits people have: monthly, quarterly, late, a few who stopped paying
  (one after a part payment), some who forgot last month. The demo resident (13800000001)
  pays at the counter through the cashier service (receipts, messages, timelines) and owes
  last month's bills; everyone else's payments are written in bulk, consistent with the ledger
  (``manage.py check_ledger`` passes) and numbered in time order with the services' receipts;
- reminders on the overdue: SMS after ten days, again after forty, a staff call with its
  outcome after seventy, a voice call for the longest;
- a renovation deposit paid and held, another paid and refunded after the inspection.

The seed sets the clock (``django.utils.timezone.now``) to each moment it acts, so that
publish times, payments, messages and timelines read like a year of work; the bill month
before the current one is the last billed (this month's readings are in, its run is not done).
Idempotent: once bills exist, only the built-in roles are topped up.
"""

import datetime
import random
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.accounts.models import User
from courtyard.core.choices import MessageChannel, MessageStatus
from courtyard.core.models import Message, TimelineEvent
from courtyard.estates.models import Estate, Unit
from courtyard.residents.choices import OccupancyStatus, Role
from courtyard.residents.models import Occupancy, Vehicle

from . import periods
from .bills.services import create_temporary_bill
from .choices import BillKind, BillStatus, Cycle, MeterType, ParkingKind, PaymentMethod
from .models import (
    ZERO,
    Bill,
    BillRun,
    ChargeItem,
    MeterReading,
    ParkingSpace,
    Payment,
    PaymentAllocation,
    ReceiptSequence,
)
from .payments.services import RECEIPT_PREFIX, record_payment, refund_deposit
from .readings.services import FlagRule, accept_reading
from .reminders.services import remind
from .runs.services import check_scope, generate_bills, publish_bill_run

SEED = 20261101
MONTHS = 12
RUN_ITEMS = ("property-fee", "water", "electricity", "parking")
DEMO_PHONE = "13800000001"
METHODS = (
    [PaymentMethod.WECHAT] * 8
    + [PaymentMethod.ALIPAY] * 5
    + [PaymentMethod.POS] * 3
    + [PaymentMethod.CASH] * 2
    + [PaymentMethod.BANK_TRANSFER] * 2
)
HABITS = ["monthly"] * 45 + ["quarterly"] * 25 + ["late"] * 12 + ["forgetful"] * 12
HABITS += ["stopped"] * 6
# Month-of-year factors of usage (January first): showers in summer, heating and cooling.
WATER_SEASON = [0.9, 0.9, 0.95, 1.0, 1.05, 1.15, 1.3, 1.3, 1.1, 1.0, 0.95, 0.9]
POWER_SEASON = [1.35, 1.25, 1.0, 0.9, 1.0, 1.3, 1.7, 1.75, 1.2, 0.95, 1.0, 1.25]
CALL_OUTCOMES = [
    ("promised", "业主表示月底前缴清"),
    ("refused", "业主对物业服务有意见，暂不缴费"),
    ("no_answer", "电话无人接听"),
    ("promised", "业主在外地，回来后到前台缴费"),
    ("wrong_number", "号码已停机，需核实新号码"),
]


def seed_billing(now=None):
    """Create the demo bills, payments and reminders once; return how many bills."""
    _grant_default_roles()
    finance = User.objects.filter(username="finance").first()
    items = ChargeItem.objects.filter(code__in=RUN_ITEMS).count()
    if Bill.objects.exists() or finance is None or items < len(RUN_ITEMS):
        return 0  # seeded once; or no accounts, or a database without the seeded items
    if not Estate.objects.exists():
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        story = Story(finance, now)
        story.park()
        story.bill_the_year()
        story.take_deposits()
        story.pay()
        story.remind()
        story.refund_a_deposit()
        story.settle_the_outbox()
    return Bill.objects.count()


def _grant_default_roles():
    """Built-in roles created before the billing module existed get its default rights."""
    from courtyard.accounts import roles

    permissions = roles.matrix_permissions()
    for default in roles.DEFAULT_ROLES:
        group = Group.objects.filter(name=default.name).first()
        if group is None or group.permissions.filter(content_type__app_label="billing").exists():
            continue
        wanted = [p for p in default.patterns if p == "*" or p.startswith("billing.")]
        group.permissions.add(*roles.expand_patterns(wanted, permissions))


@contextmanager
def clock(moment):
    """Services and automatic timestamps read ``timezone.now``: during the block it says
    ``moment`` (the seed is a single-threaded command)."""
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


@contextmanager
def stated_timestamps(*models):
    """Let bulk_create write the created_at / at values given (bulk rows of many moments)."""
    saved = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@dataclass
class Meter:
    """One unit's water or electricity meter as the seed reads it month after month."""

    unit: dict
    kind: str
    base: float  # the household's usual monthly use
    reading: Decimal
    history: list = field(default_factory=list)


# What the payment plans need of a bill (9,000 model instances would cost seconds).
BillRow = namedtuple(
    "BillRow", "pk estate_id unit_id space_id payer_id payer_name period item_code amount due_date"
)
ROW_FIELDS = (
    "pk",
    "estate_id",
    "unit_id",
    "parking_space_id",
    "payer_id",
    "payer__name",
    "period",
    "item__code",
    "amount",
    "due_date",
)


@dataclass
class Plan:
    """A payment to make: when, which bills, how much of each, and by which road."""

    moment: datetime.datetime
    bills: list  # of BillRow
    amounts: list  # of Decimal
    counter: bool = False  # at the cashier, through the service (the demo resident)


class Story:
    """Random but reproducible choices for one seeding."""

    def __init__(self, finance, now):
        self.rng = random.Random(SEED)
        self.finance = finance
        self.now = now
        self.watermark = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        current = periods.containing(timezone.localtime(now).date(), Cycle.MONTH)
        self.this_month = current
        start = current.start
        self.months = []
        for back in range(MONTHS, 0, -1):
            day = _months_before(start, back)
            self.months.append(periods.containing(day, Cycle.MONTH))
        self.items = {item.code: item for item in ChargeItem.objects.filter(code__in=RUN_ITEMS)}
        self.estates = list(Estate.objects.order_by("pk"))
        self.homes = self._homes()
        self.demo_units = {
            o.unit_id
            for o in Occupancy.objects.filter(
                resident__phone=DEMO_PHONE, status=OccupancyStatus.CURRENT, role=Role.OWNER
            )
        }

    def _homes(self):
        """``{unit_id: occupancy}`` of the lived-in units: the owner if any, else the tenant."""
        homes = {}
        occupancies = (
            Occupancy.objects.filter(
                status=OccupancyStatus.CURRENT, role__in=(Role.OWNER, Role.TENANT)
            )
            .select_related("resident")
            .order_by("unit_id", "-role", "pk")  # tenants first: a unit's owner overwrites them
        )
        for occupancy in occupancies:
            homes[occupancy.unit_id] = occupancy
        return homes

    def moment(self, day, hour_from=9, hour_to=18):
        minutes = self.rng.randint(hour_from * 60, hour_to * 60 - 1)
        return at(day, minutes // 60, minutes % 60) + datetime.timedelta(
            seconds=self.rng.randint(0, 59)
        )

    # -- parking -----------------------------------------------------------------------------
    def park(self):
        """Spaces for a few car owners: rented at the estate's rate, two bought outright."""
        vehicles = (
            Vehicle.objects.filter(resident__occupancies__status=OccupancyStatus.CURRENT)
            .select_related("resident")
            .order_by("pk")
            .distinct()
        )
        homes = {o.resident_id: o.unit_id for o in self.homes.values()}
        units = Unit.objects.in_bulk(set(homes.values()))
        numbers = {}
        for vehicle in list(vehicles)[:16]:
            unit = units.get(homes.get(vehicle.resident_id))
            if unit is None:
                continue
            numbers[unit.estate_id] = numbers.get(unit.estate_id, 0) + 1
            number = numbers[unit.estate_id]
            with clock(at(self.months[0].start - datetime.timedelta(days=20), 10)):
                ParkingSpace.objects.create(
                    estate_id=unit.estate_id,
                    code=f"B1-{number:03d}",
                    kind=ParkingKind.OWNED if number in (2, 5) else ParkingKind.RENTED,
                    area="地下一层",
                    resident=vehicle.resident,
                    vehicle=vehicle,
                    unit=unit,
                    created_by=self.finance,
                )

    # -- readings and bill runs ---------------------------------------------------------------
    def bill_the_year(self):
        units = list(
            Unit.objects.filter(pk__in=self.homes).values("pk", "estate_id", "building_id")
        )
        meters = []
        for unit in units:
            meters.append(
                Meter(
                    unit,
                    MeterType.WATER,
                    self.rng.uniform(5, 14),
                    Decimal(self.rng.randint(100, 900)),
                )
            )
            meters.append(
                Meter(
                    unit,
                    MeterType.ELECTRICITY,
                    self.rng.uniform(110, 300),
                    Decimal(self.rng.randint(2000, 9000)),
                )
            )
        spikes = self._spikes(meters)
        self._read(meters, _months_before(self.months[0].start, 1), spikes, first=True)
        for period in self.months:
            for reading in self._read(meters, period.start, spikes):
                with clock(at(period.start, 11)):
                    accept_reading(
                        self.finance,
                        reading,
                        note=spikes[(reading.unit_id, reading.meter_type, reading.period)],
                    )
            with clock(at(period.start + datetime.timedelta(days=1), 9)):
                for estate in self.estates:
                    self._run(estate, period)
        if at(self.this_month.start, 8) < self.now:
            self._read(meters, self.this_month.start, spikes)

    def _spikes(self, meters):
        """(unit, meter, month) → the reviewer's note, for three readings far above normal:
        two in the billed year (accepted), one this month (left for review)."""
        chosen = self.rng.sample(meters[::2], 2) + self.rng.sample(meters[1::2], 1)
        water_leak, water_now, heater = chosen[0], chosen[1], chosen[2]
        return {
            (
                water_leak.unit["pk"],
                MeterType.WATER,
                _label(self.months[7].start),
            ): "已核实：卫生间水管漏水，已维修",
            (
                heater.unit["pk"],
                MeterType.ELECTRICITY,
                _label(self.months[3].start),
            ): "已核实：冬季使用电暖器",
            (water_now.unit["pk"], MeterType.WATER, _label(self.this_month.start)): "",
        }

    def _read(self, meters, day, spikes, first=False):
        """Every meter's reading of the month starting ``day`` (bulk); the flagged ones."""
        label = _label(day)
        rule = FlagRule.current()
        season = {MeterType.WATER: WATER_SEASON, MeterType.ELECTRICITY: POWER_SEASON}
        rows = []
        for meter in meters:
            usage = Decimal("0")
            if not first:
                # The month read on ``day`` is the one before it.
                factor = season[meter.kind][(day.month - 2) % 12] * self.rng.uniform(0.85, 1.15)
                if (meter.unit["pk"], meter.kind, label) in spikes:
                    factor *= 6
                places = "0.1" if meter.kind == MeterType.WATER else "1"
                usage = Decimal(str(meter.base * factor)).quantize(Decimal(places))
            previous = meter.reading
            meter.reading += usage
            rows.append(
                MeterReading(
                    unit_id=meter.unit["pk"],
                    estate_id=meter.unit["estate_id"],
                    building_id=meter.unit["building_id"],
                    meter_type=meter.kind,
                    period=label,
                    reading=meter.reading,
                    previous_reading=previous,
                    usage=usage,
                    read_on=day,
                    created_by=self.finance,
                )
            )
        if not first:
            self._flag(rule, meters, rows)
        with clock(at(day, 8)):
            rows = MeterReading.objects.bulk_create(rows)
        return [
            row
            for row in rows
            if row.is_flagged and spikes.get((row.unit_id, row.meter_type, label))
        ]

    def _flag(self, rule, meters, rows):
        """Judge the month's usages as ``save_readings`` does: against each meter's history
        and the building's other units."""
        building = {}
        for row in rows:
            if row.usage > 0:
                building.setdefault((row.building_id, row.meter_type), []).append(row)
        for meter, row in zip(meters, rows, strict=True):
            others = building.get((row.building_id, row.meter_type), [])
            neighbours = [other.usage for other in others if other is not row]
            row.flag_reason = rule.reason(
                row.usage, meter.history[-rule.months :], row.meter_type, neighbours
            )
            row.is_flagged = bool(row.flag_reason)
            meter.history.append(row.usage)

    def _run(self, estate, period):
        items = list(self.items.values())
        scope = check_scope(
            self.finance,
            estate=estate,
            buildings=[],
            cycle=Cycle.MONTH,
            period=period.label,
            items=items,
        )
        run = BillRun.objects.create(
            estate=estate,
            cycle=Cycle.MONTH,
            period=scope.period.label,
            period_start=scope.period.start,
            period_end=scope.period.end,
            created_by=self.finance,
        )
        run.items.set(scope.items)
        generate_bills(run)
        run.refresh_from_db()
        publish_bill_run(self.finance, run)

    # -- deposits ------------------------------------------------------------------------------
    def take_deposits(self):
        """Two renovations: each owner pays a deposit at the counter a few days later."""
        item = ChargeItem.objects.filter(code="renovation-deposit").first()
        owners = [
            o
            for o in self.homes.values()
            if o.role == Role.OWNER and o.unit_id not in self.demo_units
        ]
        if item is None or len(owners) < 2:
            self.deposits = []
            return
        self.deposits = []
        for index, occupancy in enumerate(self.rng.sample(owners, 2)):
            day = self.months[3 + 3 * index].start + datetime.timedelta(days=8)
            with clock(at(day, 10)):
                bill = create_temporary_bill(
                    self.finance,
                    item=item,
                    amount="2000.00",
                    unit=occupancy.unit,
                    note="装修押金（厨卫改造）" if index == 0 else "装修押金（阳台封闭）",
                    publish=True,
                )
            self.deposits.append(bill)

    def refund_a_deposit(self):
        """The first renovation passed its inspection: the deposit goes back."""
        if not self.deposits:
            return
        bill = Bill.objects.get(pk=self.deposits[0].pk)
        moment = at(bill.due_date + datetime.timedelta(days=75), 15)
        if bill.paid_amount and moment < self.now:
            with clock(moment):
                refund_deposit(
                    self.finance,
                    bill,
                    amount=bill.paid_amount,
                    method=PaymentMethod.BANK_TRANSFER,
                    reason="装修验收合格，全额退还押金",
                )

    # -- payments ------------------------------------------------------------------------------
    def pay(self):
        plans = self._plans()
        plans.sort(key=lambda plan: plan.moment)
        writer = BulkPayments(self.finance)
        for plan in plans:
            method = self.rng.choice(METHODS)
            if plan.counter:
                writer.sync_sequences()
                bills = Bill.objects.in_bulk([row.pk for row in plan.bills])
                with clock(plan.moment):
                    record_payment(
                        self.finance,
                        allocations=[
                            (bills[row.pk], amount)
                            for row, amount in zip(plan.bills, plan.amounts, strict=True)
                        ],
                        method=method,
                        paid_at=plan.moment,
                    )
                writer.taken(plan.moment)
            else:
                writer.add(plan, method)
        writer.flush()

    def _plans(self):
        bills = Bill.objects.filter(kind=BillKind.PERIODIC).order_by(
            "period", "item__sort_order", "pk"
        )
        by_place = {}  # ("unit", id) or ("space", id) → {period: [row, …]}
        for row in map(BillRow._make, bills.values_list(*ROW_FIELDS)):
            key = ("unit", row.unit_id) if row.unit_id else ("space", row.space_id)
            by_place.setdefault(key, {}).setdefault(row.period, []).append(row)
        plans = []
        for (kind, pk), months in sorted(by_place.items()):
            if kind == "unit" and pk in self.demo_units:
                habit = "counter"
            elif kind == "unit" and pk not in self.homes:
                habit = "quarterly"  # an empty unit: its owner settles the property fee quarterly
            else:
                habit = self.rng.choice(HABITS)
            plans += self._habit(habit, months)
        deposits = Bill.objects.filter(pk__in=[b.pk for b in self.deposits])
        for row in map(BillRow._make, deposits.values_list(*ROW_FIELDS)):
            moment = at(row.due_date - datetime.timedelta(days=3), 14)
            plans.append(Plan(moment, [row], [row.amount], counter=True))
        return [plan for plan in plans if plan.moment < self.now]

    def _habit(self, habit, months):
        """The payments one household makes over the year."""
        rng = self.rng
        labels = [period.label for period in self.months]
        published = {p.label: p.start + datetime.timedelta(days=1) for p in self.months}

        def after(label, low, high):
            return self.moment(published[label] + datetime.timedelta(days=rng.randint(low, high)))

        def whole(*month_labels):
            chosen = [bill for label in month_labels for bill in months.get(label, [])]
            return chosen, [bill.amount for bill in chosen]

        plans = []
        if habit in ("monthly", "counter"):
            last = labels[:-1] if habit == "counter" else labels
            for label in last:
                plans.append(Plan(after(label, 2, 18), *whole(label), counter=habit == "counter"))
        elif habit == "quarterly":
            for index in range(2, MONTHS, 3):
                plans.append(
                    Plan(after(labels[index], 4, 14), *whole(*labels[index - 2 : index + 1]))
                )
        elif habit == "late":
            for label in labels:
                plans.append(Plan(after(label, 35, 60), *whole(label)))
        elif habit == "forgetful":
            skipped = rng.randint(1, MONTHS - 3)
            for index, label in enumerate(labels):
                if index == skipped:
                    continue
                if index == MONTHS - 1 and rng.random() < 0.5:
                    continue  # last month's bills: not yet
                together = labels[skipped : index + 1] if index == skipped + 1 else [label]
                plans.append(Plan(after(label, 3, 20), *whole(*together)))
        elif habit == "stopped":
            stop = rng.randint(3, 8)
            for label in labels[:stop]:
                plans.append(Plan(after(label, 3, 15), *whole(label)))
            fee = [b for b in months.get(labels[stop], []) if b.item_code == "property-fee"]
            if fee and rng.random() < 0.5:
                half = (fee[0].amount / 2).quantize(Decimal("0.01"))
                plans.append(Plan(after(labels[stop], 5, 12), fee, [half]))
        return [plan for plan in plans if plan.bills]

    # -- reminders -----------------------------------------------------------------------------
    def remind(self):
        """Dunning of what is still unpaid: SMS at ten and forty days, a call at seventy, a voice
        call for the longest overdue."""
        overdue = (
            Bill.objects.filter(
                status__in=(BillStatus.UNPAID, BillStatus.PARTIAL), due_date__lt=self.now.date()
            )
            .exclude(unit__isnull=True)
            .order_by("due_date", "pk")
        )
        by_unit = {}
        for bill in overdue:
            by_unit.setdefault(bill.unit_id, []).append(bill)
        steps = [(10, "sms"), (40, "sms"), (70, "phone"), (100, "voice")]
        for _unit, bills in sorted(by_unit.items()):
            oldest = bills[0].due_date
            for days, channel in steps:
                moment = self.moment(oldest + datetime.timedelta(days=days))
                if moment >= self.now:
                    break
                due = [bill for bill in bills if bill.due_date < moment.date()]
                outcome, note = ("", "")
                if channel == "phone":
                    outcome, note = self.rng.choice(CALL_OUTCOMES)
                try:
                    with clock(moment):
                        remind(self.finance, due, channel=channel, outcome=outcome, note=note)
                except ValidationError:
                    continue  # a payer without a phone: nobody to text

    # -- the outbox ----------------------------------------------------------------------------
    def settle_the_outbox(self):
        """The year's messages went out long ago: sent, and read in the app after a week."""
        seeded = Message.objects.filter(pk__gt=self.watermark, status=MessageStatus.QUEUED)
        seeded.update(
            status=MessageStatus.SENT, sent_at=F("created_at"), attempts=1, provider_ref="demo"
        )
        week_ago = self.now - datetime.timedelta(days=7)
        seeded = Message.objects.filter(pk__gt=self.watermark, channel=MessageChannel.APP)
        seeded.filter(created_at__lt=week_ago).update(read_at=F("created_at"))


class BulkPayments:
    """Payments written in bulk as the cashier service would write them: receipt numbers in
    time order (shared with the service's, through the receipt sequences), allocations, the
    bills' paid amounts and statuses, and the payment's timeline event."""

    def __init__(self, operator):
        self.operator = operator
        self.last = {}  # year → last receipt number given
        self.payments, self.allocations = [], []
        self.paid = {}  # bill id → (amount paid, bill amount)

    def next_number(self, moment):
        year = timezone.localtime(moment).year
        self.last[year] = self.last.get(year, 0) + 1
        return f"{RECEIPT_PREFIX}-{year}-{self.last[year]:06d}"

    def taken(self, moment):
        """The service has just given a number of ``moment``'s year."""
        year = timezone.localtime(moment).year
        self.last[year] = self.last.get(year, 0) + 1

    def sync_sequences(self):
        for year, last in self.last.items():
            ReceiptSequence.objects.update_or_create(
                prefix=RECEIPT_PREFIX, year=year, defaults={"last_number": last}
            )

    def add(self, plan, method):
        payer = next((row for row in plan.bills if row.payer_id), None)
        payment = Payment(
            number=self.next_number(plan.moment),
            estate_id=plan.bills[0].estate_id,
            payer_id=payer.payer_id if payer else None,
            payer_name=payer.payer_name if payer else "",
            amount=sum(plan.amounts, ZERO),
            method=method,
            paid_at=plan.moment,
            operator=self.operator,
            created_by=self.operator,
            created_at=plan.moment,
            updated_at=plan.moment,
        )
        self.payments.append(payment)
        for row, amount in zip(plan.bills, plan.amounts, strict=True):
            paid, _amount = self.paid.get(row.pk, (ZERO, row.amount))
            self.paid[row.pk] = (paid + amount, row.amount)
            self.allocations.append((payment, row.pk, amount))

    def flush(self):
        with stated_timestamps(Payment, TimelineEvent):
            Payment.objects.bulk_create(self.payments, batch_size=500)
            PaymentAllocation.objects.bulk_create(
                (PaymentAllocation(payment=p, bill_id=b, amount=a) for p, b, a in self.allocations),
                batch_size=1000,
            )
            TimelineEvent.objects.bulk_create(self.timelines(), batch_size=1000)
        self.settle_bills()
        self.sync_sequences()

    def settle_bills(self):
        """The bills' paid amounts and statuses (as ``settle`` sets them): one statement for
        those paid in full (nearly all), one per part-paid bill (bulk_update's CASE per row is
        slow at this size)."""
        paid = [pk for pk, (done, amount) in self.paid.items() if done >= amount]
        for start in range(0, len(paid), 500):
            Bill.objects.filter(pk__in=paid[start : start + 500]).update(
                paid_amount=F("amount"), status=BillStatus.PAID
            )
        for pk, (done, amount) in self.paid.items():
            if done < amount:
                Bill.objects.filter(pk=pk).update(paid_amount=done, status=BillStatus.PARTIAL)

    def timelines(self):
        """The event the service writes on each payment (the bills show their payments)."""
        payment_type = ContentType.objects.get_for_model(Payment)
        counts = {}
        for payment, _bill, _amount in self.allocations:
            counts[payment.pk] = counts.get(payment.pk, 0) + 1
        for payment in self.payments:
            yield TimelineEvent(
                content_type=payment_type,
                object_id=str(payment.pk),
                verb="recorded",
                message=_("Received %(amount)s by %(method)s for %(count)s bill(s)")
                % {
                    "amount": payment.amount,
                    "method": payment.get_method_display(),
                    "count": counts[payment.pk],
                },
                data={"amount": str(payment.amount)},
                actor=self.operator,
                at=payment.paid_at,
            )


def _months_before(day, months):
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _label(day):
    return periods.month_label(day)
