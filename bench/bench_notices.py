"""Notices at scale: publishing one notice to 100,000 residents (each with a portal account
and a phone) on the app and by SMS — a read receipt per person, a message and a delivery per
person and channel — beside inserting the same rows directly through the database driver
(sqlite3 ``executemany`` in one transaction; psycopg ``COPY``) in the same run; then the
statistics of that notice (100,000 audience members, about 60% read) as the selector, the API
``/statistics`` and the staff detail page answer them, each beside the same SQL run directly.

    python bench/bench_notices.py [--residents 100000] [--runs 30] [--only publish|statistics]

Targets (issue 6): publishing within 2× the direct insert; statistics p95 under 100 ms.
"""

import argparse
import random
import time
from decimal import Decimal

from common import analyze, captured_sql, report, run_sql, setup_django, timed_pair

PER_BUILDING, PER_ENTRANCE = 500, 250
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚文华红建国志晓雪梅海燕"
RECEIPT_COLUMNS = ("id", "notice_id", "resident_id", "unit_id", "read_at", "confirmed_at")
RECEIPT_COLUMNS += ("liked_at",)
MESSAGE_COLUMNS = ("id", "channel", "recipient", "recipient_user_id", "subject", "body")
MESSAGE_COLUMNS += ("purpose", "status", "attempts", "last_error", "provider_ref", "created_at")
MESSAGE_COLUMNS += ("sent_at", "read_at")
DELIVERY_COLUMNS = ("id", "notice_id", "resident_id", "channel", "round", "message_id")
DELIVERY_COLUMNS += ("created_at",)
TABLES = (
    ("core_message", MESSAGE_COLUMNS),
    ("notices_noticereceipt", RECEIPT_COLUMNS),
    ("notices_noticedelivery", DELIVERY_COLUMNS),
)


# Data -----------------------------------------------------------------------------------------


def insert(table, columns, rows, batch=10_000):
    """Rows written with one multi-row statement per batch (data generation only)."""
    from django.db import connection, transaction

    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    rows = iter(rows)
    while True:
        chunk = [row for _i, row in zip(range(batch), rows, strict=False)]
        if not chunk:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, chunk)


