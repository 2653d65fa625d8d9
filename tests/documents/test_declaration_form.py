"""附件1 for one owner or many, as xlsx and PDF, from plain data."""

import io
import re

import openpyxl
import pytest

from documents.data import DeclarationForm, DeclaredMachine
from documents.declaration_form import (
    COLUMNS,
    declaration_forms_pdf,
    declaration_forms_xlsx,
)
from tests.documents.test_forms import assert_a4, pages_text

MACHINE = DeclaredMachine(
    name="履带式挖掘机",
    machine_type="挖掘机",
    model="SY215C",
    maker="三一重工",
    production_date="2021-03-01",
    serial="SY0215C1234567890",
    engine_maker="五十铃",
    engine_production_date="2021-01-10",
    engine_model="4HK1 E12345",
    engine_power="128.5",
    engine_stage="国3",
    aux_maker="",
    aux_production_date="",
    aux_model="",
    aux_power="",
    aux_stage="",
    activity="工地",
)


def form(name: str, machines: int = 1) -> DeclarationForm:
    return DeclarationForm(
        owner_name=name,
        identifier="110***********002X",
        legal_representative="",
        contact_name="",
        landline="",
        mobile="138****0001",
        address="",
        site="浦东新区 张江路1号",
        machines=(MACHINE,) * machines,
        footer="打印时间：2026-12-01 10:00",
    )


def test_xlsx_has_a_sheet_per_owner_laid_out_like_the_form():
    data = declaration_forms_xlsx([form("张三", 2), form("上海示例建设工程有限公司"), form("张三")])
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["1-张三", "2-上海示例建设工程有限公司", "3-张三"]
    sheet = workbook["1-张三"]
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0][0] == "非道路移动机械申报登记表"
    labels = {row[0]: row[4] for row in cells[2:9]}
    assert labels["所有单位名称/所有人姓名"] == "张三"
    assert labels["统一社会信用代码/身份证号码"] == "110***********002X"
    assert "138****0001" in labels["联系方式"]
    group_row = cells[10]
    assert group_row[0] == "序号" and group_row[1] == "机械自身属性"
    assert group_row[7] == "发动机主机信息" and group_row[12] == "发动机辅机信息"
    assert group_row[COLUMNS - 1] == "活动属性"
    header = cells[11]
    assert header[1:7] == (
        "机械名称",
        "机械类型",
        "规格型号",
        "生产厂家",
        "出厂日期",
        "机械出厂编号/PIN码",
    )
    first, second = cells[12], cells[13]
    assert first[0] == 1 and second[0] == 2
    assert first[1:4] == ("履带式挖掘机", "挖掘机", "SY215C") and first[10] == "128.5"
    assert first[COLUMNS - 1] == "工地"
    assert len(first) == COLUMNS == 18


def test_pdf_has_one_form_per_owner():
    pdf = declaration_forms_pdf([form("张三"), form("李四")])
    assert assert_a4(pdf) == 2
    pages = [re.sub(r"\s", "", text) for text in pages_text(pdf)]
    assert "张三" in pages[0] and "李四" in pages[1]
    assert "SY215C" in pages[0] and "主机功率" in pages[0]


def test_nothing_to_write_is_refused():
    with pytest.raises(ValueError):
        declaration_forms_xlsx([])
    with pytest.raises(ValueError):
        declaration_forms_pdf([])
