"""Reading an import file: streaming (openpyxl read_only), every row checked by the wizard's
own step checks (registry.steps.clean_step), correct rows written as drafts in chunks.

Costs per chunk of CHUNK rows, not per row: one catalogue look-up, one look-up of the
owner's existing machines with the chunk's serials, and a few bulk inserts.
"""

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db.models import Q
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from fleets.columns import KEY_FIELDS, columns
from fleets.xlsx import DATA_SHEET, normalise_header
from registry.constants import DeclarationStatus
from registry.models import Declaration
from registry.steps import STEP_FIELDS, Cleaned, clean_step

CHUNK = 1000
MAX_ROWS = 200_000
MEMO_LIMIT = 20_000
DIMENSION = re.compile(r'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')


class FileProblem(Exception):
    """The file as a whole cannot be imported (not an xlsx, wrong headers): one message."""


@dataclass
class RowResult:
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # field name -> message

    @property
    def keys(self) -> list[tuple[str, str]]:
        return [(name, self.values[name]) for name in KEY_FIELDS if self.values.get(name)]


@dataclass
class Sheet:
    rows: Iterator[tuple[Any, ...]]
    positions: dict[str, int]  # field name -> index in a row
    estimated_rows: int
    workbook: Any

    def close(self) -> None:
        self.workbook.close()


def open_sheet(stream: IO[bytes]) -> Sheet:
    """Open the data sheet and map its header row to the wizard's fields."""
    if not zipfile.is_zipfile(stream):
        raise FileProblem(_("文件不是有效的xlsx表格，请下载模板填写后上传"))
    stream.seek(0)
    _refuse_zip_bomb(stream)
    stream.seek(0)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise FileProblem(_("文件无法读取，请确认是Excel的xlsx格式（.xlsx）")) from exc
    names = workbook.sheetnames
    worksheet = workbook[DATA_SHEET] if DATA_SHEET in names else workbook.worksheets[0]
    if not isinstance(worksheet, ReadOnlyWorksheet):
        workbook.close()
        raise FileProblem(_("文件无法读取，请确认是Excel的xlsx格式（.xlsx）"))
    header = next(worksheet.iter_rows(max_row=1, values_only=True), None)
    if header is None:
        workbook.close()
        raise FileProblem(_("表格是空的：第1行应为表头"))
    by_header = {c.header: c for c in columns()}
    positions: dict[str, int] = {}
    for index, text in enumerate(header):
        column = by_header.get(normalise_header(text))
        if column is not None and column.name not in positions:
            positions[column.name] = index
    missing = [c.header for c in columns() if c.required and c.name not in positions]
    if missing:
        workbook.close()
        raise FileProblem(
            _("表头缺少必填列：%(columns)s。请使用下载的模板，不要修改第1行")
            % {"columns": "、".join(missing)}
        )
    # Only as many columns as the header has: cells typed beyond it are not read.
    # An explicit last row: openpyxl then stops there instead of trusting (or computing)
    # the sheet's own size, and pads up to it when a row lies beyond, which data_rows
    # counts as too many rows. A sheet declaring too few rows is read whole all the same.
    rows = worksheet.iter_rows(
        min_row=2, max_row=MAX_ROWS + 2, max_col=len(header), values_only=True
    )
    estimated = max(_declared_rows(worksheet) - 1, 0)
    if estimated > MAX_ROWS:
        workbook.close()
        raise FileProblem(_("一次最多导入%(n)s行，请分成几个文件") % {"n": MAX_ROWS})
    return Sheet(rows=rows, positions=positions, estimated_rows=estimated, workbook=workbook)


# An xlsx is a zip: what it unpacks to, before openpyxl reads a byte of it. A real
# 200,000-row sheet unpacks to some tens of MB at a ratio of 5-20.
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_RATIO = 200


