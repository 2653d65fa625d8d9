"""Issue #4's browser tests: an approved machine goes through production, the collection
notice, collection at the counter with the pickup password, the photo of the fixed sign and
its confirmation; then a phone opens the card's QR URL and sees the status, and a tampered
URL is shown as not genuine."""

from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, ViewportSize, expect

from accounts.constants import Role
from registry import actions
from registry.constants import CredentialStatus
from registry.credentials import qr_url
from registry.models import Credential
from tests.browser.test_declaration_browser import log_in
from tests.browser.test_registration_browser import shot
from tests.conftest import make_user
from tests.registry.helpers import declare

pytestmark = pytest.mark.django_db(transaction=True)
DESK: ViewportSize = {"width": 1280, "height": 800}


@pytest.fixture
def people(db):
    owner = make_user("13800000001", "张三", kind="person", id_number="11010519491231002X")
    reviewer = make_user("13900000002", "浦东审核员", role=Role.REVIEWER, district="L")
    clerk = make_user("13900000021", "浦东窗口", role=Role.CLERK, district="L")
    return owner, reviewer, clerk


@pytest.fixture
def sign_photo(tmp_path: Path) -> Path:
    path = tmp_path / "IMG_2001.jpg"
    Image.new("RGB", (3000, 2000), "steelblue").save(path, "JPEG", quality=85)
    return path


def desk_page(browser: Browser, live_server, phone: str) -> Page:
    context = browser.new_context(viewport=DESK, base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, phone, "/staff/login/")
    return page


def test_production_notice_collection_and_sign_photo(
    browser, live_server, phone_page, people, sign_photo
):
    owner, reviewer, clerk = people
    registration = actions.approve(acting_user=reviewer, declaration=declare(owner))
    number = registration.number

    # The reviewer records production and notifies the owner, in a batch.
    desk = desk_page(browser, live_server, reviewer.phone)
    desk.goto("/staff/")
    desk.get_by_role("link", name="识别标志和信息采集卡").click()
    expect(desk.locator("h1")).to_contain_text("识别标志和信息采集卡")
    row = desk.locator(f"tr[data-number='{registration.short_number}']")
    select_all = desk.get_by_label("全选")
    select_all.check()  # ticks every row (static/js/select-all.js), and clears them again
    expect(row.locator("input[name=ids]")).to_be_checked()
    select_all.uncheck()
    expect(row.locator("input[name=ids]")).not_to_be_checked()
    row.locator("input[name=ids]").check()
    desk.get_by_role("button", name="记录制作完成").click()
    expect(desk.locator(".messages")).to_contain_text("已记录1套")
    expect(desk.locator("nav.tabs a.current")).to_contain_text("待通知领取")
    expect(desk.locator(f"tr[data-number='{registration.short_number}']")).to_be_visible()
    desk.locator(f"tr[data-number='{registration.short_number}'] input[name=ids]").check()
    desk.locator("#id_place").fill("浦东新区生态环境局受理窗口，锦绣路1号，工作日9:00-17:00")
    desk.get_by_role("button", name="短信通知领取").click()
    expect(desk.locator(".messages")).to_contain_text("已短信通知1位机主")
    shot(desk, "credentials-ready")

    # The owner, on a phone, sees where to collect and the pickup password.
    log_in(phone_page, owner.phone)
    phone_page.goto("/declarations/")
    pickup = phone_page.locator(".pickup")
    expect(pickup).to_contain_text("锦绣路1号")
    code = phone_page.get_by_test_id("pickup-code").first.inner_text().strip()
    assert len(code) == 8 and code.isdigit()
    shot(phone_page, "owner-pickup")

    # At the counter, the clerk finds it by the password and checks it.
    counter = desk_page(browser, live_server, clerk.phone)
    counter.goto("/staff/collection/")
    counter.locator("#id_q").fill(code)
    counter.get_by_role("button", name="查找").click()
    card = counter.locator(f"[data-number='{registration.short_number}']")
    expect(card).to_contain_text(number)
    wrong = "11111111" if code != "11111111" else "22222222"
    card.locator("input[name=pickup_code]").fill(wrong)
    card.get_by_role("button", name="核对密码并办理领取").click()
    expect(counter.locator(".alert")).to_contain_text("领取密码不正确")
    card = counter.locator(f"[data-number='{registration.short_number}']")
    card.locator("input[name=pickup_code]").fill(code)
    card.locator("input[name=collector_name]").fill("张三")
    card.get_by_role("button", name="核对密码并办理领取").click()
    expect(counter.locator(".messages")).to_contain_text("已办理")

    # The owner fixes the sign and uploads the photo.
    phone_page.goto("/declarations/")
    phone_page.get_by_role("link", name="我的机械：标志领取与固定照片").click()
    expect(phone_page.locator("#credential")).to_contain_text("请在")
    phone_page.locator("#id_photo").set_input_files(str(sign_photo))
    phone_page.get_by_role("button", name="上传照片").click()
    expect(phone_page.locator(".messages")).to_contain_text("照片已上传")
    expect(phone_page.locator("[aria-current=step]")).to_have_text("照片待确认")
    shot(phone_page, "owner-sign-photo")

    # The district confirms it.
    desk.goto("/staff/credentials/?tab=photo_submitted")
    row = desk.locator(f"tr[data-number='{registration.short_number}']")
    expect(row.locator("img")).to_be_visible()
    row.get_by_role("button", name="确认").click()
    expect(desk.locator(".messages")).to_contain_text("已确认标志固定照片")

    phone_page.reload()
    expect(phone_page.locator("[aria-current=step]")).to_have_text("已固定")
    credential = Credential.objects.get(registration=registration)
    assert credential.status == CredentialStatus.FIXED
    assert credential.collector_name == "张三"


