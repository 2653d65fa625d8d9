"""Staff's second factor (issue #8): enrolment with an authenticator app's QR code, the
login's code step (each code once, wrong codes throttled like passwords), the API's token,
enforcement where required, and the city administrator's reset."""

import time

import pytest
import time_machine
from django.test import Client

from accounts import actions, totp
from accounts.models import User
from core.models import AuditEntry
from tests.conftest import PASSWORD, logged_in

pytestmark = pytest.mark.django_db
NOW = "2026-11-23 10:00:07 +0800"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def code(user: User, offset: int = 0) -> str:
    user.refresh_from_db()
    return totp.code_at(user.totp_secret, time.time() + offset)


def enrolled(user: User) -> User:
    actions.start_totp_enrolment(acting_user=user)
    actions.confirm_totp(acting_user=user, code=code(user, -30))  # last step's code
    user.refresh_from_db()
    return user


def test_enrolment(reviewer):
    desk = logged_in(reviewer)
    page = desk.get("/staff/totp/").content.decode()
    assert 'src="data:image/svg+xml' in page and 'data-testid="totp-secret"' in page
    reviewer.refresh_from_db()
    assert reviewer.totp_secret and reviewer.totp_enabled_at is None
    wrong = desk.post(
        "/staff/totp/", {"code": "000000" if code(reviewer) != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and "动态口令不正确" in wrong.content.decode()
    right = desk.post("/staff/totp/", {"code": code(reviewer)})
    assert right.status_code == 302 and right["Location"] == "/staff/"
    reviewer.refresh_from_db()
    assert reviewer.totp_enabled_at is not None
    assert AuditEntry.objects.filter(action="totp.enabled", target_id=str(reviewer.pk)).exists()
    assert "已于" in desk.get("/staff/totp/").content.decode()


def test_owners_have_no_second_factor(owner):
    with pytest.raises(Exception, match="工作人员"):
        actions.start_totp_enrolment(acting_user=owner)


def test_login_asks_for_the_code_and_each_code_works_once(reviewer, frozen):
    enrolled(reviewer)
    browser = Client()
    step_one = browser.post(
        "/staff/login/?next=/staff/review/",
        {"identifier": reviewer.phone, "password": PASSWORD, "next": "/staff/review/"},
    )
    assert step_one["Location"] == "/staff/login/code/"
    assert browser.get("/staff/").status_code == 302  # not signed in yet
    assert "6位动态口令" in browser.get("/staff/login/code/").content.decode()
    # The code of the step the enrolment used is spent already.
    spent = browser.post("/staff/login/code/", {"code": code(reviewer, -30)})
    assert spent.status_code == 400 and "已使用过" in spent.content.decode()
    fresh = code(reviewer)
    done = browser.post("/staff/login/code/", {"code": fresh})
    assert done.status_code == 302 and done["Location"] == "/staff/review/"
    assert browser.get("/staff/").status_code == 200
    # Someone who saw that code cannot use it again.
    other = Client()
    other.post("/staff/login/", {"identifier": reviewer.phone, "password": PASSWORD})
    again = other.post("/staff/login/code/", {"code": fresh})
    assert again.status_code == 400


def test_the_code_step_expires_and_is_throttled(reviewer, frozen):
    enrolled(reviewer)
    browser = Client()
    browser.post("/staff/login/", {"identifier": reviewer.phone, "password": PASSWORD})
    bad = "000000" if code(reviewer) != "000000" else "111111"
    for _ in range(5):
        assert browser.post("/staff/login/code/", {"code": bad}).status_code == 400
    locked = browser.post("/staff/login/code/", {"code": code(reviewer)})
    assert locked.status_code == 429 and "密码错误次数过多" in locked.content.decode()
    frozen.shift(15 * 60)
    browser = Client()
    browser.post("/staff/login/", {"identifier": reviewer.phone, "password": PASSWORD})
    frozen.shift(301)  # five minutes to type the code
    late = browser.post("/staff/login/code/", {"code": code(reviewer)})
    assert late.status_code == 400 and "登录已超时" in late.content.decode()
    assert browser.get("/staff/").status_code == 302


def test_the_api_token_needs_the_code(client, reviewer):
    enrolled(reviewer)
    url, body = "/api/v1/auth/token", {"identifier": reviewer.phone, "password": PASSWORD}
    missing = client.post(url, body, content_type="application/json")
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "totp_required"
    ok = client.post(url, {**body, "totp": code(reviewer)}, content_type="application/json")
    assert ok.status_code == 201


def test_where_required_staff_enrol_first(settings, reviewer, owner):
    settings.NRMM_STAFF_TOTP_REQUIRED = True
    desk = logged_in(reviewer)
    response = desk.get("/staff/review/")
    assert response.status_code == 302 and response["Location"] == "/staff/totp/"
    assert "须启用动态口令" in desk.get("/staff/totp/").content.decode()
    token = actions.issue_api_token(acting_user=reviewer)
    api = Client().get("/api/v1/review/declarations", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 403 and api.json()["error"]["code"] == "totp_setup_required"
    assert logged_in(owner).get("/account/").status_code == 200  # owners are not asked
    desk.post("/staff/totp/", {"code": code(reviewer)})
    assert desk.get("/staff/review/").status_code == 200


def test_the_city_administrator_resets_a_lost_phone(city_admin, reviewer):
    enrolled(reviewer)
    desk = Client()
    desk.post("/staff/login/", {"identifier": reviewer.phone, "password": PASSWORD})
    desk.post("/staff/login/code/", {"code": code(reviewer)})
    assert desk.get("/staff/").status_code == 200
    admin = logged_in(city_admin)
    response = admin.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [reviewer.pk]},
    )
    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.totp_enabled_at is None and reviewer.totp_secret == ""
    assert desk.get("/staff/").status_code == 302  # the old session ended
    assert AuditEntry.objects.filter(action="totp.reset", actor=city_admin).exists()
    with pytest.raises(Exception, match="市级管理员"):
        actions.reset_totp(acting_user=reviewer, user=city_admin)
