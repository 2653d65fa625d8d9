import csv
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue import importer
from catalogue.constants import EntryKind
from catalogue.importer import (
    CatalogueFileError,
    ImportResult,
    RowError,
    import_catalogue,
    read_rows,
)
from catalogue.lookup import CatalogueMatch, lookup, lookup_many
from catalogue.models import CatalogueEntry
from tests.conftest import logged_in

MACHINE = "CNFJG4000L53000006000001"  # the real Stage IV example of DOMAIN.md
MACHINE_2 = "CNFJG4000L53000006000002"
MACHINE_3 = "CNFJG3000L53000006000003"
ENGINE_24 = "CNFJG4000L53000007000001"
TYPE_APPROVAL = "YC6J4530000001AB"  # 16 characters, 6th is 5

ZH_HEADER = ["编号", "类别", "生产企业", "型号", "机械类型", "机械名称", "发动机生产企业"]
ZH_HEADER += ["发动机型号", "功率（kW）", "燃料种类", "来源"]
EN_HEADER = ["number", "kind", "maker", "model", "machine_type", "machine_name"]
EN_HEADER += ["engine_maker", "engine_model", "power_kw", "fuel_type", "source"]

# Columns as in ZH_HEADER / EN_HEADER.
ROWS = [
    [MACHINE, "机械", "三一重机有限公司", "SY215C", "挖掘机", "履带式液压挖掘机",
     "康明斯", "QSB4.5", "118", "柴油", "2022年公开"],
    [MACHINE_2, "", "徐工集团", "XE60DA", "挖掘机", "", "", "", "36.2", "柴油", ""],
    [MACHINE_3, "machine", "龙工", "LG855N", "装载机", "", "", "", "", "", ""],
    [TYPE_APPROVAL, "", "玉柴", "YC6J", "", "", "", "", "162", "柴油", ""],
]  # fmt: skip


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def assert_sample_imported(result: ImportResult) -> None:
    assert result == ImportResult(created=4, updated=0, unchanged=0, errors=())
    machine = CatalogueEntry.objects.get(number=MACHINE)
    assert machine.kind == EntryKind.MACHINE and machine.stage == 4
    assert (machine.maker, machine.model) == ("三一重机有限公司", "SY215C")
    assert (machine.machine_type, machine.machine_name) == ("挖掘机", "履带式液压挖掘机")
    assert (machine.engine_maker, machine.engine_model) == ("康明斯", "QSB4.5")
    assert machine.power_kw == Decimal("118.0")
    assert (machine.fuel_type, machine.source) == ("柴油", "2022年公开")
    second = CatalogueEntry.objects.get(number=MACHINE_2)
    assert second.kind == EntryKind.MACHINE and second.power_kw == Decimal("36.2")
    assert CatalogueEntry.objects.get(number=MACHINE_3).stage == 3
    engine = CatalogueEntry.objects.get(number=TYPE_APPROVAL)
    # A 16-character number is an engine; its maker and model are the engine's.
    assert engine.kind == EntryKind.ENGINE and engine.stage == 5
    assert (engine.engine_maker, engine.engine_model) == ("玉柴", "YC6J")


# --- Reading the formats -------------------------------------------------------------


@pytest.mark.django_db
def test_csv_with_chinese_headers(tmp_path):
    path = write_csv(tmp_path / "目录.csv", ZH_HEADER, ROWS)
    assert_sample_imported(import_catalogue(path))


