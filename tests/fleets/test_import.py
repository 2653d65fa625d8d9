"""Bulk import: every row checked by the wizard's own checks, errors per row and cell,
correct rows saved as drafts, re-uploads never duplicate machines."""

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import FieldErrors
from core.models import AuditEntry
from fleets import actions
from fleets.columns import columns, template_spec
from fleets.constants import ImportStatus, IssueKind
from fleets.models import ImportedMachine, ImportIssue
from fleets.xlsx import build_template
from registry.constants import DeclarationStatus
from registry.models import Declaration
from registry.steps import OTHER
from tests.conftest import logged_in
from tests.fleets.conftest import BAD_ROWS, HEADERS, bad_excel_rows, row, two_hundred_rows, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    # The rows' dates are checked against today (not later than today), as in the wizard.
    with time_machine.travel(date(2025, 6, 2), tick=False):
        yield


def _import(user, owner, data: bytes, name: str = "机械.xlsx"):
    return actions.start_import(acting_user=user, owner=owner, file_name=name, data=data)


def test_two_hundred_rows_with_five_bad_ones(organisation):
    job = _import(organisation, organisation, xlsx(two_hundred_rows()))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.rows_done, job.created_count, job.duplicate_count) == (200, 195, 0)
    assert (job.error_rows, job.error_count) == (5, 5)
    errors = list(job.issues.filter(kind=IssueKind.ERROR).order_by("row"))
    assert [e.row for e in errors] == bad_excel_rows()
    assert [e.column for e in errors] == [BAD_ROWS[i][1] for i in sorted(BAD_ROWS)]
    assert "飞行器" in errors[0].message and "不在可选范围内" in errors[0].message
    assert "年-月-日" in errors[1].message
    assert "请选择燃料种类" in errors[2].message
    assert "火星区" in errors[4].message
    drafts = Declaration.objects.filter(owner=organisation)
    assert drafts.count() == 195
    assert set(drafts.values_list("status", flat=True)) == {DeclarationStatus.DRAFT}
    first = drafts.get(factory_serial="SN-000000")
    assert (first.district, first.registration_type, first.acquisition_kind) == (
        "L",
        "machine",
        "purchase",
    )
    assert first.acquisition_date == date(2024, 5, 1) and first.engine_stage == 4
    assert first.has_nameplates is True and first.step == OTHER
    assert first.declared_by == organisation
    assert first.imported_from.row == 2 and first.imported_from.job == job
    imported = AuditEntry.objects.get(action="declarations.imported", target_id=str(job.pk))
    assert sorted(imported.data["declarations"]) == sorted(drafts.values_list("pk", flat=True))
    assert AuditEntry.objects.filter(action="import.finished", target_id=str(job.pk)).exists()


def test_the_same_file_again_creates_nothing(organisation):
    data = xlsx(two_hundred_rows())
    _import(organisation, organisation, data)
    again = _import(organisation, organisation, data)
    again.refresh_from_db()
    assert (again.created_count, again.duplicate_count, again.error_rows) == (0, 195, 5)
    assert Declaration.objects.filter(owner=organisation).count() == 195
    duplicate = again.issues.filter(kind=IssueKind.DUPLICATE).first()
    assert duplicate is not None and duplicate.message == "已存在，未重复导入"
    assert actions.previous_import(again) is not None


def test_the_same_rows_in_another_file_are_recognised(organisation):
    _import(organisation, organisation, xlsx([row(1), row(2)]))
    # Other file (other content), one machine already there by its serial, one new one.
    job = _import(organisation, organisation, xlsx([row(2, site_address="别处"), row(3)]))
    job.refresh_from_db()
    assert (job.created_count, job.duplicate_count) == (1, 1)


def test_a_machine_twice_in_one_file_is_an_error_on_the_second_row(organisation):
    job = _import(organisation, organisation, xlsx([row(1), row(1)]))
    job.refresh_from_db()
    assert job.created_count == 1
    issue = job.issues.get()
    assert (issue.row, issue.column, issue.kind) == (3, "出厂编号/PIN码", IssueKind.ERROR)
    assert "第2行" in issue.message


def test_a_row_without_any_serial_is_refused(organisation):
    job = _import(organisation, organisation, xlsx([row(1, factory_serial="")]))
    job.refresh_from_db()
    assert job.created_count == 0
    assert "至少填一项" in job.issues.get().message


