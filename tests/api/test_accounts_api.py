import json

import pytest
from django.test import Client

from accounts.models import AgentConsent, ApiToken, User
from tests.conftest import PASSWORD, last_code

PHONE = "13912345678"


def call(client: Client, method: str, path: str, body=None, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return getattr(client, method)(
        "/api/v1/" + path,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        **headers,
    )


def token_for(client: Client, user: User) -> str:
    response = call(client, "post", "auth/token", {"identifier": user.phone, "password": PASSWORD})
    assert response.status_code == 201, response.content
    return response.json()["token"]


@pytest.mark.django_db
class TestRegistrationOverApi:
    def test_person(self, client):
        assert (
            call(
                client, "post", "auth/sms-codes", {"phone": PHONE, "purpose": "register"}
            ).status_code
            == 202
        )
        body = {
            "name": "王小明",
            "id_number": "11010519491231002X",
            "phone": PHONE,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "code": last_code(PHONE),
        }
        response = call(client, "post", "auth/register/person", body)
        assert response.status_code == 201
        data = response.json()
        assert data["phone"] == "139****5678" and data["identifier"] == "110***********002X"

    def test_organisation(self, client):
        call(client, "post", "auth/sms-codes", {"phone": PHONE, "purpose": "register"})
        body = {
            "name": "上海港机械有限公司",
            "credit_code": "91310115MA1K3BTP2B",
            "legal_representative": "陈一",
            "contact_name": "周二",
            "phone": PHONE,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "code": last_code(PHONE),
        }
        assert call(client, "post", "auth/register/organisation", body).status_code == 201

    def test_field_errors(self, client):
        body = {
            "name": "王小明",
            "id_number": "110105194912310021",
            "phone": "123",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "code": "000000",
        }
        response = call(client, "post", "auth/register/person", body)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert set(error["fields"]) == {"id_number", "phone"}

    def test_malformed_body_gets_the_error_shape(self, client):
        response = call(client, "post", "auth/register/person", {"name": "x"})
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_request" and "id_number" in error["fields"]

    def test_throttled_send(self, client):
        call(client, "post", "auth/sms-codes", {"phone": PHONE, "purpose": "register"})
        response = call(client, "post", "auth/sms-codes", {"phone": PHONE, "purpose": "register"})
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "sms_too_frequent"
        assert 0 < int(response["Retry-After"]) <= 60  # clients (curl --retry) wait that long

    def test_unknown_purpose(self, client):
        response = call(client, "post", "auth/sms-codes", {"phone": PHONE, "purpose": "x"})
        assert response.status_code == 422


@pytest.mark.django_db
class TestTokens:
    def test_login_me_logout(self, client, owner):
        token = token_for(client, owner)
        me = call(client, "get", "me", token=token).json()
        assert me["name"] == "张三" and me["phone"] == "138****0001"
        assert owner.id_number not in json.dumps(me)
        assert call(client, "post", "auth/logout", token=token).status_code == 200
        response = call(client, "get", "me", token=token)
        assert response.status_code == 401 and response.json()["error"]["code"] == "bad_token"

    def test_only_the_digest_is_stored(self, client, owner):
        token = token_for(client, owner)
        assert not ApiToken.objects.filter(digest=token).exists()
        assert ApiToken.objects.get().prefix == token[5:13]

    def test_bad_credentials(self, client, owner):
        response = call(
            client, "post", "auth/token", {"identifier": owner.phone, "password": "wrong"}
        )
        assert response.status_code == 401
        assert response.json() == {
            "error": {"code": "bad_credentials", "message": "账号或密码不正确"}
        }

    def test_malformed_header(self, client, owner):
        response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Token abc")
        assert response.status_code == 401

    def test_no_token(self, client):
        response = call(client, "get", "me")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"

    def test_session_cookie_is_not_enough(self, client, owner):
        client.force_login(owner)
        assert call(client, "get", "me").status_code == 401

    def test_password_reset(self, client, owner):
        call(client, "post", "auth/sms-codes", {"phone": owner.phone, "purpose": "reset_password"})
        body = {
            "phone": owner.phone,
            "code": last_code(owner.phone),
            "password": "New-pass-2026",
            "password_confirm": "New-pass-2026",
        }
        assert call(client, "post", "auth/password-reset", body).status_code == 200
        response = call(
            client, "post", "auth/token", {"identifier": owner.phone, "password": "New-pass-2026"}
        )
        assert response.status_code == 201


@pytest.mark.django_db
class TestAgentsOverApi:
    def test_request_confirm_list_withdraw(self, client, agent, owner):
        agent_token = token_for(client, agent)
        response = call(
            client,
            "post",
            "me/principals/requests",
            {"owner_phone": owner.phone, "owner_name": "张三"},
            token=agent_token,
        )
        assert response.status_code == 202
        response = call(
            client,
            "post",
            "me/principals",
            {"owner_phone": owner.phone, "code": last_code(owner.phone)},
            token=agent_token,
        )
        assert response.status_code == 201
        consent_id = response.json()["id"]
        listed = call(client, "get", "me/principals", token=agent_token).json()
        assert [c["owner"]["name"] for c in listed] == ["张三"]

        owner_token = token_for(client, owner)
        agents = call(client, "get", "me/agents", token=owner_token).json()
        assert [c["agent"]["name"] for c in agents] == ["李四"]
        response = call(client, "delete", f"me/agents/{consent_id}", token=owner_token)
        assert response.status_code == 200 and response.json()["withdrawn_at"]
        assert call(client, "get", "me/principals", token=agent_token).json() == []

    def test_outsider_gets_404(self, client, agent, owner, other_owner):
        consent = AgentConsent.objects.create(agent=agent, owner=owner)
        token = token_for(client, other_owner)
        assert call(client, "delete", f"me/agents/{consent.pk}", token=token).status_code == 404
        assert call(client, "delete", f"me/principals/{consent.pk}", token=token).status_code == 404
        # The agent cannot use the owner's endpoint and the owner not the agent's.
        agent_token = token_for(client, agent)
        assert (
            call(client, "delete", f"me/agents/{consent.pk}", token=agent_token).status_code == 404
        )
        consent.refresh_from_db()
        assert consent.active


@pytest.mark.django_db
class TestStaffOwnersApi:
    def test_search_masks_personal_data(self, client, clerk, owner, organisation):
        token = token_for(client, clerk)
        rows = call(client, "get", "staff/owners?q=11010519491231002X", token=token).json()
        assert rows == [
            {
                "id": owner.pk,
                "kind": "person",
                "name": "张三",
                "phone": "138****0001",
                "identifier": "110***********002X",
            }
        ]
        rows = call(client, "get", "staff/owners?q=示例", token=token).json()
        assert [r["name"] for r in rows] == ["上海示例建设工程有限公司"]


@pytest.mark.django_db
def test_openapi_schema_lists_the_endpoints(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/auth/token" in schema["paths"]
    assert "/api/v1/me/principals" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.django_db
def test_reference_lists_the_city(client):
    data = client.get("/api/v1/reference").json()
    assert data["abbreviation"] == "沪" and len(data["districts"]) == 20
    assert {"name": "堆高机", "category": "材料装卸机械", "in_plant": False} in data[
        "machine_types"
    ]
