"""generate_data's speed against its floor, on the database in DATABASE_URL (a scratch
database: the generated rows stay there):

    DATABASE_URL=postgres://.../scratch .venv/bin/python bench/generate.py 100000

ours:  stats.generate.generate(machines), in rows written a second (owners, declarations,
       rounds, registrations, cards), index and constraint work included.
floor: a raw COPY of as many rows of constant data, table by table (the same row counts
       and column types), into copies of the tables without indexes or constraints, in one
       transaction: what the server alone costs to take that many rows in, with no Python
       building them and nothing checked.
target: at least 50,000 rows a second (issue #7) on PostgreSQL. SQLite has no COPY; there
       the floor is executemany of constant rows and the target is reported, not met.

`measure(machines)` returns the rows (what, ours, floor, target, verdict); run alone it
prints them.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrmm.settings")

TARGET_ROWS_PER_SECOND = 50_000


def _setup() -> None:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def _load() -> str:
    try:
        one, five, _fifteen = os.getloadavg()
    except OSError:
        return "?"
    return f"{one:.1f}/{five:.1f}"


def _floor(counts: dict[str, int]) -> float:
    """Seconds to COPY `counts[table]` constant rows into an index-free copy of each table
    (PostgreSQL), or to executemany them (SQLite), in one transaction, rolled back."""
    from django.db import connection, transaction

    from stats.generate import _constant_text

    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            for table, n in counts.items():
                if not n:
                    continue
                model = next(m for m in _models() if m._meta.db_table == table)
                fields = list(model._meta.concrete_fields)
                copy_name = connection.ops.quote_name(f"bench_floor_{table}")
                quoted = connection.ops.quote_name(table)
                if connection.vendor == "postgresql":
                    cursor.execute(f"CREATE TABLE {copy_name} (LIKE {quoted} INCLUDING DEFAULTS)")
                    line = "\t".join(_constant_text(f, _sample(f)) for f in fields) + "\n"
                    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
                    raw = cursor.cursor
                    block = line * 5000
                    with raw.copy(f"COPY {copy_name} ({names}) FROM STDIN") as copy:
                        for _ in range(n // 5000):
                            copy.write(block)
                        copy.write(line * (n % 5000))
                else:
                    cursor.execute(f"CREATE TABLE {copy_name} AS SELECT * FROM {quoted} WHERE 0")
                    row = [_sqlite_sample(f) for f in fields]
                    marks = ", ".join(["%s"] * len(fields))
                    sql = f"INSERT INTO {copy_name} VALUES ({marks})"
                    for start in range(0, n, 5000):
                        cursor.executemany(sql, [row] * min(5000, n - start))
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def _models() -> list:
    from accounts.models import User
    from registry.models import Credential, Declaration, DeclarationRound, Registration

    return [User, Declaration, DeclarationRound, Registration, Credential]


def _sample(field):
    """A constant value of the field's type (NULL where the column allows it)."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from django.db import models

    if field.null:
        return None
    if isinstance(field, models.DateTimeField):
        return datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    if isinstance(field, models.DateField):
        return date(2026, 1, 5)
    if isinstance(field, models.DecimalField):
        return Decimal("12.5")
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.BooleanField):
        return True
    if isinstance(field, models.ForeignKey | models.IntegerField | models.AutoField):
        return 1
    return "生成数据ABC"[: field.max_length or None]


def _sqlite_sample(field):
    value = _sample(field)
    from stats.generate import _adapter

    adapt = _adapter(field)
    return adapt(value) if adapt and value is not None else value


def _counts_before() -> dict[str, int]:
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for model in _models():
            table = model._meta.db_table
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def measure(machines: int) -> list[dict[str, str]]:
    _setup()
    from django.db import connection

    from stats.generate import generate

    before = _counts_before()
    load = _load()
    made = generate(machines)
    after = _counts_before()
    added = {table: after[table] - before[table] for table in after}
    floor_seconds = _floor(added)
    rows = sum(added.values())
    floor_rate = rows / floor_seconds if floor_seconds else 0.0
    ours = made.rows_per_second
    vendor = connection.vendor
    if vendor != "postgresql":
        verdict = "not met: SQLite has no COPY; the target is for PostgreSQL (reported only)"
    elif ours >= TARGET_ROWS_PER_SECOND:
        verdict = "met"
    else:
        verdict = (
            f"not met: {ours:,.0f} rows/s < {TARGET_ROWS_PER_SECOND:,}; the floor itself ran at "
            f"{floor_rate:,.0f} rows/s (load average {load} before the run, on a shared machine)"
        )
    return [
        {
            "what": f"generate_data --machines {machines:,} ({rows:,} rows, {vendor})",
            "ours": f"{ours:,.0f} rows/s ({made.seconds:.1f} s)",
            "floor": f"{floor_rate:,.0f} rows/s ({floor_seconds:.1f} s, raw COPY of constant rows)",
            "target": f">= {TARGET_ROWS_PER_SECOND:,} rows/s",
            "verdict": verdict,
        }
    ]


if __name__ == "__main__":
    for row in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000):
        print(" | ".join(f"{k}: {v}" for k, v in row.items()))
