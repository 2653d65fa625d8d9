"""A lost database answers 503 with Retry-After (issue #8), never a 500: in an API
endpoint, in the middleware before it (token look-up), and on a page (a Chinese page that
needs no database). A retry with the same Idempotency-Key then does the work once."""

from typing import Any
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from django.test import Client

from accounts import actions as account_actions
from core.models import AuditEntry
from tests.registry.helpers import declare

LOST = "server closed the connection unexpectedly"


def bearer(user) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {account_actions.issue_api_token(acting_user=user)}"}


def assert_db_unavailable(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "db_unavailable"
    assert "数据库" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_endpoint_losing_the_database_answers_503_and_the_retry_works(owner):
    client = Client(raise_request_exception=False)
    draft = declare(owner, submit=False)
    auth, path = bearer(owner), f"/api/v1/declarations/{draft.pk}/submit"
    with mock.patch("registry.actions.submit", side_effect=OperationalError(LOST)):
        lost = client.post(
            path, "{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-503", **auth
        )
    assert_db_unavailable(lost)
    # The failed try kept nothing under its key: the retry runs, once.
    again = client.post(
        path, "{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-503", **auth
    )
    assert again.status_code == 200, again.content
    assert "Idempotent-Replayed" not in again
    assert AuditEntry.objects.filter(action="declaration.submitted").count() == 1


@pytest.mark.django_db
def test_middleware_losing_the_database_answers_503(owner):
    client = Client(raise_request_exception=False)
    auth = bearer(owner)
    with mock.patch(
        "accounts.middleware.token_digest", side_effect=InterfaceError("connection already closed")
    ):
        response = client.get("/api/v1/declarations", **auth)
    assert_db_unavailable(response)


@pytest.mark.django_db
def test_page_losing_the_database_shows_a_chinese_503_page(owner):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    with mock.patch.object(SessionStore, "load", side_effect=OperationalError(LOST)):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert "系统繁忙，请稍后再试" in response.content.decode()


@pytest.mark.django_db
def test_other_errors_stay_500(owner):
    client = Client(raise_request_exception=False)
    auth = bearer(owner)
    with mock.patch("accounts.middleware.token_digest", side_effect=RuntimeError("bug")):
        response = client.get("/api/v1/declarations", **auth)
    assert response.status_code == 500
    assert "Retry-After" not in response
