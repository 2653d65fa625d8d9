"""Typed environment variables for settings.py.

Each reader returns a working local default and fails loudly (ImproperlyConfigured) on a
value it cannot read, so a typo in production stops the start instead of running with a
silent default.
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str, *, base_dir: Path) -> dict[str, object]:
    """Django DATABASES entry from sqlite:///path or postgres://user:pw@host:port/name."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as dj-database-url reads them.
        raw_path = unquote(parts.path)[1:] if parts.path.startswith("/") else parts.path
        if not raw_path:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no SQLite file")
        path = Path(raw_path)
        if not path.is_absolute():
            path = base_dir / path
        return sqlite_database(path)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database")
        options = dict(parse_qsl(parts.query))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            # Connections are kept for a minute and checked before reuse, so after a
            # PostgreSQL restart each process reconnects instead of failing on a dead one
            # (make soak restarts it under load: docs/reliability.md).
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported (use sqlite:// or postgres://)"
    )


def sqlite_database(path: Path) -> dict[str, object]:
    # A fresh clone has no var/ folder; SQLite cannot create the file without it.
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock
            # at BEGIN so two writers queue instead of failing with "database is locked"
            # when a read lock would have to be upgraded (select_for_update is a no-op here).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma-separated addresses or networks (10.0.0.5, 10.0.0.0/8, ::1); empty by default."""
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an address or network") from None
    return networks


def replica_databases(urls: list[str], *, base_dir: Path) -> dict[str, dict[str, object]]:
    """NRMM_REPLICA_URLS (DATABASE_URL-style, comma-separated) as aliases replica_1, ….
    A test run treats each as a mirror of the test database instead of creating its own."""
    replicas: dict[str, dict[str, object]] = {}
    for number, url in enumerate(urls, start=1):
        database = database_from_url(url, base_dir=base_dir)
        database["TEST"] = {"MIRROR": "default"}
        options = database.get("OPTIONS")
        if isinstance(options, dict) and database["ENGINE"] == "django.db.backends.postgresql":
            # A replica that is down is passed over (core.dbrouter), but only once the
            # connection attempt gives up: not after libpq's default of waiting forever.
            options.setdefault("connect_timeout", "3")
        replicas[f"replica_{number}"] = database
    return replicas


def cache_from_url(url: str, *, debug: bool) -> dict[str, object]:
    """Django CACHES["default"] from NRMM_CACHE_URL: redis://host:port/db (rediss:// for
    TLS; several comma-separated, the first written, the others read), dummy:// (nothing
    kept) or locmem:// (one cache per process: development only). Empty: locmem:// when
    DEBUG is on, dummy:// when off, so that no production process keeps a cache of its own."""
    url = url.strip()
    if not url:
        url = "locmem://" if debug else "dummy://"
    scheme = urlsplit(url.split(",")[0].strip()).scheme
    if scheme in {"redis", "rediss"}:
        locations = [item.strip() for item in url.split(",") if item.strip()]
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": locations[0] if len(locations) == 1 else locations,
            "KEY_PREFIX": "nrmm",
        }
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    if scheme == "locmem":
        if not debug:
            raise ImproperlyConfigured(
                "NRMM_CACHE_URL=locmem:// keeps one cache per process; with DEBUG off use "
                "redis://… (or leave it empty for no cache)"
            )
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    raise ImproperlyConfigured(
        f"NRMM_CACHE_URL scheme {scheme!r} is not supported (use redis://, rediss://, dummy://)"
    )


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str,
    region: str,
    access_key: str,
    secret_key: str,
    location: str,
    addressing_style: str = "",
) -> dict[str, object]:
    """STORAGES["default"] on S3-compatible object storage (django-storages), for
    NRMM_STORAGE=s3. Files stay private: the app reads and serves them itself (access
    checks, no public URLs), so no ACL, no query-string signing needed by browsers."""
    if not bucket:
        raise ImproperlyConfigured("NRMM_STORAGE=s3 needs NRMM_S3_BUCKET")
    options: dict[str, object] = {
        "bucket_name": bucket,
        "default_acl": None,
        # Never overwrite: two files of one name get distinct names, as on a local disk.
        "file_overwrite": False,
        "location": location.strip("/"),
    }
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
    if region:
        options["region_name"] = region
    if addressing_style:
        # "path" for stores without per-bucket host names (MinIO, most on-premises ones).
        if addressing_style not in ("path", "virtual", "auto"):
            raise ImproperlyConfigured("NRMM_S3_ADDRESSING_STYLE: use path, virtual or auto")
        options["addressing_style"] = addressing_style
    if access_key or secret_key:
        # Without them boto3 finds credentials itself (instance role, AWS_* variables).
        options["access_key"] = access_key
        options["secret_key"] = secret_key
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
