"""A streaming xlsx writer: rows in, the file's bytes out chunk by chunk, in bounded memory.

openpyxl's write-only mode still builds the whole file before it can be sent. An xlsx file is
a zip of a few XML parts, and Python's zipfile writes to a stream it cannot seek (sizes go in
data descriptors after each part), so the worksheet's XML can be produced row by row and the
compressed bytes handed to the response as they come: 100,000 rows never sit in memory.
Strings are inline (no shared-strings table, which would have to be held until the end).

No Django here: `stream_xlsx` takes any iterable of rows; the views feed it
`.values_list(...).iterator(chunk_size=...)`.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from xml.sax.saxutils import escape

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_048_576  # Excel's limit per sheet; more rows are refused, not cut silently
SHEET_NAME_MAX = 31
# Worksheet XML is flushed to the zip every this many rows.
FLUSH_ROWS = 500

_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year quirk built in)
# Characters XML 1.0 forbids; a stray control character in a user's text must not break the file.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

Cell = str | int | float | Decimal | date | datetime | bool | None

# Style indexes in _STYLES' cellXfs.
_STYLE_HEADER, _STYLE_DATE, _STYLE_DATETIME = 1, 2, 3

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _override(part: str, kind: str) -> str:
    return f'<Override PartName="{part}" ContentType="{_SPREADSHEET}.{kind}+xml"/>'


def _relationship(rid: str, kind: str, target: str) -> str:
    return f'<Relationship Id="{rid}" Type="{_OFFICE_RELS}/{kind}" Target="{target}"/>'


_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PACKAGE}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    + _override("/xl/workbook.xml", "sheet.main")
    + _override("/xl/worksheets/sheet1.xml", "worksheet")
    + _override("/xl/styles.xml", "styles")
    + "</Types>"
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE}/relationships">'
    + _relationship("rId1", "officeDocument", "xl/workbook.xml")
    + "</Relationships>"
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE}/relationships">'
    + _relationship("rId1", "worksheet", "worksheets/sheet1.xml")
    + _relationship("rId2", "styles", "styles.xml")
    + "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="等线"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def sheet_name(name: str) -> str:
    """A name Excel accepts: no []:*?/\\, at most 31 characters, not empty."""
    cleaned = _SHEET_FORBIDDEN.sub("_", name).strip("'")[:SHEET_NAME_MAX]
    return cleaned or "Sheet1"


def _workbook(name: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet_name(name), {chr(34): "&quot;"})}" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


# Text that needs escaping or cleaning; most cells have none and skip both.
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    if _SPECIAL.search(value):
        value = escape(_ILLEGAL.sub("", value))
    return value


def _cell(value: Cell) -> str:
    """One cell. Cells carry no reference: each follows the one before (empty cells are
    written as <c/>), which saves a third of the file and of the time."""
    kind = type(value)
    if kind is str:
        if not value:
            return "<c/>"
        return f'<c t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'  # type: ignore[arg-type]
    if value is None:
        return "<c/>"
    if kind is bool:
        return f'<c t="b"><v>{int(value)}</v></c>'  # type: ignore[arg-type]
    if kind is int or kind is float or kind is Decimal:
        return f"<c><v>{value}</v></c>"
    if isinstance(value, datetime):
        # Wall-clock time as the caller formatted it (aware values: convert before).
        delta = value.replace(tzinfo=None, microsecond=0) - _EPOCH
        serial = delta.days + delta.seconds / 86400
        return f'<c s="{_STYLE_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        serial_day = (datetime.combine(value, time.min) - _EPOCH).days
        return f'<c s="{_STYLE_DATE}"><v>{serial_day}</v></c>'
    if isinstance(value, (int, float, Decimal)):  # subclasses (e.g. IntEnum)
        return f"<c><v>{value}</v></c>"
    return _cell(str(value))


def _header(number: int, values: Sequence[str]) -> str:
    cells = "".join(
        f'<c t="inlineStr" s="{_STYLE_HEADER}"><is><t xml:space="preserve">{_text(str(v))}'
        "</t></is></c>"
        for v in values
    )
    return f'<row r="{number}">{cells}</row>'


def _row(number: int, values: Sequence[Cell]) -> str:
    return f'<row r="{number}">{"".join(map(_cell, values))}</row>'


class _Sink:
    """What zipfile writes into: keeps the bytes until the generator hands them on. It has
    tell() but no seek(), which makes zipfile stream (data descriptors, no going back)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def stream_xlsx(
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    title: str = "Sheet1",
    column_widths: Sequence[float] = (),
) -> Iterator[bytes]:
    """The xlsx file of one sheet: a bold header row, then `rows`, yielded in chunks.

    Rows are consumed lazily; memory stays bounded whatever their number. More rows than a
    sheet holds raise ValueError (a truncated export would mislead)."""
    sink = _Sink()
    with zipfile.ZipFile(
        sink,  # type: ignore[call-overload]  # write() and tell() are all zipfile needs
        "w",
        compression=zipfile.ZIP_DEFLATED,
        compresslevel=5,
    ) as zf:
        for name, text in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", _workbook(title)),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
            ("xl/styles.xml", _STYLES),
        ):
            zf.writestr(name, text)
        yield sink.take()
        with zf.open("xl/worksheets/sheet1.xml", "w") as part:
            cols = "".join(
                f'<col min="{i + 1}" max="{i + 1}" width="{w:g}" customWidth="1"/>'
                for i, w in enumerate(column_widths)
            )
            part.write(
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                    'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                    + (f"<cols>{cols}</cols>" if cols else "")
                    + "<sheetData>"
                    + _header(1, header)
                ).encode()
            )
            buffer: list[str] = []
            number = 1
            for values in rows:
                number += 1
                if number > MAX_ROWS:
                    raise ValueError(f"more than {MAX_ROWS - 1} rows do not fit in one sheet")
                buffer.append(_row(number, values))
                if len(buffer) >= FLUSH_ROWS:
                    part.write("".join(buffer).encode())
                    buffer.clear()
                    yield sink.take()
            part.write(("".join(buffer) + "</sheetData></worksheet>").encode())
    yield sink.take()


def xlsx_bytes(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], *, title: str = "Sheet1"
) -> bytes:
    """The whole file at once, for small tables (the statistics pages' downloads)."""
    return b"".join(stream_xlsx(header, rows, title=title))
