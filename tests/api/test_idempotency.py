"""Idempotency-Key on submit and approve (issue #8): a retry gets the first answer and the
work is done once; a failed first try keeps nothing; a key reused for another request is
refused; two copies racing on PostgreSQL allocate one number."""

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from accounts import actions as account_actions
from core.models import AuditEntry
from registry.models import Declaration, DeclarationPhoto, Registration
from tests.registry.helpers import declare


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {account_actions.issue_api_token(acting_user=user)}"}


def post(client: Client, path: str, auth: dict[str, str], key: str = "", body: str = "{}"):
    headers: dict[str, Any] = dict(auth)
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(path, body, content_type="application/json", **headers)


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
