"""The two pages people wait on most: the reviewer's queue (/staff/review/, the district
with the longest queue) and the owner's progress page (/declarations/, for a person with
one machine and for the largest fleet), over HTTP with real sessions, one client after
another (p50, p99), and the queries each costs (counted in-process).

The floor: what the page cannot do without, measured in the same run: one round trip to a
bare Django view on the same server (/bench/floor/) plus the one hand-written indexed SQL
query the page essentially needs, timed through the database cursor.
"""

from __future__ import annotations

import time
from typing import Any

from common import get, load, main, ms, percentile, queries_for, row, server, session_cookie

REPEAT = 60
QUEUE_SQL = """
SELECT d.id, d.submitted_at, d.review_due, d.machine_type, d.machine_name, d.stage,
       d.late, d.warnings, d.district, u.name
FROM registry_declaration d JOIN accounts_user u ON u.id = d.owner_id
WHERE d.district = %s AND d.status = %s
ORDER BY d.submitted_at, d.id LIMIT 50
"""
PROGRESS_SQL = """
SELECT d.id, d.status, d.machine_name, d.machine_type, d.created_at, r.number, c.status
FROM registry_declaration d
LEFT JOIN registry_registration r ON r.declaration_id = d.id
LEFT JOIN registry_credential c ON c.registration_id = r.id AND c.status <> 'revoked'
WHERE d.owner_id = %s
ORDER BY d.created_at DESC, d.id DESC
"""


def _sql_times(sql: str, params: list[Any]) -> list[float]:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()
        for _ in range(REPEAT):
            began = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append(time.perf_counter() - began)
    return times


def _people() -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.db.models import Count

    from accounts.constants import AccountKind, Role
    from accounts.models import User
    from registry.constants import DeclarationStatus
    from registry.models import Declaration

    submitted = Declaration.objects.filter(status=DeclarationStatus.SUBMITTED)
    by_district = list(
        submitted.values("district")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("district", "n")
    )
    longest, queue_length = by_district[0]
    shortest, short_length = by_district[-1]
    reviewers = {}
    for i, district in enumerate((longest, shortest)):
        reviewers[district], _ = User.objects.get_or_create(
            phone=f"1980001{i:04d}",
            defaults={
                "name": f"压测审核员{district}",
                "role": Role.REVIEWER,
                "district": district,
                "password": make_password(None),
            },
        )
        if reviewers[district].district != district:
            reviewers[district].district = district
            reviewers[district].save(update_fields=["district"])
    owners = Declaration.objects.values("owner_id").annotate(n=Count("id"))
    fleet_id, fleet_size = owners.order_by("-n").values_list("owner_id", "n")[0]
    # A person with one registered machine: the page then runs every query it can (an
    # owner with nothing registered skips the prefetch of signs and cards).
    person = (
        User.objects.filter(kind=AccountKind.PERSON, declarations__isnull=False)
        .annotate(n=Count("declarations"))
        .filter(n=1, registrations__isnull=False)
        .first()
    )
    return {
        "queue": (reviewers[longest], longest, queue_length),
        "short_queue": (reviewers[shortest], shortest, short_length),
        "fleet": (User.objects.get(pk=fleet_id), fleet_size),
        "person": person,
    }


def _page(url: str, path: str, cookie: str) -> Any:
    return load(url, get(path, {"Cookie": cookie}), threads=1, per_thread=REPEAT, max_seconds=30)


def measure(machines: int) -> list[dict[str, str]]:
    from registry.constants import DeclarationStatus

    people = _people()
    reviewer, district, queue_length = people["queue"]
    short_reviewer, _short_district, _short_length = people["short_queue"]
    fleet, fleet_size = people["fleet"]
    person = people["person"]
    queue_queries, _ = queries_for("/staff/review/", reviewer)
    short_queue_queries, _ = queries_for("/staff/review/", short_reviewer)
    fleet_queries, _ = queries_for("/declarations/", fleet)
    person_queries, _ = queries_for("/declarations/", person)
    queue_sql = _sql_times(QUEUE_SQL, [district, DeclarationStatus.SUBMITTED.value])
    fleet_sql = _sql_times(PROGRESS_SQL, [fleet.pk])
    person_sql = _sql_times(PROGRESS_SQL, [person.pk])
    cookies = {u.pk: session_cookie(u) for u in (reviewer, fleet, person)}
    with server() as url:
        load(url, get("/bench/floor/"), threads=4, per_thread=20)
        bare = load(url, get("/bench/floor/"), threads=1, per_thread=REPEAT)
        queue = _page(url, "/staff/review/", cookies[reviewer.pk])
        fleet_page = _page(url, "/declarations/", cookies[fleet.pk])
        person_page = _page(url, "/declarations/", cookies[person.pk])
    rows = []
    cases = (
        (
            f"reviewer's queue /staff/review/ (district {district}, {queue_length:,} waiting, "
            "page of 50)",
            queue,
            queue_sql,
            (queue_queries, short_queue_queries, "a queue of a few"),
        ),
        (
            "owner's progress page /declarations/ (a person, 1 registered machine)",
            person_page,
            person_sql,
            (person_queries, fleet_queries, f"the fleet of {fleet_size:,}"),
        ),
        (
            f"owner's progress page /declarations/ (largest fleet, {fleet_size:,} machines)",
            fleet_page,
            fleet_sql,
            (fleet_queries, person_queries, "a person's 1"),
        ),
    )
    for what, page, sql, (queries, other_queries, other) in cases:
        floor = bare.p(50) + percentile(sql, 50)
        failures = []
        if not page.ok(200):
            failures.append(f"answers {dict(page.statuses)}")
        if page.p(50) > 3 * floor:
            failures.append(f"p50 {page.p(50) / floor:.1f} × the floor")
        if queries != other_queries:
            failures.append(f"{queries} queries here, {other_queries} for {other}")
        rows.append(
            row(
                what,
                f"p50 {ms(page.p(50))}, p99 {ms(page.p(99))}; {queries} queries "
                f"({other_queries} for {other})",
                f"{ms(floor)} = bare view {ms(bare.p(50))} + SQL p50 {ms(percentile(sql, 50))} "
                f"(SQL p99 {ms(percentile(sql, 99))})",
                "≤ 3 × the floor; queries constant in N",
                failures,
            )
        )
    return rows


if __name__ == "__main__":
    main(measure)
