"""Backup and restore of the whole platform, database and photos, in one tar.gz (issue #8):
`manage.py backup FILE` and `manage.py restore FILE`. Portable between SQLite and
PostgreSQL (Django's serialisation, natural keys), read through Django's storage (so photos
on object storage come along as well), taken in one database snapshot.

Inside: manifest.json (when, row counts per model, files, the audit chain's head),
data.json (every model's rows but sessions, rate counters and queued tasks), media/… (every
stored file). On a large PostgreSQL deployment pg_dump and the object store's own
versioning are faster; this is the tested way that works everywhere, and the way to move a
SQLite trial onto PostgreSQL."""

import hashlib
import io
import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

# Nothing worth keeping, or rebuilt by the platform itself.
EXCLUDED = (
    "contenttypes",
    "auth.permission",
    "sessions",
    "admin.logentry",
    "core.ratecounter",
    "django_tasks_database",
    "stats.machinecount",  # kept by database triggers as the registrations are restored
)
FORMAT = 1


class BackupError(Exception):
    pass


def _file_fields() -> list[tuple[type[models.Model], str]]:
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]


def _stored_names() -> list[str]:
    names: set[str] = set()
    for model, field in _file_fields():
        names.update(
            name
            for name in model._default_manager.exclude(**{field: ""})
            .values_list(field, flat=True)
            .iterator(chunk_size=2000)
            if name
        )
    return sorted(names)


def _counts() -> dict[str, int]:
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if not _excluded(model._meta.label_lower)
    }


def _excluded(label: str) -> bool:
    return any(label == e or label.startswith(e + ".") for e in EXCLUDED)


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def backup(path: Path) -> dict[str, Any]:
    """Write the archive; returns its manifest."""
    with tempfile.TemporaryDirectory() as scratch, transaction.atomic():
        if connection.vendor == "postgresql":
            # One snapshot for every table and the file list alike.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        data_path = Path(scratch) / "data.json"
        call_command(
            "dumpdata",
            exclude=list(EXCLUDED),
            natural_foreign=True,
            output=str(data_path),
            verbosity=0,
        )
        names = _stored_names()
        from core.models import AuditHead

        head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": connection.vendor,
            "counts": _counts(),
            "files": len(names),
            "data_sha256": hashlib.sha256(data_path.read_bytes()).hexdigest(),
            "audit_head": f"{head[0]}:{head[1]}" if head else "",
        }
        with tarfile.open(path, "w:gz") as archive:
            _add(archive, "manifest.json", json.dumps(manifest, indent=2).encode())
            archive.add(data_path, "data.json")
            for name in names:
                with default_storage.open(name, "rb") as stored:
                    _add(archive, f"media/{name}", stored.read())
    return manifest


def restore(path: Path) -> dict[str, Any]:
    """Load an archive into an empty, migrated database and its storage. Refuses a
    database that already holds accounts: a restore never mixes two platforms."""
    from accounts.models import User

    if User.objects.exists():
        raise BackupError("the database is not empty: restore into a fresh one (migrate first)")
    with tarfile.open(path, "r:gz") as archive, tempfile.TemporaryDirectory() as scratch:
        manifest = _read_json(archive, "manifest.json")
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        data = _member(archive, "data.json")
        if hashlib.sha256(data).hexdigest() != manifest["data_sha256"]:
            raise BackupError("data.json does not match the manifest (damaged archive)")
        data_path = Path(scratch) / "data.json"
        data_path.write_bytes(data)
        with transaction.atomic():
            call_command("loaddata", str(data_path), verbosity=0)
            _reset_sequences()
        for member in archive.getmembers():
            if not member.isfile() or not member.name.startswith("media/"):
                continue
            name = member.name.removeprefix("media/")
            if ".." in Path(name).parts or name.startswith("/"):
                raise BackupError(f"refusing a file outside the media folder: {member.name}")
            content = _member(archive, member.name)
            if default_storage.exists(name):
                default_storage.delete(name)
            saved = default_storage.save(name, ContentFile(content))
            if saved != name:
                raise BackupError(f"storage renamed {name} to {saved}")
    counts = _counts()
    if counts != manifest["counts"]:
        differ = {
            k: (v, counts.get(k)) for k, v in manifest["counts"].items() if counts.get(k) != v
        }
        raise BackupError(f"row counts differ after the restore: {differ}")
    return manifest


def _reset_sequences() -> None:
    """Loaded rows keep their ids; PostgreSQL's sequences must move past them."""
    models_ = [m for m in apps.get_models() if not _excluded(m._meta.label_lower)]
    statements = connection.ops.sequence_reset_sql(no_style(), models_)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _member(archive: tarfile.TarFile, name: str) -> bytes:
    handle = archive.extractfile(name)
    if handle is None:
        raise BackupError(f"{name} is missing from the archive")
    return handle.read()


def _read_json(archive: tarfile.TarFile, name: str) -> dict[str, Any]:
    try:
        return dict(json.loads(_member(archive, name)))
    except KeyError as exc:
        raise BackupError(f"{name} is missing from the archive") from exc
