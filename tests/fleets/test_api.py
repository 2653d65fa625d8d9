"""Bulk import over the API: upload, progress and errors, the template."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts import actions as account_actions
from tests.fleets.conftest import bad_excel_rows, row, two_hundred_rows, xlsx

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    return Client(HTTP_AUTHORIZATION="Bearer " + account_actions.issue_api_token(acting_user=user))


def test_upload_then_poll(organisation):
    client = _client(organisation)
    upload = SimpleUploadedFile("机械.xlsx", xlsx(two_hundred_rows()))
    response = client.post("/api/v1/imports", {"file": upload})
    assert response.status_code == 202, response.content
    job = response.json()
    polled = client.get(f"/api/v1/imports/{job['id']}").json()
    assert polled["status"] == "done" and polled["percent"] == 100
    assert (polled["created"], polled["duplicates"], polled["error_rows"]) == (195, 0, 5)
    assert [e["row"] for e in polled["errors"]] == bad_excel_rows()
    assert polled["errors"][0]["column"] == "机械类型"
    again = client.post(
        "/api/v1/imports", {"file": SimpleUploadedFile("b.xlsx", xlsx(two_hundred_rows()))}
    )
    assert again.json()["duplicates"] == 195 and again.json()["created"] == 0


def test_bad_file_is_a_400_with_a_code(organisation):
    response = _client(organisation).post(
        "/api/v1/imports", {"file": SimpleUploadedFile("a.xlsx", b"plain text")}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "file" and "xlsx" in error["message"]


def test_other_owners_jobs_are_404(organisation, other_organisation):
    client = _client(organisation)
    job = client.post("/api/v1/imports", {"file": SimpleUploadedFile("a.xlsx", xlsx([row(1)]))})
    assert _client(other_organisation).get(f"/api/v1/imports/{job.json()['id']}").status_code == 404


def test_template(organisation):
    response = _client(organisation).get("/api/v1/imports/template")
    assert response.status_code == 200 and response.content[:2] == b"PK"
