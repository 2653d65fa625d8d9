"""Session and token lifetime (issue #8): API tokens end after NRMM_API_TOKEN_DAYS; "log
out everywhere" ends every other browser session and every token at once; a password
reset ends them too."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts import actions
from accounts.models import ApiToken
from tests.conftest import PASSWORD, last_code

pytestmark = pytest.mark.django_db


def me(client: Client, token: str) -> int:
    return client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def browser(user) -> Client:
    client = Client()
    response = client.post("/login/", {"identifier": user.phone, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_tokens_end_after_their_days(client, owner, settings):
    settings.NRMM_API_TOKEN_DAYS = 30
    response = client.post(
        "/api/v1/auth/token",
        {"identifier": owner.phone, "password": PASSWORD},
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 201 and body["expires_at"]
    token = body["token"]
    assert me(client, token) == 200
    with time_machine.travel(timezone.now() + timedelta(days=30, seconds=-5)):
        assert me(client, token) == 200
    with time_machine.travel(timezone.now() + timedelta(days=30, seconds=1)):
        response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_expired"


def test_log_out_everywhere_from_the_account_page(owner, other_owner):
    here, there = browser(owner), browser(owner)
    bystander = browser(other_owner)
    token = actions.issue_api_token(acting_user=owner)
    assert 'action="/logout/everywhere/"' in here.get("/account/").content.decode()
    response = here.post("/logout/everywhere/")
    assert response.status_code == 302
    assert "已退出其他所有设备" in here.get(response["Location"]).content.decode()
    assert here.get("/account/").status_code == 200  # this browser stays signed in
    assert there.get("/account/").status_code == 302  # the other one is out
    assert bystander.get("/account/").status_code == 200  # nobody else is touched
    assert me(Client(), token) == 401
    assert browser(owner).get("/account/").status_code == 200  # logging in again works


def test_log_out_everywhere_over_the_api(owner):
    page = browser(owner)
    one, two = (actions.issue_api_token(acting_user=owner) for _ in range(2))
    client = Client()
    response = client.post("/api/v1/auth/logout-everywhere", HTTP_AUTHORIZATION=f"Bearer {one}")
    assert response.status_code == 200 and "2个令牌" in response.json()["message"]
    assert me(client, one) == 401 and me(client, two) == 401
    assert page.get("/account/").status_code == 302
    assert not ApiToken.objects.filter(user=owner).exists()


def test_staff_log_out_everywhere(reviewer):
    here = Client()
    assert (
        here.post("/staff/login/", {"identifier": reviewer.phone, "password": PASSWORD}).status_code
        == 302
    )
    there = Client()
    there.post("/staff/login/", {"identifier": reviewer.phone, "password": PASSWORD})
    assert "退出其他所有设备" in here.get("/staff/").content.decode()
    response = here.post("/logout/everywhere/")
    assert response["Location"] == "/staff/"
    assert here.get("/staff/").status_code == 200
    assert there.get("/staff/").status_code == 302


def test_a_password_reset_ends_sessions_and_tokens(client, owner):
    page = browser(owner)
    token = actions.issue_api_token(acting_user=owner)
    client.post(
        "/api/v1/auth/sms-codes",
        {"phone": owner.phone, "purpose": "reset_password"},
        content_type="application/json",
    )
    actions.reset_password(
        phone=owner.phone,
        code=last_code(owner.phone),
        password="Another-pass-2026",
        password_confirm="Another-pass-2026",
    )
    assert page.get("/account/").status_code == 302
    assert me(client, token) == 401