def _refuse_zip_bomb(stream: IO[bytes]) -> None:
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise FileProblem(_("文件不是有效的xlsx表格，请下载模板填写后上传")) from exc
    unpacked = sum(m.file_size for m in members)
    ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if unpacked > MAX_UNPACKED_BYTES or ratio > MAX_RATIO:
        raise FileProblem(
            _("文件解压后过大，无法导入：请使用下载的模板，不要在单元格中粘贴大量内容")
        )


def _declared_rows(worksheet: ReadOnlyWorksheet) -> int:
    """The row count the sheet declares at its top (<dimension ref="A1:AL201"/>; Excel
    always writes it), or 0 when it declares none. Not worksheet.max_row: without the
    declaration openpyxl finds it by parsing the whole sheet, a second full read."""
    try:
        with worksheet._get_source() as xml:  # the sheet's XML, as openpyxl reads it
            head = xml.read(4096).decode("utf-8", "replace")
    except (KeyError, OSError, AttributeError):
        return 0
    match = DIMENSION.search(head)
    return int(match.group(1)) if match else 0


def data_rows(sheet: Sheet) -> Iterator[tuple[int, dict[str, str]]]:
    """(Excel row number, what the wizard's form would post) for each non-empty row."""
    cols = [(c, sheet.positions[c.name]) for c in columns() if c.name in sheet.positions]
    for number, cells in enumerate(sheet.rows, start=2):
        if number > MAX_ROWS + 1:  # empty rows count too: a row far below is no way round
            raise FileProblem(_("一次最多导入%(n)s行，请分成几个文件") % {"n": MAX_ROWS})
        if not any(cell not in (None, "") for cell in cells):
            continue
        width = len(cells)
        yield number, {c.name: c.form_value(cells[i] if i < width else None) for c, i in cols}


StepMemo = dict[tuple[Any, ...], Cleaned]


def check_row(number: int, data: dict[str, str], memo: StepMemo | None = None) -> RowResult:
    """The wizard's checks of every step, in the wizard's order, on one row.

    `memo` (one per import) remembers each step's outcome for the same inputs: a fleet's
    rows often repeat a step whole (one site, one engine model, no DPF), and clean_step
    depends on nothing but the step's own fields, the registration type and today."""
    result = RowResult(row=number)
    ctx: dict[str, Any] = {}
    for step in sorted(STEP_FIELDS):
        cleaned: Cleaned | None = None
        if memo is not None:
            key = (step, ctx.get("registration_type"), *(data.get(f) for f in STEP_FIELDS[step]))
            cleaned = memo.get(key)
        if cleaned is None:
            cleaned = clean_step(step, data, ctx)
            if memo is not None:
                if len(memo) >= MEMO_LIMIT:
                    memo.clear()  # bounded memory: rows that vary in every step
                memo[key] = cleaned
        result.values.update(cleaned.values)
        result.errors.update(cleaned.errors)
        ctx.setdefault("registration_type", cleaned.values.get("registration_type"))
    if not result.errors and not result.keys:
        # Not a wizard rule: the import needs one of these to recognise a machine it has
        # already imported (re-uploading a file must not duplicate machines).
        result.errors["factory_serial"] = _(
            "出厂编号、产品识别码PIN、机械环保代码至少填一项，用于识别重复导入"
        )
    return result


def existing_keys(owner_id: int, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (field, value) pairs the owner's machines already carry: one query.
    A refused declaration does not count (the owner may declare the machine again)."""
    if not keys:
        return set()
    match = Q()
    for name in KEY_FIELDS:
        values = {v for f, v in keys if f == name}
        if values:
            match |= Q(**{f"{name}__in": values})
    found: set[tuple[str, str]] = set()
    rows = (
        Declaration.objects.filter(owner_id=owner_id)
        .exclude(status=DeclarationStatus.REFUSED)
        .filter(match)
        .values_list(*KEY_FIELDS)
    )
    for values in rows:
        for name, value in zip(KEY_FIELDS, values, strict=True):
            if value and (name, value) in keys:
                found.add((name, value))
    return found


def header_of() -> dict[str, str]:
    return {c.name: c.header for c in columns()}