@pytest.mark.django_db
def test_csv_with_english_headers_and_bom(tmp_path):
    path = write_csv(tmp_path / "catalogue.csv", EN_HEADER, ROWS, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert_sample_imported(import_catalogue(path))


@pytest.mark.django_db
def test_gbk_csv_from_chinese_excel(tmp_path):
    path = write_csv(tmp_path / "gbk.csv", ZH_HEADER, ROWS, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_text(encoding="utf-8")
    assert_sample_imported(import_catalogue(path))


@pytest.mark.django_db
def test_xlsx(tmp_path):
    rows: list[list[object]] = [list(row) for row in ROWS]
    rows[0][8] = 118  # numeric cells, as Excel stores them
    rows[1][8] = 36.2
    header: list[object] = list(ZH_HEADER)
    path = write_xlsx(tmp_path / "catalogue.xlsx", [header, rows[0], [], *rows[1:]])
    assert_sample_imported(import_catalogue(path))


@pytest.mark.django_db
def test_xlsx_row_numbers_are_the_sheets(tmp_path):
    path = write_xlsx(
        tmp_path / "catalogue.xlsx",
        [["编号", "生产企业", "型号"], [MACHINE, "三一", "SY215C"], [None], ["CNFJG7", "x", "y"]],
    )
    result = import_catalogue(path)
    assert result.created == 1
    assert [(e.row, e.column) for e in result.errors] == [(4, "编号")]


def test_read_rows_maps_headers_and_skips_blank_rows(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["Number", "生产企业", "型号", "Power (kW)", "备注"],
        [[f" {MACHINE} ", "三一", "SY215C", "118", "ignored"], ["", "", "", "", "x"]],
    )
    assert list(read_rows(path)) == [
        (2, {"number": MACHINE, "maker": "三一", "model": "SY215C", "power_kw": "118"})
    ]


@pytest.mark.parametrize(
    "number",
    ["CNFJG4000L53000006000001", "CN FJ G4 00 0L53 000006 000001", "cnfjg4000l53000006000001"],
)
@pytest.mark.django_db
def test_numbers_as_printed(tmp_path, number):
    path = write_csv(tmp_path / "c.csv", ["编号", "生产企业", "型号"], [[number, "三一", "SY215C"]])
    assert import_catalogue(path).created == 1
    assert CatalogueEntry.objects.get().number == MACHINE


# --- Checking rows -------------------------------------------------------------------


@pytest.mark.django_db
def test_errors_per_row_and_column(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["编号", "生产企业", "型号", "功率"],
        [
            [MACHINE, "三一", "SY215C", "118"],
            ["CNFJG4000L5300000600001", "三一", "SY215C", ""],  # 23 characters
            ["CNFJG7000L53000006000002", "三一", "SY215C", ""],  # stage digit 7
            [MACHINE_3, "龙工", "LG855N", "-5"],
            [TYPE_APPROVAL, "", "", "abc"],
        ],
    )
    result = import_catalogue(path)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "编号"),
        (4, "编号"),
        (5, "功率"),
        (6, "生产企业"),
        (6, "型号"),
        (6, "功率"),
    ]
    messages = [e.message for e in result.errors]
    assert messages[0] == "编号应为24位（环保信息公开编号）或16位（发动机型式核准号），您输入了23位"
    assert "第6位应为排放阶段数字" in messages[1] and "“7”" in messages[1]
    assert messages[2] == "功率（kW）应为正数，您填写了“-5”"
    assert messages[3] == "请填写生产企业"
    assert "应为数字" in messages[5]
    assert result.rejected_rows == 4
    assert list(CatalogueEntry.objects.values_list("number", flat=True)) == [MACHINE]


@pytest.mark.django_db
def test_kind_column_and_engine_numbers(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["number", "kind", "maker", "model", "engine_model"],
        [
            [ENGINE_24, "发动机", "康明斯", "QSB4.5", ""],
            [TYPE_APPROVAL, "机械", "玉柴", "YC6J", ""],  # a machine has a 24-char number
            [MACHINE, "tractor", "三一", "SY215C", ""],
            [MACHINE_2, "", "潍柴", "", "WP4"],  # inferred: engine model, no machine fields
        ],
    )
    result = import_catalogue(path)
    assert result.created == 2
    assert [(e.row, e.column) for e in result.errors] == [(3, "number"), (4, "kind")]
    assert "应为24位" in result.errors[0].message
    assert result.errors[1].message == "类别应为“机械”或“发动机”，您填写了“tractor”"
    engine = CatalogueEntry.objects.get(number=ENGINE_24)
    assert (engine.kind, engine.engine_maker, engine.engine_model) == ("engine", "康明斯", "QSB4.5")
    inferred = CatalogueEntry.objects.get(number=MACHINE_2)
    assert (inferred.kind, inferred.model, inferred.engine_model) == ("engine", "WP4", "WP4")


