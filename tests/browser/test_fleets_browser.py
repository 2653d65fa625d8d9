"""Issue #6's browser test: an organisation on a phone downloads the import template,
uploads a 200-row xlsx with exactly 5 bad rows and sees exactly those 5 errors (row and
column), 195 drafts; uploading the same file again creates no duplicates. Then it selects
drafts in its fleet list and submits them at once, seeing why they cannot go yet."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.constants import AccountKind
from registry.models import Declaration
from tests.browser.test_declaration_browser import log_in
from tests.browser.test_registration_browser import shot
from tests.conftest import make_user
from tests.fleets.conftest import BAD_ROWS, bad_excel_rows, two_hundred_rows, xlsx

pytestmark = pytest.mark.django_db(transaction=True)


def upload(page: Page, path: Path) -> None:
    page.goto("/account/")
    page.get_by_role("link", name="批量导入").first.click()
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "done")


def test_organisation_imports_200_rows_with_5_bad_ones(phone_page: Page, tmp_path: Path):
    page = phone_page
    organisation = make_user(
        "13800000002",
        "上海示例建设工程有限公司",
        kind=AccountKind.ORGANISATION,
        credit_code="91310115MA1K3BTP2B",
        legal_representative="王五",
        contact_name="赵六",
    )
    log_in(page, organisation.phone)
    page.goto("/fleet/imports/")
    with page.expect_download() as download:
        page.get_by_test_id("template-link").click()
    assert download.value.suggested_filename == "nrmm-import-template.xlsx"

    path = tmp_path / "机械清单.xlsx"
    path.write_bytes(xlsx(two_hundred_rows()))
    upload(page, path)
    errors = page.get_by_test_id("import-error")
    expect(errors).to_have_count(5)
    rows = [int(errors.nth(i).get_attribute("data-row") or 0) for i in range(5)]
    assert rows == bad_excel_rows()
    columns = [errors.nth(i).locator("td").nth(1).inner_text() for i in range(5)]
    assert columns == [BAD_ROWS[i][1] for i in sorted(BAD_ROWS)]
    expect(page.get_by_test_id("created-count")).to_have_text("195")
    expect(page.get_by_test_id("duplicate-count")).to_have_text("0")
    shot(page, "fleet-import-result")
    assert Declaration.objects.filter(owner=organisation).count() == 195

    # The same file again: nothing new, every correct row reported as already there.
    upload(page, path)
    expect(page.get_by_test_id("import-error")).to_have_count(5)
    expect(page.get_by_test_id("created-count")).to_have_text("0")
    expect(page.get_by_test_id("duplicate-count")).to_have_text("195")
    expect(page.get_by_text("该文件已于")).to_be_visible()
    assert Declaration.objects.filter(owner=organisation).count() == 195

    # The imported drafts, 50 to a page; two selected and submitted at once.
    page.goto("/fleet/imports/")
    page.get_by_role("link", name="机械清单.xlsx").last.click()  # the first upload
    page.get_by_test_id("imported-drafts").click()
    expect(page.get_by_test_id("fleet-count")).to_contain_text("195")
    expect(page.get_by_test_id("fleet-row")).to_have_count(50)
    shot(page, "fleet-list")
    boxes = page.locator("input[name=ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="提交所选草稿审核").click()
    expect(page.get_by_test_id("submit-failed")).to_have_count(2)
    expect(page.get_by_test_id("submit-summary")).to_contain_text("已提交0份，未能提交2份")
    expect(page.get_by_test_id("submit-failed").first).to_contain_text("机身正面")
    shot(page, "fleet-submit-many")
