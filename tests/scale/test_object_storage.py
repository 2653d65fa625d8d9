"""Uploaded files on S3-compatible object storage (NRMM_STORAGE=s3, django-storages), in
moto's in-process S3: nothing lands on the local disk, another app process (a fresh storage
object, nothing shared in memory) serves the photo, and the fleets import is read back from
the bucket by the task, as a worker on another machine would."""

import tarfile
from datetime import date

import boto3
import pytest
import time_machine
from django.core.files.storage import default_storage, storages
from django.test import Client
from django.urls import reverse
from django.utils.functional import empty
from moto import mock_aws

from core.backup import backup
from fleets import actions as fleet_actions
from fleets.constants import ImportStatus
from fleets.models import ImportJob
from nrmm.env import s3_storage
from registry import actions
from registry.models import DeclarationPhoto
from tests.conftest import logged_in
from tests.fleets.conftest import row, xlsx
from tests.registry.helpers import START_DATA, jpeg

pytestmark = pytest.mark.django_db
BUCKET = "nrmm-media"


def another_process() -> None:
    """Forget every storage object, as a process that never saw the upload would."""
    storages._storages = {}  # type: ignore[attr-defined]
    default_storage._wrapped = empty  # type: ignore[attr-defined]


@pytest.fixture
def bucket(settings, tmp_path):
    with mock_aws():
        client = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
        )
        client.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3_storage(
                bucket=BUCKET,
                endpoint_url="",
                region="us-east-1",
                access_key="k",
                secret_key="s",
                location="media",
            ),
        }
        yield client
        another_process()


def keys(client) -> list[str]:
    listed = client.list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def local_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_photo_uploaded_here_is_served_by_another_process(bucket, owner, settings):
    declaration = actions.start_declaration(acting_user=owner, owner=owner, data=START_DATA)
    response = logged_in(owner).post(
        reverse("owners:declaration_photo_upload", args=[declaration.pk]),
        {"kind": "front", "file": _upload(jpeg("green"))},
    )
    assert response.status_code == 302
    photo = DeclarationPhoto.objects.get(declaration=declaration)
    assert keys(bucket) == [f"media/{photo.file.name}"]
    assert local_files(settings) == []
    stored = bucket.get_object(Bucket=BUCKET, Key=f"media/{photo.file.name}")["Body"].read()

    another_process()
    served = logged_in(owner).get(reverse("owners:photo", args=[photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == stored  # type: ignore[attr-defined]
    # Someone else still gets nothing.
    assert Client().get(reverse("owners:photo", args=[photo.pk])).status_code in (302, 404)


def test_the_same_name_twice_is_not_overwritten(bucket):
    from django.core.files.base import ContentFile

    first = default_storage.save("x/a.jpg", ContentFile(b"one"))
    second = default_storage.save("x/a.jpg", ContentFile(b"two"))
    assert first == "x/a.jpg" and second != first
    assert default_storage.open(first).read() == b"one"


def test_the_fleets_import_is_read_from_the_bucket_by_the_worker(bucket, organisation, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    with time_machine.travel(date(2025, 6, 2), tick=False):
        job = fleet_actions.start_import(
            acting_user=organisation,
            owner=organisation,
            file_name="机械.xlsx",
            data=xlsx([row(1), row(2), row(3)]),
        )
        assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.PENDING
        assert keys(bucket) == [f"media/{job.file.name}"]
        assert job.file.name.startswith("imports/")
        assert local_files(settings) == []

        another_process()  # the worker: only the job's id and the bucket
        done = fleet_actions.run_import(job_id=job.pk)
    assert done.status == ImportStatus.DONE, done.message
    assert (done.rows_done, done.created_count) == (3, 3)


@pytest.mark.django_db(transaction=True)  # the backup opens its own snapshot transaction
def test_the_backup_reads_the_files_from_the_bucket(bucket, owner, tmp_path):
    declaration = actions.start_declaration(acting_user=owner, owner=owner, data=START_DATA)
    photo = actions.upload_photo(
        acting_user=owner, declaration=declaration, kind="front", data=jpeg("blue")
    )
    stored = bucket.get_object(Bucket=BUCKET, Key=f"media/{photo.file.name}")["Body"].read()
    archive = tmp_path / "backup.tar.gz"
    another_process()
    manifest = backup(archive)
    assert manifest["files"] == 1
    with tarfile.open(archive) as opened:
        member = opened.extractfile(f"media/{photo.file.name}")
        assert member is not None and member.read() == stored


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg")
