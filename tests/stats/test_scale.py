"""The dashboard and the exports on 100,000 registered machines (with their owners,
declarations, rounds, signs and cards, ~450,000 rows): the same number of queries as on a
few hundred, and an export of all 100,000 that streams in bounded memory.

The data set is built once for this module (stats.generate, bulk writes) and removed at
the end, so the rest of the suite never sees it. Timings are printed, not asserted
(performance is measured in bench/)."""

import time
import tracemalloc
import zipfile
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from registry.models import Credential, Declaration, DeclarationRound, NumberCounter, Registration
from stats.generate import PHONE_PREFIX, generate
from tests.conftest import logged_in, make_user

MACHINES = 100_000
SMALL = 200
TODAY = date(2026, 12, 1)
URLS = [
    ("admin", "/staff/stats/"),
    ("admin", "/staff/stats/?district=L&date_from=2025-06-01&date_to=2026-11-30"),
    ("reviewer", "/staff/stats/"),
    ("admin", "/staff/stats/tables/review.xlsx"),
    ("admin", "/staff/stats/tables/overdue.xlsx"),
    ("admin", "/staff/stats/exports/review_queue.xlsx?status=submitted"),
    ("reviewer", "/staff/stats/exports/registrations.xlsx"),
    ("admin", "/staff/stats/exports/credentials.xlsx?tab=overdue_photo"),
    ("admin", "/staff/stats/exports/spot_checks.xlsx"),
    ("admin", "/staff/stats/exports/changes.xlsx"),
]


def _measure(clients) -> dict[str, tuple[int, float]]:
    found = {}
    for who, url in URLS:
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = clients[who].get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200, url
        found[f"{who} {url}"] = (len(queries), time.perf_counter() - started)
    return found


def _remove_generated() -> None:
    """Plain SQL: the ORM's delete() would load 100,000 objects to cascade."""
    tables = [
        connection.ops.quote_name(m._meta.db_table)
        for m in (Credential, Registration, DeclarationRound, Declaration, NumberCounter)
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Nothing else in the test database points at these rows: the module made them.
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
        users = connection.ops.quote_name(User._meta.db_table)
        cursor.execute(
            f"DELETE FROM {users} WHERE phone LIKE %s OR phone LIKE %s",
            [f"{PHONE_PREFIX}%", "1990000%"],
        )


@pytest.fixture(scope="module")
def scale(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        admin = make_user("13900000909", "规模测试市管", role="city_admin")
        reviewer = make_user("13900000902", "规模测试审核", role="reviewer", district="L")
        clients = {"admin": logged_in(admin), "reviewer": logged_in(reviewer)}
        for client in clients.values():
            client.get("/staff/")
        try:
            generate(SMALL, seed=5, today=TODAY)
            small = _measure(clients)
            started = time.perf_counter()
            made = generate(MACHINES - SMALL, seed=6, today=TODAY)
            seconds = time.perf_counter() - started
            large = _measure(clients)
            print(
                f"\ngenerate_data: {made.rows:,} rows in {seconds:.1f} s "
                f"({made.rows_per_second:,.0f} rows/s, {connection.vendor})"
            )
            for key, (queries, took) in large.items():
                print(f"  {key}: {queries} queries, {took * 1000:.0f} ms at {MACHINES:,}")
            yield {"small": small, "large": large, "clients": clients}
        finally:
            _remove_generated()
            admin.delete()
            reviewer.delete()


@pytest.mark.django_db
def test_the_data_set_is_there(scale):
    assert Registration.objects.count() == MACHINES
    assert Declaration.objects.count() > MACHINES  # and those still in review, refused...


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "url"), URLS)
def test_query_count_is_the_same_at_100000(scale, who, url):
    key = f"{who} {url}"
    assert scale["large"][key][0] == scale["small"][key][0]


@pytest.mark.django_db
def test_an_export_of_100000_rows_streams_in_bounded_memory(scale, tmp_path):
    client = scale["clients"]["admin"]
    response = client.get("/staff/stats/exports/registrations.xlsx")
    assert response.streaming
    path = tmp_path / "registrations.xlsx"
    tracemalloc.start()
    try:
        with path.open("wb") as file:  # to disk, as a browser saves it: nothing kept here
            for chunk in response.streaming_content:
                file.write(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"\nregistrations.xlsx: {path.stat().st_size / 1e6:.1f} MB, peak {peak / 1e6:.1f} MB")
    assert peak < 40e6
    with zipfile.ZipFile(path) as package:  # a valid zip; every row written
        sheet = package.read("xl/worksheets/sheet1.xml")
    assert sheet.count(b"</row>") == MACHINES + 1
    assert sheet.endswith(b"</sheetData></worksheet>")
