"""Issue #6's browser test for public reports (Art. 17): a member of the public, on a phone
and without an account, reports a machine with a photo from the public check page and gets
a reference code; a reviewer of the district where it was seen takes it, notes and closes
it with an outcome; the public follows the code and sees 已办结 with the outcome."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from accounts.constants import Role
from accounts.models import SmsMessage
from reports.constants import ReportStatus
from reports.models import PublicReport
from tests.browser.test_changes_browser import DESK, new_context_page
from tests.browser.test_declaration_browser import log_in
from tests.browser.test_registration_browser import shot
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reviewer(db):
    return make_user("13900000002", "浦东审核员", role=Role.REVIEWER, district="L")


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    path = tmp_path / "IMG_2001.jpg"
    Image.new("RGB", (1600, 1200), "darkorange").save(path, "JPEG", quality=85)
    return path


def test_the_public_reports_and_the_district_closes(
    browser, live_server, phone_page, reviewer, picture
):
    seen = timezone.localtime() - timedelta(hours=1)

    # 1. On a phone, without logging in: from the public check page to the report form.
    phone_page.goto("/check/")
    phone_page.get_by_role("link", name="发现违规机械？举报").click()
    expect(phone_page.locator("h1")).to_have_text("举报非道路移动机械")
    phone_page.locator("#id_number").fill("沪L4-0000")
    phone_page.locator("#id_district").select_option("L")
    phone_page.locator("#id_place").fill("浦东新区张江路100号工地东门")
    phone_page.locator("#id_observed_at").fill(f"{seen:%Y-%m-%dT%H:%M}")
    phone_page.locator("#id_photos").set_input_files(str(picture))
    phone_page.locator("#id_contact_phone").fill("139 1234 5678")
    # A description that is too short first: the error appears next to the field.
    phone_page.locator("#id_description").fill("冒烟")
    phone_page.get_by_role("button", name="提交举报").click()
    expect(phone_page.locator("#err_description")).to_contain_text("至少5个字")
    assert not PublicReport.objects.exists()
    phone_page.locator("#id_description").fill("挖掘机未悬挂环保标志，作业时冒黑烟")
    phone_page.locator("#id_photos").set_input_files(str(picture))  # files are not kept
    shot(phone_page, "report-form")
    phone_page.get_by_role("button", name="提交举报").click()
    expect(phone_page.locator("h1")).to_have_text("举报已提交")
    code = phone_page.get_by_test_id("report-code").inner_text().strip()
    report = PublicReport.objects.get()
    assert code == report.display_code and report.photos.count() == 1
    shot(phone_page, "report-filed")

    # 2. The reviewer of 浦东 (L), at a desk: the back office lists it; assign, note, close.
    desk = new_context_page(browser, live_server, DESK)
    log_in(desk, reviewer.phone, "/staff/login/")
    desk.goto("/staff/")
    desk.get_by_role("link", name="公众举报").click()
    row = desk.locator(f"tr[data-code='{report.code}']")
    expect(row.locator("[data-status]")).to_have_text("待处理")
    row.get_by_role("link").first.click()
    expect(desk.get_by_test_id("description")).to_contain_text("作业时冒黑烟")
    expect(desk.get_by_test_id("contact-phone")).to_have_text("13912345678")
    expect(desk.locator("ul.thumbs img")).to_have_count(1)
    desk.get_by_role("button", name="分派").click()
    expect(desk.locator(".messages")).to_contain_text("已分派给浦东审核员")
    desk.locator("#id_text").fill("已联系工地负责人，约定明日现场核查")
    desk.get_by_role("button", name="添加记录").click()
    expect(desk.locator("#notes")).to_contain_text("约定明日现场核查")
    desk.locator("#id_outcome").select_option("confirmed")
    desk.locator("#id_outcome_text").fill("经现场核查属实，已责令整改")
    shot(desk, "report-close")
    desk.get_by_role("button", name="办结").click()
    expect(desk.locator(".messages")).to_contain_text("已办结")
    expect(desk.get_by_test_id("outcome")).to_have_text("查实并处理")
    report.refresh_from_db()
    assert report.status == ReportStatus.CLOSED and report.assigned_to == reviewer
    assert code in SmsMessage.objects.get(phone="13912345678").body

    # 3. The public phone follows the code (typed in lower case, without the dash).
    phone_page.goto("/report/follow/")
    phone_page.locator("#id_code").fill(code.replace("-", "").lower())
    phone_page.get_by_role("button", name="查询").click()
    progress = phone_page.get_by_test_id("progress")
    expect(progress.locator("[data-status]")).to_have_text("已办结")
    expect(phone_page.get_by_test_id("outcome")).to_have_text("查实并处理")
    expect(progress).to_contain_text("经现场核查属实，已责令整改")
    expect(progress).not_to_contain_text("浦东审核员")
    expect(progress).not_to_contain_text("约定明日")
    shot(phone_page, "report-followed")
