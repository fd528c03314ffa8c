"""The seeded charge items and their default rates (物业费, 水费, 电费, 停车费, 装修押金, 违约金,
维修费). Administrators change the rates, or add estate-specific ones, on the charge items page."""

from django.db import migrations

# code, name, kind, pricing, cycle, meter type, due days, applies to, deposit, rates
# rates: (unit use or parking kind, rate, tiers)
ITEMS = [
    ("property-fee", "物业费", "periodic", "per_area", "month", "", 15,
     ["residential", "shop", "office"], False,
     [("", "2.50", []), ("shop", "4.00", []), ("office", "3.20", [])]),
    ("water", "水费", "metered", "metered", "month", "water", 15, [], False,
     [("", "3.50", [{"upto": "15", "rate": "3.50"}, {"upto": None, "rate": "5.25"}])]),
    ("electricity", "电费", "metered", "metered", "month", "electricity", 15, [], False,
     [("", "0.62", [])]),
    ("parking", "停车费", "periodic", "per_space", "month", "", 15, [], False,
     [("", "300.00", []), ("owned", "80.00", [])]),
    ("renovation-deposit", "装修押金", "one_off", "fixed", "", "", 7, [], True,
     [("", "2000.00", [])]),
    ("penalty", "违约金", "one_off", "fixed", "", "", 15, [], False, [("", "0.00", [])]),
    ("repair", "维修费", "one_off", "fixed", "", "", 15, [], False, [("", "0.00", [])]),
]


def seed(apps, schema_editor):
    ChargeItem = apps.get_model("billing", "ChargeItem")
    ChargeRate = apps.get_model("billing", "ChargeRate")
    for order, row in enumerate(ITEMS, start=1):
        code, name, kind, pricing, cycle, meter, due, uses, deposit, rates = row
        item, created = ChargeItem.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "pricing": pricing,
                "cycle": cycle,
                "meter_type": meter,
                "due_days": due,
                "applies_to": uses,
                "is_deposit": deposit,
                "sort_order": order * 10,
            },
        )
        if created:
            for use, rate, tiers in rates:
                ChargeRate.objects.create(item=item, unit_use=use, rate=rate, tiers=tiers)


def unseed(apps, schema_editor):
    ChargeItem = apps.get_model("billing", "ChargeItem")
    ChargeItem.objects.filter(code__in=[row[0] for row in ITEMS], bills__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
