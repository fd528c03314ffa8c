"""Repairs at 500,000 work orders over the last year: median and p95 server time of the
pending list, a filtered work order list (and a whole tab), the statistics page for a year
(and its API) both computed ("cold": the 5-minute cache cleared before each request) and from
the cache, beside the time of the same SQL statements run directly on the database; then
whether each target of issue 4 is met (p95 under 100 ms for the lists, 300 ms for the
statistics).

    python bench/bench_repairs.py [--orders 500000] [--units 20000] [--runs 30] [--reuse]
                                  [--only TEXT]

The orders are written with bulk_create, so the statistics' daily rollup is then built as the
nightly task would. ``--reuse`` times the database left by an earlier run (keep it with
COURTYARD_DATA_DIR for SQLite, or point DATABASE_URL at it) instead of generating the data
again; ``--only`` times the cases whose label contains TEXT.
"""

import argparse
import random
import time
from datetime import timedelta
from decimal import Decimal

from common import analyze, captured_sql, report, run_sql, setup_django, summary, timed

# Status mix of a year of repairs: most closed, a few hundred of each open state.
STATUSES = (
    ("closed", 0.86),
    ("completed", 0.04),
    ("cancelled", 0.04),
    ("in_progress", 0.02),
    ("dispatched", 0.02),
    ("accepted", 0.01),
    ("submitted", 0.01),
)


def pick_status(rng):
    roll, total = rng.random(), 0.0
    for status, share in STATUSES:
        total += share
        if roll < total:
            return status
    return "closed"


