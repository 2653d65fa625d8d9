"""The statistics page: figures against the database counted another way, who sees which
district, filters, downloads, and a query count that does not grow with the data."""

import io
from collections import Counter
from datetime import date

import openpyxl
import pytest
from django.db.models import Count

from accounts.constants import Role
from core.reference import city, holiday_calendar
from registry.constants import DeclarationStatus, RegistrationStatus
from registry.models import Declaration, DeclarationRound, Registration
from stats.generate import generate
from stats.queries import LIVE, StatsFilters
from tests.conftest import logged_in, make_user

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)


@pytest.fixture
def data(settings):
    return generate(400, seed=7, today=TODAY, days=400)


def rows_of(page: str, slug: str) -> list[list[str]]:
    """The cells of one table on the page, as text."""
    import re

    table = re.search(
        rf'<table class="queue stat-table" data-table="{slug}">(.*?)</table>', page, re.S
    )
    assert table, slug
    body = table.group(1).split("<tbody>")[1]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def xlsx_rows(response) -> list[tuple]:
    data = b"".join(response.streaming_content)
    return list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def test_city_admin_sees_every_district_counted_right(city_admin, data):
    page = logged_in(city_admin).get("/staff/stats/").content.decode()
    expected = Counter(
        dict(
            Registration.objects.filter(status__in=LIVE)
            .values_list("district")
            .annotate(n=Count("pk"))
        )
    )
    names = {d.name: d.code for d in city().districts}
    shown = {names[row[0]]: int(row[2]) for row in rows_of(page, "districts")}
    assert shown == {d.code: expected.get(d.code, 0) for d in city().districts}
    assert f'data-figure="total">{sum(expected.values())}<' in page
    # The map has a tile per district with its count.
    assert f'data-code="L" data-count="{expected["L"]}"' in page
    stages = dict(
        Registration.objects.filter(status__in=LIVE).values_list("stage").annotate(n=Count("pk"))
    )
    old = stages.get(1, 0) + stages.get(2, 0)
    share = f"{100 * old / sum(stages.values()):.1f}%"
    assert f'data-figure="old_share">{share}<' in page
    statuses = {row[0]: int(row[1]) for row in rows_of(page, "statuses")}
    assert statuses["有效"] == Registration.objects.filter(status=RegistrationStatus.VALID).count()


def test_monthly_and_review_figures(city_admin, data):
    client = logged_in(city_admin)
    page = client.get("/staff/stats/?date_from=2026-01-01&date_to=2026-11-30").content.decode()
    monthly = {row[0]: (int(row[1]), int(row[2])) for row in rows_of(page, "monthly")}
    assert list(monthly) == [f"2026-{m:02d}" for m in range(1, 12)]
    march = DeclarationRound.objects.filter(
        number=1,
        submitted_at__gte="2026-03-01T00:00+08:00",
        submitted_at__lt="2026-04-01T00:00+08:00",
    ).count()
    approved = Registration.objects.filter(
        issued_at__gte="2026-03-01T00:00+08:00", issued_at__lt="2026-04-01T00:00+08:00"
    ).count()
    assert monthly["2026-03"] == (march, approved)

    # Review times, counted declaration by declaration with the holiday calendar.
    calendar = holiday_calendar()
    decided = Declaration.objects.filter(
        status__in=(
            DeclarationStatus.APPROVED,
            DeclarationStatus.REFUSED,
            DeclarationStatus.RETURNED,
        ),
        decided_at__gte="2026-01-01T00:00+08:00",
        decided_at__lt="2026-12-01T00:00+08:00",
    )
    from django.utils import timezone

    days, late = [], 0
    for d in decided:
        sub = timezone.localtime(d.submitted_at).date()
        dec = timezone.localtime(d.decided_at).date()
        days.append(calendar.working_days_between(sub, dec))
        assert d.review_due is not None
        late += dec > d.review_due
    days.sort()
    total = rows_of(page, "review")[-1]
    assert total[0] == "合计" and int(total[1]) == len(days) and int(total[3]) == late
    assert int(total[5]) == days[(len(days) + 1) // 2 - 1]  # nearest-rank median
    assert late > 0 and f'data-figure="late">{late}<' in page


def test_district_staff_see_only_their_district_whatever_they_ask(reviewer, data):
    client = logged_in(reviewer)
    page = client.get("/staff/stats/?district=K").content.decode()
    assert "统计 · 浦东新区" in page
    districts = rows_of(page, "districts")
    assert [row[0] for row in districts] == ["浦东新区"]
    assert (
        int(districts[0][2]) == Registration.objects.filter(district="L", status__in=LIVE).count()
    )
    assert 'name="district"' not in page  # no district choice for district staff
    rows = xlsx_rows(client.get("/staff/stats/tables/overdue.xlsx?district=K"))
    assert [r[0] for r in rows[1:]] == ["浦东新区", "合计"]


def test_city_admin_chooses_a_district(city_admin, data):
    page = logged_in(city_admin).get("/staff/stats/?district=K").content.decode()
    assert "统计 · 闵行区" in page
    assert [row[0] for row in rows_of(page, "districts")] == ["闵行区"]


def test_download_matches_the_table(city_admin, data):
    client = logged_in(city_admin)
    page = client.get("/staff/stats/").content.decode()
    response = client.get("/staff/stats/tables/types.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment;" in response["Content-Disposition"]
    rows = xlsx_rows(response)
    assert rows[0] == ("机械类型", "机械数")
    assert [[str(c) for c in r] for r in rows[1:]] == rows_of(page, "types")
    assert client.get("/staff/stats/tables/nothing.xlsx").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01", "日期格式应为YYYY-MM-DD"),
        ("date_from=2026-06-01&date_to=2026-01-01", "开始日期晚于结束日期"),
        ("date_from=2000-01-01&date_to=2026-01-01", "日期范围最长120个月"),
    ],
)
def test_bad_dates_are_explained_not_failed(city_admin, query, message):
    response = logged_in(city_admin).get(f"/staff/stats/?{query}")
    assert response.status_code == 200 and message in response.content.decode()


