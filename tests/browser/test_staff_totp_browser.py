"""Issue #8's staff second factor in a real browser: a reviewer on a phone, where the
platform requires it, is sent to enrol, sees the QR code, types the key's current code,
logs out, and logs in again with password and code."""

import time

import pytest
from playwright.sync_api import expect

from accounts import totp
from accounts.constants import Role
from accounts.models import User
from tests.browser.test_declaration_browser import log_in
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def current_code(user: User, offset: int = 0) -> str:
    user.refresh_from_db()
    return totp.code_at(user.totp_secret, time.time() + offset)


def test_enrol_then_log_in_with_the_code(phone_page, settings):
    settings.NRMM_STAFF_TOTP_REQUIRED = True
    reviewer = make_user("13900000002", "浦东审核员", role=Role.REVIEWER, district="L")
    page = phone_page

    log_in(page, reviewer.phone, "/staff/login/")
    expect(page.locator("h1")).to_have_text("动态口令（双因素认证）")
    expect(page.locator(".alert")).to_contain_text("须启用动态口令")
    qr = page.get_by_alt_text("动态口令二维码")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the data: image drew
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    reviewer.refresh_from_db()
    assert secret == reviewer.totp_secret
    page.locator("#id_code").fill(totp.code_at(secret, time.time()))
    page.get_by_role("button", name="启用动态口令").click()
    expect(page.locator(".messages")).to_contain_text("动态口令已启用")

    page.get_by_role("button", name="退出", exact=True).click()
    log_in(page, reviewer.phone, "/staff/login/")
    expect(page.locator("h1")).to_have_text("动态口令")
    page.locator("#id_code").fill(current_code(reviewer, 30))  # the phone's clock runs ahead
    page.get_by_role("button", name="登录").click()
    expect(page.locator("h1")).not_to_have_text("动态口令")
    page.goto("/staff/review/")
    expect(page).not_to_have_url("**/totp/")