def test_scanning_the_card_on_a_phone(live_server, phone_page, people):
    owner, reviewer, _clerk = people
    registration = actions.approve(acting_user=reviewer, declaration=declare(owner))
    credential = Credential.objects.get(registration=registration)
    # The URL exactly as the QR code holds it, pointed at this test server.
    url = qr_url(credential, registration.short_number)
    path = url.split("/v/", 1)[1]
    phone_page.goto(f"/v/{path}")
    verdict = phone_page.locator(".verdict")
    expect(verdict).to_have_attribute("data-outcome", "valid")
    expect(verdict).to_contain_text("信息采集卡真实有效")
    expect(phone_page.locator("[data-status]")).to_contain_text("登记有效")
    expect(phone_page.locator("main")).to_contain_text("挖掘机")
    expect(phone_page.locator("main")).to_contain_text("国4")
    expect(phone_page.locator("main")).not_to_contain_text("张三")
    expect(phone_page.locator(".public-photos img").first).to_be_visible()
    shot(phone_page, "verify-genuine")

    # One changed character of the number: the signature no longer matches.
    other = registration.short_number[:-1] + ("2" if registration.short_number[-1] != "2" else "3")
    tampered = path.replace(registration.short_number[-5:], other[-5:], 1)
    assert tampered != path
    phone_page.goto(f"/v/{tampered}")
    expect(phone_page.locator(".verdict")).to_have_attribute("data-outcome", "not_genuine")
    expect(phone_page.locator(".verdict")).to_contain_text("非本平台签发")
    expect(phone_page.locator("main")).not_to_contain_text("挖掘机")
    shot(phone_page, "verify-forged")

    # A typed look-up says the card itself was not checked.
    phone_page.goto("/check/")
    phone_page.locator("#id_number").fill(registration.number.lower())
    phone_page.get_by_role("button", name="查验").click()
    expect(phone_page.locator("[data-status]")).to_contain_text("登记有效")
    expect(phone_page.locator("main")).to_contain_text("未核验卡片真伪")
