"""Billing test data: the seeded charge items, bills and readings made directly."""

import importlib
from datetime import date
from decimal import Decimal

from django.apps import apps as django_apps

from courtyard.billing.choices import BillKind, BillStatus
from courtyard.billing.models import Bill, ChargeItem, MeterReading

_seed = importlib.import_module("courtyard.billing.migrations.0002_seed_charge_items")
_english = importlib.import_module("courtyard.billing.migrations.0004_chargeitem_english_name")


def seed_charge_items():
    """The charge items and default rates that the data migration seeds, as ``{code: item}``."""
    _seed.seed(django_apps, None)
    _english.fill(django_apps, None)
    return {item.code: item for item in ChargeItem.objects.all()}


def make_bill(
    unit,
    item,
    amount="100.00",
    *,
    status=BillStatus.UNPAID,
    period="2026-10",
    payer=None,
    due_date=date(2026, 10, 15),
    kind=BillKind.PERIODIC,
    **extra,
):
    """A bill of ``unit`` made directly (published unless ``status`` says otherwise)."""
    return Bill.objects.create(
        kind=kind,
        estate_id=unit.estate_id,
        building_id=unit.building_id,
        unit=unit,
        payer=payer,
        item=item,
        period=period if kind == BillKind.PERIODIC else "",
        amount=Decimal(amount),
        unit_price=Decimal(amount),
        quantity=Decimal("1"),
        status=status,
        due_date=due_date,
        **extra,
    )


def make_reading(unit, meter_type, period, reading, previous="0", **extra):
    return MeterReading.objects.create(
        unit=unit,
        estate_id=unit.estate_id,
        building_id=unit.building_id,
        meter_type=meter_type,
        period=period,
        reading=Decimal(reading),
        previous_reading=Decimal(previous),
        usage=Decimal(reading) - Decimal(previous),
        **extra,
    )
