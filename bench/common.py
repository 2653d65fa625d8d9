"""Shared by the bench modules: the environment of a production-like run, Django set-up,
gunicorn start/stop, a keep-alive HTTP load client (stdlib threads + http.client),
percentiles, timing, sessions and API tokens prepared directly in the database.

Every module is runnable alone (`python bench/<name>.py [machines]`): it then starts its
own gunicorn; under bench/run.py it uses the one run.py started (BENCH_URL).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/nrmm_bench"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))

# What the app runs with during a bench: DEBUG off and production settings, except plain
# HTTP on loopback. Public look-ups are rate limited per client in the database; the load
# client sends each request as from another phone (X-Forwarded-For through a trusted
# proxy), as real scans come from many phones, and the limit is raised far above the load.
BENCH_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    "NRMM_HTTPS": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "NRMM_BENCH_FLOOR": "1",
    "NRMM_TRUSTED_PROXIES": "127.0.0.1",
    "NRMM_PUBLIC_LOOKUPS_PER_MINUTE": "100000000",
    "NRMM_STAFF_TOTP_REQUIRED": "1",
    "LOG_LEVEL": "ERROR",
    # Production refuses to start without field keys (ID numbers are encrypted at rest);
    # these are for throwaway bench data only ("nrmm-bench-only-…-key!!").
    "NRMM_FIELD_KEYS": "bnJtbS1iZW5jaC1vbmx5LWVuY3J5cHRpb24ta2V5ISE=",
    "NRMM_FIELD_HASH_KEY": "bnJtbS1iZW5jaC1vbmx5LWtleWVkLWhhc2gta2V5ISE=",
}


def apply_env() -> None:
    """The bench environment for this process (and gunicorn, which inherits it)."""
    os.environ.setdefault(
        "DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    for key, value in BENCH_ENV.items():
        os.environ[key] = value
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrmm.settings")


def setup_django() -> None:
    apply_env()
    import django

    django.setup()


# --- numbers ----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of unsorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Wall times of `repeat` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def row(what: str, ours: str, floor: str, target: str, failures: list[str]) -> dict[str, str]:
    verdict = "met" if not failures else "not met: " + "; ".join(failures)
    return {"what": what, "ours": ours, "floor": floor, "target": target, "verdict": verdict}


# --- gunicorn ---------------------------------------------------------------------------


def base_url() -> str:
    return os.environ.get("BENCH_URL", f"http://127.0.0.1:{PORT}")


def _up(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=2)
        conn.request("GET", "/bench/floor/")
        conn.getresponse().read()
        conn.close()
        return True
    except OSError:
        return False


@contextlib.contextmanager
def gunicorn(workers: int = WORKERS) -> Iterator[str]:
    """gunicorn serving the app on loopback with the bench environment; stopped (by its
    own process id) on the way out."""
    apply_env()
    url = f"http://127.0.0.1:{PORT}"
    if _up(url):
        raise RuntimeError(f"something already answers on {url}")
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "nrmm.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:
        deadline = time.monotonic() + 60
        while not _up(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def server() -> Iterator[str]:
    """The gunicorn run.py started, or one of our own when a module runs alone."""
    if os.environ.get("BENCH_URL"):
        yield os.environ["BENCH_URL"]
        return
    with gunicorn() as url:
        yield url


# --- HTTP load --------------------------------------------------------------------------


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    bytes: int = 0

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)

    def summary(self) -> str:
        return f"p50 {ms(self.p(50))}, p99 {ms(self.p(99))}, {self.rps:,.0f} req/s"

    def ok(self, *expected: int) -> bool:
        return set(self.statuses) <= set(expected or (200,))


Request = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


def load(
    url: str,
    requests: Callable[[int, int], Request],
    *,
    threads: int,
    per_thread: int,
    max_seconds: float = 60.0,
) -> Load:
    """`threads` clients, each with one keep-alive connection, sending `per_thread`
    requests (requests(thread, i) builds each), stopping early after max_seconds."""
    parts = urllib.parse.urlsplit(url)
    result = Load()
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)
    stop_at = [0.0]

    def client(t: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        mine: list[float] = []
        statuses: Counter[int] = Counter()
        size = 0
        start.wait()
        for i in range(per_thread):
            if time.perf_counter() > stop_at[0]:
                break
            method, path, body, headers = requests(t, i)
            began = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                size += len(response.read())
                statuses[response.status] += 1
            except (OSError, http.client.HTTPException):
                statuses[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
            mine.append(time.perf_counter() - began)
        conn.close()
        with lock:
            result.latencies.extend(mine)
            result.statuses.update(statuses)
            result.bytes += size

    workers = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    began = time.perf_counter()
    stop_at[0] = began + max_seconds
    start.wait()
    for w in workers:
        w.join()
    result.seconds = time.perf_counter() - began
    return result


def get(path: str, headers: dict[str, str] | None = None) -> Callable[[int, int], Request]:
    """The same GET for every request."""
    return lambda t, i: ("GET", path, None, dict(headers or {}))


def phone_address(t: int, i: int) -> str:
    """A different client address per request (as scans come from many phones)."""
    n = t * 1_000_003 + i
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


# --- people -----------------------------------------------------------------------------


def session_cookie(user: Any) -> str:
    """A signed-in session for the user, written to the session store as a login does
    (staff are marked enrolled in TOTP first, so no code step is needed)."""
    from django.test import Client

    _enrol(user)
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def api_token(user: Any) -> str:
    from accounts.actions import issue_api_token

    _enrol(user)
    return issue_api_token(acting_user=user, name="bench")


def _enrol(user: Any) -> None:
    if getattr(user, "is_platform_staff", False) and user.totp_enabled_at is None:
        from django.utils import timezone

        user.totp_enabled_at = timezone.now()
        user.save(update_fields=["totp_enabled_at"])


def queries_for(path: str, user: Any | None) -> tuple[int, int]:
    """Queries one GET of the page costs in-process (after a warm-up) and its status."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    if user is not None:
        _enrol(user)
        client.force_login(user)
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return len(queries), response.status_code


def print_rows(rows: list[dict[str, str]]) -> None:
    for r in rows:
        print(f"- {r['what']}: {r['ours']} | floor {r['floor']} | {r['target']} | {r['verdict']}")


def main(measure: Callable[[int], list[dict[str, str]]]) -> None:
    machines = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    setup_django()
    print_rows(measure(machines))


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
