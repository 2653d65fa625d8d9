"""Import the disclosure catalogue from a CSV or xlsx file.

The file is read row by row and written in batches of :data:`IMPORT_BATCH_SIZE`, so its
size is bounded by the database, not by memory.  Each row replaces the whole entry with
the same number (a column missing from the file is blank).  Rows with errors are skipped
and reported with their row number (as Excel shows it: the header is row 1) and column;
the other rows are saved in one transaction.  A file that cannot be read at all raises
:class:`CatalogueFileError` and saves nothing.
"""

import codecs
import csv
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import Any, Final

import openpyxl
from django.db import transaction
from django.db.models import Field
from openpyxl.utils.exceptions import InvalidFileException

from catalogue.constants import HEADER_ALIASES, IMPORT_BATCH_SIZE, KIND_ALIASES, EntryKind
from catalogue.models import (
    TYPE_APPROVAL_LENGTH,
    CatalogueEntry,
    check_entry_number,
    stage_of,
)
from rules.identifiers import normalise

FIELDS: Final = tuple(HEADER_ALIASES)
TEXT_FIELDS: Final = (
    "maker",
    "model",
    "machine_type",
    "machine_name",
    "engine_maker",
    "engine_model",
    "fuel_type",
    "source",
)
REQUIRED_FIELDS: Final = ("maker", "model")
MACHINE_FIELDS: Final = ("machine_type", "machine_name")
# The fields an import writes; imported_at is added to every update.
DATA_FIELDS: Final = ("kind", "stage", *TEXT_FIELDS, "power_kw")

POWER_STEP: Final = Decimal("0.1")
POWER_LIMIT: Final = Decimal("1000000")  # max_digits 7, decimal_places 1
POWER_UNITS: Final = ("KW", "千瓦")
# Keeps each "number IN (...)" query well under every backend's parameter limit.
FETCH_CHUNK: Final = 500
ENCODING_PROBE_CHUNK: Final = 1 << 20

_HEADER_STRIP: Final = str.maketrans("", "", "_-")


class CatalogueFileError(Exception):
    """The file cannot be read as a catalogue; the message is for the administrator."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    errors: tuple[RowError, ...]

    @property
    def rejected_rows(self) -> int:
        """Rows skipped because of errors (a row may have errors in several columns)."""
        return len({error.row for error in self.errors})


# --- Reading ------------------------------------------------------------------------


def _header_key(text: str) -> str:
    """ "功率（kW）" → "功率", " Engine_Maker " → "enginemaker"."""
    key = normalise(text, upper=False).lower()
    return key.split("(", 1)[0].translate(_HEADER_STRIP)


_FIELD_BY_HEADER: Final[Mapping[str, str]] = {
    _header_key(alias): field for field, aliases in HEADER_ALIASES.items() for alias in aliases
}


def _model_field(name: str) -> "Field[Any, Any]":
    field = CatalogueEntry._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _label(field: str) -> str:
    return str(_model_field(field).verbose_name)


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as such, else GB18030
    (Excel in Chinese saves CSV in GBK, which GB18030 contains)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as stream:
        try:
            while chunk := stream.read(ENCODING_PROBE_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def _csv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    encoding = _detect_encoding(path)
    row = 0
    try:
        with path.open(encoding=encoding, newline="") as stream:
            for row, record in enumerate(csv.reader(stream), start=1):
                yield row, record
    except UnicodeDecodeError:
        raise CatalogueFileError(
            f"第{row + 1}行附近无法识别文字编码（支持UTF-8和GBK/GB18030）"
        ) from None
    except csv.Error as exc:
        raise CatalogueFileError(f"第{row + 1}行不是有效的CSV：{exc}") from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _xlsx_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CatalogueFileError(f"不是有效的xlsx文件：{exc}") from None
    try:
        if not workbook.worksheets:
            raise CatalogueFileError("xlsx文件中没有工作表")
        sheet: Any = workbook.worksheets[0]
        # Some programs write a wrong sheet size; without it every row is read.
        sheet.reset_dimensions()
        for row, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield row, [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    if not path.is_file():
        raise CatalogueFileError(f"找不到文件：{path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_records(path)
    if suffix == ".xlsx":
        return _xlsx_records(path)
    raise CatalogueFileError(f"不支持的文件类型“{path.suffix}”，请使用.csv或.xlsx文件")


def _read_header(records: Iterator[tuple[int, list[str]]]) -> dict[str, tuple[int, str]]:
    """Column index and header text of each known field, from the first non-blank row."""
    for _row, record in records:
        if not any(cell.strip() for cell in record):
            continue
        columns: dict[str, tuple[int, str]] = {}
        for index, text in enumerate(record):
            field = _FIELD_BY_HEADER.get(_header_key(text))
            if field is None:
                continue
            if field in columns:
                raise CatalogueFileError(
                    f"表头中“{columns[field][1]}”和“{text.strip()}”是同一列（{field}），"
                    "请只保留一列"
                )
            columns[field] = (index, text.strip())
        if "number" not in columns:
            names = "、".join(f"“{alias}”" for alias in HEADER_ALIASES["number"])
            raise CatalogueFileError(f"表头缺少编号列（可用列名：{names}）")
        return columns
    raise CatalogueFileError("文件为空，没有表头")


def _open(path: Path) -> tuple[dict[str, str], Iterator[tuple[int, dict[str, str]]]]:
    """Header text by field, and the non-blank data rows with their values by field."""
    records = _records(path)
    columns = _read_header(records)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for row, record in records:
            values = {
                field: record[index].strip() if index < len(record) else ""
                for field, (index, _text) in columns.items()
            }
            if any(values.values()):
                yield row, values

    return {field: text for field, (_index, text) in columns.items()}, rows()


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, values by field name) for each non-blank data row.

    The row number is the one a spreadsheet shows (the header is row 1).  Field names
    are the keys of :data:`HEADER_ALIASES`; only fields with a column are present.
    Raises :class:`CatalogueFileError` for an unreadable file or a header without the
    number column.
    """
    _headers, rows = _open(path)
    yield from rows


