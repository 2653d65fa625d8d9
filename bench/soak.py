"""`make soak` (issue #8): load and faults against gunicorn on a throwaway PostgreSQL.

    .venv/bin/python bench/soak.py            # SOAK_SECONDS=120 SOAK_OWNERS=4 ... (see below)

1. initdb a PostgreSQL cluster of its own in a temporary folder (as user postgres, port
   SOAK_PG_PORT=55432, never the system cluster), migrate, load the demo accounts and
   prepare the soak's accounts directly (owners, API tokens, the reviewers' TOTP
   enrolment), so no login throttle or SMS limit refuses the load;
2. start gunicorn with 4 workers on 127.0.0.1:SOAK_PORT (DEBUG off, as in production);
3. run the load for SOAK_SECONDS: owners declaring (start, four photos, four steps,
   submit), reviewers approving what is submitted, the public checking numbers; every
   client retries a dropped connection or a 503 with the same Idempotency-Key;
4. at 1/3 of the run SIGKILL one gunicorn worker (the master starts another), at 2/3
   restart PostgreSQL (pg_ctl restart -m fast);
5. stop, read the database and check (bench/soak_check.py): every acknowledged submission
   submitted exactly once, every acknowledged approval with exactly one registration and
   the number told, serials without gaps or duplicates per counter, the audit chain
   (manage.py verify_audit), no 5xx or dropped connection that the faults do not explain;
6. write the figures into docs/reliability.md (between the soak markers) and print them.
   Exit status 1 if any check failed.

Internal: `soak.py prepare OUT.json` and `soak.py collect IN.json OUT.json` run inside
Django (the runner calls them with the soak's DATABASE_URL)."""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.soak_check import (  # noqa: E402
    Attempt,
    DeclarationState,
    RegistrationRow,
    Verdict,
    Window,
    check_approvals,
    check_numbers,
    check_starts,
    check_submissions,
    errors_by_kind,
    outcome_label,
    summarise,
    unexplained_failures,
)

PG_BIN = Path(os.environ.get("SOAK_PG_BIN", "/usr/lib/postgresql/15/bin"))
SECONDS = int(os.environ.get("SOAK_SECONDS", "120"))
OWNERS = min(int(os.environ.get("SOAK_OWNERS", "4")), 16)  # bounded: 2 shared cores
PUBLIC = min(int(os.environ.get("SOAK_PUBLIC", "2")), 8)
WORKERS = int(os.environ.get("SOAK_WORKERS", "4"))
PORT = int(os.environ.get("SOAK_PORT", "18765"))
PG_PORT = int(os.environ.get("SOAK_PG_PORT", "55432"))
REPORT = Path(os.environ.get("SOAK_REPORT", str(ROOT / "docs" / "reliability.md")))
# A pause between one client's requests: a modest load, not a benchmark.
# fast: a clean shutdown that cuts every connection; immediate: a crash (WAL recovery).
STOP_MODE = os.environ.get("SOAK_PG_STOP_MODE", "fast")
if STOP_MODE not in {"fast", "immediate"}:
    raise SystemExit("SOAK_PG_STOP_MODE must be fast or immediate")
# The share of submit/approve answers the client "loses" on purpose and sends again.
LOSE_ANSWER = float(os.environ.get("SOAK_LOSE_ANSWER", "0.1"))
THINK_SECONDS = float(os.environ.get("SOAK_THINK", "0.05"))
# How long one operation keeps retrying (dropped connections, 503) before giving up.
RETRY_FOR_SECONDS = 60.0
REQUEST_TIMEOUT = 40.0  # gunicorn's worker timeout is 30 s
DISTRICTS = ("L", "K")  # the demo reviewers: 浦东 13900000002, 闵行 13900000003
REVIEWER_PHONES = {"L": "13900000002", "K": "13900000003"}
UNKNOWN = "工程机械沪L4-99999"
BEGIN, END = "<!-- soak:begin -->", "<!-- soak:end -->"


# --- inside Django: prepare the accounts, collect the results --------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrmm.settings")
    import django

    django.setup()


