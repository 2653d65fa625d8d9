"""附件1 非道路移动机械申报登记表 for one owner or many: an xlsx workbook laid out like the
measures' form (one sheet per owner: the owner's block, then the machines' table with its
two header rows), and the same content as PDF through the form builder of documents.forms.

Plain data in (documents.data.DeclarationForm), bytes out; no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from core.xlsx import sheet_name

from .data import DeclarationForm, DeclaredMachine, FormSection, InformationForm
from .forms import information_forms_pdf

TITLE = "非道路移动机械申报登记表"
# 附件1's machine table: 序号, then three column groups and 活动属性.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "机械自身属性",
        ("机械名称", "机械类型", "规格型号", "生产厂家", "出厂日期", "机械出厂编号/PIN码"),
    ),
    ("发动机主机信息", ("制造商", "出厂日期", "型号编号", "功率(kW)", "排放阶段")),
    ("发动机辅机信息", ("制造商", "出厂日期", "型号编号", "功率(kW)", "排放阶段")),
)
COLUMNS = 1 + sum(len(cols) for _g, cols in GROUPS) + 1  # 序号 … 活动属性 = 18
WIDTHS = (6, 14, 10, 14, 18, 11, 20, 16, 11, 18, 9, 10, 16, 11, 18, 9, 10, 10)

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DCE3EC")
_LABEL_FILL = PatternFill("solid", fgColor="EEEEEE")
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def machine_cells(machine: DeclaredMachine) -> tuple[str, ...]:
    return (
        machine.name,
        machine.machine_type,
        machine.model,
        machine.maker,
        machine.production_date,
        machine.serial,
        machine.engine_maker,
        machine.engine_production_date,
        machine.engine_model,
        machine.engine_power,
        machine.engine_stage,
        machine.aux_maker,
        machine.aux_production_date,
        machine.aux_model,
        machine.aux_power,
        machine.aux_stage,
        machine.activity,
    )


def owner_rows(form: DeclarationForm) -> tuple[tuple[str, str], ...]:
    return (
        ("所有单位名称/所有人姓名", form.owner_name),
        ("统一社会信用代码/身份证号码", form.identifier),
        ("法人代表", form.legal_representative),
        ("联系人", form.contact_name),
        ("联系方式", f"固定电话：{form.landline}    移动电话：{form.mobile}"),
        ("详细地址", form.address),
        ("使用场所", form.site),
    )


def _unique_titles(forms: Sequence[DeclarationForm]) -> list[str]:
    titles: list[str] = []
    seen: set[str] = set()
    for i, form in enumerate(forms, start=1):
        base = sheet_name(f"{i}-{form.owner_name}")
        title, n = base, 2
        while title.lower() in seen:
            title = sheet_name(f"{base[:27]}~{n}")
            n += 1
        seen.add(title.lower())
        titles.append(title)
    return titles


def declaration_forms_xlsx(forms: Sequence[DeclarationForm]) -> bytes:
    """One sheet per owner, in the order given."""
    if not forms:
        raise ValueError("no declaration forms to write")
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for form, title in zip(forms, _unique_titles(forms), strict=True):
        _sheet(workbook.create_sheet(title), form)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet(ws, form: DeclarationForm) -> None:  # type: ignore[no-untyped-def]
    last = get_column_letter(COLUMNS)
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = _CENTRE
    ws.row_dimensions[1].height = 30
    ws.merge_cells(f"A2:{last}2")
    ws["A2"] = "申报单位或个人基本信息"
    ws["A2"].font = Font(bold=True)
    ws["A2"].fill = _HEAD_FILL
    row = 3
    for label, value in owner_rows(form):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=COLUMNS)
        ws.cell(row, 1, label).fill = _LABEL_FILL
        _text(ws.cell(row, 5), value)
        for col in range(1, COLUMNS + 1):
            ws.cell(row, col).border = _BORDER
            ws.cell(row, col).alignment = _WRAP
        row += 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=COLUMNS)
    ws.cell(row, 1, "申报机械信息").font = Font(bold=True)
    ws.cell(row, 1).fill = _HEAD_FILL
    row += 1
    group_row, head_row = row, row + 1
    ws.merge_cells(start_row=group_row, start_column=1, end_row=head_row, end_column=1)
    ws.cell(group_row, 1, "序号")
    col = 2
    for group, names in GROUPS:
        ws.merge_cells(
            start_row=group_row,
            start_column=col,
            end_row=group_row,
            end_column=col + len(names) - 1,
        )
        ws.cell(group_row, col, group)
        for offset, name in enumerate(names):
            ws.cell(head_row, col + offset, name)
        col += len(names)
    ws.merge_cells(start_row=group_row, start_column=COLUMNS, end_row=head_row, end_column=COLUMNS)
    ws.cell(group_row, COLUMNS, "活动属性")
    for r in (group_row, head_row):
        for c in range(1, COLUMNS + 1):
            cell = ws.cell(r, c)
            cell.font = Font(bold=True)
            cell.fill = _HEAD_FILL
            cell.alignment = _CENTRE
            cell.border = _BORDER
    row = head_row + 1
    first_machine_row = row
    for number, machine in enumerate(form.machines, start=1):
        ws.cell(row, 1, number)
        for offset, value in enumerate(machine_cells(machine)):
            _text(ws.cell(row, 2 + offset), value)
        for c in range(1, COLUMNS + 1):
            ws.cell(row, c).border = _BORDER
            ws.cell(row, c).alignment = _WRAP
        row += 1
    if form.footer:
        ws.cell(row + 1, 1, form.footer)
    for index, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = ws.cell(first_machine_row, 2)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def as_information_form(form: DeclarationForm) -> InformationForm:
    """The same content for the PDF form builder: the owner block, then one section per
    machine with 附件1's columns as labelled rows."""
    labels = [name for _g, names in GROUPS for name in names] + ["活动属性"]
    prefixes = ["" for _ in GROUPS[0][1]] + ["主机" for _ in GROUPS[1][1]]
    prefixes += ["辅机" for _ in GROUPS[2][1]] + [""]
    sections = [FormSection("申报单位或个人基本信息", owner_rows(form))]
    for number, machine in enumerate(form.machines, start=1):
        rows = tuple(
            (f"{prefix}{label}", value)
            for prefix, label, value in zip(prefixes, labels, machine_cells(machine), strict=True)
            if value
        )
        sections.append(FormSection(f"申报机械 {number}：{machine.machine_type}", rows))
    return InformationForm(title=TITLE, number="", sections=tuple(sections), footer=form.footer)


def declaration_forms_pdf(forms: Sequence[DeclarationForm]) -> bytes:
    """One form per owner, each starting on a new page, in one PDF."""
    if not forms:
        raise ValueError("no declaration forms to write")
    return information_forms_pdf([as_information_form(f) for f in forms])


def _text(cell: Any, value: object) -> None:
    """Owners' text goes in as text: openpyxl would store "=…" as a live formula (a
    phishing link or DDE in a file district staff open), so strings are never formulas."""
    cell.value = value
    if isinstance(value, str) and value:
        cell.data_type = "s"
