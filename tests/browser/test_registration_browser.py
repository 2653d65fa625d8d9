"""Issue #2's browser tests: register a person and an organisation on a 375×667 phone,
reading the codes from the outbox as a person reads their SMS, then log in; and the errors
for a bad ID number, a wrong code and a reused phone."""

import os

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD, last_code, make_user

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = os.environ.get("NRMM_SCREENSHOTS", "")


def shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def ask_code(page: Page, phone: str) -> str:
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#sms_status")).to_contain_text("验证码已发送")
    expect(page.locator("[data-sms-button]")).to_be_disabled()  # counting down the minute
    return last_code(phone)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="退出", exact=True).click()
    expect(page.get_by_role("link", name="登录").first).to_be_visible()


def log_in(page: Page, identifier: str) -> None:
    page.goto("/login/")
    page.get_by_label("手机号 / 身份证号码 / 统一社会信用代码").fill(identifier)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的账户")).to_be_visible()


def test_person_and_organisation_register_then_log_in(phone_page: Page):
    page = phone_page
    page.goto("/")
    page.get_by_role("link", name="注册账户").click()
    page.get_by_role("link", name="个人注册").click()
    page.get_by_label("姓名").fill("王小明")
    page.get_by_label("身份证号码").fill("11010519491231002x")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_label("手机号").fill("139 1234 5678")
    page.get_by_label("短信验证码").fill(ask_code(page, "13912345678"))
    shot(page, "register-person")
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.get_by_text("注册成功，欢迎使用！")).to_be_visible()
    expect(page.get_by_text("110***********002X")).to_be_visible()
    expect(page.get_by_text("139****5678")).to_be_visible()
    shot(page, "account-person")
    log_out(page)

    page.goto("/register/")
    page.get_by_role("link", name="单位注册").click()
    page.get_by_label("单位名称").fill("上海港机械有限公司")
    page.get_by_label("统一社会信用代码").fill("91310115MA1K3BTP2B")
    page.get_by_label("法人代表").fill("陈一")
    page.locator("#id_contact_name").fill("周二")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_label("联系人手机号").fill("13712345678")
    page.get_by_label("短信验证码").fill(ask_code(page, "13712345678"))
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.get_by_text("注册成功，欢迎使用！")).to_be_visible()
    expect(page.get_by_text("上海港机械有限公司")).to_be_visible()
    log_out(page)

    log_in(page, "11010519491231002X")
    expect(page.get_by_text("王小明")).to_be_visible()
    log_out(page)
    log_in(page, "91310115MA1K3BTP2B")
    expect(page.get_by_text("陈一")).to_be_visible()
    # Nothing spills sideways on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375


def test_errors_for_bad_id_wrong_code_and_reused_phone(phone_page: Page):
    make_user("13800000001", "张三", kind="person", id_number="110101199003074530")
    page = phone_page
    page.goto("/register/person/")

    # A reused phone is refused as soon as a code is asked for.
    page.get_by_label("手机号").fill("13800000001")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#sms_status")).to_contain_text("该手机号已注册")

    # A bad ID number and a wrong code, each next to its field.
    page.get_by_label("姓名").fill("王小明")
    page.get_by_label("身份证号码").fill("110105194912310021")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_label("手机号").fill("13912345678")
    code = ask_code(page, "13912345678")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    page.get_by_label("短信验证码").fill(wrong)
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.locator("#err_id_number")).to_contain_text("校验位不正确")
    expect(page.get_by_label("身份证号码")).to_have_attribute("aria-invalid", "true")
    shot(page, "register-errors")

    page.get_by_label("身份证号码").fill("11010519491231002X")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_label("短信验证码").fill(wrong)
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.locator("#err_code")).to_contain_text("验证码不正确，还可以再试4次")

    # The reused phone is refused on submit too, beside the phone field.
    page.get_by_label("手机号").fill("13800000001")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.locator("#err_phone")).to_contain_text("该手机号已注册")

    # And with everything right, the same form goes through with the real code.
    page.get_by_label("手机号").fill("13912345678")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.get_by_text("注册成功，欢迎使用！")).to_be_visible()
