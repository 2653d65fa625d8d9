"""Import files generated in the test with openpyxl, as an organisation would fill them."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import Workbook

from tests.conftest import make_user, new_org_staff

# The headers exactly as the template has them (the required ones marked with *).
HEADERS = {
    "district": "登记区县*",
    "site_type": "使用场所*",
    "site_address": "场所地址",
    "registration_type": "登记类型*",
    "machine_type": "机械类型*",
    "machine_name": "机械名称",
    "maker": "生产厂家",
    "production_date": "出厂日期",
    "factory_serial": "出厂编号/PIN码",
    "acquisition_kind": "取得方式*",
    "acquisition_date": "购置发票日期/转入日期*",
    "has_nameplates": "有无铭牌*",
    "machine_env_code": "机械环保代码",
    "fuel_type": "燃料种类*",
    "engine_power_kw": "主机功率（千瓦）",
    "engine_stage": "主机排放阶段",
}


def row(n: int, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "district": "浦东新区",
        "site_type": "工地",
        "site_address": f"浦东新区示例路{n}号",
        "registration_type": "机械",
        "machine_type": "挖掘机",
        "machine_name": "履带式挖掘机",
        "maker": "示例重工",
        "production_date": date(2023, 3, 1),
        "factory_serial": f"SN-{n:06d}",
        "acquisition_kind": "购置",
        "acquisition_date": date(2024, 5, 1),
        "has_nameplates": "有",
        "machine_env_code": "",
        "fuel_type": "柴油",
        "engine_power_kw": 110,
        "engine_stage": "国4",
    }
    values.update(changes)
    return values


def xlsx(rows: list[dict[str, object]], headers: dict[str, str] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "机械清单"
    sheet.append(list(headers.values()))
    for values in rows:
        sheet.append([values.get(name) for name in headers])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


# Five bad rows among 200: (row index 0-based, change, column header, word in the message)
BAD_ROWS = {
    17: ({"machine_type": "飞行器"}, "机械类型"),
    42: ({"acquisition_date": "2024/13/45"}, "购置发票日期/转入日期"),
    88: ({"fuel_type": ""}, "燃料种类"),
    120: ({"machine_env_code": "ABC123"}, "机械环保代码"),
    163: ({"district": "火星区"}, "登记区县"),
}


def two_hundred_rows() -> list[dict[str, object]]:
    rows = []
    for i in range(200):
        change, _column = BAD_ROWS.get(i, ({}, ""))
        rows.append(row(i, **change))
    return rows


def bad_excel_rows() -> list[int]:
    return sorted(i + 2 for i in BAD_ROWS)  # header is row 1


@pytest.fixture
def org_staff_member(organisation):
    return new_org_staff(organisation)


@pytest.fixture
def other_organisation(db):
    return make_user(
        "13800000022",
        "另一家单位",
        kind="organisation",
        credit_code="91110000600037341L",
        legal_representative="孙八",
        contact_name="周九",
    )
