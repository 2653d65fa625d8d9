"""Bulk import of a large xlsx (issue #7): the import's rows/s against reading the same file
with openpyxl alone (the floor: the import cannot read faster than its reader).

    DATABASE_URL=postgres://.../scratch .venv/bin/python bench/fleets_import.py [ROWS]

The file is the downloadable template (fleets.xlsx.build_template) filled with ROWS machines
(default 100,000, or NRMM_BENCH_IMPORT_ROWS) as an owner fills it in Excel: drop-down
labels, real dates, numbers, empty cells left empty. The import runs every check of the
wizard on every row (fleets.actions.start_import with the immediate task backend) into the
database named by DATABASE_URL, for a throwaway organisation whose drafts are removed after.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrmm.settings")

import django

django.setup()

from openpyxl import load_workbook  # noqa: E402

from accounts.constants import AccountKind  # noqa: E402
from accounts.models import User  # noqa: E402
from core.models import AuditEntry  # noqa: E402
from fleets import actions  # noqa: E402
from fleets.columns import template_spec  # noqa: E402
from fleets.models import ImportJob  # noqa: E402
from fleets.xlsx import DATA_SHEET, build_template, normalise_header  # noqa: E402
from registry.models import Declaration  # noqa: E402

TARGET_ROWS_PER_SECOND = 1_000
DEFAULT_ROWS = 100_000


def row_values(i: int) -> dict[str, object]:
    return {
        "登记区县": "浦东新区",
        "使用场所": "工地",
        "场所地址": f"示例路{i}号",
        "登记类型": "机械",
        "机械类型": "挖掘机",
        "机械名称": "履带式挖掘机",
        "规格型号": "SY215C",
        "生产厂家": "示例重工",
        "出厂日期": date(2023, 3, 1),
        "出厂编号/PIN码": f"BENCH-{i:08d}",
        "取得方式": "购置",
        "购置发票日期/转入日期": date(2024, 5, 1),
        "有无铭牌": "有",
        "机械环保信息公开编号": "CNFJG4000L53000006000001",
        "燃料种类": "柴油",
        "主机功率（千瓦）": 110,
        "主机排放阶段": "国4",
    }


def build(rows: int) -> bytes:
    """The template with `rows` machines typed in (a normal workbook save, so the sheet
    declares its size as Excel's do)."""
    book = load_workbook(BytesIO(build_template(template_spec())))
    sheet = book[DATA_SHEET]
    headers = [normalise_header(cell.value) for cell in sheet[1]]
    for i in range(rows):
        values = row_values(i)
        sheet.append([values.get(header) for header in headers])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def read_alone(data: bytes) -> float:
    """Seconds openpyxl takes to read every row of the data sheet (read-only, values)."""
    started = time.perf_counter()
    book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    for _row in book[DATA_SHEET].iter_rows(values_only=True):
        pass
    book.close()
    return time.perf_counter() - started


def _organisation() -> User:
    org, _created = User.objects.get_or_create(
        phone="13799999999",
        defaults={
            "name": "压测单位",
            "kind": AccountKind.ORGANISATION,
            "credit_code": "9144030071526726XG",
        },
    )
    return org


def _clean(org: User) -> None:
    ids = list(Declaration.objects.filter(owner=org).values_list("pk", flat=True))
    AuditEntry.objects.filter(
        target_type="registry.declaration", target_id__in=map(str, ids)
    ).delete()
    ImportJob.objects.filter(owner=org).delete()
    Declaration.objects.filter(owner=org).delete()


def run(rows: int) -> dict[str, float]:
    data = build(rows)
    org = _organisation()
    _clean(org)
    floor_seconds = read_alone(data)
    started = time.perf_counter()
    cpu = time.process_time()
    job = actions.start_import(acting_user=org, owner=org, file_name="bench.xlsx", data=data)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    job.refresh_from_db()
    result = {
        "rows": rows,
        "megabytes": len(data) / 1e6,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "floor_seconds": floor_seconds,
        "created": job.created_count,
        "errors": job.error_rows,
        "duplicates": job.duplicate_count,
    }
    _clean(org)
    return result


def measure(machines: int) -> list[dict[str, str]]:
    """One row for the harness (`machines` is not used: the file size is the bench's own)."""
    rows = int(os.environ.get("NRMM_BENCH_IMPORT_ROWS", DEFAULT_ROWS))
    r = run(rows)
    ours = rows / r["seconds"]
    floor = rows / r["floor_seconds"]
    problems = []
    if r["created"] != rows:
        problems.append(f"{r['created']:,} of {rows:,} rows imported ({r['errors']:,} with errors)")
    if ours < TARGET_ROWS_PER_SECOND:
        problems.append(
            f"{ours:,.0f} rows/s is below {TARGET_ROWS_PER_SECOND:,} (this process's CPU"
            f" alone would allow {rows / r['cpu_seconds']:,.0f} rows/s: the rest is the"
            " database and waiting for a CPU)"
        )
    return [
        {
            "what": f"bulk import of a {rows:,}-row xlsx ({r['megabytes']:.1f} MB), every check",
            "ours": f"{ours:,.0f} rows/s ({r['seconds']:.1f} s, {r['cpu_seconds']:.1f} s CPU"
            " in this process)",
            "floor": f"{floor:,.0f} rows/s (openpyxl alone reading it: {r['floor_seconds']:.1f} s)",
            "target": f"≥ {TARGET_ROWS_PER_SECOND:,} rows/s",
            "verdict": "met" if not problems else "not met: " + "; ".join(problems),
        }
    ]


if __name__ == "__main__":
    if len(sys.argv) > 1:
        os.environ["NRMM_BENCH_IMPORT_ROWS"] = sys.argv[1]
    for row in measure(0):
        print(" | ".join(f"{key}: {value}" for key, value in row.items()))