def prepare(out: Path) -> None:
    """Owners with API tokens, the demo reviewers enrolled in TOTP with tokens: made here
    as an administrator would, so the load is not refused by the login throttle, the SMS
    limits or the second-factor requirement (all left on)."""
    _django()
    from django.db import transaction
    from django.utils import timezone

    from accounts.actions import issue_api_token
    from accounts.constants import AccountKind, Role
    from accounts.models import User
    from accounts.totp import new_secret
    from core import audit
    from rules.identifiers import id_check_char

    tokens: dict[str, Any] = {"owners": [], "reviewers": {}}
    with transaction.atomic():
        for i in range(OWNERS):
            body = f"31011519800101{i:03d}"
            user = User(
                role=Role.OWNER,
                kind=AccountKind.PERSON,
                phone=f"1370000{i:04d}",
                name=f"压测车主{i}",
                id_number=body + id_check_char(body),
            )
            user.set_unusable_password()
            user.save()
            audit.record("account.demo_created", actor=None, target=user)
            tokens["owners"].append(
                {"token": issue_api_token(acting_user=user, name="soak"), "district": ""}
            )
        for district, phone in REVIEWER_PHONES.items():
            reviewer = User.objects.get(phone=phone)
            reviewer.totp_secret = new_secret()
            reviewer.totp_enabled_at = timezone.now()
            reviewer.save(update_fields=["totp_secret", "totp_enabled_at"])
            tokens["reviewers"][district] = issue_api_token(acting_user=reviewer, name="soak")
    for i, owner in enumerate(tokens["owners"]):
        owner["district"] = DISTRICTS[i % len(DISTRICTS)]
    out.write_text(json.dumps(tokens), encoding="utf-8")


def collect(acked_path: Path, out: Path) -> None:
    """The database's side of every declaration the clients touched, the counters and
    every registration."""
    _django()
    from django.db.models import Count

    from core.models import AuditEntry
    from registry.models import Declaration, NumberCounter, Registration

    def audits(action: str) -> dict[str, int]:
        rows = (
            AuditEntry.objects.filter(action=action, target_type="registry.declaration")
            .values("target_id")
            .annotate(n=Count("id"))
        )
        return {row["target_id"]: row["n"] for row in rows}

    submitted, approved = audits("declaration.submitted"), audits("declaration.approved")
    if not submitted and AuditEntry.objects.filter(action="declaration.submitted").exists():
        raise SystemExit("collect: unexpected audit target_type; update soak.collect")
    declarations = {}
    for d in Declaration.objects.annotate(
        n_rounds=Count("round_history", distinct=True)
    ).select_related("registration"):
        reg = getattr(d, "registration", None)
        declarations[d.pk] = asdict(
            DeclarationState(
                status=d.status,
                rounds=d.n_rounds,
                submitted_audits=submitted.get(str(d.pk), 0),
                approved_audits=approved.get(str(d.pk), 0),
                registrations=1 if reg else 0,
                number=reg.number if reg else "",
            )
        )
    result = {
        "declarations": declarations,
        "counters": {c.prefix: c.last_serial for c in NumberCounter.objects.all()},
        "registrations": [
            asdict(RegistrationRow(r.prefix, r.serial, r.number))
            for r in Registration.objects.all()
        ],
    }
    out.write_text(json.dumps(result), encoding="utf-8")


# --- the throwaway PostgreSQL and gunicorn ---------------------------------------------------


