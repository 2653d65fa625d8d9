"""The multi-machine shape on one machine's loopback: N gunicorn app servers, each with a
data folder of its own (so nothing on one server's disk is seen by another), one database
(PostgreSQL when DATABASE_URL names one, else a SQLite file), one S3 (moto's server), and
optionally a task worker (`manage.py db_worker`). Used by tests/scale/test_multiprocess.py
and bench/scale_out.py:

    with Cluster(Path("/tmp/x"), apps=2) as cluster:
        cluster.urls  # ["http://127.0.0.1:PORT", ...]
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "nrmm-cluster"
# Poll often and start at once: the tests wait for the worker.
WORKER_OPTIONS = ("--interval", "0.2", "--no-startup-delay")
SECRET = "cluster-secret-key-for-loopback-tests-only-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class Cluster:
    def __init__(
        self,
        workdir: Path,
        *,
        apps: int = 2,
        workers_per_app: int = 1,
        task_worker: bool = False,
        database_url: str | None = None,
        cache_url: str = "",
        env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.apps = apps
        self.workers_per_app = workers_per_app
        self.task_worker = task_worker
        self.base_database_url = (
            os.environ.get("DATABASE_URL", "") if database_url is None else database_url
        )
        self.cache_url = cache_url
        self.extra_env = env or {}
        self.processes: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []
        self.s3_url = ""
        self.database_url = ""
        self._pg_database = ""
        self.setup_output = ""

    # --- the shared services ---------------------------------------------------------------

    def _database(self) -> str:
        parts = urlsplit(self.base_database_url)
        if parts.scheme.startswith("postgres"):
            # A database of its own beside the configured one (its name + "_cluster").
            self._pg_database = parts.path.lstrip("/") + "_cluster"
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self._pg_database}" WITH (FORCE)')
            self._admin_sql(f'CREATE DATABASE "{self._pg_database}"')
            return urlunsplit(parts._replace(path="/" + self._pg_database))
        return f"sqlite:///{self.workdir / 'cluster.sqlite3'}"

    def _admin_sql(self, sql: str) -> None:
        import psycopg

        parts = urlsplit(self.base_database_url)
        with psycopg.connect(
            host=parts.hostname or "",
            port=parts.port or 5432,
            user=parts.username or "",
            password=parts.password or "",
            dbname="postgres",
            autocommit=True,
        ) as connection:
            connection.execute(sql.encode())

    def _s3(self) -> str:
        port = free_port()
        moto = self._spawn(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            log="moto.log",
            env=dict(os.environ),
        )
        url = f"http://127.0.0.1:{port}"
        _wait_for(url + "/moto-api/", moto, 30)
        import boto3

        boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="cluster",
            aws_secret_access_key="cluster",
        ).create_bucket(Bucket=BUCKET)
        return url

    def env(self, data_dir: Path) -> dict[str, str]:
        """A production-shaped environment (DEBUG off) on plain HTTP loopback."""
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("NRMM_", "DJANGO_")) and k not in ("DEBUG", "DATABASE_URL")
        }
        return {
            **inherited,
            "DEBUG": "0",
            "SECRET_KEY": SECRET,
            "NRMM_HTTPS": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "NRMM_DATA_DIR": str(data_dir),
            "DATABASE_URL": self.database_url,
            "NRMM_STORAGE": "s3",
            "NRMM_S3_BUCKET": BUCKET,
            "NRMM_S3_ENDPOINT_URL": self.s3_url,
            "NRMM_S3_REGION": "us-east-1",
            "NRMM_S3_ACCESS_KEY_ID": "cluster",
            "NRMM_S3_SECRET_ACCESS_KEY": "cluster",
            "NRMM_S3_ADDRESSING_STYLE": "path",
            # Production refuses to start without field keys (ID numbers are encrypted at
            # rest); every server of the cluster shares these test-only ones.
            "NRMM_FIELD_KEYS": "bnJtbS1iZW5jaC1vbmx5LWVuY3J5cHRpb24ta2V5ISE=",
            "NRMM_FIELD_HASH_KEY": "bnJtbS1iZW5jaC1vbmx5LWtleWVkLWhhc2gta2V5ISE=",
            "NRMM_CACHE_URL": self.cache_url,
            "NRMM_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "NRMM_STAFF_TOTP_REQUIRED": "0",
            **self.extra_env,
        }

    def manage(self, *args: str, data_dir: Path | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(data_dir or self.workdir / "manage"),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)}: {result.stdout}{result.stderr}")
        return result.stdout

    def _spawn(self, argv: list[str], *, log: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        output = (self.workdir / log).open("wb")
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    # --- start and stop ----------------------------------------------------------------------

    def start(self, setup: str = "") -> Cluster:
        """Start everything; `setup` (Python, run by `manage.py shell` right after the
        migrations, in the same process) fills the database; its last line printed is
        kept in self.setup_output."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.database_url = self._database()
        self.s3_url = self._s3()
        # The app servers import Django while the database is migrated: they touch it only
        # when a request comes, and none comes before they all answer (below).
        started = []
        for number in range(1, self.apps + 1):
            port = free_port()
            data_dir = self.workdir / f"app{number}"
            app = self._spawn(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "nrmm.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(self.workers_per_app),
                    "--access-logfile",
                    "-",
                ],
                log=f"app{number}.log",
                env=self.env(data_dir),
            )
            started.append((app, f"http://127.0.0.1:{port}"))
        migrate = "from django.core.management import call_command\n"
        migrate += "call_command('migrate', interactive=False, verbosity=0)\n"
        output = self.manage("shell", "-c", migrate + setup).strip().splitlines()
        self.setup_output = output[-1] if output else ""
        if self.task_worker:
            self._spawn(
                [sys.executable, "manage.py", "db_worker", *WORKER_OPTIONS],
                log="worker.log",
                env=self.env(self.workdir / "worker"),
            )
        for app, url in started:
            _wait_for(url + "/healthz", app, 60)
            self.urls.append(url)
        return self

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                # gunicorn: SIGINT is the quick shutdown (SIGTERM waits for idle keep-alives).
                process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        if self._pg_database:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self._pg_database}" WITH (FORCE)')

    def media_files(self) -> list[Path]:
        """Files under any app's local media folder (there should be none)."""
        return [p for p in self.workdir.glob("app*/media/**/*") if p.is_file()]

    def __enter__(self) -> Cluster:  # start() without a setup script
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
