"""Issue #3's browser tests: an owner on a phone declares a machine with nameplates through
all five steps with real image files, and an in-plant vehicle without nameplates; the
reviewer returns one, the owner corrects and resubmits, the reviewer approves, and the
owner sees the numbers. A clerk's counter intake, confirmed by the owner's SMS code."""

import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from registry.models import Declaration
from tests.browser.test_registration_browser import shot
from tests.conftest import PASSWORD, last_code, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def photo_files(tmp_path: Path) -> dict[str, Path]:
    """Real image files as a phone would have them: a large JPEG and a PNG."""
    big = tmp_path / "IMG_0001.jpg"
    Image.new("RGB", (4032, 3024), "darkorange").save(big, "JPEG", quality=90)
    png = tmp_path / "scan.png"
    Image.new("RGB", (1200, 900), "white").save(png, "PNG")
    return {"jpeg": big, "png": png}


def log_in(page: Page, phone: str, path: str = "/login/") -> None:
    page.goto(path)
    page.locator("#id_identifier").fill(phone)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def next_step(page: Page) -> None:
    page.get_by_role("button", name="保存，下一步").click()


def upload(page: Page, kind: str, path: Path) -> None:
    page.locator(f"#file_{kind}").set_input_files(str(path))
    # The page shrinks the photo and reloads with it in the slot.
    expect(page.locator(f"#slot-{kind} img")).to_be_visible()


def declare_machine(page: Page, photos: dict[str, Path], *, in_plant: bool) -> None:
    page.goto("/declarations/")
    page.get_by_role("link", name="申报新机械").click()
    page.locator("#id_district").select_option("L")
    page.locator("#id_site_type").select_option("工地" if not in_plant else "厂区")
    page.locator(
        f"input[name=registration_type][value={'in_plant' if in_plant else 'machine'}]"
    ).check()
    page.get_by_role("button", name="下一步").click()

    expect(page.locator("h1")).to_contain_text("基本信息")
    page.locator("#id_machine_type").select_option("叉车" if in_plant else "挖掘机")
    page.locator("#id_machine_name").fill("电动叉车" if in_plant else "履带式挖掘机")
    page.locator("#id_machine_model").fill("CPD30" if in_plant else "SY215C")
    page.locator("#id_maker").fill("杭叉集团" if in_plant else "三一重机有限公司")
    page.locator("#id_production_date").fill("2021-03-01")
    page.locator("#id_acquisition_kind").select_option("purchase")
    page.locator("#id_acquisition_date").fill((date.today() - timedelta(days=5)).isoformat())
    if in_plant:
        page.locator("#id_in_plant_plate").fill("场A12345")
    next_step(page)

    expect(page.locator("h1")).to_contain_text("图片上传")
    page.locator(f"input[name=has_nameplates][value={'false' if in_plant else 'true'}]").check()
    kinds = ["front", "rear", "front_45"]
    kinds += ["certificate", "list_front", "list_back"] if in_plant else ["machine_nameplate"]
    for kind in kinds:
        upload(page, kind, photos["png" if kind.startswith("list") else "jpeg"])
    shot(page, "declare-photos")
    next_step(page)

    expect(page.locator("h1")).to_contain_text("机械信息")
    number = "CNZBG5000L53000006000001" if in_plant else "CNFJG4000L53000006000001"
    page.locator("#id_machine_disclosure_number").fill(number)
    page.locator("#id_machine_disclosure_number").blur()
    expect(page.locator("#check_machine_disclosure_number")).to_contain_text("✓")
    page.locator("#id_fuel_type").select_option("柴油")
    next_step(page)

    expect(page.locator("h1")).to_contain_text("其它信息")
    next_step(page)

    expect(page.get_by_text("国5" if in_plant else "国4").first).to_be_visible()
    shot(page, "declare-summary")
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("已提交，等待审核")).to_be_visible()