def generate(n_residents):
    """One estate of ``n_residents`` homes, one current owner each with a portal account."""
    from django.db import connection
    from django.utils import timezone

    from courtyard.accounts.models import User
    from courtyard.estates.models import Building, Entrance, Estate, Unit
    from courtyard.residents.models import Resident

    rng = random.Random(6)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    estate = Estate.objects.create(name="基准花园", code="BENCH")
    n_buildings = max(1, -(-n_residents // PER_BUILDING))
    buildings = Building.objects.bulk_create(
        [Building(estate=estate, name=f"{i + 1}号楼", floors=25) for i in range(n_buildings)]
    )
    entrances = Entrance.objects.bulk_create(
        [Entrance(building=b, estate=estate, name=f"{e}单元") for b in buildings for e in (1, 2)]
    )
    insert(
        Unit._meta.db_table,
        ("created_at", "updated_at", "estate_id", "building_id", "entrance_id", "room_no")
        + ("floor", "area", "use", "status", "note", "version"),
        (
            (now, now, estate.pk, e.building_id, e.pk, f"{k // 10 + 1}{k % 10 + 1:02d}")
            + (k // 10 + 1, Decimal("88.50"), "residential", "occupied", "", 1)
            for e in entrances
            for k in range(PER_ENTRANCE)
        ),
    )
    units = list(Unit.objects.order_by("pk").values_list("pk", "building_id")[:n_residents])
    Unit.objects.filter(pk__gt=units[-1][0])._raw_delete(Unit.objects.db)
    phones = [f"13{i:09d}" for i in range(n_residents)]
    names = [rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN) for _ in phones]
    insert(
        User._meta.db_table,
        ("password", "is_superuser", "username", "first_name", "last_name", "email")
        + ("is_staff", "is_active", "date_joined", "full_name", "kind", "position", "phone")
        + ("must_change_password", "require_two_factor", "version", "session_stamp"),
        (
            ("!", False, phone, "", "", "", False, True, now, name, "resident", "", phone)
            + (False, False, 1, "")
            for phone, name in zip(phones, names, strict=True)
        ),
    )
    accounts = dict(User.objects.filter(kind="resident").values_list("username", "pk"))
    insert(
        Resident._meta.db_table,
        ("created_at", "updated_at", "name", "kind", "company_name", "id_number_masked")
        + ("id_number_hash", "id_last4", "phone", "phone_last4", "email", "emergency_contact")
        + ("emergency_phone", "note", "status", "archive_reason", "user_id", "version"),
        (
            (now, now, name, "individual", "", "", "", "", phone, phone[-4:], "", "", "", "")
            + ("current", "", accounts[phone], 1)
            for phone, name in zip(phones, names, strict=True)
        ),
    )
    people = list(Resident.objects.order_by("pk").values_list("pk", flat=True))
    insert(
        "residents_occupancy",
        ("created_at", "updated_at", "resident_id", "unit_id", "estate_id", "building_id")
        + ("role", "relation", "status", "move_in"),
        (
            (now, now, resident, unit, estate.pk, building, "owner", "", "current", "2024-01-01")
            for resident, (unit, building) in zip(people, units, strict=True)
        ),
    )
    staff = User.objects.create_superuser(
        "bench", password="Courtyard#2026", must_change_password=False
    )
    return estate, staff


# Publishing -----------------------------------------------------------------------------------


def approved_notice(estate, staff):
    """A notice to the whole estate on the app and by SMS, approved (as the review would)."""
    import datetime

    from django.utils import timezone

    from courtyard.notices import services
    from courtyard.notices.choices import NoticeStatus
    from courtyard.notices.models import Notice

    notice = services.create_notice(
        staff,
        title="{estate_name}停水通知",
        content="<p>{owner_name}您好，{room_no}所在楼栋明日 8:00–18:00 停水，请提前储水。</p>",
        effective_from=timezone.now() - datetime.timedelta(hours=1),
        estates=[estate],
        channels=["app", "sms"],
    )
    Notice.objects.filter(pk=notice.pk).update(
        status=NoticeStatus.APPROVED, approved_at=timezone.now()
    )
    notice.refresh_from_db()
    return notice


def written_rows(notice):
    """The rows the publishing wrote, as the driver would insert them (read before timing)."""
    from django.db import connection

    rows = {}
    where = {
        "core_message": (
            "id IN (SELECT message_id FROM notices_noticedelivery WHERE notice_id = %s)"
        ),
        "notices_noticereceipt": "notice_id = %s",
        "notices_noticedelivery": "notice_id = %s",
    }
    with connection.cursor() as cursor:
        for table, columns in TABLES:
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {table} WHERE {where[table]} ORDER BY id",
                [notice.pk],
            )
            rows[table] = [tuple(row) for row in cursor.fetchall()]
    return rows


def delete_rows(notice):
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM core_message WHERE id IN "
            "(SELECT message_id FROM notices_noticedelivery WHERE notice_id = %s)",
            [notice.pk],
        )
        cursor.execute("DELETE FROM notices_noticedelivery WHERE notice_id = %s", [notice.pk])
        cursor.execute("DELETE FROM notices_noticereceipt WHERE notice_id = %s", [notice.pk])
    analyze()


def direct_insert(rows):
    """The same rows through the database driver itself, in one transaction."""
    from django.db import connection

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
            for table, columns in TABLES:
                copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
                    for row in rows[table]:
                        copy.write_row(row)
            conn.commit()
    else:
        import sqlite3

        conn = sqlite3.connect(settings["NAME"], isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("BEGIN IMMEDIATE")
        for table, columns in TABLES:
            marks = ", ".join("?" * len(columns))
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows[table]
            )
        conn.execute("COMMIT")
        conn.close()
    return time.perf_counter() - start


