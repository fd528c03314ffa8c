"""The unit list page and API at 100,000 units: median and p95 server time, beside the time of
the same SQL statements run directly on the database.

    python bench/bench_unit_list.py [--units 100000] [--runs 30]
"""

import argparse
import time
from decimal import Decimal

from common import analyze, captured_sql, report, run_sql, setup_django, timed


def generate(n_units):
    from courtyard.accounts.models import ApiToken, ScopeGrant, User
    from courtyard.estates.models import Building, Entrance, Estate, Unit

    per_building, per_entrance = 500, 250
    n_buildings = max(1, n_units // per_building)
    estates = Estate.objects.bulk_create(
        [Estate(name=f"基准小区{i}", code=f"B{i:03d}") for i in range(max(1, n_buildings // 20))]
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
    batch, made = [], 0
    for entrance in entrances:
        for k in range(per_entrance):
            batch.append(
                Unit(
                    estate_id=entrance.estate_id,
                    building_id=entrance.building_id,
                    entrance=entrance,
                    room_no=f"{k // 10 + 1}{k % 10:02d}",
                    floor=k // 10 + 1,
                    area=Decimal("88.50"),
                )
            )
            made += 1
            if len(batch) == 10000:
                Unit.objects.bulk_create(batch)
                batch = []
        if made >= n_units:
            break
    Unit.objects.bulk_create(batch)
    admin = User.objects.create_superuser(
        "bench", password="Courtyard#2026", must_change_password=False
    )
    clerk = User.objects.create_user("clerk", password="Courtyard#2026", must_change_password=False)
    from django.contrib.auth.models import Permission

    clerk.user_permissions.add(Permission.objects.get(codename="view_unit"))
    grant = ScopeGrant.objects.create(user=clerk, kind="estates")
    grant.estates.set(estates[: max(1, len(estates) // 2)])
    _token, raw = ApiToken.issue(clerk)
    return admin, clerk, raw, Unit.objects.count()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    setup_django()
    from django.test import Client

    start = time.perf_counter()
    admin, clerk, token, count = generate(args.units)
    print(f"generated {count} units in {time.perf_counter() - start:.1f} s")
    analyze()

    cases = []
    for user, label in ((admin, "admin, all estates"), (clerk, "clerk, half the estates")):
        client = Client()
        client.force_login(user)
        cases += [
            (f"page /estates/units/ ({label})", client, "/estates/units/", {}),
            (
                f"page sorted by area, page 40 ({label})",
                client,
                "/estates/units/?sort=-area&page=40",
                {},
            ),
            (f"page search room 1205 ({label})", client, "/estates/units/?q=1205", {}),
            (
                f"page filter occupancy vacant ({label})",
                client,
                "/estates/units/?status=vacant",
                {},
            ),
        ]
    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    cases += [
        ("api /api/v1/units?limit=50 (clerk)", api, "/api/v1/units?limit=50", auth),
        (
            "api /api/v1/units?offset=20000 (clerk)",
            api,
            "/api/v1/units?limit=50&offset=20000",
            auth,
        ),
    ]
    for label, client, url, headers in cases:

        def request(client=client, url=url, headers=headers):
            response = client.get(url, **headers)
            assert response.status_code == 200, (url, response.status_code)

        statements = [s for s in captured_sql(request) if "django_session" not in s]
        report(label, timed(request, args.runs), timed(run_sql(statements), args.runs))


if __name__ == "__main__":
    main()