# --- Checking -----------------------------------------------------------------------


def infer_kind(number: str, values: Mapping[str, str]) -> EntryKind:
    """Kind of a row whose kind cell is blank: a 16-character number is a type-approval
    number, so an engine; a 24-character number is a machine unless the row gives an
    engine model and neither machine type nor machine name."""
    if len(number) == TYPE_APPROVAL_LENGTH:
        return EntryKind.ENGINE
    if values.get("engine_model") and not any(values.get(f) for f in MACHINE_FIELDS):
        return EntryKind.ENGINE
    return EntryKind.MACHINE


def parse_power(text: str) -> tuple[Decimal | None, str | None]:
    """Power in kW rounded to 0.1, or an error; blank is None.  "55", "55.2kW" pass."""
    value = normalise(text)
    for unit in POWER_UNITS:
        value = value.removesuffix(unit)
    if not value:
        return None, None
    label = _label("power_kw")
    try:
        power = Decimal(value)
    except InvalidOperation:
        return None, f"{label}应为数字，您填写了“{text}”"
    if not power.is_finite() or power <= 0:
        return None, f"{label}应为正数，您填写了“{text}”"
    if power >= POWER_LIMIT:
        return None, f"{label}应小于{POWER_LIMIT}，您填写了“{text}”"
    power = power.quantize(POWER_STEP, rounding=ROUND_HALF_UP)
    if power <= 0:
        return None, f"{label}应至少为{POWER_STEP}，您填写了“{text}”"
    return power, None


