"""Idempotency-Key on every POST of a signed-in client that creates or changes something
(issue #8): a retry gets the first answer and the work is done once (a draft, a photo, a
submission, a number); a failed first try keeps no answer but what it counted on purpose
(a wrong SMS code); a key reused for another request is refused; two copies racing on
PostgreSQL allocate one number; every POST operation is decided on."""

import io
import json
import random
import threading
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from PIL import Image

from accounts import actions as account_actions
from accounts.models import SmsCode
from core.middleware import IDEMPOTENT_VIEWS, NOT_IDEMPOTENT_VIEWS
from core.models import AuditEntry, IdempotentRequest
from registry.models import Declaration, DeclarationPhoto, Registration
from tests.conftest import last_code
from tests.registry.helpers import START_DATA, declare
from tests.urlconf import walk_urlconf


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {account_actions.issue_api_token(acting_user=user)}"}


def post(client: Client, path: str, auth: dict[str, str], key: str = "", body: str = "{}"):
    headers: dict[str, Any] = dict(auth)
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(path, body, content_type="application/json", **headers)


def test_every_post_operation_is_decided_on():
    posts = {
        name
        for name, found in walk_urlconf().items()
        if name.startswith("api:") and "post" in found.api_methods
    }
    undecided = posts - IDEMPOTENT_VIEWS - set(NOT_IDEMPOTENT_VIEWS)
    assert not undecided, f"add to IDEMPOTENT_VIEWS or NOT_IDEMPOTENT_VIEWS: {sorted(undecided)}"
    assert not IDEMPOTENT_VIEWS & set(NOT_IDEMPOTENT_VIEWS)
    assert IDEMPOTENT_VIEWS | set(NOT_IDEMPOTENT_VIEWS) <= posts, "stale names"


@pytest.mark.django_db
def test_starting_a_declaration_retried_makes_one_draft(client, owner):
    auth = bearer(owner)
    body = json.dumps(START_DATA)
    first = post(client, "/api/v1/declarations", auth, key="start-1", body=body)
    assert first.status_code == 201, first.content
    again = post(client, "/api/v1/declarations", auth, key="start-1", body=body)
    assert again.status_code == 201 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Declaration.objects.filter(owner=owner).count() == 1
    # Without a key, or with another, a second start is a second draft, as asked.
    assert post(client, "/api/v1/declarations", auth, key="start-2", body=body).status_code == 201
    assert Declaration.objects.filter(owner=owner).count() == 2


def phone_photo() -> bytes:
    """A JPEG of about 3 MB: more than Django keeps in memory (DATA_UPLOAD_MAX_MEMORY_SIZE),
    so the key's fingerprint must read the upload in chunks, as the operation does."""
    noise = random.Random(7).randbytes(1600 * 1200 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (1600, 1200), noise).save(buffer, "JPEG", quality=98, subsampling=0)
    assert buffer.tell() > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_large_photo_retried_is_stored_once(client, owner):
    draft = declare(owner, submit=False)
    before = DeclarationPhoto.objects.filter(declaration=draft).count()
    content, path = phone_photo(), f"/api/v1/declarations/{draft.pk}/photos"

    def upload(key: str, data: bytes = content):
        return client.post(
            path,
            {"kind": "other", "file": SimpleUploadedFile("p.jpg", data, "image/jpeg")},
            HTTP_AUTHORIZATION=bearer(owner)["HTTP_AUTHORIZATION"],
            HTTP_IDEMPOTENCY_KEY=key,
        )

    first = upload("photo-1")
    assert first.status_code == 201, first.content
    again = upload("photo-1")
    assert again.status_code == 201 and again.content == first.content
    assert DeclarationPhoto.objects.filter(declaration=draft).count() == before + 1
    # Another file under the same key is another request.
    other = upload("photo-1", content[:-1000] + b"\xff\xd9")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


