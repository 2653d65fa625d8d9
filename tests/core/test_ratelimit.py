"""core.ratelimit.hit: one upsert per hit, counted exactly, also from many connections."""

import threading

import pytest
import time_machine
from django.db import connection, connections

from core.models import RateCounter
from core.ratelimit import hit, seconds_blocked

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_housekeeping(monkeypatch):
    monkeypatch.setattr("core.ratelimit.random.random", lambda: 1.0)


def test_counts_up_to_the_limit_then_refuses():
    with time_machine.travel("2026-12-01 10:00:05 +0000", tick=False):
        assert [hit("k", limit=3) for _ in range(5)] == [True, True, True, False, False]
        assert RateCounter.objects.get(key="k").hits == 5
        assert hit("other", limit=1)  # keys are counted apart
        assert seconds_blocked("k", limit=3, window_seconds=60) == 55


def test_a_new_window_starts_from_zero():
    with time_machine.travel("2026-12-01 10:00:59 +0000", tick=False):
        assert hit("k", limit=1) and not hit("k", limit=1)
    with time_machine.travel("2026-12-01 10:01:00 +0000", tick=False):
        assert hit("k", limit=1)
    assert sorted(RateCounter.objects.values_list("hits", flat=True)) == [1, 2]


def test_one_statement_per_hit(django_assert_num_queries):
    hit("k", limit=3)
    with django_assert_num_queries(1):
        hit("k", limit=3)
    with django_assert_num_queries(1):
        hit("new", limit=3)


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_all_counted():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent connections need a database server (run with DATABASE_URL)")
    threads, each = 8, 25
    start = threading.Barrier(threads)
    answers: list[bool] = []

    def work() -> None:
        try:
            start.wait()
            for _ in range(each):
                answers.append(hit("shared", limit=100, window_seconds=3600))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sum(RateCounter.objects.filter(key="shared").values_list("hits", flat=True)) == 200
    assert answers.count(True) == 100