def test_declare_return_resubmit_approve(
    browser: Browser, live_server, phone_page: Page, photo_files
):
    owner = make_user("13800000001", "张三", kind="person", id_number="11010519491231002X")
    make_user("13900000002", "浦东审核员", role="reviewer", district="L")
    page = phone_page
    log_in(page, owner.phone)
    declare_machine(page, photo_files, in_plant=False)
    declare_machine(page, photo_files, in_plant=True)

    desk = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    review = desk.new_page()
    log_in(review, "13900000002", "/staff/login/")
    review.goto("/staff/review/")
    rows = review.locator("table tbody tr")
    expect(rows).to_have_count(2)
    # The oldest first: the excavator. Return it with a reason on one field.
    rows.first.get_by_role("link").first.click()
    expect(review.get_by_text("机械环保信息标签").first).to_be_visible()
    review.locator("input[name=field_reason_machine_model]").fill("型号与铭牌不一致")
    review.locator("#id_return_reason").fill("请核对型号")
    review.get_by_role("button", name="退回机主修改").click()
    expect(review.get_by_text("退回").first).to_be_visible()

    # The owner sees the reasons, corrects and resubmits.
    page.goto("/declarations/")
    expect(page.get_by_text("型号与铭牌不一致")).to_be_visible()
    page.get_by_role("link", name="修改后重新提交").click()
    page.goto(page.url.split("/step/")[0].split("/summary/")[0].rstrip("/") + "/step/1/")
    expect(page.get_by_text("审核意见：型号与铭牌不一致")).to_be_visible()
    page.locator("#id_machine_model").fill("SY215C-10")
    for _ in range(4):
        next_step(page)
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("已提交，等待审核")).to_be_visible()

    # The reviewer approves both.
    for _ in range(2):
        review.goto("/staff/review/")
        review.locator("table tbody tr").first.get_by_role("link").first.click()
        review.get_by_role("button", name="准予登记并分配号码").click()
        expect(review.get_by_text("已准予登记").first).to_be_visible()
    desk.close()

    page.goto("/declarations/")
    expect(page.get_by_text("场内车辆沪L5-00001")).to_be_visible()
    expect(page.get_by_text("工程机械沪L4-00001")).to_be_visible()
    shot(page, "declare-progress")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_counter_intake_with_the_owners_code(browser: Browser, live_server):
    owner = make_user("13800000001", "张三", kind="person", id_number="11010519491231002X")
    make_user("13900000001", "黄浦窗口", role="clerk", district="A")
    desk = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    page = desk.new_page()
    log_in(page, "13900000001", "/staff/login/")
    page.goto("/staff/intake/")
    page.locator("#id_q").fill(owner.phone)
    page.get_by_role("button", name="查找").click()
    page.get_by_role("button", name="向机主发送验证码").click()
    page.locator("#id_code").fill(last_code(owner.phone))
    page.locator("#id_site_type").select_option("工地")
    page.locator("#id_registration_type").select_option("machine")
    page.get_by_role("button", name="确认并开始填报").click()
    expect(page.locator("h1")).to_contain_text("基本信息")
    desk.close()


def test_a_double_tap_on_start_sends_the_form_once(browser: Browser, live_server):
    """A double tap on a slow network: the button sends the form once."""
    owner, context, page = at_the_start_form(browser, live_server)
    posts: list[str] = []

    def slow(route: Any) -> None:
        if route.request.method == "POST":
            posts.append(route.request.url)
            time.sleep(0.3)  # the phone's network: the second tap comes before the answer
        route.continue_()

    page.route("**/declarations/new/", slow)
    page.get_by_role("button", name="下一步").dblclick()
    expect(page.locator("h1")).to_contain_text("基本信息")
    assert len(posts) == 1 and Declaration.objects.filter(owner=owner).count() == 1
    context.close()


def test_a_start_whose_answer_was_lost_is_not_made_twice(browser: Browser, live_server):
    """The form reached the server, which made the draft, but the answer never came back
    (the connection reset); the phone sends the form again by reloading: the same draft."""
    owner, context, page = at_the_start_form(browser, live_server)
    bodies: list[str] = []

    def lose_the_first_answer(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        bodies.append(route.request.post_data or "")
        if len(bodies) == 1:
            route.fetch(max_redirects=0)  # the server does the work...
            route.abort("connectionreset")  # ...and the answer is lost
        else:
            route.continue_()

    page.route("**/declarations/new/", lose_the_first_answer)
    with pytest.raises(Exception):  # noqa: B017 - the navigation fails, as on the phone
        page.get_by_role("button", name="下一步").click()
        page.wait_for_url("**/step/1/", timeout=3000)
    assert Declaration.objects.filter(owner=owner).count() == 1
    page.reload()
    expect(page.locator("h1")).to_contain_text("基本信息")
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    drafts = list(Declaration.objects.filter(owner=owner))
    assert len(drafts) == 1 and page.url.endswith(f"/declarations/{drafts[0].pk}/step/1/")
    expect(page.get_by_text("这份表单已经提交过")).to_be_visible()
    context.close()


def at_the_start_form(browser: Browser, live_server: Any) -> tuple[Any, BrowserContext, Page]:
    """An owner signed in on a phone, the start form filled in, not yet sent."""
    owner = make_user("13800000001", "张三", kind="person", id_number="11010519491231002X")
    context = browser.new_context(viewport={"width": 375, "height": 667}, base_url=live_server.url)
    page = context.new_page()
    log_in(page, owner.phone)
    page.goto("/declarations/new/")
    page.locator("#id_district").select_option("L")
    page.locator("#id_site_type").select_option("工地")
    page.locator("input[name=registration_type][value=machine]").check()
    return owner, context, page