def measure_publish(estate, staff):
    from django.db import connection

    from courtyard.notices import services

    notice = approved_notice(estate, staff)
    analyze()
    start = time.perf_counter()
    result = services.publish_notice(staff, notice)
    seconds = time.perf_counter() - start
    rows = written_rows(notice)
    counts = {table: len(rows[table]) for table, _columns in TABLES}
    delete_rows(notice)
    direct = direct_insert(rows)
    analyze()  # as autovacuum would after a bulk load
    ratio = seconds / direct
    print(
        f"publish to {result.audience:,} residents, app + SMS ({connection.vendor}): "
        f"{counts['notices_noticereceipt']:,} receipts, {counts['core_message']:,} messages, "
        f"{counts['notices_noticedelivery']:,} deliveries   {seconds:7.2f} s"
        f"   | direct insert of the same rows: {direct:6.2f} s   (x{ratio:.2f})"
        f"   [<=2x direct {'yes' if ratio <= 2 else 'NO'}]",
        flush=True,
    )
    return notice


# Statistics -----------------------------------------------------------------------------------


def readers(notice):
    """About 60% read, 10% liked, 300 comments (a few hidden)."""
    from django.db import connection
    from django.utils import timezone

    from courtyard.notices.models import NoticeComment, NoticeReceipt

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE notices_noticereceipt SET read_at = %s WHERE notice_id = %s AND id %% 10 < 6",
            [now, notice.pk],
        )
        cursor.execute(
            "UPDATE notices_noticereceipt SET liked_at = %s WHERE notice_id = %s AND id %% 10 = 0",
            [now, notice.pk],
        )
    people = NoticeReceipt.objects.filter(notice=notice).values_list("resident_id", flat=True)
    NoticeComment.objects.bulk_create(
        NoticeComment(notice=notice, resident_id=resident, body="收到", is_hidden=i % 50 == 0)
        for i, resident in enumerate(people[:300])
    )
    analyze()


def measure_statistics(notice, staff, runs):
    from django.test import Client
    from django.urls import reverse

    from courtyard.accounts.models import ApiToken
    from courtyard.notices import selectors

    figures = selectors.notice_statistics(notice)
    print(
        f"statistics of one notice: audience {figures.audience:,}, read {figures.read:,}, "
        f"liked {figures.liked:,}, comments {figures.comments}",
        flush=True,
    )

    def selector():
        selectors.notice_statistics(notice)

    report("selector notice_statistics", *paired(selector, runs), target_ms=100)
    _token, raw = ApiToken.issue(staff)
    page = Client()
    page.force_login(staff)
    cases = [
        (
            "api /api/v1/notices/{pk}/statistics",
            Client(),
            f"/api/v1/notices/{notice.pk}/statistics",
            {"HTTP_AUTHORIZATION": f"Bearer {raw}"},
        ),
        (
            "page /notices/{pk}/ (staff detail)",
            page,
            reverse("notices:notice_detail", args=[notice.pk]),
            {},
        ),
    ]
    for label, client, path, headers in cases:

        def request(client=client, path=path, headers=headers):
            response = client.get(path, **headers)
            assert response.status_code == 200, (path, response.status_code)

        report(label, *paired(request, runs), target_ms=100)


def paired(func, runs):
    """The samples of ``func`` and of the SQL it runs executed directly, taken in turns."""
    statements = [s for s in captured_sql(func) if "django_session" not in s]
    return timed_pair(func, run_sql(statements), runs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", choices=["publish", "statistics"], default=None)
    args = parser.parse_args()
    setup_django()
    start = time.perf_counter()
    estate, staff = generate(args.residents)
    analyze()
    print(
        f"generated {args.residents:,} residents with homes and portal accounts in "
        f"{time.perf_counter() - start:.1f} s",
        flush=True,
    )
    if args.only == "statistics":
        from courtyard.notices import services

        notice = approved_notice(estate, staff)
        services.publish_notice(staff, notice)
    else:
        notice = measure_publish(estate, staff)
    if args.only != "publish":
        readers(notice)
        measure_statistics(notice, staff, args.runs)


if __name__ == "__main__":
    main()