def _check_row(
    row: int, values: Mapping[str, str], headers: Mapping[str, str]
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """The entry's field values, or the row's errors (one per column at most)."""
    errors: list[RowError] = []

    def fail(field: str, message: str) -> None:
        errors.append(RowError(row, headers.get(field) or _label(field), message))

    kind: EntryKind | None = None
    kind_text = values.get("kind", "")
    if kind_text:
        kind = KIND_ALIASES.get(kind_text.lower())
        if kind is None:
            fail("kind", f"类别应为“机械”或“发动机”，您填写了“{kind_text}”")

    data: dict[str, Any] = {field: values.get(field, "") for field in TEXT_FIELDS}
    check = check_entry_number(values.get("number", ""), kind)
    if check.error is not None:
        fail("number", check.error)
    elif kind is None and not kind_text:
        kind = infer_kind(check.value, values)

    if kind == EntryKind.ENGINE:
        # An engine's own maker and model are its engine maker and model.
        for own, engine in (("maker", "engine_maker"), ("model", "engine_model")):
            data[own] = data[own] or data[engine]
            data[engine] = data[engine] or data[own]

    for field in TEXT_FIELDS:
        limit = _model_field(field).max_length
        if field in REQUIRED_FIELDS and not data[field]:
            fail(field, f"请填写{_label(field)}")
        elif limit is not None and len(data[field]) > limit:
            fail(field, f"{_label(field)}最多{limit}个字符，您填写了{len(data[field])}个")

    power, power_error = parse_power(values.get("power_kw", ""))
    if power_error is not None:
        fail("power_kw", power_error)

    if errors or kind is None:
        return None, errors
    data.update(number=check.value, kind=kind, stage=stage_of(check.value), power_kw=power)
    return data, []


# --- Writing ------------------------------------------------------------------------


def _batches(
    rows: Iterator[tuple[int, dict[str, str]]], size: int
) -> Iterator[list[tuple[int, dict[str, str]]]]:
    while batch := list(islice(rows, size)):
        yield batch


def _existing(numbers: list[str]) -> dict[str, dict[str, Any]]:
    """The stored values of the entries with these numbers, by number."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(numbers), FETCH_CHUNK):
        chunk = numbers[start : start + FETCH_CHUNK]
        rows = CatalogueEntry.objects.filter(number__in=chunk).values("number", *DATA_FIELDS)
        found.update((row["number"], row) for row in rows)
    return found


def _write(entries: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Upsert one batch of checked rows; (created, updated, unchanged)."""
    existing = _existing([data["number"] for data in entries])
    created = updated = 0
    writes: list[CatalogueEntry] = []
    for data in entries:
        stored = existing.get(data["number"])
        if stored is None:
            created += 1
        elif any(stored[field] != data[field] for field in DATA_FIELDS):
            updated += 1
        else:
            continue
        writes.append(CatalogueEntry(**data))
    # INSERT ... ON CONFLICT (number) DO UPDATE: one statement per few dozen rows, where
    # bulk_update's CASE expressions took minutes for 100,000 changed rows.  imported_at
    # (auto_now) is set by bulk_create.
    CatalogueEntry.objects.bulk_create(
        writes,
        update_conflicts=True,
        unique_fields=["number"],
        update_fields=[*DATA_FIELDS, "imported_at"],
    )
    return created, updated, len(entries) - created - updated


def import_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    headers: Mapping[str, str] | None = None,
    *,
    dry_run: bool = False,
) -> ImportResult:
    """Check and upsert rows as :func:`read_rows` yields them (see :func:`import_catalogue`).

    ``headers`` names each field's column in the file, for error reports.
    """
    headers = headers or {}
    created = updated = unchanged = 0
    errors: list[RowError] = []
    first_row: dict[str, int] = {}  # number -> row, to report a number given twice
    with transaction.atomic():
        for batch in _batches(iter(rows), IMPORT_BATCH_SIZE):
            entries: list[dict[str, Any]] = []
            for row, values in batch:
                data, row_errors = _check_row(row, values, headers)
                if data is not None and data["number"] in first_row:
                    row_errors = [
                        RowError(
                            row,
                            headers.get("number") or _label("number"),
                            f"编号{data['number']}与第{first_row[data['number']]}行重复，"
                            "本行未导入",
                        )
                    ]
                errors.extend(row_errors)
                if data is not None and not row_errors:
                    first_row[data["number"]] = row
                    entries.append(data)
            counts = _write(entries)
            created += counts[0]
            updated += counts[1]
            unchanged += counts[2]
        if dry_run:
            transaction.set_rollback(True)
    return ImportResult(created, updated, unchanged, tuple(errors))


def import_catalogue(path: Path, *, dry_run: bool = False) -> ImportResult:
    """Import a catalogue file (.csv in UTF-8 or GBK, or .xlsx, first sheet).

    Valid rows are created or updated by number; a row equal to its entry counts as
    unchanged, so importing the same file twice changes nothing.  Rows with errors are
    skipped and reported.  With ``dry_run`` everything is checked and counted, then
    rolled back.  Raises :class:`CatalogueFileError` (nothing saved) if the file cannot
    be read or its header has no number column.
    """
    headers, rows = _open(path)
    return import_rows(rows, headers, dry_run=dry_run)
