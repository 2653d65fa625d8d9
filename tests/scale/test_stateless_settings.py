"""No state of one process: production-shaped settings keep sessions, rate limits and the
cache where every app server sees them, and the in-process caches that remain hold only
what code and settings determine."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from nrmm.env import cache_from_url, replica_databases, s3_storage

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-secret-key-for-this-test-only-0123456789",
    "ALLOWED_HOSTS": "nrmm.example.gov.cn",
    "DATABASE_URL": "postgres://nrmm@db-primary:5432/nrmm",
    "NRMM_REPLICA_URLS": "postgres://nrmm@db-replica-1:5432/nrmm,postgres://nrmm@db-replica-2/nrmm",
    "NRMM_STORAGE": "s3",
    "NRMM_S3_BUCKET": "nrmm-media",
    "NRMM_S3_ENDPOINT_URL": "https://s3.example.gov.cn",
    "NRMM_CACHE_URL": "redis://cache:6379/0",
    "NRMM_FIELD_KEYS": "bnJtbS1iZW5jaC1vbmx5LWVuY3J5cHRpb24ta2V5ISE=",
    "NRMM_FIELD_HASH_KEY": "bnJtbS1iZW5jaC1vbmx5LWtleWVkLWhhc2gta2V5ISE=",
    "NRMM_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
}

SHOW = """
import json
from django.conf import settings as s
print(json.dumps({
    "caches": s.CACHES, "session": s.SESSION_ENGINE, "storages": s.STORAGES,
    "databases": {k: {"NAME": v["NAME"], "HOST": v.get("HOST"), "TEST": v.get("TEST", {})}
                  for k, v in s.DATABASES.items()},
    "replicas": s.NRMM_REPLICA_DATABASES, "routers": s.DATABASE_ROUTERS,
    "tasks": s.TASKS["default"]["BACKEND"], "messages": s.MESSAGE_STORAGE,
}))
"""


def settings_with(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NRMM_") and k not in ("DEBUG", "DATABASE_URL", "SECRET_KEY")
    }
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "nrmm.settings",
            "NRMM_DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def production(tmp_path: Path, **changes: str) -> dict:
    result = settings_with({**PRODUCTION, **changes}, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_settings_keep_no_state_in_one_process(tmp_path):
    shown = production(tmp_path)
    backend = shown["caches"]["default"]["BACKEND"]
    assert backend == "django.core.cache.backends.redis.RedisCache"
    assert shown["caches"]["default"]["LOCATION"] == "redis://cache:6379/0"
    # Sessions in the database: not files, not a cache alone (cached_db would be fine too).
    assert shown["session"] == "django.contrib.sessions.backends.db"
    # Messages travel in the cookie or the (database) session, never in memory.
    assert shown["messages"] == "django.contrib.messages.storage.fallback.FallbackStorage"
    default = shown["storages"]["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "nrmm-media"
    assert default["OPTIONS"]["file_overwrite"] is False
    assert shown["tasks"] == "django_tasks_db.DatabaseBackend"
    assert shown["replicas"] == ["replica_1", "replica_2"]
    assert shown["databases"]["replica_1"]["HOST"] == "db-replica-1"
    assert shown["databases"]["replica_2"]["TEST"] == {"MIRROR": "default"}
    assert shown["routers"] == ["core.dbrouter.ReplicaRouter"]


def test_production_without_a_cache_url_caches_nothing_rather_than_per_process(tmp_path):
    shown = production(tmp_path, NRMM_CACHE_URL="")
    assert "LocMem" not in shown["caches"]["default"]["BACKEND"]
    assert shown["caches"]["default"]["BACKEND"].endswith("DummyCache")


def test_production_refuses_a_per_process_cache(tmp_path):
    result = settings_with({**PRODUCTION, "NRMM_CACHE_URL": "locmem://"}, tmp_path)
    assert result.returncode != 0 and "locmem" in result.stderr


def test_production_without_a_bucket_fails_loudly(tmp_path):
    result = settings_with({**PRODUCTION, "NRMM_S3_BUCKET": ""}, tmp_path)
    assert result.returncode != 0 and "NRMM_S3_BUCKET" in result.stderr


def test_development_defaults():
    # `make run`: local files, a local-memory cache, no replica.
    assert str(settings.STORAGES["default"]["BACKEND"]).endswith("FileSystemStorage")
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.NRMM_REPLICA_DATABASES == []


def test_cache_urls():
    assert str(cache_from_url("", debug=True)["BACKEND"]).endswith("LocMemCache")
    assert str(cache_from_url("", debug=False)["BACKEND"]).endswith("DummyCache")
    pair = cache_from_url("rediss://a:6380/1, redis://b/1", debug=False)
    assert pair["LOCATION"] == ["rediss://a:6380/1", "redis://b/1"]
    with pytest.raises(ImproperlyConfigured):
        cache_from_url("memcached://x", debug=True)
    with pytest.raises(ImproperlyConfigured):
        cache_from_url("locmem://", debug=False)


def test_replica_urls():
    replicas = replica_databases(
        ["postgres://u:p@r1:5432/nrmm", "sqlite:///var/r.sqlite3"], base_dir=Path("/srv")
    )
    assert list(replicas) == ["replica_1", "replica_2"]
    assert replicas["replica_1"]["HOST"] == "r1" and replicas["replica_1"]["PASSWORD"] == "p"
    assert replicas["replica_1"]["OPTIONS"] == {"connect_timeout": "3"}
    mine = replica_databases(["postgres://r1/nrmm?connect_timeout=1"], base_dir=Path("/srv"))
    assert mine["replica_1"]["OPTIONS"] == {"connect_timeout": "1"}
    with pytest.raises(ImproperlyConfigured):
        replica_databases(["mysql://x/y"], base_dir=Path("/srv"))


def test_s3_options():
    plain = s3_storage(
        bucket="b", endpoint_url="", region="", access_key="", secret_key="", location="/m/"
    )
    # No keys: boto3 finds them itself (instance role, AWS_* variables).
    assert plain["OPTIONS"] == {
        "bucket_name": "b",
        "default_acl": None,
        "file_overwrite": False,
        "location": "m",
    }
    with pytest.raises(ImproperlyConfigured):
        s3_storage(
            bucket="b",
            endpoint_url="",
            region="",
            access_key="",
            secret_key="",
            location="",
            addressing_style="sideways",
        )


# Every in-process cache in the app, and why it may stay per process: each holds only what
# the code, the vendored fonts or the settings determine, never a user's or a table's state.
ALLOWED_PROCESS_CACHES = {
    ("accounts/sms.py", "_backend"): "the SMS backend object named in settings",
    ("core/reference.py", "city"): "the city configuration file named in settings",
    ("core/holiday_seed.py", "rows_for_year"): "holidays from the pinned chinesecalendar",
    ("documents/guilloche.py", "guilloche"): "a pattern computed from its arguments",
    ("documents/card.py", "notice_lines"): "line breaks computed from the text passed in",
    ("stats/exports.py", "_zone"): "settings.TIME_ZONE",
    ("stats/generate.py", "_zone"): "settings.TIME_ZONE",
    ("stats/generate.py", "_serial_head"): "number text from the fixed serial alphabet",
    ("stats/generate.py", "_serial_tails"): "the fixed serial alphabet's two-letter tails",
}
MODULE_CACHES = {("documents/sign.py", "_glyph_cache"): "glyph outlines of the vendored font"}


def test_in_process_caches_hold_only_what_code_and_settings_determine():
    decorated = re.compile(r"^@(?:functools\.)?(?:lru_cache|cache)\b.*\n(?:@.*\n)*def (\w+)", re.M)
    found = set()
    module_dicts = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/", "bench/")) or "/migrations/" in relative:
            continue
        text = path.read_text(encoding="utf-8")
        found |= {(relative, name) for name in decorated.findall(text)}
        module_dicts |= {
            (relative, name) for name in re.findall(r"^(_\w*cache\w*)\s*:.*=\s*\{\}", text, re.M)
        }
    assert found == set(ALLOWED_PROCESS_CACHES), "review the new in-process cache"
    assert module_dicts == set(MODULE_CACHES), "review the new in-process cache"


def test_the_redis_cache_is_one_for_every_process():
    """Two cache objects built from one NRMM_CACHE_URL, as two app servers build theirs,
    see each other's entries (needs the Redis at 127.0.0.1:6379; skipped without it)."""
    import secrets
    import socket

    from django.core.cache.backends.redis import RedisCache

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    config = cache_from_url("redis://127.0.0.1:6379/15", debug=False)
    params = {"KEY_PREFIX": f"nrmm-test-{secrets.token_hex(4)}", "TIMEOUT": 30}
    first = RedisCache(str(config["LOCATION"]), params)
    second = RedisCache(str(config["LOCATION"]), params)
    first.set("shared", {"n": 1})
    assert second.get("shared") == {"n": 1}
    second.delete("shared")
    assert first.get("shared") is None