def generate(n_orders, n_units):
    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from courtyard.accounts.models import ApiToken, ScopeGrant, User
    from courtyard.estates.models import Building, Entrance, Estate, Unit
    from courtyard.repairs.choices import URGENCY_RANK
    from courtyard.repairs.models import RepairCategory, WorkOrder

    rng = random.Random(11)
    per_building, per_entrance = 500, 250
    n_buildings = max(1, n_units // per_building)
    estates = Estate.objects.bulk_create(
        [Estate(name=f"基准小区{i}", code=f"B{i:03d}") for i in range(max(2, n_buildings // 10))]
    )
    buildings = Building.objects.bulk_create(
        [
            Building(estate=estates[i % len(estates)], name=f"{i}号楼", floors=25)
            for i in range(n_buildings)
        ]
    )
    entrances = Entrance.objects.bulk_create(
        [
            Entrance(building=b, estate_id=b.estate_id, name=f"{e}单元")
            for b in buildings
            for e in (1, 2)
        ]
    )
    Unit.objects.bulk_create(
        [
            Unit(
                estate_id=entrance.estate_id,
                building_id=entrance.building_id,
                entrance=entrance,
                room_no=f"{k // 10 + 1}{k % 10:02d}",
                floor=k // 10 + 1,
                area=Decimal("88.50"),
            )
            for entrance in entrances
            for k in range(per_entrance)
        ],
        batch_size=5000,
    )
    units = list(Unit.objects.values_list("pk", "estate_id", "building_id"))
    categories = list(RepairCategory.objects.values_list("pk", flat=True))
    admin = User.objects.create_superuser(
        "bench", password="Courtyard#2026", must_change_password=False
    )
    supervisor = User.objects.create_user(
        "supervisor", password="Courtyard#2026", must_change_password=False
    )
    supervisor.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="repairs",
            codename__in=["view_workorder", "view_repair_statistics", "dispatch_workorder"],
        )
    )
    grant = ScopeGrant.objects.create(user=supervisor, kind="estates")
    grant.estates.set(estates[: max(1, len(estates) // 2)])
    _token, raw = ApiToken.issue(supervisor)
    technicians = [
        User.objects.create_user(f"tech{i}", password="Courtyard#2026", full_name=f"师傅{i}")
        for i in range(40)
    ]

    # Reported over the last year; the BaseModel's auto_now_add would stamp them all "now".
    created_field = WorkOrder._meta.get_field("created_at")
    created_field.auto_now_add = False
    now = timezone.now()
    sequence, batch = {}, []
    urgencies = ["normal"] * 16 + ["urgent"] * 3 + ["emergency"]
    hours = {"normal": (24, 72), "urgent": (4, 24), "emergency": (0.5, 4)}
    for _ in range(n_orders):
        unit_id, estate_id, building_id = rng.choice(units)
        created = now - timedelta(seconds=rng.randrange(365 * 24 * 3600))
        status = pick_status(rng)
        urgency = rng.choice(urgencies)
        respond, resolve = hours[urgency]
        sequence[estate_id] = sequence.get(estate_id, 0) + 1
        order = WorkOrder(
            number=f"BX-{created.year}-{sequence[estate_id]:06d}",
            estate_id=estate_id,
            building_id=building_id,
            unit_id=unit_id,
            category_id=rng.choice(categories),
            description="厨房水管漏水，请尽快处理",
            urgency=urgency,
            priority=URGENCY_RANK[urgency],
            source=rng.choice(["portal", "phone", "walk_in"]),
            status=status,
            created_at=created,
            response_due=created + timedelta(hours=respond),
            resolution_due=created + timedelta(hours=resolve),
            reopen_count=1 if rng.random() < 0.05 else 0,
        )
        if status not in ("submitted", "cancelled"):
            order.accepted_at = created + timedelta(hours=rng.uniform(0.1, respond * 1.3))
        if status in ("dispatched", "in_progress", "completed", "closed"):
            order.assignee = rng.choice(technicians)
            order.dispatched_at = order.accepted_at
        if status in ("completed", "closed"):
            order.completed_at = created + timedelta(hours=rng.uniform(1, resolve * 1.3))
        if status == "closed":
            order.closed_at = order.completed_at + timedelta(days=1)
            if rng.random() < 0.6:
                order.rating = rng.choice([3, 4, 4, 5, 5, 5])
        if status == "cancelled":
            order.cancelled_at, order.cancel_reason = created + timedelta(hours=1), "不需要了"
        batch.append(order)
        if len(batch) == 10_000:
            WorkOrder.objects.bulk_create(batch)
            batch = []
    WorkOrder.objects.bulk_create(batch)
    created_field.auto_now_add = True
    return admin, supervisor, raw, WorkOrder.objects.count(), categories


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=500_000)
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--reuse", action="store_true", help="time the bench database already there"
    )
    parser.add_argument("--only", default="", help="time only the cases whose label has this")
    args = parser.parse_args()
    setup_django()

    from courtyard.repairs.statistics import rollup

    if args.reuse:
        admin, supervisor, token, count, categories = existing()
        print(f"reusing {count} work orders", flush=True)
        days = rollup.refresh_stale()  # the days since the last run
    else:
        start = time.perf_counter()
        admin, supervisor, token, count, categories = generate(args.orders, args.units)
        print(f"generated {count} work orders in {time.perf_counter() - start:.1f} s", flush=True)
        start = time.perf_counter()
        days = rollup.rebuild()  # written with bulk_create, around the services
        print(f"statistics rollup: {days} days in {time.perf_counter() - start:.1f} s", flush=True)
        settle()
    measure(admin, supervisor, token, categories, args.runs, args.only)


def settle():
    """The planner's statistics, and on PostgreSQL the visibility map too (index-only scans):
    what autovacuum does after a bulk load, which the benchmark cannot wait for."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        analyze()


def existing():
    """The users of an earlier run's database, with a fresh API token for the supervisor."""
    from courtyard.accounts.models import ApiToken, User
    from courtyard.repairs.models import RepairCategory, WorkOrder

    admin, supervisor = User.objects.get(username="bench"), User.objects.get(username="supervisor")
    _token, raw = ApiToken.issue(supervisor)
    categories = list(RepairCategory.objects.values_list("pk", flat=True))
    return admin, supervisor, raw, WorkOrder.objects.count(), categories


LIST_TARGET, STATISTICS_TARGET = 100, 300  # p95, ms (issue 4)


def measure(admin, supervisor, token, categories, runs, only=""):
    """Time every case (page or API call) and the same SQL run directly, ``runs`` times, and
    say whether each case with a target meets it."""
    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    year = "range=custom&start={}&end={}&granularity=month"
    today = timezone.localdate()
    year = year.format((today - timedelta(days=364)).isoformat(), today.isoformat())
    filtered = f"tab=closed&urgency=urgent&category={categories[0]}"
    cases = []
    for user, label in ((admin, "admin, all estates"), (supervisor, "supervisor, half")):
        client = Client()
        client.force_login(user)
        cases += [
            (f"page /repairs/pending/ ({label})", client, "/repairs/pending/", {}, LIST_TARGET),
            (
                f"page /repairs/?{filtered} ({label})",
                client,
                f"/repairs/?{filtered}",
                {},
                LIST_TARGET,
            ),
            (f"page /repairs/?tab=closed ({label})", client, "/repairs/?tab=closed", {}, None),
            (
                f"page /repairs/?tab=in_progress ({label})",
                client,
                "/repairs/?tab=in_progress",
                {},
                None,
            ),
            (
                f"page statistics, 365 days, cold ({label})",
                client,
                f"/repairs/statistics/?{year}",
                {"cold": True},
                STATISTICS_TARGET,
            ),
            (
                f"page statistics, 365 days, cached ({label})",
                client,
                f"/repairs/statistics/?{year}",
                {},
                None,
            ),
        ]
    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    cases += [
        (
            "api /api/v1/reports/repairs, 365 days, cold (supervisor)",
            api,
            f"/api/v1/reports/repairs?{year}",
            {**auth, "cold": True},
            STATISTICS_TARGET,
        ),
    ]
    verdicts = []
    for label, client, url, headers, target in cases:
        if only not in label:
            continue

        def request(client=client, url=url, headers=headers):
            headers = dict(headers)
            if headers.pop("cold", False):
                cache.clear()  # the statistics are cached 5 minutes: time the computation
            response = client.get(url, **headers)
            assert response.status_code == 200, (url, response.status_code)

        statements = [s for s in captured_sql(request) if "django_session" not in s]
        samples = timed(request, runs)
        report(label, samples, timed(run_sql(statements), runs))
        if target:
            p95 = summary(samples)[1]
            verdicts.append(
                f"{'met    ' if p95 < target else 'NOT MET'} p95 {p95:7.1f} ms "
                f"< {target} ms: {label}"
            )
    print(f"\ntargets ({connection_vendor()}):")
    for line in verdicts:
        print("  " + line)


def connection_vendor():
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main()
