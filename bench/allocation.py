"""Number allocation under contention: 16 reviewers approve 500 submitted declarations each
at the same time through the real approve endpoint (POST /api/v1/review/declarations/<id>/
approve, registry.actions.approve: counter locked, number, registration, sign and card,
audit), all in one district so that they queue on the same few counters; then every new
number is checked for duplicates and gaps. The floor: 16 connections × 500
`UPDATE counter SET last_serial = last_serial + 1 ... RETURNING` on a scratch table.

    DATABASE_URL=... .venv/bin/python bench/allocation.py
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict

from common import load, main, row, server

APPROVERS = 16
EACH = int(os.environ.get("BENCH_APPROVALS_EACH", "500"))
DISTRICT = "L"
REVIEWER_PHONE = "1980000{:04d}"


def _prepare() -> tuple[list[list[int]], list[str]]:
    """APPROVERS × EACH submitted declarations in DISTRICT (copies of generated submitted
    ones, with their current round), and a bearer token for each approver."""
    from common import api_token
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.constants import Role
    from accounts.models import User
    from registry.constants import DeclarationStatus
    from registry.models import Declaration, DeclarationRound

    wanted = APPROVERS * EACH
    sources = list(
        Declaration.objects.filter(status=DeclarationStatus.SUBMITTED, rounds__gte=1)[:2000]
    )
    if not sources:
        raise RuntimeError("no submitted declarations to copy: run generate_data first")
    latest = {
        r.declaration_id: r
        for r in DeclarationRound.objects.filter(declaration__in=sources)
        if r.number == r.declaration.rounds
    }
    sources = [s for s in sources if s.pk in latest]
    fields = [f.attname for f in Declaration._meta.concrete_fields if f.attname != "id"]
    copies = []
    for i in range(wanted):
        source = sources[i % len(sources)]
        values = {name: getattr(source, name) for name in fields}
        values.update(district=DISTRICT, factory_serial=f"BENCH-ALLOC-{i:06d}")
        copies.append(Declaration(**values))
    with transaction.atomic():
        made = Declaration.objects.bulk_create(copies, batch_size=2000)
        round_rows = []
        for i, copy in enumerate(made):
            template = latest[sources[i % len(sources)].pk]
            round_rows.append(
                DeclarationRound(
                    declaration=copy,
                    number=template.number,
                    submitted_at=template.submitted_at,
                    submitted_by_id=template.submitted_by_id,
                    snapshot=template.snapshot,
                )
            )
        DeclarationRound.objects.bulk_create(round_rows, batch_size=2000)
    tokens = []
    for i in range(APPROVERS):
        user, _created = User.objects.get_or_create(
            phone=REVIEWER_PHONE.format(i),
            defaults={
                "name": f"压测审核员{i}",
                "role": Role.REVIEWER,
                "district": DISTRICT,
                "password": make_password(None),
            },
        )
        tokens.append(api_token(user))
    ids = [d.pk for d in made]
    return [ids[i::APPROVERS] for i in range(APPROVERS)], tokens


def _approve(url: str, batches: list[list[int]], tokens: list[str]):
    def request(t: int, i: int) -> tuple[str, str, bytes, dict[str, str]]:
        return (
            "POST",
            f"/api/v1/review/declarations/{batches[t][i]}/approve",
            b"{}",
            {"Authorization": f"Bearer {tokens[t]}", "Content-Type": "application/json"},
        )

    return load(url, request, threads=APPROVERS, per_thread=EACH, max_seconds=1800)


def _check_numbers(ids: list[int], before: dict[str, int]) -> tuple[int, int, int]:
    """(numbers issued, duplicates, gaps) among the registrations of the declarations."""
    from registry.models import NumberCounter, Registration

    issued = list(
        Registration.objects.filter(declaration_id__in=ids).values_list(
            "prefix", "serial", "number"
        )
    )
    duplicates = len(issued) - len({n for _p, _s, n in issued})
    by_prefix: dict[str, set[int]] = defaultdict(set)
    for prefix, serial, _number in issued:
        by_prefix[prefix].add(serial)
    after = dict(NumberCounter.objects.values_list("prefix", "last_serial"))
    gaps = 0
    for prefix, serials in by_prefix.items():
        expected = set(range(before.get(prefix, 0) + 1, after[prefix] + 1))
        gaps += len(expected - serials)
    return len(issued), duplicates, gaps


def _floor() -> tuple[float, int, int]:
    """UPDATE ... RETURNING on a scratch counter from APPROVERS connections × EACH, each
    statement its own transaction: (per second, duplicates, gaps)."""
    import psycopg

    dsn = os.environ["DATABASE_URL"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor_counter")
        conn.execute(
            "CREATE TABLE bench_floor_counter (prefix text PRIMARY KEY, last_serial int NOT NULL)"
        )
        conn.execute("INSERT INTO bench_floor_counter VALUES ('X', 0)")
    got: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(APPROVERS + 1)

    def approver() -> None:
        mine = []
        with psycopg.connect(dsn, autocommit=True) as conn:
            barrier.wait()
            for _ in range(EACH):
                cur = conn.execute(
                    "UPDATE bench_floor_counter SET last_serial = last_serial + 1 "
                    "WHERE prefix = 'X' RETURNING last_serial"
                )
                mine.append(cur.fetchone()[0])
        with lock:
            got.extend(mine)

    threads = [threading.Thread(target=approver) for _ in range(APPROVERS)]
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_floor_counter")
    duplicates = len(got) - len(set(got))
    gaps = len(set(range(1, len(got) + 1)) - set(got))
    return len(got) / seconds, duplicates, gaps


def measure(machines: int) -> list[dict[str, str]]:
    from registry.models import NumberCounter

    batches, tokens = _prepare()
    ids = [pk for batch in batches for pk in batch]
    before = dict(NumberCounter.objects.values_list("prefix", "last_serial"))
    with server() as url:
        result = _approve(url, batches, tokens)
    issued, duplicates, gaps = _check_numbers(ids, before)
    floor_rate, floor_duplicates, floor_gaps = _floor()
    failures = []
    if not result.ok(200):
        failures.append(f"answers {dict(result.statuses)}")
    if issued != len(ids):
        failures.append(f"{issued} numbers for {len(ids)} approvals")
    if result.rps < 0.5 * floor_rate:
        failures.append(f"{result.rps / floor_rate:.0%} of the floor")
    if duplicates or gaps:
        failures.append(f"{duplicates} duplicates, {gaps} gaps")
    return [
        row(
            f"number allocation, {APPROVERS} concurrent approvers × {EACH} (HTTP, one district)",
            f"{result.rps:,.0f} approvals/s (p50 {result.p(50) * 1000:.0f} ms, "
            f"p99 {result.p(99) * 1000:.0f} ms); {issued:,} numbers, "
            f"{duplicates} duplicates, {gaps} gaps",
            f"{floor_rate:,.0f} updates/s; {floor_duplicates} duplicates, {floor_gaps} gaps",
            "≥ 50 % of the floor; 0 duplicates, 0 gaps",
            failures,
        )
    ]


if __name__ == "__main__":
    main(measure)