@pytest.mark.django_db
def test_a_wrong_code_under_a_key_is_still_counted(client, agent, owner):
    """A refused try gives its key back but keeps what it counted, or a new key per try
    would make guessing an SMS code free."""
    auth = bearer(agent)
    body = json.dumps({"owner_phone": owner.phone, "owner_name": "张三"})
    assert post(client, "/api/v1/me/principals/requests", auth, body=body).status_code == 202
    code = last_code(owner.phone)
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(settings.NRMM_SMS_CODE_MAX_ATTEMPTS):
        body = json.dumps({"owner_phone": owner.phone, "code": wrong})
        refused = post(client, "/api/v1/me/principals", auth, key=f"guess-{attempt}", body=body)
        assert refused.status_code == 400, refused.content
    assert SmsCode.objects.get(phone=owner.phone).failed_attempts == (
        settings.NRMM_SMS_CODE_MAX_ATTEMPTS
    )
    assert not IdempotentRequest.objects.exists()  # the keys were given back
    body = json.dumps({"owner_phone": owner.phone, "code": code})
    locked = post(client, "/api/v1/me/principals", auth, key="right", body=body)
    assert locked.status_code == 400
    assert locked.json()["error"]["code"] == "sms_code_locked"


@pytest.mark.django_db
def test_submit_retried_with_its_key_is_done_once(client, owner):
    draft = declare(owner, submit=False)
    auth, path = bearer(owner), f"/api/v1/declarations/{draft.pk}/submit"
    first = post(client, path, auth, key="submit-7f3a")
    assert first.status_code == 200, first.content
    again = post(client, path, auth, key="submit-7f3a")
    assert again.status_code == 200 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEntry.objects.filter(action="declaration.submitted").count() == 1
    # (Submit is idempotent by itself too: a double tap submits once.)
    assert post(client, path, auth).status_code == 200
    assert AuditEntry.objects.filter(action="declaration.submitted").count() == 1
    # The same key for another request is refused.
    other = declare(owner, submit=False)
    reused = post(client, f"/api/v1/declarations/{other.pk}/submit", auth, key="submit-7f3a")
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"


@pytest.mark.django_db
def test_a_failed_first_try_keeps_nothing(client, owner):
    draft = declare(owner, submit=False)
    photo = DeclarationPhoto.objects.filter(declaration=draft).first()
    assert photo is not None
    saved = photo.kind
    DeclarationPhoto.objects.filter(declaration=draft, kind=saved).update(kind="other")
    auth, path = bearer(owner), f"/api/v1/declarations/{draft.pk}/submit"
    refused = post(client, path, auth, key="k-1")
    assert refused.status_code == 400
    DeclarationPhoto.objects.filter(declaration=draft, kind="other").update(kind=saved)
    assert post(client, path, auth, key="k-1").status_code == 200  # the retry runs


@pytest.mark.django_db
def test_keys_are_per_user_and_bounded(client, owner, other_owner):
    mine = declare(owner, submit=False)
    auth = bearer(owner)
    assert (
        post(client, f"/api/v1/declarations/{mine.pk}/submit", auth, key="x" * 101).status_code
        == 400
    )
    theirs = declare(other_owner, submit=False)
    # Another user's key of the same text is another key (and their declaration stays 404).
    post(client, f"/api/v1/declarations/{mine.pk}/submit", auth, key="same")
    response = post(
        client, f"/api/v1/declarations/{theirs.pk}/submit", bearer(other_owner), key="same"
    )
    assert response.status_code == 200


@pytest.mark.django_db
def test_approve_retried_allocates_one_number(client, owner, reviewer):
    declaration = declare(owner)
    auth, path = bearer(reviewer), f"/api/v1/review/declarations/{declaration.pk}/approve"
    first = post(client, path, auth, key="approve-1")
    again = post(client, path, auth, key="approve-1")
    assert first.status_code == again.status_code == 200
    assert first.json()["number"] == again.json()["number"]
    assert Registration.objects.count() == 1
    # Without a key, approving twice is refused as the wrong state.
    assert post(client, path, auth).status_code == 409


@pytest.mark.django_db(transaction=True)
def test_two_copies_racing_allocate_one_number(owner, reviewer):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a database server (run with DATABASE_URL)")
    declaration = declare(owner)
    auth, path = bearer(reviewer), f"/api/v1/review/declarations/{declaration.pk}/approve"
    answers: list[tuple[int, bytes]] = []

    def approve() -> None:
        try:
            response = post(Client(), path, auth, key="approve-race")
            answers.append((response.status_code, response.content))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [status for status, _ in answers] == [200] * 4
    assert len({content for _, content in answers}) == 1
    assert (
        Registration.objects.filter(declaration=Declaration.objects.get(pk=declaration.pk)).count()
        == 1
    )
