"""PostgreSQL: the planner's statistics of distinct (unit, category) pairs.

Without them it takes the pairs for 50,000 at 500,000 orders (there are 118,000), finds
hashing them cheaper than reading ``workorder_recurrence`` in order, and the statistics'
recurring units take a second instead of a fifth of one (the hash spills to disk).
"""

from django.db import migrations

NAME = "workorder_unit_category"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {NAME} (ndistinct) "
            "ON unit_id, category_id FROM repairs_workorder"
        )
        schema_editor.execute("ANALYZE repairs_workorder")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("repairs", "0008_list_scope_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
