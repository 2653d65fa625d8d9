"""The city dashboard (/staff/stats/) against its floor, on the database in DATABASE_URL
(a scratch database; with fewer registrations than asked, generate_data tops it up):

    DATABASE_URL=postgres://.../scratch .venv/bin/python bench/dashboard.py 1000000

floor: one hand-written GROUP BY over the machines, timed through the cursor: every
       registration joined to its declaration, grouped by district, stage, machine type,
       fuel and status (what the five machine tables need, in one pass, nothing else).
ours:  (1) the page's queries and the Python that turns them into tables
       (stats.queries.dashboard) for the whole city, and (2) the page itself through the
       test Client with a city administrator's session (charts and template included).
target: ours <= 2 x floor (issue #7).

The tables are vacuumed and analysed first (as autovacuum does soon after a bulk load).
Each figure is the median of several runs, ours and the floor taken in turn, so that a
machine shared with other work slows both alike. `measure(machines)` returns the rows
(what, ours, floor, target, verdict); run alone it prints them.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrmm.settings")

RUNS = 5
FLOOR_SQL = (
    "SELECT r.district, r.stage, d.machine_type, d.fuel_type, r.status, COUNT(*)"
    " FROM registry_registration r JOIN registry_declaration d ON d.id = r.declaration_id"
    " GROUP BY 1, 2, 3, 4, 5"
)
BENCH_PHONE = "13999999998"


def _setup() -> None:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def _ensure(machines: int) -> int:
    from registry.models import Registration
    from stats.generate import generate

    have = Registration.objects.count()
    if have < machines:
        generate(machines - have)
    _vacuum()
    return Registration.objects.count()


def _vacuum() -> None:
    """What autovacuum does soon after a bulk load, done now: statistics for the planner
    and the visibility map that lets index-only scans skip the tables' rows."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in ("registry_declaration", "registry_declarationround", "registry_registration"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def _floor() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL)
        cursor.fetchall()


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _admin_client() -> object:
    from django.test import Client

    from accounts.models import User

    admin, _created = User.objects.get_or_create(
        phone=BENCH_PHONE, defaults={"name": "基准市管", "role": "city_admin"}
    )
    if admin.totp_enabled_at is None:
        # Staff need TOTP with DEBUG off: enrolled, as the bench's other sessions are.
        from django.utils import timezone

        admin.totp_enabled_at = timezone.now()
        admin.save(update_fields=["totp_enabled_at"])
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    return client


def _verdict(ours: float, floor: float) -> str:
    ratio = ours / floor if floor else float("inf")
    if ratio <= 2:
        return "met"
    return f"not met: {ratio:.1f} x the floor"


def measure(machines: int) -> list[dict[str, str]]:
    _setup()
    from django.test.utils import override_settings
    from django.utils import timezone

    from accounts.models import User
    from stats.queries import StatsFilters, dashboard

    have = _ensure(machines)
    today = timezone.localdate()
    admin = User(role="city_admin", district="")
    filters = StatsFilters.from_query(admin, {}, today)
    with override_settings(ALLOWED_HOSTS=["127.0.0.1", "testserver"]):
        client = _admin_client()

        def page() -> None:
            response = client.get("/staff/stats/")  # type: ignore[attr-defined]
            assert response.status_code == 200, response.status_code

        def queries() -> None:
            dashboard(filters, today)

        # Warm the caches (pages, plans, the holiday table) once.
        _floor()
        queries()
        page()
        floors, ours_queries, ours_page = [], [], []
        for _ in range(RUNS):
            floors.append(_timed(_floor))
            ours_queries.append(_timed(queries))
            floors.append(_timed(_floor))
            ours_page.append(_timed(page))
    floor = statistics.median(floors)
    rows = []
    for what, times in (
        ("dashboard queries (stats.queries.dashboard, whole city)", ours_queries),
        ("dashboard page /staff/stats/ (city administrator, test Client)", ours_page),
    ):
        ours = statistics.median(times)
        rows.append(
            {
                "what": f"{what} at {have:,} registrations",
                "ours": f"{ours * 1000:.0f} ms",
                "floor": f"{floor * 1000:.0f} ms (one GROUP BY over the machines)",
                "target": "<= 2 x floor",
                "verdict": _verdict(ours, floor),
            }
        )
    return rows


if __name__ == "__main__":
    for row in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000):
        print(" | ".join(f"{k}: {v}" for k, v in row.items()))
