"""Issue #6's browser test: the city administrator opens the statistics, sees the charts and
the district map with their numbers, narrows to a district, and downloads a table as xlsx,
whose figures match the database."""

import pytest
from django.db.models import Count
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.constants import Role
from registry.models import Registration
from stats.generate import generate
from stats.queries import LIVE
from tests.browser.test_credentials_browser import desk_page
from tests.browser.test_registration_browser import shot
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_city_admin_opens_the_dashboard_and_downloads_xlsx(browser, live_server, tmp_path):
    admin = make_user("13900000009", "市级管理员", role=Role.CITY_ADMIN)
    generate(600, seed=21)
    expected = dict(
        Registration.objects.filter(status__in=LIVE).values_list("district").annotate(n=Count("pk"))
    )

    page = desk_page(browser, live_server, admin.phone)
    page.goto("/staff/")
    page.get_by_role("link", name="统计").click()
    expect(page.locator("h1")).to_contain_text("统计 · 全市")
    expect(page.locator('[data-figure="total"]')).to_have_text(str(sum(expected.values())))
    # The district map: a tile per district, 浦东 with its count.
    tiles = page.locator("#map svg g.district")
    expect(tiles).to_have_count(20)
    expect(page.locator('#map g.district[data-code="L"]')).to_have_attribute(
        "data-count", str(expected["L"])
    )
    # Every chart is drawn, with the table of its numbers beside it.
    for slug in ("stages", "types", "fuels", "statuses", "monthly", "review", "overdue"):
        section = page.locator(f"#table-{slug}")
        expect(section.locator("table.stat-table")).to_be_visible()
    expect(page.locator("#table-monthly svg.chart")).to_be_visible()
    shot(page, "stats-dashboard")

    # Download the district table as xlsx and check it against the database.
    with page.expect_download() as info:
        page.locator("#map").get_by_role("link", name="下载Excel").click()
    download = info.value
    assert download.suggested_filename.startswith("stats-districts-all-")
    path = tmp_path / "districts.xlsx"
    download.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("区", "区代号", "机械数")
    assert {row[1]: row[2] for row in rows[1:]} == {
        code: expected.get(code, 0) for code in {row[1] for row in rows[1:]}
    }
    assert len(rows) == 21 and sum(row[2] for row in rows[1:]) == sum(expected.values())

    # Narrow to one district: the map marks it, the tables hold it alone.
    page.locator("#id_district").select_option("L")
    page.get_by_role("button", name="查看").click()
    expect(page.locator("h1")).to_contain_text("统计 · 浦东新区")
    expect(page.locator('[data-figure="total"]')).to_have_text(str(expected["L"]))
    with page.expect_download() as info:
        page.locator("#table-types").get_by_role("link", name="下载Excel").click()
    path = tmp_path / "types.xlsx"
    info.value.save_as(path)
    types = list(load_workbook(path).active.iter_rows(values_only=True))
    in_l = dict(
        Registration.objects.filter(status__in=LIVE, district="L")
        .values_list("declaration__machine_type")
        .annotate(n=Count("pk"))
    )
    assert {row[0]: row[1] for row in types[1:]} == in_l
