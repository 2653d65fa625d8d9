"""Plain data handed to the document builders.

The builders in this package take these frozen dataclasses and return bytes or str. They
know nothing of the database: the caller formats and masks every value first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SignData:
    """The stamped metal sign (附件3 图1)."""

    category: str  # row 1, e.g. "工程机械" (2..6 CJK characters)
    number: str  # row 2, the short number e.g. "沪A2-00001"


@dataclass(frozen=True)
class CardData:
    """The information card (附件3 图2), front and back."""

    short_number: str  # "沪A2-00001"
    qr_payload: str  # the URL to encode (an Ed25519-signed verification URL)
    title: str = "非道路移动机械环保信息采集卡"
    notice_heading: str = "说明"
    notice_text: str = (
        "此证应随机械携带，以便随时检查。限本机械使用，不得转让。"
        "此证不得涂改、伪造，否则按有关规定严肃处理。"
    )
    issuer: str = "上海市生态环境局监制"


@dataclass(frozen=True)
class FormSection:
    title: str
    rows: tuple[tuple[str, str], ...]  # (label, value), values already formatted/masked


@dataclass(frozen=True)
class InformationForm:
    """附件1 非道路移动机械环保信息采集表, filled in."""

    title: str  # e.g. "非道路移动机械环保信息采集表"
    number: str  # full registration number e.g. "工程机械沪A2-00001" (may be "")
    sections: tuple[FormSection, ...]
    footer: str = ""  # e.g. "打印时间：2026-11-23 10:00"


@dataclass(frozen=True)
class InstallationGuide:
    """号码安装或喷涂说明 for one registration."""

    number: str  # full number, e.g. "工程机械沪A2-00001"
    sign: SignData
    district_name: str  # "浦东新区"
    lines: tuple[str, ...]  # instruction paragraphs (the caller supplies the text)


@dataclass(frozen=True)
class DeclaredMachine:
    """One row of 附件1's table 申报机械信息 (values already formatted)."""

    name: str
    machine_type: str
    model: str
    maker: str
    production_date: str
    serial: str  # 机械出厂编号/PIN码
    engine_maker: str
    engine_production_date: str
    engine_model: str  # 型号编号: model and serial number
    engine_power: str  # kW
    engine_stage: str
    aux_maker: str
    aux_production_date: str
    aux_model: str
    aux_power: str
    aux_stage: str
    activity: str  # 活动属性: where the machine works (site type)


@dataclass(frozen=True)
class DeclarationForm:
    """附件1 非道路移动机械申报登记表 for one owner and any number of machines."""

    owner_name: str  # 所有单位名称/所有人姓名
    identifier: str  # 统一社会信用代码/身份证号码 (masked for people)
    legal_representative: str
    contact_name: str
    landline: str
    mobile: str  # masked
    address: str
    site: str  # 使用场所
    machines: tuple[DeclaredMachine, ...]
    footer: str = ""
