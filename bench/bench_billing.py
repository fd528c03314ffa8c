"""Billing at scale: a bill run of 100,000 units × 3 items (property fee, water, electricity:
300,000 bills) beside inserting the same rows directly through the driver (sqlite3
``executemany`` in one transaction; psycopg ``COPY``), its peak memory, a second run of the
same period (nothing to do), publishing the run; then the bills list filtered to the unpaid
bills of one building at 1,000,000 bills (page and API, median and p95 beside the same SQL).

    python bench/bench_billing.py [--units 100000] [--bills 1000000] [--runs 30] [--rounds 1]
                                  [--bulk-create] [--only run|list] [--reuse]

``--rounds 3`` times the run and the direct insert three times in turns and prints their
medians (on a busy machine one pair of figures swings widely). ``--reuse`` times the list on
the database left by an earlier run (keep it with COURTYARD_DATA_DIR for SQLite, or point
DATABASE_URL at it).

The run's job is timed in a child process, so that its peak resident memory (VmHWM) is the
run's own and not the data generation's. ``--bulk-create`` also times Django's
``bulk_create(ignore_conflicts=True)`` of the same rows (the alternative the run does not use).
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal

from common import analyze, captured_sql, report, run_sql, setup_django, timed

CHUNK = 5000  # the run's units per chunk (runs_services.CHUNK), for the direct insert's commits

PERIOD = "2026-10"
PER_BUILDING, PER_ENTRANCE = 500, 250
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚文华红建国志晓雪梅海燕"


# Data ---------------------------------------------------------------------------------------


def insert(model, columns, rows, batch=10_000):
    """Rows written with one multi-row statement per batch (data generation only)."""
    from django.db import connection, transaction

    table = model._meta.db_table
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    rows = iter(rows)
    while True:
        chunk = [row for _i, row in zip(range(batch), rows, strict=False)]
        if not chunk:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, chunk)


def generate(n_units):
    """One estate of ``n_units`` units (88.50 m² homes and some shops), an owner each (a few
    units without one), this month's water and electricity readings (a few flagged)."""
    from django.db import connection
    from django.utils import timezone

    from courtyard.accounts.models import User
    from courtyard.billing.models import MeterReading
    from courtyard.estates.models import Building, Entrance, Estate, Unit
    from courtyard.residents.models import Occupancy, Resident

    rng = random.Random(5)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    estate = Estate.objects.create(name="基准花园", code="BENCH")
    n_buildings = max(1, n_units // PER_BUILDING)
    buildings = Building.objects.bulk_create(
        [Building(estate=estate, name=f"{i + 1}号楼", floors=25) for i in range(n_buildings)]
    )
    entrances = Entrance.objects.bulk_create(
        [Entrance(building=b, estate=estate, name=f"{e}单元") for b in buildings for e in (1, 2)]
    )
    insert(
        Unit,
        ("created_at", "updated_at", "estate_id", "building_id", "entrance_id", "room_no")
        + ("floor", "area", "use", "status", "note", "version"),
        (
            (now, now, estate.pk, e.building_id, e.pk, f"{k // 10 + 1}{k % 10 + 1:02d}")
            + (k // 10 + 1, Decimal("88.50") if k % 50 else Decimal("120.00"))
            + ("residential" if k % 50 else "shop", "occupied", "", 1)
            for e in entrances
            for k in range(PER_ENTRANCE)
        ),
    )
    units = list(Unit.objects.order_by("pk").values_list("pk", "building_id")[:n_units])
    Unit.objects.filter(pk__gt=units[-1][0])._raw_delete(Unit.objects.db)

    def person(i):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        phone = f"13{i:09d}"
        return (now, now, name, "individual", "", "", "", "", phone, phone[-4:], "", "", "", "")

    owned = [(pk, b) for pk, b in units if pk % 97]  # about 1% of the units have no owner
    insert(
        Resident,
        ("created_at", "updated_at", "name", "kind", "company_name", "id_number_masked")
        + ("id_number_hash", "id_last4", "phone", "phone_last4", "email", "emergency_contact")
        + ("emergency_phone", "note", "status", "archive_reason", "version"),
        (person(i) + ("current", "", 1) for i in range(len(owned))),
    )
    people = list(Resident.objects.order_by("pk").values_list("pk", flat=True))
    insert(
        Occupancy,
        ("created_at", "updated_at", "resident_id", "unit_id", "estate_id", "building_id")
        + ("role", "relation", "status", "move_in"),
        (
            (now, now, resident, unit, estate.pk, building, "owner", "", "current", "2024-01-01")
            for resident, (unit, building) in zip(people, owned, strict=True)
        ),
    )

    def readings():
        for pk, building in units:
            flagged = pk % 1000 == 0
            for meter, usage in (("water", (4, 30)), ("electricity", (80, 600))):
                usage = Decimal(rng.randint(*usage))
                yield (now, now, pk, estate.pk, building, meter, PERIOD) + (
                    Decimal("1000") + usage,
                    Decimal("1000"),
                    usage,
                    "2026-10-31",
                    flagged,
                    "usage high" if flagged else "",
                )

    insert(
        MeterReading,
        ("created_at", "updated_at", "unit_id", "estate_id", "building_id", "meter_type")
        + ("period", "reading", "previous_reading", "usage", "read_on", "is_flagged")
        + ("flag_reason",),
        readings(),
    )
    finance = User.objects.create_superuser(
        "bench", password="Courtyard#2026", must_change_password=False
    )
    return estate, buildings, finance


# The run --------------------------------------------------------------------------------------


def peak_kb():
    """This process's peak resident memory in kB: VmHWM (ru_maxrss would also count the
    parent's memory at the fork that started this child)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_run(run_id):
    """In a child process: the run's job, timed, with this process's peak memory."""
    from courtyard.billing.models import BillRun
    from courtyard.billing.runs.services import generate_bills

    run = BillRun.objects.select_related("estate").get(pk=run_id)
    before = peak_kb()
    start = time.perf_counter()
    result = generate_bills(run)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_kb": peak_kb(), "before_kb": before, **result}))


def timed_run(estate, finance, items):
    """Start a run (as the page does) and time its job in a child process."""
    from courtyard.billing.runs.services import start_bill_run

    run = start_bill_run(
        finance, estate=estate, buildings=[], cycle="month", period=PERIOD, items=items
    )
    output = subprocess.run(
        [sys.executable, __file__, "--child-run", str(run.pk)],
        env=os.environ,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return run, json.loads(output.strip().splitlines()[-1])


def bill_rows(run):
    """The rows the run wrote, as the driver would insert them (read before any timing)."""
    from django.db import connection

    from courtyard.billing.runs.services import BillWriter

    columns = ", ".join(BillWriter.COLUMNS).replace("detail", "detail::text")
    if connection.vendor != "postgresql":
        columns = columns.replace("::text", "")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM billing_bill WHERE bill_run_id = %s ORDER BY id", [run.pk]
        )
        return [tuple(row) for row in cursor.fetchall()]


def delete_bills():
    """An empty, compacted bills table (both inserts start from the same state)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_bill")
        cursor.execute("VACUUM" if connection.vendor == "sqlite" else "VACUUM FULL billing_bill")
    analyze()


def direct_insert(rows, batch):
    """The same rows through the database driver itself, committed ``batch`` rows at a time
    as the run commits each chunk."""
    from django.db import connection

    from courtyard.billing.runs.services import BillWriter

    columns = ", ".join(BillWriter.COLUMNS)
    settings = connection.settings_dict
    start = time.perf_counter()
    if connection.vendor == "postgresql":
        import psycopg

        with psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            password=settings["PASSWORD"] or None,
        ) as conn:
            copy_sql = f"COPY billing_bill ({columns}) FROM STDIN"
            for at in range(0, len(rows), batch):
                with conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
                    for row in rows[at : at + batch]:
                        copy.write_row(row)
                conn.commit()
    else:
        import sqlite3

        conn = sqlite3.connect(settings["NAME"], isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        marks = ", ".join("?" * len(BillWriter.COLUMNS))
        sql = f"INSERT INTO billing_bill ({columns}) VALUES ({marks})"
        for at in range(0, len(rows), batch):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, rows[at : at + batch])
            conn.execute("COMMIT")
        conn.close()
    return time.perf_counter() - start


def bulk_create_time(run, rows):
    """Django's bulk_create(ignore_conflicts=True) of the same rows, 5,000 at a time."""
    from django.db import transaction

    from courtyard.billing.models import Bill
    from courtyard.billing.runs.services import BillWriter

    start = time.perf_counter()
    for at in range(0, len(rows), 5000):
        objects = []
        for row in rows[at : at + 5000]:
            values = dict(zip(BillWriter.COLUMNS, row, strict=True))
            values["detail"] = json.loads(values["detail"])
            objects.append(Bill(**values))
        with transaction.atomic():
            Bill.objects.bulk_create(objects, ignore_conflicts=True)
    return time.perf_counter() - start


def load():
    """The machine's load (1-minute average), printed beside each figure."""
    return f"   [load {os.getloadavg()[0]:.2f}]"


def measure_run(estate, finance, with_bulk_create, rounds=1):
    from django.db import connection

    from courtyard.billing.models import Bill, ChargeItem
    from courtyard.billing.runs.services import publish_bill_run

    items = list(ChargeItem.objects.filter(code__in=["property-fee", "water", "electricity"]))
    run, first = timed_run(estate, finance, items)
    rows = bill_rows(run)
    delete_bills()
    direct = direct_insert(rows, CHUNK * len(items))
    analyze()  # as autovacuum would after a bulk load
    mb = 1024
    print(
        f"bill run {PERIOD}, {first['created']:,} bills ({connection.vendor})"
        f"{'':<6} {first['seconds']:8.2f} s   peak RSS {first['peak_kb'] / mb:6.0f} MB"
        f" (after Django setup {first['before_kb'] / mb:.0f} MB)"
        f"   | direct insert of the same rows: {direct:6.2f} s"
        f"   (x{first['seconds'] / direct:.2f}){load()}",
        flush=True,
    )
    samples = [(first["seconds"], direct)]
    for _round in range(rounds - 1):  # in turns, so that a busy spell weighs on both alike
        delete_bills()
        _again_run, again = timed_run(estate, finance, items)
        delete_bills()
        samples.append((again["seconds"], direct_insert(rows, CHUNK * len(items))))
        analyze()
        print(
            f"  again: bill run {samples[-1][0]:8.2f} s   | direct insert {samples[-1][1]:6.2f} s"
            f"   (x{samples[-1][0] / samples[-1][1]:.2f}){load()}",
            flush=True,
        )
    if rounds > 1:
        run_median = statistics.median(seconds for seconds, _direct in samples)
        direct_median = statistics.median(direct for _seconds, direct in samples)
        print(
            f"  median of {rounds} rounds: bill run {run_median:8.2f} s"
            f"   | direct insert {direct_median:6.2f} s   (x{run_median / direct_median:.2f})",
            flush=True,
        )
    if with_bulk_create:
        delete_bills()
        seconds = bulk_create_time(run, rows)
        print(f"  (Django bulk_create(ignore_conflicts=True) of the same rows: {seconds:.2f} s)")
        delete_bills()
        direct_insert(rows, CHUNK * len(items))
    del rows
    again_run, again = timed_run(estate, finance, items)
    print(
        f"second run of {PERIOD}: {again['created']} bills created, "
        f"{again['existing']:,} existing{'':<6} {again['seconds']:8.2f} s"
        f"   ({again['seconds'] / first['seconds'] * 100:.1f}% of the first run)",
        flush=True,
    )
    # Publish the (second) run's bills: the directly inserted rows belong to the first run.
    Bill.objects.filter(bill_run=run).update(bill_run=again_run)
    start = time.perf_counter()
    count = publish_bill_run(finance, again_run)
    print(
        f"publish {count:,} bills (one SMS per payer){'':<16} {time.perf_counter() - start:8.2f} s",
        flush=True,
    )


# The list -----------------------------------------------------------------------------------


def fill_to(n_bills, estate):
    """Earlier months' property fees (most paid, the last months' partly open) up to n_bills."""
    from django.db import connection
    from django.utils import timezone

    from courtyard.billing.models import Bill, ChargeItem

    have = Bill.objects.count()
    fee = ChargeItem.objects.get(code="property-fee")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    units = list(
        Bill.objects.filter(item=fee, period=PERIOD).values_list(
            "unit_id", "building_id", "payer_id"
        )
    )
    rng = random.Random(3)
    month = 9
    rows = []
    while have + len(rows) < n_bills and month >= 1:
        label = f"2026-{month:02d}"
        start = date(2026, month, 1)
        for unit, building, payer in units:
            if have + len(rows) >= n_bills:
                break
            paid = rng.random() < (0.97 if month < 8 else 0.8)
            rows.append(
                (now, now, "periodic", estate.pk, building, unit, payer, fee.pk, label, start)
                + (Decimal("88.50"), Decimal("2.5"), Decimal("221.25"))
                + (Decimal("221.25") if paid else Decimal("0"), Decimal("0"), "{}", "")
                + ("paid" if paid else "unpaid", date(2026, month, 16), now, "", 0)
            )
        month -= 1
    insert(
        Bill,
        ("created_at", "updated_at", "kind", "estate_id", "building_id", "unit_id", "payer_id")
        + ("item_id", "period", "period_start", "quantity", "unit_price", "amount")
        + ("paid_amount", "refunded_amount", "detail", "note", "status", "due_date")
        + ("published_at", "void_reason", "reminder_count"),
        rows,
    )
    analyze()
    return Bill.objects.count()


def measure_list(estate, buildings, runs):
    from django.contrib.auth.models import Permission
    from django.test import Client

    from courtyard.accounts.models import ApiToken, ScopeGrant, User

    clerk = User.objects.filter(username="clerk").first()
    if clerk is None:
        clerk = User.objects.create_user(
            "clerk", password="Courtyard#2026", must_change_password=False
        )
        grant = ScopeGrant.objects.create(user=clerk, kind="estates")
        grant.estates.set([estate])
    clerk.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="billing", codename__in=["view_bill", "view_billrun"]
        )
    )
    _token, raw = ApiToken.issue(clerk)
    building = buildings[len(buildings) // 2]
    query = f"building={building.pk}&status=unpaid"
    page, api = Client(), Client()
    page.force_login(clerk)
    cases = [
        (f"page /billing/bills/?{query}", page, f"/billing/bills/?{query}", {}),
        (
            f"  its totals /billing/bills/totals/?{query}",
            page,
            f"/billing/bills/totals/?{query}",
            {},
        ),
        ("page /billing/bills/ (no filter, 1st page)", page, "/billing/bills/", {}),
        ("page /billing/runs/ (the layout's floor)", page, "/billing/runs/", {}),
        (
            f"api /api/v1/bills?{query}",
            api,
            f"/api/v1/bills?{query}",
            {"HTTP_AUTHORIZATION": f"Bearer {raw}"},
        ),
    ]
    for label, client, url, headers in cases:

        def request(client=client, url=url, headers=headers):
            response = client.get(url, **headers)
            assert response.status_code == 200, (url, response.status_code)

        statements = [s for s in captured_sql(request) if "django_session" not in s]
        report(label, timed(request, runs), timed(run_sql(statements), runs))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--bills", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--rounds", type=int, default=1, help="bill runs and direct inserts timed in turns"
    )
    parser.add_argument("--bulk-create", action="store_true")
    parser.add_argument("--only", choices=["run", "list"], default=None)
    parser.add_argument(
        "--reuse", action="store_true", help="time the list on the bench database already there"
    )
    parser.add_argument("--child-run", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_run:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courtyard.settings")
        django.setup()
        child_run(args.child_run)
        return
    setup_django()
    if args.reuse:
        from courtyard.billing.models import Bill
        from courtyard.estates.models import Building, Estate

        estate = Estate.objects.get(code="BENCH")
        print(f"reusing {Bill.objects.count():,} bills", flush=True)
        measure_list(estate, list(Building.objects.filter(estate=estate).order_by("pk")), args.runs)
        return
    start = time.perf_counter()
    estate, buildings, finance = generate(args.units)
    analyze()
    print(
        f"generated {args.units:,} units with owners and readings in "
        f"{time.perf_counter() - start:.1f} s",
        flush=True,
    )
    if args.only != "list":
        measure_run(estate, finance, args.bulk_create, args.rounds)
    if args.only != "run":
        if args.only == "list":
            from courtyard.billing.models import ChargeItem

            items = list(ChargeItem.objects.filter(code__in=["property-fee", "water"]))
            run, _result = timed_run(estate, finance, items)
        start = time.perf_counter()
        count = fill_to(args.bills, estate)
        print(f"{count:,} bills in {time.perf_counter() - start:.1f} s", flush=True)
        measure_list(estate, buildings, args.runs)


if __name__ == "__main__":
    main()
