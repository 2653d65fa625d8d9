"""core.ratelimit: one upsert per hit, counted exactly, also from many connections, and
checked against a sliding estimate that does not forget at a window's boundary."""

import threading

import pytest
import time_machine
from django.db import connection, connections
from hypothesis import given
from hypothesis import strategies as st

from core.models import RateCounter
from core.ratelimit import hit, seconds_blocked, seconds_until_below, weighted_hits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_housekeeping(monkeypatch):
    monkeypatch.setattr("core.ratelimit.random.random", lambda: 1.0)


def test_counts_up_to_the_limit_then_refuses():
    with time_machine.travel("2026-12-01 10:00:05 +0000", tick=False):
        assert [hit("k", limit=3) for _ in range(5)] == [True, True, True, False, False]
        assert RateCounter.objects.get(key="k").hits == 5
        assert hit("other", limit=1)  # keys are counted apart
        # 55 s to the window's end, then until ceil(5 * (60 - e) / 60) <= 2: e = 36.
        assert seconds_blocked("k", limit=3, window_seconds=60) == 55 + 36


def test_the_previous_window_still_counts_in_proportion():
    with time_machine.travel("2026-12-01 10:00:59 +0000", tick=False):
        assert [hit("k", limit=4) for _ in range(4)] == [True] * 4
    # A second later, a fixed window would allow four more; the estimate allows none.
    with time_machine.travel("2026-12-01 10:01:00 +0000", tick=False):
        assert not hit("k", limit=4)
    # Halfway through, half of the previous window's hits still count: 2 + 1 + 1 <= 4.
    with time_machine.travel("2026-12-01 10:01:30 +0000", tick=False):
        assert hit("k", limit=4)
        assert not hit("k", limit=4)
    # Two windows on, nothing is left.
    with time_machine.travel("2026-12-01 10:03:00 +0000", tick=False):
        assert hit("k", limit=1)
    assert sorted(RateCounter.objects.values_list("hits", flat=True)) == [1, 3, 4]


def test_a_lockout_typed_across_a_boundary_still_locks():
    """The CI failure this replaced: five wrong passwords, three before 10:15:00 and two
    after, left a fixed-window lockout unlocked."""
    for moment in ("10:14:58", "10:14:59", "10:14:59", "10:15:00", "10:15:01"):
        with time_machine.travel(f"2026-12-01 {moment} +0000", tick=False):
            hit("login:x", limit=5, window_seconds=900)
    with time_machine.travel("2026-12-01 10:15:02 +0000", tick=False):
        # Three of five in the previous window: ceil(3 * 898 / 900) = 3, so until
        # 3 * (900 - e) <= 2 * 900, e = 300.
        assert seconds_blocked("login:x", limit=5, window_seconds=900) == 298
    with time_machine.travel("2026-12-01 10:20:00 +0000", tick=False):
        assert seconds_blocked("login:x", limit=5, window_seconds=900) == 0


@pytest.mark.parametrize(
    "current, previous, elapsed, window, expected",
    [
        (0, 0, 0, 60, 0),
        (3, 0, 59, 60, 3),
        (0, 4, 0, 60, 4),  # the boundary: all of the previous window still counts
        (0, 4, 30, 60, 2),
        (0, 4, 59, 60, 1),  # rounded up: never forgiving
        (2, 3, 20, 60, 4),
        (1, 1, 59, 900, 2),
    ],
)
def test_weighted_hits(current, previous, elapsed, window, expected):
    assert weighted_hits(current, previous, elapsed, window) == expected


@given(
    current=st.integers(0, 40),
    previous=st.integers(0, 40),
    window=st.integers(1, 120),
    limit=st.integers(1, 30),
    data=st.data(),
)
def test_seconds_until_below_is_the_first_moment_below(current, previous, window, limit, data):
    """Against walking forward second by second with no further hits."""
    elapsed = data.draw(st.integers(0, window - 1))

    def at(t: int) -> int:  # the estimate t seconds from now
        e = elapsed + t
        if e < window:
            return weighted_hits(current, previous, e, window)
        if e < 2 * window:
            return weighted_hits(0, current, e - window, window)
        return 0

    walked = next(t for t in range(0, 3 * window) if at(t) < limit)
    assert seconds_until_below(current, previous, elapsed, window, limit) == walked


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
    # Frozen inside one window: crossing the hour would carry the count into the next.
    with time_machine.travel("2026-12-01 10:00:05 +0000", tick=False):
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    assert sum(RateCounter.objects.filter(key="shared").values_list("hits", flat=True)) == 200
    assert answers.count(True) == 100
