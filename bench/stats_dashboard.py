"""Times generate_data, the statistics page and a full registrations export on the
configured database, which it fills (use a scratch database):
    DATABASE_URL=postgres://.../scratch .venv/bin/python bench/stats_dashboard.py 100000
Prints rows/s for the generator, and ms and queries for each page at that size."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrmm.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from stats.generate import generate  # noqa: E402

PAGES = (
    "/staff/stats/",
    "/staff/stats/?district=L",
    "/staff/stats/tables/review.xlsx",
    "/staff/stats/exports/registrations.xlsx",
)


def main(machines: int) -> None:
    made = generate(machines)
    print(
        f"generate_data --machines {machines}: {made.rows:,} rows in {made.seconds:.1f} s, "
        f"{made.rows_per_second:,.0f} rows/s ({connection.vendor})"
    )
    admin, _created = User.objects.get_or_create(
        phone="13999999999", defaults={"name": "基准市管", "role": "city_admin"}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    client.get("/staff/")
    for path in PAGES:
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
            size = sum(len(c) for c in response.streaming_content) if response.streaming else 0
        took = (time.perf_counter() - started) * 1000
        print(f"{path}: {response.status_code}, {len(queries)} queries, {took:.0f} ms, {size:,} B")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