def test_filters_default_to_the_last_twelve_months(reviewer):
    filters = StatsFilters.from_query(reviewer, {}, TODAY)
    assert (filters.date_from, filters.date_to, filters.district) == (
        date(2026, 1, 1),
        TODAY,
        "L",
    )


def test_empty_database_renders(city_admin):
    response = logged_in(city_admin).get("/staff/stats/")
    page = response.content.decode()
    assert response.status_code == 200 and "无数据" in page
    assert 'data-figure="total">0<' in page and 'data-figure="median">—<' in page


def test_query_count_does_not_grow_with_the_data(city_admin, reviewer, django_assert_num_queries):
    generate(30, seed=1, today=TODAY, days=300)
    admin, district = logged_in(city_admin), logged_in(reviewer)
    admin.get("/staff/")  # the session is read once; the counts below are the page's own

    def counts():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        found = []
        for client, url in [
            (admin, "/staff/stats/"),
            (admin, "/staff/stats/?district=L&date_from=2025-01-01"),
            (district, "/staff/stats/"),
            (admin, "/staff/stats/tables/review.xlsx"),
        ]:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
                if response.streaming:
                    b"".join(response.streaming_content)  # type: ignore[attr-defined]
            assert response.status_code == 200
            found.append(len(queries))
        return found

    small = counts()
    generate(600, seed=2, today=TODAY, days=300)
    assert counts() == small
    with django_assert_num_queries(small[0]):
        admin.get("/staff/stats/")


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.OWNER])
def test_inspectors_and_owners_are_refused(role):
    fields = (
        {"department": "construction"}
        if role == Role.INSPECTOR
        else {"id_number": "11010519491231002X"}
    )
    user = make_user("13900000077", "某人", role=role, **fields)
    assert logged_in(user).get("/staff/stats/").status_code == 403


def test_public_reports_table(city_admin, reviewer, reviewer_other_district):
    """Art. 17 reports on the dashboard: by district, status and outcome, with its xlsx."""
    import time_machine

    from reports import actions as report_actions
    from tests.reports.helpers import filed

    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        closed = filed(address="192.0.2.3")
        report_actions.close(
            acting_user=reviewer, report=closed, outcome="confirmed", text="已处理"
        )
        filed(address="192.0.2.4", district="K")
    with time_machine.travel("2026-11-30 10:00 +0800", tick=False):
        page = logged_in(city_admin).get("/staff/stats/").content.decode()
        section = page.split('id="table-reports"')[1].split("</section>")[0]
        assert "公众举报（第十七条）" in section and "查实并处理" in section
        download = logged_in(city_admin).get("/staff/stats/tables/reports.xlsx")
        rows = xlsx_rows(download)
        by_district = {row[0]: row for row in rows[1:]}
        assert by_district["浦东新区"][1] == 1 and by_district["闵行区"][1] == 1
        # 浦东: one report, closed, confirmed
        header = rows[0]
        assert by_district["浦东新区"][header.index("查实并处理")] == 1
        assert by_district["闵行区"][header.index("待处理")] == 1
        mine = logged_in(reviewer_other_district).get("/staff/stats/tables/reports.xlsx")
        assert [row[0] for row in xlsx_rows(mine)[1:]] == ["闵行区"]
