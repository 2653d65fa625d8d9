"""The multi-machine shape under load, on loopback: APPS gunicorn servers (bench/cluster.py),
one database (DATABASE_URL's, else a SQLite file), moto's S3, then THREADS clients each
sending REQUESTS requests round-robin over the servers (a signed-in owner's page, a photo
read from the bucket, a public look-up that reads the replica-ok path). Prints requests per
second and latency percentiles per kind, and checks that every answer was right.

    .venv/bin/python bench/scale_out.py [APPS] [THREADS] [REQUESTS]   # default 2 4 50
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch .venv/bin/python bench/scale_out.py

Loopback only, bounded in count; the database gets a "<name>_cluster" sibling, dropped after.
"""

import json
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cluster import Cluster

PASSWORD = "Bench-pass-2026"
SETUP = f"""
import json, io
from PIL import Image
from accounts.models import User
from registry import actions
owner = User(phone="13800000001", name="基准机主", kind="person", id_number="11010519491231002X")
owner.set_password({PASSWORD!r}); owner.save()
d = actions.start_declaration(acting_user=owner, owner=owner, data={{"district": "L",
    "site_type": "工地", "site_address": "浦东新区张江路1号", "registration_type": "machine"}})
out = io.BytesIO(); Image.new("RGB", (800, 600), "orange").save(out, "JPEG")
photo = actions.upload_photo(acting_user=owner, declaration=d, kind="front", data=out.getvalue())
print(json.dumps({{"photo": photo.pk}}))
"""


def log_in(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    answer = session.post(
        f"{base}/login/",
        data={
            "csrfmiddlewaretoken": token.group(1),
            "identifier": "13800000001",
            "password": PASSWORD,
        },
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.status_code
    return session


def main(apps: int, threads: int, per_thread: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="nrmm-scale-"))
    cluster = Cluster(
        workdir,
        apps=apps,
        workers_per_app=2,
        # Loopback is one address: lift the per-address limit of public look-ups.
        env={"NRMM_PUBLIC_LOOKUPS_PER_MINUTE": "1000000"},
    )
    started = time.monotonic()
    try:
        cluster.start(setup=SETUP)
        photo = json.loads(cluster.setup_output)["photo"]
        print(
            f"{apps} app servers up in {time.monotonic() - started:.1f} s "
            f"({cluster.database_url.split(':')[0]}, S3 at {cluster.s3_url})"
        )
        timings: dict[str, list[float]] = defaultdict(list)
        failures: list[str] = []
        lock = threading.Lock()
        kinds = (
            ("account", "/account/", 200),
            ("photo", f"/photos/{photo}/", 200),
            ("lookup", "/v/沪A2-ZZZZZ/", 404),
        )

        # Each client logs in on one server; its session then goes to every server.
        sessions = [log_in(cluster.urls[n % apps]) for n in range(threads)]

        def client(number: int) -> None:
            session = sessions[number]
            for i in range(per_thread):
                base = cluster.urls[(number + i) % apps]
                kind, path, expected = kinds[i % len(kinds)]
                began = time.perf_counter()
                answer = session.get(base + path, allow_redirects=False, timeout=30)
                spent = time.perf_counter() - began
                with lock:
                    timings[kind].append(spent)
                    if answer.status_code != expected:
                        failures.append(f"{kind} on {base}: {answer.status_code}")

        workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
        began = time.monotonic()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.monotonic() - began
        total = sum(len(v) for v in timings.values())
        rate = total / elapsed
        print(f"{total} requests from {threads} clients in {elapsed:.1f} s: {rate:.0f}/s")
        for kind, values in sorted(timings.items()):
            values.sort()
            p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
            print(
                f"  {kind:8} n={len(values):4}  median {statistics.median(values) * 1000:6.1f} ms"
                f"  p95 {p95 * 1000:6.1f} ms"
            )
        print(f"local media files on the app servers: {len(cluster.media_files())}")
        if failures:
            print(f"{len(failures)} wrong answers, first: {failures[:3]}")
            raise SystemExit(1)
    finally:
        cluster.stop()


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:4]]
    apps, threads, per_thread = [*numbers, *(2, 4, 50)[len(numbers) :]]
    main(apps, threads, per_thread)
