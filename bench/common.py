"""Benchmark helpers: a throw-away database, median and p95 timing, the same SQL run directly."""

import atexit
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django():
    """Django on a fresh database: SQLite in a temporary directory unless DATABASE_URL is set.

    A temporary data directory is removed at exit; one named by COURTYARD_DATA_DIR is kept.
    """
    if "COURTYARD_DATA_DIR" not in os.environ:
        data_dir = tempfile.mkdtemp(prefix="courtyard-bench-")
        os.environ["COURTYARD_DATA_DIR"] = data_dir
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courtyard.settings")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    call_command("migrate", verbosity=0)


def timed(func, runs):
    """Milliseconds of ``runs`` calls (after two warm-up calls)."""
    func(), func()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def timed_pair(first, second, runs):
    """Milliseconds of ``runs`` calls of each, taken in turns (first, second, first …), so a
    busy spell of the machine weighs on both alike: for comparing a page with its SQL."""
    first(), second(), first(), second()
    samples = ([], [])
    for _ in range(runs):
        for func, into in ((first, samples[0]), (second, samples[1])):
            start = time.perf_counter()
            func()
            into.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def report(label, samples, baseline=None, target_ms=None, target_ratio=None):
    """One line: median and p95, beside those of the same SQL run directly; with targets,
    whether the p95 is under ``target_ms`` and the page within ``target_ratio`` × the SQL
    (median and p95 alike)."""
    median, p95 = summary(samples)
    line = f"{label:<48} median {median:8.2f} ms   p95 {p95:8.2f} ms"
    if baseline is not None:
        base_median, base_p95 = summary(baseline)
        line += f"   | same SQL directly: median {base_median:7.2f} ms  p95 {base_p95:7.2f} ms"
        line += f"   (x{median / base_median:.1f})" if base_median else ""
    verdicts = []
    if target_ms is not None:
        verdicts.append(f"p95<{target_ms:g}ms {'yes' if p95 < target_ms else 'NO'}")
    if target_ratio is not None and baseline is not None:
        within = median <= target_ratio * base_median and p95 <= target_ratio * base_p95
        verdicts.append(f"<={target_ratio:g}x SQL {'yes' if within else 'NO'}")
    if verdicts:
        line += "   [" + ", ".join(verdicts) + "]"
    print(line, flush=True)


def captured_sql(func):
    """The SQL statements (with parameters) that ``func`` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        func()
    return [q["sql"] for q in ctx.captured_queries]


SERVER_CURSOR = re.compile(r"^DECLARE .*? CURSOR (?:WITH(?:OUT)? HOLD )?FOR (.*)$", re.S)


def run_sql(statements):
    """Run the captured statements on a plain cursor (server-side cursors become their query)."""
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            for sql in statements:
                if sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                    continue
                declared = SERVER_CURSOR.match(sql.strip())
                cursor.execute(declared.group(1) if declared else sql)
                if cursor.description:
                    cursor.fetchall()

    return run


def analyze():
    """Bring the database to the state autovacuum keeps it in after a bulk load: planner
    statistics (ANALYZE) and, on PostgreSQL, the visibility map that index-only scans need
    (VACUUM: since PostgreSQL 13 autovacuum also vacuums tables that were only inserted to)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
