"""Backup and restore (issue #8): a platform with an approved machine, its photos, a card
and an audit trail goes into one archive; a fresh database and empty storage get it all
back, the audit chain verifies against the head recorded, and new rows follow on."""

import io
import json
import tarfile
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from accounts.models import User
from core import audit, chain
from registry import actions
from registry.models import DeclarationPhoto, Registration
from tests.registry.helpers import declare

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_backup_then_restore_into_a_fresh_database(owner, reviewer, tmp_path):
    registration = actions.approve(acting_user=reviewer, declaration=declare(owner))
    photos = {p.file.name: p.file.read() for p in DeclarationPhoto.objects.all()}
    assert photos
    number = registration.number
    users = User.objects.count()
    archive = tmp_path / "nrmm-backup.tar.gz"

    out = run("backup", str(archive))
    assert f"{len(photos)} files" in out
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        assert {f"media/{name}" for name in photos} <= set(tar.getnames())
        # ID numbers travel sealed: the archive holds the ciphertext, never the number.
        data = tar.extractfile("data.json").read().decode()  # type: ignore[union-attr]
    assert manifest["counts"]["registry.registration"] == 1
    sealed = User.objects.get(pk=owner.pk).id_number_enc
    assert sealed and sealed in data and owner.id_number not in data

    # A new machine: empty database (flushed), empty storage.
    call_command("flush", "--noinput", verbosity=0)
    for name in photos:
        default_storage.delete(name)
    assert not User.objects.exists()

    out = run("restore", str(archive))
    assert "audit chain intact" in out and "restored" in out
    assert User.objects.count() == users
    restored_owner = User.objects.get(pk=owner.pk)
    assert restored_owner.id_number_enc == sealed and restored_owner.id_number == owner.id_number
    assert User.objects.by_id_number(owner.id_number).get() == restored_owner
    assert Registration.objects.get().number == number
    for name, content in photos.items():
        with default_storage.open(name, "rb") as restored:
            assert restored.read() == content
    assert chain.verify(audit.links()).ok
    # Ids go on after the restored ones (PostgreSQL's sequences were moved past them).
    fresh = declare(User.objects.get(pk=owner.pk))
    assert fresh.pk > registration.declaration_id


def test_restore_refuses_a_database_in_use(owner, tmp_path):
    archive = tmp_path / "b.tar.gz"
    run("backup", str(archive))
    with pytest.raises(CommandError, match="not empty"):
        run("restore", str(archive))


def test_restore_refuses_a_damaged_archive(owner, tmp_path):
    archive = tmp_path / "b.tar.gz"
    run("backup", str(archive))
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "data.json":
                data = data.replace(b'"model"', b'"modal"', 1)  # one changed letter
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    call_command("flush", "--noinput", verbosity=0)
    with pytest.raises(CommandError, match="damaged archive"):
        run("restore", str(damaged))
