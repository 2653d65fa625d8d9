"""Issue #5's browser tests: on phones, an owner change confirmed by both owners' SMS codes
and approved by the district's reviewer; a location change by the new owner; an engine
retrofit with the site check that ends with a new number; then a phone opens the old
number's public page and sees it was replaced (已换号)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Page, ViewportSize, expect

from accounts.constants import Role
from changes.constants import ChangeKind, ChangeStatus
from changes.models import ChangeRequest
from registry import actions
from registry.constants import RegistrationStatus
from registry.models import Registration
from tests.browser.conftest import PHONE_VIEWPORT
from tests.browser.test_declaration_browser import log_in
from tests.browser.test_registration_browser import shot
from tests.conftest import last_code, make_user
from tests.registry.helpers import declare

pytestmark = pytest.mark.django_db(transaction=True)
DESK: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": PHONE_VIEWPORT["width"], "height": PHONE_VIEWPORT["height"]}


@pytest.fixture
def people(db):
    owner = make_user("13800000001", "张三", kind="person", id_number="11010519491231002X")
    buyer = make_user("13800000011", "钱七", kind="person", id_number="110101199003074530")
    reviewer = make_user("13900000002", "浦东审核员", role=Role.REVIEWER, district="L")
    return owner, buyer, reviewer


@pytest.fixture
def pictures(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name, color in (
        ("agreement", "white"),
        ("before", "darkorange"),
        ("after", "steelblue"),
        ("report", "ivory"),
    ):
        path = tmp_path / f"IMG_{name}.jpg"
        Image.new("RGB", (1600, 1200), color).save(path, "JPEG", quality=85)
        files[name] = path
    return files


def new_context_page(browser: Browser, live_server, viewport: ViewportSize, **kwargs) -> Page:
    context = browser.new_context(
        viewport=viewport, base_url=live_server.url, locale="zh-CN", **kwargs
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def open_change(page: Page, registration: Registration, label: str) -> None:
    page.goto("/changes/")
    page.locator(f"[data-number='{registration.short_number}']").get_by_role(
        "link", name="办理变更"
    ).click()
    page.get_by_role("link", name=label, exact=True).click()
    expect(page.locator("h1")).to_have_text(label)


def test_owner_change_location_and_retrofit(browser, live_server, phone_page, people, pictures):
    owner, buyer, reviewer = people
    registration = actions.approve(acting_user=reviewer, declaration=declare(owner))
    old_short = registration.short_number
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    # 1. The seller, on a phone, files the owner change with the seller's own code.
    log_in(phone_page, owner.phone)
    open_change(phone_page, registration, "机主变更")
    phone_page.locator("#id_new_owner_phone").fill(buyer.phone)
    phone_page.locator("#id_event_date").fill(yesterday)
    phone_page.locator("#id_agreement_photo").set_input_files(str(pictures["agreement"]))
    phone_page.get_by_role("button", name="获取验证码").click()
    expect(phone_page.locator("#sms_status")).to_contain_text("验证码已发送")
    phone_page.locator("#id_old_owner_code").fill(last_code(owner.phone))
    shot(phone_page, "change-owner-form")
    phone_page.get_by_role("button", name="提交，并向新机主发送验证码").click()
    expect(phone_page.locator(".messages")).to_contain_text("已向新机械所有者发送验证码")
    expect(phone_page.locator("#change [data-status]")).to_have_text("待新机主确认")

    # 2. The buyer, on another phone, confirms with the code on the buyer's phone.
    buyer_page = new_context_page(browser, live_server, PHONE, is_mobile=True, has_touch=True)
    log_in(buyer_page, buyer.phone)
    buyer_page.goto("/changes/")
    buyer_page.get_by_role("link", name="有1项机主变更等待您确认").click()
    form = buyer_page.locator("form[data-request]")
    expect(form).to_contain_text(registration.number)
    expect(form).to_contain_text("张三")
    form.locator("input[name=code]").fill(last_code(buyer.phone))
    shot(buyer_page, "change-owner-confirm")
    form.get_by_role("button", name="确认机主变更").click()
    expect(buyer_page.locator(".messages")).to_contain_text("已确认机主变更")

    # 3. The district's reviewer approves.
    desk = new_context_page(browser, live_server, DESK)
    log_in(desk, reviewer.phone, "/staff/login/")
    desk.goto("/changes/district/")
    row = desk.locator(f"tr[data-number='{old_short}'][data-kind='owner']")
    expect(row).to_contain_text("张三 → 钱七")
    row.get_by_role("link").first.click()
    expect(desk.locator("main")).to_contain_text("转让协议")
    desk.get_by_role("button", name="审核通过", exact=True).click()
    expect(desk.locator(".messages")).to_contain_text("已审核通过")
    registration.refresh_from_db()
    assert registration.owner == buyer

    # 4. The buyer moves the machine to 闵行区: at once, no review.
    open_change(buyer_page, registration, "使用区域变更")
    buyer_page.locator("#id_district").select_option("K")
    buyer_page.get_by_role("button", name="变更使用区域（立即生效）").click()
    expect(buyer_page.locator(".messages")).to_contain_text("使用区域已变更")
    expect(buyer_page.locator("main")).to_contain_text("闵行区")
    registration.refresh_from_db()
    assert registration.location_district == "K"

    # 5. The buyer retrofits the engine.
    open_change(buyer_page, registration, "发动机改装")
    buyer_page.locator("#id_engine_maker").fill("潍柴动力")
    buyer_page.locator("#id_engine_model").fill("WP7")
    buyer_page.locator("#id_engine_serial").fill("WP7-2026-0001")
    buyer_page.locator("#id_engine_number").fill("CNFJG4000L53000006000009")
    buyer_page.locator("#id_test_lab").fill("上海市机动车检测中心")
    buyer_page.locator("#id_event_date").fill(yesterday)
    buyer_page.locator("#id_before_photos").set_input_files(str(pictures["before"]))
    buyer_page.locator("#id_after_photos").set_input_files(str(pictures["after"]))
    buyer_page.locator("#id_test_report_photos").set_input_files(str(pictures["report"]))
    shot(buyer_page, "change-retrofit-form")
    buyer_page.get_by_role("button", name="提交审核").click()
    expect(buyer_page.locator(".messages")).to_contain_text("变更申请已提交")
    retrofit = ChangeRequest.objects.get(kind=ChangeKind.RETROFIT)

    # 6. The reviewer records the site check and approves: a new number.
    desk.goto("/changes/district/?kind=retrofit")
    desk.locator(f"tr[data-number='{old_short}'] a").first.click()
    desk.locator("#id_notes").fill("现场核对发动机铭牌与检测报告一致")
    desk.get_by_role("button", name="记录现场核查").click()
    expect(desk.locator(".messages")).to_contain_text("已记录现场核查情况")
    desk.get_by_role("button", name="审核通过，换发新号码").click()
    expect(desk.locator(".messages")).to_contain_text("换发新号码")
    retrofit.refresh_from_db()
    assert retrofit.status == ChangeStatus.APPROVED
    new = retrofit.new_registration
    assert new is not None and new.short_number != old_short
    expect(desk.get_by_test_id("new-number")).to_have_text(new.number)
    shot(desk, "change-retrofit-approved")
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.REPLACED

    buyer_page.goto(f"/changes/{retrofit.pk}/")
    expect(buyer_page.get_by_test_id("new-number")).to_have_text(new.number)

    # 7. Anyone's phone: the old number's public page says it was replaced.
    phone_page.context.clear_cookies()
    phone_page.goto(f"/v/{old_short}/")
    status = phone_page.locator("[data-status]")
    expect(status).to_have_attribute("data-status", "replaced")
    expect(status).to_contain_text("换发新号")
    shot(phone_page, "change-old-number-replaced")
    phone_page.goto(f"/v/{new.short_number}/")
    expect(phone_page.locator("[data-status]")).to_contain_text("登记有效")