@pytest.mark.django_db
def test_power_is_rounded_to_a_tenth_and_may_carry_the_unit(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["编号", "生产企业", "型号", "功率"],
        [[MACHINE, "a", "b", "55.25"], [MACHINE_2, "a", "b", "55kW"], [MACHINE_3, "a", "b", "0"]],
    )
    result = import_catalogue(path)
    assert result.created == 2
    assert [(e.row, e.column) for e in result.errors] == [(4, "功率")]
    assert CatalogueEntry.objects.get(number=MACHINE).power_kw == Decimal("55.3")
    assert CatalogueEntry.objects.get(number=MACHINE_2).power_kw == Decimal("55.0")


@pytest.mark.django_db
def test_a_number_given_twice_keeps_the_first_row(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "IMPORT_BATCH_SIZE", 2)  # the repeat is in a later batch
    path = write_csv(
        tmp_path / "c.csv",
        ["编号", "生产企业", "型号"],
        [
            [MACHINE, "a", "first"],
            [MACHINE_2, "a", "b"],
            [MACHINE_3, "a", "b"],
            [MACHINE, "a", "x"],
        ],
    )
    result = import_catalogue(path)
    assert result.created == 3
    assert result.errors == (RowError(5, "编号", f"编号{MACHINE}与第2行重复，本行未导入"),)
    assert CatalogueEntry.objects.get(number=MACHINE).model == "first"


# --- Upserts -------------------------------------------------------------------------


@pytest.mark.django_db
def test_reimport_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "IMPORT_BATCH_SIZE", 3)
    path = write_csv(tmp_path / "c.csv", ZH_HEADER, ROWS)
    import_catalogue(path)
    stamps = dict(CatalogueEntry.objects.values_list("number", "imported_at"))
    assert import_catalogue(path) == ImportResult(created=0, updated=0, unchanged=4, errors=())
    assert dict(CatalogueEntry.objects.values_list("number", "imported_at")) == stamps


@pytest.mark.django_db
def test_changed_row_is_updated(tmp_path):
    import_catalogue(write_csv(tmp_path / "a.csv", ZH_HEADER, ROWS))
    before = CatalogueEntry.objects.get(number=MACHINE_2)
    rows = [list(row) for row in ROWS]
    rows[1][3] = "XE60DA-2"
    rows[1][8] = "36.8"
    result = import_catalogue(write_csv(tmp_path / "b.csv", ZH_HEADER, rows))
    assert result == ImportResult(created=0, updated=1, unchanged=3, errors=())
    after = CatalogueEntry.objects.get(number=MACHINE_2)
    assert (after.model, after.power_kw) == ("XE60DA-2", Decimal("36.8"))
    assert after.pk == before.pk and after.imported_at > before.imported_at


@pytest.mark.django_db
def test_dry_run_saves_nothing(tmp_path):
    path = write_csv(tmp_path / "c.csv", ZH_HEADER, ROWS)
    assert import_catalogue(path, dry_run=True).created == 4
    assert not CatalogueEntry.objects.exists()
    import_catalogue(path)
    rows = [list(row) for row in ROWS]
    rows[0][2] = "三一重机"
    result = import_catalogue(write_csv(tmp_path / "d.csv", ZH_HEADER, rows), dry_run=True)
    assert (result.updated, result.unchanged) == (1, 3)
    assert CatalogueEntry.objects.get(number=MACHINE).maker == "三一重机有限公司"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.csv", "生产企业,型号\n三一,SY215C\n", "表头缺少编号列"),
        ("c.csv", "", "文件为空"),
        ("c.txt", "编号\n", "不支持的文件类型"),
        ("c.xlsx", "编号\n", "不是有效的xlsx文件"),
        ("c.csv", "编号,型式核准号\n", "是同一列"),
    ],
)
def test_unreadable_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogueFileError, match=message):
        list(read_rows(path))


# --- Lookup --------------------------------------------------------------------------


@pytest.fixture
def catalogue(tmp_path, db):
    import_catalogue(write_csv(tmp_path / "c.csv", ZH_HEADER, ROWS))


def test_lookup_hit(catalogue):
    assert lookup(MACHINE) == CatalogueMatch(
        number=MACHINE,
        kind=EntryKind.MACHINE,
        stage=4,
        maker="三一重机有限公司",
        model="SY215C",
        machine_type="挖掘机",
        machine_name="履带式液压挖掘机",
        engine_maker="康明斯",
        engine_model="QSB4.5",
        power_kw=Decimal("118.0"),
        fuel_type="柴油",
    )


