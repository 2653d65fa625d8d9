from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from nrmm.env import database_from_url, env_bool, env_int, env_list


def test_postgres_url():
    db = database_from_url("postgres://postgres:p%40ss@127.0.0.1:5432/test", base_dir=Path("/x"))
    assert (db["ENGINE"], db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "django.db.backends.postgresql",
        "test",
        "postgres",
        "p@ss",
        "127.0.0.1",
        "5432",
    )


def test_sqlite_url_is_relative_to_the_project_and_uses_wal():
    db = database_from_url("sqlite:///var/x.sqlite3", base_dir=Path("/srv/nrmm"))
    assert db["NAME"] == "/srv/nrmm/var/x.sqlite3"
    options = db["OPTIONS"]
    assert isinstance(options, dict) and "journal_mode=WAL" in options["init_command"]


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host/", "sqlite://"])
def test_bad_database_url_fails_loudly(url):
    with pytest.raises(ImproperlyConfigured):
        database_from_url(url, base_dir=Path("/x"))


def test_typed_readers(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 0) == 42
    assert env_list("X_LIST", []) == ["a", "b", "c"]
    assert env_bool("X_MISSING", True) is True


@pytest.mark.parametrize(("name", "value"), [("X_BOOL", "maybe"), ("X_INT", "4.2")])
def test_bad_values_fail_loudly(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured):
        if name == "X_BOOL":
            env_bool(name, False)
        else:
            env_int(name, 0)


def test_int_minimum(monkeypatch):
    monkeypatch.setenv("X_INT", "5")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 60, minimum=30)


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    # The in-memory test database cannot use WAL; a file database must.
    assert mode in ("wal", "memory")


def production_env(tmp_path, **overrides: str) -> dict[str, str]:
    """The settings production uses: DEBUG off, a real secret key, the field keys, HTTPS
    behind a proxy. An override of "" removes the variable."""
    import os
    import secrets

    from core.fieldcrypt import new_key_text

    env = {
        # Not the test run's own switches (the browser tests allow async-unsafe ORM calls),
        # nor keys the environment may hold.
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DEBUG", "NRMM_HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE")
            and not k.startswith("NRMM_FIELD_")
        },
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "nrmm.example.gov.cn",
        "NRMM_DATA_DIR": str(tmp_path),
        "NRMM_FIELD_KEYS": f"{new_key_text()},{new_key_text()}",
        "NRMM_FIELD_HASH_KEY": new_key_text(),
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v != ""}


def manage(env: dict[str, str], *args: str):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=root, env=env, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    """Django's deployment checklist, as `manage.py check --deploy` reads it."""
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"NRMM_FIELD_KEYS": "", "NRMM_FIELD_HASH_KEY": ""}, "must be set when DEBUG is off"),
        ({"NRMM_FIELD_HASH_KEY": ""}, "NRMM_FIELD_HASH_KEY is empty"),
        ({"NRMM_FIELD_KEYS": "c2hvcnQ="}, "not 32"),
    ],
)
def test_production_without_good_field_keys_does_not_start(tmp_path, overrides, error):
    """ID numbers are sealed with keys from the environment; production never falls back
    to keys derived from SECRET_KEY."""
    result = manage(production_env(tmp_path, **overrides), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and error in result.stderr