def test_several_bad_cells_in_one_row_are_each_reported(organisation):
    job = _import(
        organisation, organisation, xlsx([row(1, machine_type="", engine_power_kw="很大")])
    )
    issues = {i.column: i.message for i in ImportIssue.objects.filter(job=job)}
    assert set(issues) == {"机械类型", "主机功率（千瓦）"}
    assert Declaration.objects.count() == 0


def test_in_plant_rows_follow_the_wizard_rule_for_the_plate(organisation):
    data = xlsx(
        [row(1, registration_type="场内"), row(2, registration_type="场内", in_plant_plate="沪01")],
        headers={**HEADERS, "in_plant_plate": "场内车辆号牌"},
    )
    job = _import(organisation, organisation, data)
    job.refresh_from_db()
    assert job.created_count == 1
    assert job.issues.get().column == "场内车辆号牌"


def test_the_downloaded_template_itself_imports_when_filled(organisation):
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(build_template(template_spec())))
    sheet = book["机械清单"]
    headers = [c.value for c in sheet[1]]
    names = {c.header: c.name for c in columns()}
    values = row(7)
    sheet.append([values.get(names[h.rstrip("*")], "") for h in headers])
    out = BytesIO()
    book.save(out)
    job = _import(organisation, organisation, out.getvalue())
    job.refresh_from_db()
    assert (job.created_count, job.error_rows) == (1, 0)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("机械.xls", b"whatever", "xlsx格式"),
        ("机械.xlsx", b"not a zip at all", "不是有效的xlsx"),
        ("机械.xlsx", b"", "请选择"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(organisation, name, data, message):
    with pytest.raises(FieldErrors) as caught:
        _import(organisation, organisation, data, name)
    assert message in caught.value.errors["file"]


def test_missing_required_headers_are_named(organisation):
    data = xlsx([row(1)], headers={"machine_type": "机械类型*", "maker": "生产厂家"})
    with pytest.raises(FieldErrors) as caught:
        _import(organisation, organisation, data)
    assert "登记区县" in caught.value.errors["file"] and "燃料种类" in caught.value.errors["file"]


def test_someone_else_cannot_import_for_an_owner(owner, other_organisation):
    with pytest.raises(Exception) as caught:
        _import(owner, other_organisation, xlsx([row(1)]))
    assert getattr(caught.value, "status", None) == 403


def test_org_staff_imports_for_the_organisation(organisation, org_staff_member):
    job = _import(org_staff_member, organisation, xlsx([row(1)]))
    job.refresh_from_db()
    assert job.created_count == 1
    d = Declaration.objects.get()
    assert (d.owner, d.declared_by) == (organisation, org_staff_member)


class TestPages:
    def test_upload_page_shows_the_errors_per_row_and_cell(self, organisation):
        client = logged_in(organisation)
        upload = SimpleUploadedFile("机械.xlsx", xlsx(two_hundred_rows()))
        response = client.post("/fleet/imports/", {"file": upload}, follow=True)
        page = response.content.decode()
        assert response.status_code == 200
        assert page.count('data-testid="import-error"') == 5
        for number in bad_excel_rows():
            assert f'data-row="{number}"' in page
        assert 'data-testid="created-count">195<' in page
        job_id = ImportedMachine.objects.values_list("job_id", flat=True).first()
        assert f"/fleet/?import={job_id}" in page

    def test_not_an_xlsx_is_a_clear_error_not_a_500(self, organisation):
        client = logged_in(organisation)
        upload = SimpleUploadedFile("照片.xlsx", b"\x89PNG\r\n\x1a\n....")
        response = client.post("/fleet/imports/", {"file": upload})
        assert response.status_code == 400
        assert "不是有效的xlsx表格" in response.content.decode()
        no_file = client.post("/fleet/imports/", {})
        assert no_file.status_code == 400 and "请选择" in no_file.content.decode()

    def test_progress_fragment_polls_until_finished(self, organisation):
        job = _import(organisation, organisation, xlsx([row(1)]))
        client = logged_in(organisation)
        done = client.get(f"/fleet/imports/{job.pk}/progress/").content.decode()
        assert "hx-trigger" not in done and 'data-status="done"' in done
        job.status = ImportStatus.RUNNING
        job.save(update_fields=["status"])
        running = client.get(f"/fleet/imports/{job.pk}/progress/").content.decode()
        assert 'hx-trigger="every 1s"' in running and "已处理1行" in running

    def test_template_download(self, organisation):
        response = logged_in(organisation).get("/fleet/imports/template.xlsx")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert response.content[:2] == b"PK"

    def test_outsiders_get_404_for_a_job(self, organisation, other_organisation, owner):
        job = _import(organisation, organisation, xlsx([row(1)]))
        for user in (other_organisation, owner):
            client = logged_in(user)
            assert client.get(f"/fleet/imports/{job.pk}/").status_code == 404
            assert client.get(f"/fleet/imports/{job.pk}/progress/").status_code == 404


def test_the_step_memo_gives_the_wizards_answer_every_time():
    from fleets.importer import check_row

    memo: dict = {}
    bad = {"district": "L", "site_type": "工地", "registration_type": "machine", "fuel_type": ""}
    first = check_row(2, bad, memo)
    again = check_row(3, dict(bad), memo)
    fresh = check_row(4, dict(bad))
    assert first.errors == again.errors == fresh.errors
    assert "fuel_type" in again.errors and again.row == 3


def test_with_a_worker_the_page_polls_until_the_worker_is_done(organisation, settings):
    """With the database backend (production) the upload only queues the job; the page
    polls with htmx until a worker has run it."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    job = _import(organisation, organisation, xlsx([row(1), row(2)]))
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING and job.total_rows == 2
    client = logged_in(organisation)
    waiting = client.get(f"/fleet/imports/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in waiting and "共约2行" in waiting
    assert Declaration.objects.count() == 0
    actions.run_import(job_id=job.pk)  # what the worker does with the queued task
    done = client.get(f"/fleet/imports/{job.pk}/progress/").content.decode()
    assert "hx-trigger" not in done and 'data-testid="created-count">2<' in done
    # A retried task does not import twice.
    actions.run_import(job_id=job.pk)
    assert Declaration.objects.count() == 2


# --- hostile files (found in review) ---------------------------------------------------------


def _template_zip(patch) -> bytes:
    """The template's header sheet, its XML rewritten by `patch`."""
    import io
    import zipfile

    from openpyxl import Workbook

    from fleets.columns import columns

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "机械清单"
    ws.append([c.header + ("*" if c.required else "") for c in columns()])
    raw = io.BytesIO()
    wb.save(raw)
    source = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = patch(data.decode()).encode()
            target.writestr(item.filename, data)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    import io
    import re

    from fleets.importer import FileProblem, open_sheet

    huge = '<c t="inlineStr"><is><t>' + "A" * (64 * 1024 * 1024) + "</t></is></c>"
    blob = _template_zip(lambda xml: re.sub("</row>", huge + "</row>", xml, count=1))
    assert len(blob) < 1024 * 1024  # a small upload…
    with pytest.raises(FileProblem, match="解压后过大"):  # …refused by its zip directory
        open_sheet(io.BytesIO(blob))


@pytest.mark.parametrize("last", [3_000_000, 2_000_000_000])
def test_a_row_far_below_is_too_many_rows_at_once(last):
    import io
    import re
    import time

    from fleets.importer import FileProblem, data_rows, open_sheet

    def patch(xml: str) -> str:
        xml = re.sub(r"<dimension[^>]*/>", "", xml)
        row = f'<row r="{last}"><c r="A{last}" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace("</sheetData>", row + "</sheetData>")

    sheet = open_sheet(io.BytesIO(_template_zip(patch)))
    started = time.monotonic()
    with pytest.raises(FileProblem, match="一次最多导入"):
        for _ in data_rows(sheet):
            pass
    sheet.close()
    assert time.monotonic() - started < 5


def test_a_sheet_declaring_too_few_rows_is_read_whole():
    import io
    import re

    from fleets.importer import data_rows, open_sheet

    def patch(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:B1"/>', xml)
        rows = "".join(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>x{n}</t></is></c></row>'
            for n in (2, 3, 4)
        )
        return xml.replace("</sheetData>", rows + "</sheetData>")

    sheet = open_sheet(io.BytesIO(_template_zip(patch)))
    assert [number for number, _ in data_rows(sheet)] == [2, 3, 4]
    sheet.close()
