"""The template builder takes plain data and is tested without a database (house style 7)."""

from io import BytesIO

from openpyxl import load_workbook

from fleets.xlsx import (
    DATA_SHEET,
    NOTES_SHEET,
    OPTIONS_SHEET,
    TemplateColumn,
    TemplateSpec,
    build_template,
    normalise_header,
)

SPEC = TemplateSpec(
    title="测试模板",
    columns=(
        TemplateColumn("登记区县", required=True, options=("黄浦区", "浦东新区")),
        TemplateColumn("机械名称", hint="例如：挖掘机"),
        TemplateColumn("燃料种类", required=True, options=("柴油", "电动")),
    ),
    notes=("第一条说明", "第二条说明"),
)


def _open(data: bytes):
    return load_workbook(BytesIO(data))


def test_header_row_marks_required_columns():
    sheet = _open(build_template(SPEC))[DATA_SHEET]
    assert [c.value for c in sheet[1]] == ["登记区县*", "机械名称", "燃料种类*"]
    assert sheet["B1"].comment.text.startswith("例如：挖掘机")
    assert sheet.max_row == 1  # no data rows: nothing to delete before filling in


def test_drop_downs_reference_the_allowed_values():
    book = _open(build_template(SPEC))
    validations = book[DATA_SHEET].data_validations.dataValidation
    assert len(validations) == 2  # only the columns with options
    by_range = {str(v.sqref).split(":")[0]: v for v in validations}
    assert set(by_range) == {"A2", "C2"}
    assert by_range["A2"].type == "list"
    assert by_range["A2"].formula1 == "'可选值'!$A$2:$A$3"
    assert by_range["C2"].formula1 == "'可选值'!$B$2:$B$3"
    options = book[OPTIONS_SHEET]
    assert options.sheet_state == "hidden"
    assert [options.cell(row=r, column=1).value for r in (2, 3)] == ["黄浦区", "浦东新区"]
    assert [options.cell(row=r, column=2).value for r in (2, 3)] == ["柴油", "电动"]


def test_notes_sheet_has_the_instructions_and_every_column():
    notes = _open(build_template(SPEC))[NOTES_SHEET]
    text = "\n".join(str(c.value) for c in notes["A"] if c.value)
    assert "测试模板" in text and "第一条说明" in text and "第二条说明" in text
    assert "登记区县* （必填） 可选：黄浦区、浦东新区" in text
    assert "机械名称 （选填） 例如：挖掘机" in text


def test_headers_are_matched_without_the_mark_and_spaces():
    assert normalise_header(" 登记 区县* ") == "登记区县"
    assert normalise_header("燃料种类＊") == "燃料种类"
    assert normalise_header(None) == ""
