"""The API against its own OpenAPI schema (issue #8): schemathesis generates requests for
every operation from /api/v1/openapi.json, in-process through the WSGI app, as an owner
and as a reviewer (and anonymously); no answer may be a server error, and every answer
the schema describes must match it. A bounded number of cases per operation keeps it in
`make test`."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from accounts import actions as account_actions
from nrmm.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
MAX_EXAMPLES = 8


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI app closes database connections when a request ends (as in production);
    the test's transaction lives on that connection, so keep it open, as Django's own
    test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["anonymous", "owner", "reviewer"])
def bearer(request, db) -> dict[str, str]:
    if request.param == "anonymous":
        return {}
    user = request.getfixturevalue(request.param)
    return {"Authorization": f"Bearer {account_actions.issue_api_token(acting_user=user)}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_answers_within_its_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)


@pytest.mark.django_db
def test_numbers_past_the_database_range_are_bad_input(client, reviewer, owner):
    """Found by the fuzzing above: an id past the integer range reached SQLite (500)."""
    staff = {
        "HTTP_AUTHORIZATION": f"Bearer {account_actions.issue_api_token(acting_user=reviewer)}"
    }
    response = client.post(
        "/api/v1/staff/credentials/notify",
        {"ids": [2**70], "place": "窗口"},
        content_type="application/json",
        **staff,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    mine = {"HTTP_AUTHORIZATION": f"Bearer {account_actions.issue_api_token(acting_user=owner)}"}
    for path in (f"/api/v1/declarations/{2**70}", f"/api/v1/registrations/{2**70}"):
        response = client.get(path, **mine)
        assert response.status_code in (400, 404), path
        assert "error" in response.json()
    response = client.get(f"/api/v1/spot-checks?offset={2**70}", **staff)
    assert response.status_code == 422


def test_the_api_net_turns_database_range_errors_into_bad_input(rf):
    """What a schema misses and the database refuses is the client's error, not a 500."""
    from django.db import DataError

    from api.api import out_of_range

    for exc in (OverflowError("int too large"), DataError("value too long")):
        response = out_of_range(rf.get("/api/v1/x"), exc)
        assert response.status_code == 400
        assert b"out_of_range" in response.content
