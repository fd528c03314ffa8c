"""The seeded repair categories (水电, 门禁, 公共设施, 电梯, 管道, 其他)."""

from django.db import migrations

CATEGORIES = [
    ("water_electric", "水电", False),
    ("door_access", "门禁", False),
    ("public_facility", "公共设施", False),
    ("elevator", "电梯", False),
    ("pipes", "管道", False),
    ("other", "其他", False),
]


def seed(apps, schema_editor):
    RepairCategory = apps.get_model("repairs", "RepairCategory")
    for order, (code, name, signature) in enumerate(CATEGORIES, start=1):
        RepairCategory.objects.get_or_create(
            code=code,
            defaults={"name": name, "requires_signature": signature, "sort_order": order * 10},
        )


def unseed(apps, schema_editor):
    RepairCategory = apps.get_model("repairs", "RepairCategory")
    RepairCategory.objects.filter(
        code__in=[code for code, _n, _s in CATEGORIES], work_orders__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("repairs", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
