"""The city's statistics dashboard (/staff/stats/, every district) as the city administrator
over HTTP, against one hand-written GROUP BY over the registrations by district, type and
stage. Also prints, standalone, the queries and time of the page and the exports in-process:

    DATABASE_URL=postgres://.../scratch .venv/bin/python bench/stats_dashboard.py
"""

from __future__ import annotations

import time

from common import get, load, main, median, ms, queries_for, row, server, session_cookie

REPEAT = 5
GROUP_BY = """
SELECT r.district, d.machine_type, r.stage, r.status, count(*)
FROM registry_registration r JOIN registry_declaration d ON d.id = r.declaration_id
GROUP BY 1, 2, 3, 4
"""
PAGES = (
    "/staff/stats/",
    "/staff/stats/?district=L",
    "/staff/stats/tables/review.xlsx",
    "/staff/stats/exports/registrations.xlsx",
)


def _admin():
    from django.contrib.auth.hashers import make_password

    from accounts.constants import Role
    from accounts.models import User

    admin, _created = User.objects.get_or_create(
        phone="13999999999",
        defaults={"name": "基准市管", "role": Role.CITY_ADMIN, "password": make_password(None)},
    )
    return admin


def _group_by() -> list[float]:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(REPEAT + 1):
            began = time.perf_counter()
            cursor.execute(GROUP_BY)
            cursor.fetchall()
            times.append(time.perf_counter() - began)
    return times[1:]


def measure(machines: int) -> list[dict[str, str]]:
    from registry.models import Registration

    admin = _admin()
    queries, _status = queries_for("/staff/stats/", admin)
    cookie = session_cookie(admin)
    floor = median(_group_by())
    with server() as url:
        page = load(
            url,
            get("/staff/stats/", {"Cookie": cookie}),
            threads=1,
            per_thread=REPEAT + 1,
            max_seconds=600,
        )
    took = median(page.latencies[1:] or page.latencies)
    count = Registration.objects.count()
    failures = []
    if not page.ok(200):
        failures.append(f"answers {dict(page.statuses)}")
    if took > 2 * floor:
        failures.append(f"{took / floor:.1f} × the floor")
    return [
        row(
            f"city dashboard /staff/stats/ over {count:,} registrations",
            f"{ms(took)} (median of {len(page.latencies) - 1}); {queries} queries",
            f"{ms(floor)} (GROUP BY district, type, stage, status)",
            "≤ 2 × the floor",
            failures,
        )
    ]


def _pages() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(_admin())
    client.get("/staff/")
    for path in PAGES:
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
            size = sum(len(c) for c in response.streaming_content) if response.streaming else 0
        took = (time.perf_counter() - started) * 1000
        print(f"{path}: {response.status_code}, {len(captured)} queries, {took:.0f} ms, {size:,} B")


if __name__ == "__main__":
    main(measure)
    _pages()