def as_postgres(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    command = [str(a) for a in args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=True, text=True, capture_output=True, **kw)


class Postgres:
    def __init__(self, tmp: Path):
        self.data = tmp / "pg"
        self.sock = tmp / "pgsock"
        self.log = tmp / "pg.log"
        for folder in (self.data, self.sock):
            folder.mkdir()
            if os.geteuid() == 0:
                shutil.chown(folder, "postgres", "postgres")
        if os.geteuid() == 0:
            shutil.chown(tmp, "postgres", "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{PG_PORT}/nrmm_soak"

    def pg_ctl(self, *args: str) -> None:
        options = f"-p {PG_PORT} -k {self.sock} -c listen_addresses=127.0.0.1"
        as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", *args)

    def start(self) -> None:
        as_postgres(
            PG_BIN / "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        self.pg_ctl("start")
        as_postgres(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", str(PG_PORT), "nrmm_soak")

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", STOP_MODE)

    def stop(self) -> None:
        try:
            self.pg_ctl("stop", "-m", "fast")
        except subprocess.CalledProcessError as exc:
            print("pg_ctl stop:", exc.stderr, file=sys.stderr)


def free(port: int) -> None:
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is in use: set SOAK_PORT / SOAK_PG_PORT")


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry.name))
    return sorted(pids)


def busy_workers(master: int) -> list[int]:
    """Workers holding an accepted client connection right now, i.e. serving a request:
    the worker killed should have work in flight, or the fault tests nothing."""
    hex_port = f":{PORT:04X}"
    serving = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            # local address on our port, state 01 (ESTABLISHED): an accepted connection.
            if cols[1].endswith(hex_port) and cols[3] == "01":
                serving.add(cols[9])
    busy = []
    for pid in worker_pids(master):
        try:
            links = [os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        if any(link[8:-1] in serving for link in links if link.startswith("socket:[")):
            busy.append(pid)
    return busy


# --- the load generator -----------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.attempts: list[Attempt] = []
        self.acked_starts: set[int] = set()
        self.acked_submissions: set[int] = set()
        self.acked_approvals: dict[int, str] = {}
        self.numbers: list[tuple[str, str]] = []  # (number, short number) approved
        self.gave_up: list[str] = []
        # Answers replayed from the Idempotency-Key store, by the path's last part.
        self.replayed: Counter[str] = Counter()
        self.resent = 0  # 2xx answers "lost" on purpose and sent again
        self.resend_mismatches: list[str] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    def add(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)


class GaveUp(Exception):
    pass


class Client:
    """One user's HTTP client: a new connection per request (gunicorn's sync workers close
    it after each answer anyway), retries on a dropped connection or a 503 for
    RETRY_FOR_SECONDS, honouring Retry-After (capped: the soak is short)."""

    def __init__(self, rec: Recorder, stop: threading.Event, token: str = ""):
        self.rec, self.stop, self.token = rec, stop, token

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str = "application/json",
        key: str = "",
        retry: bool = True,
    ) -> tuple[int, Any]:
        headers = {"Connection": "close"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            headers["Content-Type"] = content_type
        if key:
            headers["Idempotency-Key"] = key
        give_up_at = time.monotonic() + RETRY_FOR_SECONDS
        pause = 0.2
        while True:
            started = self.rec.now()
            status, payload, wait = self._once(method, path, body, headers)
            code = ""
            if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
                code = str(payload["error"].get("code", ""))
            outcome = str(status) if isinstance(status, int) else status
            self.rec.add(Attempt(kind, started, self.rec.now() - started, outcome, code))
            if isinstance(status, int) and status != 503:
                return status, payload
            if not retry or time.monotonic() > give_up_at:
                raise GaveUp(f"{kind} {path}: {outcome}")
            time.sleep(min(wait if wait is not None else pause, 2.0) * random.uniform(0.5, 1.0))
            pause = min(pause * 2, 2.0)

    def _once(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int | str, Any, float | None]:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            if response.getheader("Idempotent-Replayed") == "true":
                with self.rec.lock:
                    self.rec.replayed[path.rsplit("/", 1)[-1]] += 1
            retry_after = response.getheader("Retry-After")
            wait = float(retry_after) if retry_after and retry_after.isdigit() else None
            payload: Any = raw
            if response.getheader("Content-Type", "").startswith("application/json"):
                payload = json.loads(raw or b"null")
            elif response.status == 503 and "系统繁忙，请稍后再试".encode() in raw:
                # The page's 503 (core/unavailable.py) says what the API's code says.
                payload = {"error": {"code": "db_unavailable"}}
            return response.status, payload, wait
        except ConnectionRefusedError:
            return "refused", None, None
        except ConnectionResetError:
            return "reset", None, None
        except BrokenPipeError:
            return "broken pipe", None, None
        except http.client.RemoteDisconnected:
            return "disconnected", None, None
        except TimeoutError:
            return "timeout", None, None
        finally:
            conn.close()


def multipart(fields: dict[str, str], file_field: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    out.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
    )
    out.write(data + b"\r\n" + f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def send_keyed(c: Client, kind: str, path: str, key: str) -> tuple[int, Any]:
    """POST with an Idempotency-Key (one per operation; its retries send the same). Now and
    then the client "loses" a 2xx answer, as a phone dropping off the network would, and
    sends the request again: the answer must come back the same, the work done once."""
    status, answer = c.call(kind, "POST", path, body=b"{}", key=key)
    if 200 <= status < 300 and random.random() < LOSE_ANSWER:
        again = c.call(kind, "POST", path, body=b"{}", key=key)
        with c.rec.lock:
            c.rec.resent += 1
            if again != (status, answer):
                c.rec.resend_mismatches.append(f"{path}: {status} then {again[0]}")
        status, answer = again
    return status, answer


def owner_loop(
    rec: Recorder, stop: threading.Event, token: str, district: str, photo: bytes, serial_base: int
) -> None:
    """Declare machines one after the other, as the API walkthrough does."""
    c = Client(rec, stop, token)
    today = datetime.now(UTC).date().isoformat()
    n = 0
    while not stop.is_set():
        n += 1
        try:
            status, d = c.call(
                "declare.start",
                "POST",
                "/api/v1/declarations",
                body=json.dumps(
                    {
                        "district": district,
                        "site_type": "工地",
                        "site_address": "浦东新区张江路1号",
                        "registration_type": "machine",
                    }
                ).encode(),
                key=f"start-{uuid.uuid4().hex}",  # a lost answer leaves no second draft
            )
            if status != 201:
                continue
            pk = d["id"]
            with rec.lock:
                rec.acked_starts.add(pk)
            for kind in ("front", "rear", "front_45", "machine_nameplate"):
                body, ctype = multipart({"kind": kind}, "file", photo)
                c.call(
                    "declare.photo",
                    "POST",
                    f"/api/v1/declarations/{pk}/photos",
                    body=body,
                    content_type=ctype,
                    key=f"photo-{uuid.uuid4().hex}",
                )
                time.sleep(THINK_SECONDS)
            steps = [
                {
                    "machine_type": "挖掘机",
                    "machine_name": "履带式挖掘机",
                    "machine_model": "SY215C",
                    "maker": "三一重机有限公司",
                    "production_date": "2021-03-01",
                    "factory_serial": f"SOAK{serial_base + n:08d}",
                    "acquisition_kind": "purchase",
                    "acquisition_date": today,
                },
                {"has_nameplates": True},
                {
                    "machine_disclosure_number": "CNFJG4000L53000006000001",
                    "fuel_type": "柴油",
                    "engine_maker": "康明斯",
                    "engine_power_kw": "110",
                    "engine_stage": "4",
                },
                {},
            ]
            for i, data in enumerate(steps, start=1):
                c.call(
                    "declare.step",
                    "PUT",
                    f"/api/v1/declarations/{pk}/steps/{i}",
                    body=json.dumps({"data": data}).encode(),
                )
                time.sleep(THINK_SECONDS)
            status, _answer = send_keyed(
                c, "declare.submit", f"/api/v1/declarations/{pk}/submit", f"submit-{pk}"
            )
            if 200 <= status < 300:
                with rec.lock:
                    rec.acked_submissions.add(pk)
            c.call("owner.list", "GET", "/api/v1/declarations")
        except GaveUp as exc:
            rec.gave_up.append(str(exc))
        time.sleep(THINK_SECONDS)


def reviewer_loop(rec: Recorder, stop: threading.Event, token: str) -> None:
    """Approve every submitted declaration of the district, one at a time."""
    c = Client(rec, stop, token)
    while not stop.is_set():
        try:
            status, queue = c.call("review.queue", "GET", "/api/v1/review/declarations")
            if status != 200 or not queue:
                time.sleep(0.5)
                continue
            for item in queue:
                if stop.is_set():
                    break
                pk = item["id"]
                # One key per approval; its retries send the same key.
                status, answer = send_keyed(
                    c,
                    "review.approve",
                    f"/api/v1/review/declarations/{pk}/approve",
                    f"approve-{pk}",
                )
                if 200 <= status < 300:
                    with rec.lock:
                        rec.acked_approvals[pk] = answer.get("number") or ""
                        if answer.get("number"):
                            rec.numbers.append((answer["number"], answer["short_number"]))
                time.sleep(THINK_SECONDS)
        except GaveUp as exc:
            rec.gave_up.append(str(exc))


def public_loop(rec: Recorder, stop: threading.Event) -> None:
    """Anyone checking a number: the API and the page, known numbers and unknown ones."""
    c = Client(rec, stop)
    from urllib.parse import quote

    while not stop.is_set():
        with rec.lock:
            known = random.choice(rec.numbers) if rec.numbers else None
        try:
            if known is None or random.random() < 0.2:
                # A number never issued: answered "not found", not an error.
                c.call("public.verify_api", "GET", f"/api/v1/verify?number={quote(UNKNOWN)}")
            elif random.random() < 0.5:
                c.call("public.verify_api", "GET", f"/api/v1/verify?number={quote(known[0])}")
            else:
                c.call("public.verify_page", "GET", f"/v/{quote(known[1])}/")
        except GaveUp as exc:
            rec.gave_up.append(str(exc))
        time.sleep(0.1 + THINK_SECONDS)


# --- the run ----------------------------------------------------------------------------------


def run() -> int:
    if SECONDS < 30 or SECONDS > 1800:
        raise SystemExit("SOAK_SECONDS must be between 30 and 1800")
    free(PORT)
    free(PG_PORT)
    tmp = Path(tempfile.mkdtemp(prefix="nrmm-soak-"))
    os.chmod(tmp, 0o755)
    pg = Postgres(tmp)
    data_dir = tmp / "data"
    env = {
        **os.environ,
        "DATABASE_URL": pg.url,
        "NRMM_DATA_DIR": str(data_dir),
        "DEBUG": "0",
        "SECRET_KEY": "soak-" + uuid.uuid4().hex * 2,
        "NRMM_HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        # Every public client is 127.0.0.1 here: the per-address limit would count them as
        # one person. Configuration, as a site behind a proxy would set it; not a code change.
        "NRMM_PUBLIC_LOOKUPS_PER_MINUTE": "1000000",
        "LOG_LEVEL": "ERROR",
        "PYTHONUNBUFFERED": "1",
        # Production refuses to start without field keys; fresh ones for throwaway data.
        "NRMM_FIELD_KEYS": base64.b64encode(os.urandom(32)).decode(),
        "NRMM_FIELD_HASH_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    py = sys.executable
    gunicorn: subprocess.Popen[bytes] | None = None
    started_at = datetime.now(UTC)
    try:
        print(f"soak: PostgreSQL of its own in {tmp} on port {PG_PORT}", flush=True)
        pg.start()
        data_dir.mkdir()

        def manage(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [py, "manage.py", *args],
                cwd=ROOT,
                env=env,
                check=True,
                text=True,
                capture_output=True,
            )

        manage("migrate", "--noinput", "-v0")
        manage("load_demo")
        accounts_file = tmp / "accounts.json"
        subprocess.run([py, __file__, "prepare", str(accounts_file)], cwd=ROOT, env=env, check=True)
        accounts = json.loads(accounts_file.read_text(encoding="utf-8"))
        from PIL import Image

        buf = io.BytesIO()
        Image.new("RGB", (640, 480), "orange").save(buf, "JPEG")
        photo = buf.getvalue()

        glog = open(tmp / "gunicorn.log", "wb")
        gunicorn = subprocess.Popen(
            [
                str(Path(py).parent / "gunicorn"),
                "nrmm.wsgi",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(WORKERS),
                "--timeout",
                "30",
                "--graceful-timeout",
                "10",
                "--control-socket",
                str(tmp / "gunicorn.ctl"),
            ],
            cwd=ROOT,
            env=env,
            stdout=glog,
            stderr=subprocess.STDOUT,
        )
        probe = Client(Recorder(), threading.Event())
        for _ in range(100):
            if probe._once("GET", "/api/v1/reference", None, {})[0] == 200:
                break
            time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not answer; see " + str(tmp / "gunicorn.log"))
        print(
            f"soak: gunicorn ({WORKERS} workers) on 127.0.0.1:{PORT}; load for {SECONDS} s: "
            f"{OWNERS} owners, 2 reviewers, {PUBLIC} public checkers",
            flush=True,
        )

        # Each worker loads Django's URLs, templates and translations on its first request:
        # warm them up outside the figures (several at once, so each worker gets one).
        warm = [
            threading.Thread(target=probe._once, args=("GET", path, None, {}))
            for path in ("/api/v1/reference", "/", "/check/") * WORKERS
        ]
        for t in warm:
            t.start()
        for t in warm:
            t.join()

        rec, stop = Recorder(), threading.Event()
        threads = [
            threading.Thread(
                target=owner_loop, args=(rec, stop, o["token"], o["district"], photo, i * 1_000_000)
            )
            for i, o in enumerate(accounts["owners"])
        ]
        threads += [
            threading.Thread(target=reviewer_loop, args=(rec, stop, t))
            for t in accounts["reviewers"].values()
        ]
        threads += [threading.Thread(target=public_loop, args=(rec, stop)) for _ in range(PUBLIC)]
        for t in threads:
            t.start()

        windows: list[Window] = []
        faults: list[str] = []
        time.sleep(SECONDS / 3)
        victims = worker_pids(gunicorn.pid)
        busy: list[int] = []
        for _ in range(200):  # up to ~4 s for a worker caught serving a request
            busy = busy_workers(gunicorn.pid)
            if busy:
                break
            time.sleep(0.02)
        victim = random.choice(busy or victims)
        kill_at = rec.now()
        os.kill(victim, signal.SIGKILL)
        windows.append(Window("worker SIGKILL", kill_at, kill_at + 2))
        faults.append(
            f"t={kill_at:.1f} s: SIGKILL gunicorn worker {victim} (of {len(victims)}; "
            f"{'serving a request' if busy else 'idle: none was busy'})"
        )
        print("soak:", faults[-1], flush=True)
        time.sleep(max(0.0, SECONDS * 2 / 3 - rec.now()))
        with rec.lock:
            dropped = sum(
                1
                for a in rec.attempts
                if not a.outcome.isdigit()
                and a.started <= kill_at + 2
                and a.started + a.seconds >= kill_at
            )
        # A worker killed after writing a short answer still delivers it: the kernel sends
        # what is in the socket buffer before closing. Say what the clients saw.
        faults[-1] += f"; {dropped} request(s) saw the connection drop"
        restart_at = rec.now()
        pg.restart()
        restarted = rec.now()
        windows.append(Window("PostgreSQL restart", restart_at, restarted + 10))
        faults.append(
            f"t={restart_at:.1f} s: pg_ctl restart -m {STOP_MODE} "
            f"(down {restarted - restart_at:.1f} s)"
        )
        print("soak:", faults[-1], flush=True)
        respawned = worker_pids(gunicorn.pid)
        time.sleep(max(0.0, SECONDS - rec.now()))
        stop.set()
        load_seconds = rec.now()
        for t in threads:
            t.join(timeout=RETRY_FOR_SECONDS + REQUEST_TIMEOUT)
        hung = sum(t.is_alive() for t in threads)
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        glog.close()

        collected = tmp / "collected.json"
        acked = tmp / "acked.json"
        acked.write_text(json.dumps(sorted(rec.acked_submissions)), encoding="utf-8")
        subprocess.run(
            [py, __file__, "collect", str(acked), str(collected)], cwd=ROOT, env=env, check=True
        )
        audit = subprocess.run(
            [py, "manage.py", "verify_audit"], cwd=ROOT, env=env, text=True, capture_output=True
        )
        db = json.loads(collected.read_text(encoding="utf-8"))
        verdict = judge(
            rec, db, windows, audit, hung, victim not in respawned and len(respawned) == WORKERS
        )
        report = render(rec, db, verdict, faults, windows, audit, started_at, load_seconds)
        print(report)
        write_report(report)
        if not verdict.ok:
            print(f"soak: FAILED; logs kept in {tmp}", file=sys.stderr)
            return 1
        print(f"soak: OK; report written to {REPORT}")
        return 0
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            gunicorn.kill()
            gunicorn.wait()
        pg.stop()
        if os.environ.get("SOAK_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)


def judge(
    rec: Recorder,
    db: dict[str, Any],
    windows: list[Window],
    audit: subprocess.CompletedProcess[str],
    hung: int,
    respawned: bool,
) -> Verdict:
    v = Verdict()
    states = {int(pk): DeclarationState(**s) for pk, s in db["declarations"].items()}
    regs = [RegistrationRow(**r) for r in db["registrations"]]
    v.problems += check_starts(rec.acked_starts, states)
    v.checked.append(
        f"{len(rec.acked_starts)} acknowledged starts: every declaration in the database is "
        "one a client was told about, none left behind by a start sent again with its key"
    )
    v.problems += check_submissions(rec.acked_submissions, states)
    v.checked.append(
        f"{len(rec.acked_submissions)} acknowledged submissions: each submitted, exactly one "
        "submission round and one `declaration.submitted` audit row"
    )
    v.problems += check_approvals(rec.acked_approvals, states)
    v.checked.append(
        f"{len(rec.acked_approvals)} acknowledged approvals: each approved with exactly one "
        "registration carrying the number the reviewer was told, one `declaration.approved` "
        "audit row"
    )
    v.problems += check_numbers(db["counters"], regs)
    v.checked.append(
        f"{len(regs)} numbers in {len(db['counters'])} counters "
        f"({', '.join(f'{p}: {n}' for p, n in sorted(db['counters'].items()))}): serials "
        "1..last each issued once, none skipped, no number twice"
    )
    if audit.returncode != 0:
        v.problems.append(f"verify_audit failed: {audit.stdout.strip()} {audit.stderr.strip()}")
    v.checked.append(f"audit chain: `manage.py verify_audit` → {audit.stdout.strip()[:200]}")
    bad = unexplained_failures(rec.attempts, windows)
    for a in bad[:20]:
        v.problems.append(
            f"unexplained failure: {a.kind} at t={a.started:.1f} s → {outcome_label(a)}"
        )
    if len(bad) > 20:
        v.problems.append(f"... and {len(bad) - 20} more unexplained failures")
    v.checked.append(
        "no 5xx except 503 `db_unavailable`, and no 503 or dropped connection outside the "
        "fault windows (worker kill +2 s; PostgreSQL restart until 10 s after it is back)"
    )
    v.problems += [f"resent with the same key, another answer: {m}" for m in rec.resend_mismatches]
    v.checked.append(
        f"{rec.resent} submit/approve answers dropped by the client on purpose and sent again "
        "with the same key: the same answer came back (replayed), the work done once"
    )
    if rec.gave_up:
        v.problems += [f"client gave up after {RETRY_FOR_SECONDS:.0f} s: {g}" for g in rec.gave_up]
    v.checked.append(f"no client gave up retrying ({RETRY_FOR_SECONDS:.0f} s per operation)")
    if hung:
        v.problems.append(f"{hung} client threads still running after the stop")
    if not respawned:
        v.problems.append("the killed worker was not replaced by gunicorn's master")
    v.checked.append("gunicorn's master replaced the killed worker (4 workers again)")
    if not rec.acked_approvals or not rec.acked_submissions:
        v.problems.append("the load did no work (no acknowledged submission or approval)")
    return v


def render(
    rec: Recorder,
    db: dict[str, Any],
    verdict: Verdict,
    faults: list[str],
    windows: list[Window],
    audit: subprocess.CompletedProcess[str],
    started_at: datetime,
    load_seconds: float,
) -> str:
    table = summarise(rec.attempts)
    statuses = Counter(d["status"] for d in db["declarations"].values())
    total = len(rec.attempts)
    ok = sum(1 for a in rec.attempts if a.outcome.startswith("2"))
    lines = [
        BEGIN,
        "<!-- Generated by `make soak` (bench/soak.py); the next run replaces this part. -->",
        f"### Last run: {started_at:%Y-%m-%d %H:%M} UTC — "
        f"{'**passed**' if verdict.ok else '**FAILED**'}",
        "",
        f"- Load: {load_seconds:.0f} s; {OWNERS} owners declaring, 2 reviewers (浦东, 闵行) "
        f"approving, {PUBLIC} public checkers; gunicorn {WORKERS} sync workers on PostgreSQL "
        f"15 (own cluster); {os.cpu_count()} CPU cores shared with other work (load average "
        f"{os.getloadavg()[0]:.1f} at the end of the run, all processes on the machine).",
        f"- Requests: {total} tries, {ok} answered 2xx, "
        f"{total / max(load_seconds, 1):.1f} tries/s. Work acknowledged: "
        f"{len(rec.acked_submissions)} submissions, {len(rec.acked_approvals)} approvals; "
        f"answers replayed for a retry with the same Idempotency-Key: "
        + (", ".join(f"{k} {v}" for k, v in sorted(rec.replayed.items())) or "none")
        + ".",
        "- Faults injected: " + "; ".join(faults) + ".",
        "- Declarations in the database by status: "
        + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        + " (drafts: in progress at the stop).",
        "",
        "| Request | Tries | 2xx | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, row in table.items():
        lines.append(
            f"| {kind} | {row['tries']:.0f} | {row['ok']:.0f} | {row['p50']:.0f} | "
            f"{row['p99']:.0f} | {row['max']:.0f} |"
        )
    slowest = sorted(
        (a for a in rec.attempts if a.outcome.startswith("2")), key=lambda a: -a.seconds
    )[:5]

    def where(a: Attempt) -> str:
        hit = [w.name for w in windows if a.started <= w.end and a.started + a.seconds >= w.start]
        return f" ({', '.join(hit)})" if hit else ""

    lines += [
        "",
        "Slowest tries answered 2xx: "
        + "; ".join(
            f"{a.kind} {a.seconds * 1000:.0f} ms from t={a.started:.1f} s{where(a)}"
            for a in slowest
        )
        + ".",
    ]
    errors = errors_by_kind(rec.attempts)
    lines += ["", "Answers other than 2xx, by kind (each retried try counts):", ""]
    if errors:
        lines += ["| Outcome | Count | In a fault window |", "|---|---:|---:|"]
        for label, count in errors.items():
            inside = sum(
                1
                for a in rec.attempts
                if outcome_label(a) == label
                and any(a.started <= w.end and a.started + a.seconds >= w.start for w in windows)
            )
            lines.append(f"| {label} | {count} | {inside} |")
    else:
        lines.append("None.")
    lines += ["", "Checked against the database afterwards:", ""]
    lines += [f"- {c}" for c in verdict.checked]
    lines += ["", "Problems found: " + ("none." if verdict.ok else "")]
    lines += [f"- {p}" for p in verdict.problems]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_report(section: str) -> None:
    text = (
        REPORT.read_text(encoding="utf-8")
        if REPORT.exists()
        else f"# Reliability\n\n{BEGIN}\n{END}\n"
    )
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + section.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    REPORT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "prepare":
        prepare(Path(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "collect":
        collect(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit(run())
