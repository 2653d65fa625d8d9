"""Times a bulk import of N generated rows (default 10,000) on the configured database:
    DATABASE_URL=... .venv/bin/python bench/fleets_import.py 10000
Creates a throwaway organisation (and removes its drafts afterwards)."""

import os
import sys
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrmm.settings")

import django

django.setup()

from openpyxl import Workbook  # noqa: E402

from accounts.constants import AccountKind  # noqa: E402
from accounts.models import User  # noqa: E402
from core.models import AuditEntry  # noqa: E402
from fleets import actions  # noqa: E402
from fleets.columns import columns  # noqa: E402
from fleets.models import ImportJob  # noqa: E402
from registry.models import Declaration  # noqa: E402


def build(n: int) -> bytes:
    # A normal (not write-only) workbook, so the sheet declares its size as Excel's do.
    book = Workbook()
    sheet = book.active
    sheet.title = "机械清单"
    headers = [c.header for c in columns()]
    sheet.append(headers)
    for i in range(n):
        values = {
            "登记区县": "浦东新区",
            "使用场所": "工地",
            "场所地址": f"示例路{i}号",
            "登记类型": "机械",
            "机械类型": "挖掘机",
            "机械名称": "履带式挖掘机",
            "规格型号": "SY215C",
            "生产厂家": "示例重工",
            "出厂日期": "2023-03-01",
            "出厂编号/PIN码": f"BENCH-{i:08d}",
            "取得方式": "购置",
            "购置发票日期/转入日期": "2024-05-01",
            "有无铭牌": "有",
            "机械环保信息公开编号": "CNFJG4000L53000006000001",
            "燃料种类": "柴油",
            "主机功率（千瓦）": 110,
            "主机排放阶段": "国4",
        }
        sheet.append([values.get(h, "") for h in headers])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    org, _ = User.objects.get_or_create(
        phone="13799999999",
        defaults={
            "name": "压测单位",
            "kind": AccountKind.ORGANISATION,
            "credit_code": "9144030071526726XG",
        },
    )
    data = build(n)
    started = time.perf_counter()
    job = actions.start_import(acting_user=org, owner=org, file_name="bench.xlsx", data=data)
    job.refresh_from_db()
    elapsed = time.perf_counter() - started
    print(
        f"{n} rows ({len(data) / 1e6:.1f} MB): {elapsed:.1f} s, {n / elapsed:.0f} rows/s; "
        f"created {job.created_count}, duplicates {job.duplicate_count}, errors {job.error_rows}"
    )
    ids = list(Declaration.objects.filter(owner=org).values_list("pk", flat=True))
    AuditEntry.objects.filter(
        target_type="registry.declaration", target_id__in=map(str, ids)
    ).delete()
    ImportJob.objects.filter(owner=org).delete()
    Declaration.objects.filter(owner=org).delete()


if __name__ == "__main__":
    main()
