"""Bulk loading: thousands of rows written through the driver, their new ids returned.

A bill run's drafts, a notice's receipts, messages and deliveries and the messages of a
publish are written as plain tuples here rather than through ``bulk_create``: building and
preparing 100,000s of model instances cost several times the inserts themselves.

- PostgreSQL: the ids are drawn from the table's sequence first and the rows COPYed with
  them (row-by-row statements took 5× a direct COPY of the same rows). With
  ``skip_conflicts``, should the COPY meet a conflict (it rolls back to its savepoint), the
  rows go again through a temporary staging table and one ``INSERT … SELECT … ON CONFLICT
  DO NOTHING RETURNING id``: conflicts are rare (a re-run skips the bills it finds).
- SQLite: multi-row ``INSERT … RETURNING id``, as many rows per statement as the variable
  limit allows.

``ON CONFLICT DO NOTHING`` names no constraint, so it skips a row that any unique constraint
refuses, partial ones included (a bill run filling the gaps of a period billed before).
"""

import sqlite3
import zlib
from itertools import chain

from django.db import IntegrityError, connection, transaction

SQLITE_VARIABLES = 999  # SQLite's limit before 3.32, when the driver cannot tell the real one
MAX_ROWS = 1024  # rows per SQLite statement: 8,192 were no faster and took 60 MB more


def insert(model, columns, rows, *, skip_conflicts=False):
    """Write ``rows`` (tuples of the values of ``columns``, adapted for the database as
    ``connection.ops.adapt_*_value`` does) into ``model``'s table; the new rows' ids, in the
    order of ``rows``.

    With ``skip_conflicts`` a row that would break a unique constraint is not written and has
    no id in the answer. Ask for it only where a conflict may happen: on PostgreSQL it costs
    a savepoint, and past 64 in one transaction every session's visibility checks slow down.
    Call inside the caller's transaction."""
    if not rows:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            return _copy(cursor, table, pk, columns, rows, skip_conflicts)
    return _insert(table, pk, columns, rows, skip_conflicts)


def _insert(table, pk, columns, rows, skip_conflicts):
    """Statements of a power of two of rows (the largest the variable limit and ``MAX_ROWS``
    allow), the rest in halves: a dozen different statements at most, each prepared once
    and kept in the driver's cache (one statement of each size left over by a chunk grew a
    bill run by 60 MB)."""
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    tail = (" ON CONFLICT DO NOTHING" if skip_conflicts else "") + f" RETURNING {pk}"
    marks = "(" + ", ".join("?" * len(columns)) + ")"
    size = 1 << (max(1, min(MAX_ROWS, variable_limit() // len(columns))).bit_length() - 1)
    ids, start = [], 0
    # The driver's own cursor: Django's rewrites every %s of a 25,000-variable statement
    # with a regular expression (30 ms a statement on a busy machine).
    with connection.wrap_database_errors:
        cursor = connection.connection.cursor()
        try:
            while start < len(rows):
                while size > len(rows) - start:
                    size //= 2
                batch = rows[start : start + size]
                values = list(chain.from_iterable(batch))
                cursor.execute(head + ", ".join([marks] * size) + tail, values)
                ids.extend(row[0] for row in cursor)
                start += size
        finally:
            cursor.close()
    return ids


def variable_limit():
    """How many ``?`` one SQLite statement may hold (32,766 since SQLite 3.32)."""
    connection.ensure_connection()
    try:
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except AttributeError:  # Python < 3.11
        return SQLITE_VARIABLES


def _copy(cursor, table, pk, columns, rows, skip_conflicts):
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [table, pk, len(rows)],
    )
    ids = sorted(row[0] for row in cursor.fetchall())
    columns = (pk, *columns)
    if not skip_conflicts:
        copy_rows(cursor, table, columns, _numbered(ids, rows))
        return ids
    rows = list(_numbered(ids, rows))
    try:  # a conflict is the exception (two runs overlapping): the plain COPY first
        with transaction.atomic():
            copy_rows(cursor, table, columns, rows)
        return ids
    except IntegrityError:
        pass
    names = ", ".join(columns)
    staging = f"bulk_{table}_{zlib.crc32(names.encode()):08x}"  # one per table and columns
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {staging} AS SELECT {names} FROM {table} WITH NO DATA"
    )
    copy_rows(cursor, staging, columns, rows)
    cursor.execute(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} "
        f"ON CONFLICT DO NOTHING RETURNING {pk}"
    )
    ids = sorted(row[0] for row in cursor.fetchall())  # drawn ascending: in the rows' order
    cursor.execute(f"TRUNCATE {staging}")
    return ids


def _numbered(ids, rows):
    return ((pk, *row) for pk, row in zip(ids, rows, strict=True))


def copy_rows(cursor, table, columns, rows):
    """COPY ``rows`` into ``table`` (PostgreSQL; ``cursor`` is Django's, whose errors it
    raises: an ``IntegrityError`` is Django's)."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
