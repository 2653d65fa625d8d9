"""The streaming xlsx writer: what openpyxl reads back, and that it streams."""

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from core import xlsx


def read(data: bytes) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return list(workbook.active.iter_rows(values_only=True))


def test_values_round_trip():
    data = xlsx.xlsx_bytes(
        ["名称", "数量", "日期", "时间", "是否"],
        [
            ["挖掘机 <A&B>", 3, date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5), True],
            [None, Decimal("1.5"), None, None, False],
            ["控制\x01字符", 0, "", None, None],
        ],
        title="表:1/2",
    )
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.active.title == "表_1_2"
    assert read(data) == [
        ("名称", "数量", "日期", "时间", "是否"),
        ("挖掘机 <A&B>", 3, datetime(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5), True),
        (None, 1.5, None, None, False),
        ("控制字符", 0, None, None, None),
    ]


def test_header_numbers_are_text_and_bold():
    data = xlsx.xlsx_bytes(["2026"], [[1]])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value == "2026" and sheet["A1"].font.b


def test_rows_are_consumed_lazily_and_yielded_in_chunks():
    consumed = 0

    def rows():
        nonlocal consumed
        for i in range(3 * xlsx.FLUSH_ROWS):
            consumed += 1
            yield [i, f"行{i}"]

    stream = xlsx.stream_xlsx(["n", "text"], rows())
    next(stream)  # the package parts before any row
    assert consumed == 0
    next(stream)
    assert consumed == xlsx.FLUSH_ROWS
    data = b"".join(stream)
    assert data  # the rest
    assert len(read(b"".join(xlsx.stream_xlsx(["n"], ([i] for i in range(1500)))))) == 1501


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)
    with pytest.raises(ValueError, match="do not fit"):
        xlsx.xlsx_bytes(["n"], [[1], [2], [3]])


@pytest.mark.parametrize(
    ("name", "expected"),
    [("", "Sheet1"), ("a" * 40, "a" * 31), ("x[1]*?", "x_1___"), ("'引号'", "引号")],
)
def test_sheet_names(name, expected):
    assert xlsx.sheet_name(name) == expected