def test_lookup_normalises_what_the_owner_types(catalogue, django_assert_num_queries):
    with django_assert_num_queries(1):
        match = lookup(" cn fj g4 00 0l53 000006 000001 ")
    assert match is not None and match.number == MACHINE
    full_width = lookup("ＹＣ６Ｊ４５３００００００１ＡＢ")
    assert full_width is not None and full_width.kind == EntryKind.ENGINE


def test_lookup_miss(catalogue, django_assert_num_queries):
    assert lookup("CNFJG4000L53000006999999") is None
    with django_assert_num_queries(0):
        assert lookup("   ") is None
        assert lookup("X" * 30) is None


def test_lookup_many_in_one_query(catalogue, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = lookup_many(
            [MACHINE, "cnfjg4000l53000006000002", TYPE_APPROVAL, "CNFJG4000L53000006999999", ""]
        )
    assert set(found) == {MACHINE, MACHINE_2, TYPE_APPROVAL}
    assert found[TYPE_APPROVAL].stage == 5
    with django_assert_num_queries(0):
        assert lookup_many([]) == {}


# --- Command -------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_output(tmp_path, capsys):
    rows = [*ROWS, ["CNFJG4000L5300000600001", "", "三一", "SY215C", "", "", "", "", "-1"]]
    path = write_csv(tmp_path / "c.csv", ZH_HEADER, rows)
    call_command("import_catalogue", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "created 4, updated 0, unchanged 0, errors 2"
    assert "row 6, column 编号: 编号应为24位（环保信息公开编号）或16位" in out
    assert "row 6, column 功率（kW）: 功率（kW）应为正数，您填写了“-1”" in out
    assert not CatalogueEntry.objects.exists()
    call_command("import_catalogue", str(path))
    call_command("import_catalogue", str(path))
    out = capsys.readouterr().out
    assert "created 4, updated 0, unchanged 0, errors 2" in out
    assert "created 0, updated 0, unchanged 4, errors 2" in out


@pytest.mark.django_db
def test_command_refuses_a_file_without_the_number_column(tmp_path):
    path = write_csv(tmp_path / "c.csv", ["生产企业", "型号"], [["三一", "SY215C"]])
    with pytest.raises(CommandError, match="表头缺少编号列"):
        call_command("import_catalogue", str(path))
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_catalogue", str(tmp_path / "missing.csv"))


# --- Admin ---------------------------------------------------------------------------


def test_admin_lists_and_searches(catalogue, city_admin):
    client = logged_in(city_admin)
    response = client.get("/admin/catalogue/catalogueentry/", {"q": "三一", "kind": "machine"})
    assert response.status_code == 200
    assert MACHINE in response.content.decode() and MACHINE_2 not in response.content.decode()


@pytest.mark.django_db
def test_admin_normalises_the_number_and_takes_the_stage(city_admin):
    client = logged_in(city_admin)
    form = {"number": "cn fj g3 00 0l53 000006 000009", "kind": "machine"}
    form |= {"maker": "三一", "model": "SY75C", "power_kw": "", "machine_type": "挖掘机"}
    response = client.post("/admin/catalogue/catalogueentry/add/", form)
    assert response.status_code == 302, response.content.decode()
    entry = CatalogueEntry.objects.get()
    assert (entry.number, entry.stage) == ("CNFJG3000L53000006000009", 3)
    form["number"] = TYPE_APPROVAL  # a machine needs a 24-character number
    response = client.post("/admin/catalogue/catalogueentry/add/", form)
    assert response.status_code == 200
    assert "环保信息公开编号应为24位" in response.content.decode()


@pytest.mark.django_db
def test_the_example_in_the_docs_imports(tmp_path):
    docs = (Path(__file__).parents[2] / "docs" / "catalogue.md").read_text(encoding="utf-8")
    example = docs.split("```csv\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.csv"
    path.write_text(example, encoding="utf-8")
    assert import_catalogue(path) == ImportResult(created=3, updated=0, unchanged=0, errors=())
    assert lookup_many([MACHINE, MACHINE_2, TYPE_APPROVAL]).keys() == {
        MACHINE,
        MACHINE_2,
        TYPE_APPROVAL,
    }
