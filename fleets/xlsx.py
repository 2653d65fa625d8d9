"""The import template as an xlsx: a pure document builder taking plain data (house style 7,
tested without a database). fleets.columns builds the data from the city's reference lists.

Sheets: the data sheet (a header row; drop-down lists on the columns that have allowed
values), the instructions, and a hidden sheet holding the allowed values, which the
drop-downs reference (an inline list is limited to 255 characters).
"""

from dataclasses import dataclass
from io import BytesIO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

DATA_SHEET = "机械清单"
NOTES_SHEET = "填写说明"
OPTIONS_SHEET = "可选值"
REQUIRED_MARK = "*"
# Drop-downs and text formats cover this many data rows (the import reads any number).
VALIDATED_ROWS = 100_000


@dataclass(frozen=True)
class TemplateColumn:
    header: str
    required: bool = False
    options: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class TemplateSpec:
    title: str
    columns: tuple[TemplateColumn, ...]
    notes: tuple[str, ...]


def header_text(column: TemplateColumn) -> str:
    return f"{column.header}{REQUIRED_MARK}" if column.required else column.header


def normalise_header(text: object) -> str:
    """A header cell as typed or templated: without the required mark and spaces."""
    return "".join(str(text or "").split()).rstrip(REQUIRED_MARK).rstrip("＊")


def build_template(spec: TemplateSpec) -> bytes:
    workbook = Workbook()
    data = workbook.active
    assert data is not None
    data.title = DATA_SHEET
    options = workbook.create_sheet(OPTIONS_SHEET)
    notes = workbook.create_sheet(NOTES_SHEET)

    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    last_row = VALIDATED_ROWS + 1
    option_column = 0
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        cell = data.cell(row=1, column=index, value=header_text(column))
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if column.required:
            cell.fill = required_fill
        if column.hint:
            cell.comment = Comment(column.hint, "nrmm")
        data.column_dimensions[letter].width = max(12, min(40, len(column.header) * 2 + 4))
        if column.options:
            option_column += 1
            opt_letter = get_column_letter(option_column)
            options.cell(row=1, column=option_column, value=column.header).font = bold
            for row, value in enumerate(column.options, start=2):
                options.cell(row=row, column=option_column, value=value)
            end = len(column.options) + 1
            source = f"{quote_sheetname(OPTIONS_SHEET)}!${opt_letter}$2:${opt_letter}${end}"
            validation = DataValidation(
                type="list",
                formula1=source,
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle="不在可选范围内",
                error=f"请从下拉列表中选择{column.header}",
            )
            validation.add(f"{letter}2:{letter}{last_row}")
            data.add_data_validation(validation)
    data.freeze_panes = "A2"
    options.sheet_state = "hidden"

    notes.column_dimensions["A"].width = 100
    notes.cell(row=1, column=1, value=spec.title).font = Font(bold=True, size=14)
    row = 2
    for line in spec.notes:
        notes.cell(row=row, column=1, value=line).alignment = Alignment(wrap_text=True)
        row += 1
    row += 1
    notes.cell(row=row, column=1, value="各列说明").font = bold
    for column in spec.columns:
        row += 1
        parts = [header_text(column), "（必填）" if column.required else "（选填）"]
        if column.hint:
            parts.append(column.hint)
        if column.options:
            parts.append("可选：" + "、".join(column.options))
        notes.cell(row=row, column=1, value=" ".join(parts)).alignment = Alignment(wrap_text=True)

    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
