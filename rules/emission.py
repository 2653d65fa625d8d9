"""Emission stage determination of Art. 7, rule by rule in its order.

Stage 1 means "国1及以前": the measures put 国1 and everything earlier under code 1.
Every decision says which rule decided it and why, for the reviewer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

STAGE_LABELS: dict[int, str] = {
    1: "国1及以前",
    2: "国2",
    3: "国3",
    4: "国4",
    5: "国5",
    6: "国6",
}
# A stage digit above this is not a stage yet (a typo or a misread number); when 国7
# arrives, add a row to STAGE_LABELS.
MAX_STAGE = max(STAGE_LABELS)

# Art. 7 (三)(1): diesel produced on or before 2009-09-30 -> 国1及以前, from this day -> 国2.
DIESEL_STAGE_2_FROM = date(2009, 10, 1)

MACHINE_LABEL_LENGTH = 24
# Art. 7 (一)(二): the 6th character (1-based) of each number is the stage digit.
STAGE_POSITION = 6

_NUMBER_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def stage_label(stage: int) -> str:
    try:
        return STAGE_LABELS[stage]
    except KeyError:
        raise ValueError(f"未知的排放阶段：{stage}，应为1至{MAX_STAGE}") from None


def stage_code(stage: int) -> str:
    stage_label(stage)
    return str(stage)


class Rule(StrEnum):
    """The rule of Art. 7 that decided a stage; the values are stored, so never change them."""

    MACHINE_LABEL = "machine_label"
    ENGINE_TYPE_APPROVAL = "engine_type_approval"
    ENGINE_DISCLOSURE = "engine_disclosure"
    DIESEL_PRODUCTION_DATE = "diesel_production_date"
    IN_PLANT_STANDARD = "in_plant_standard"
    NO_INFORMATION = "no_information"
    OVERRIDE = "override"

    @property
    def label(self) -> str:
        return RULE_LABELS[self]

    @property
    def clause(self) -> str:
        return RULE_CLAUSES[self]


RULE_LABELS: dict[Rule, str] = {
    Rule.MACHINE_LABEL: "机械环保信息标签的环保信息公开编号",
    Rule.ENGINE_TYPE_APPROVAL: "发动机铭牌的型式核准号",
    Rule.ENGINE_DISCLOSURE: "发动机信息公开编号/信息入库号",
    Rule.DIESEL_PRODUCTION_DATE: "柴油机械生产日期",
    Rule.IN_PLANT_STANDARD: "场内车辆新车排放标准实施日期",
    Rule.NO_INFORMATION: "无环保公开信息和生产日期",
    Rule.OVERRIDE: "审核人员按国家和本市规定调整",
}

# The seed numbers the last two items （4）（5）; they are items 四 and 五 of Art. 7.
RULE_CLAUSES: dict[Rule, str] = {
    Rule.MACHINE_LABEL: "第七条第（一）项",
    Rule.ENGINE_TYPE_APPROVAL: "第七条第（二）项",
    Rule.ENGINE_DISCLOSURE: "第七条第（二）项",
    Rule.DIESEL_PRODUCTION_DATE: "第七条第（三）项第（1）目",
    Rule.IN_PLANT_STANDARD: "第七条第（三）项第（2）目",
    Rule.NO_INFORMATION: "第七条第（四）项",
    Rule.OVERRIDE: "第七条第（五）项",
}

# Art. 7 (二): the engine nameplate carries one of two numbers, told apart by length.
ENGINE_NUMBER_KINDS: dict[int, tuple[Rule, str]] = {
    16: (Rule.ENGINE_TYPE_APPROVAL, "发动机型式核准号"),
    24: (Rule.ENGINE_DISCLOSURE, "发动机信息公开编号/信息入库号"),
}


@dataclass(frozen=True)
class StageInputs:
    machine_disclosure_number: str = ""
    engine_number: str = ""
    production_date: date | None = None
    in_plant: bool = False
    diesel: bool = True


@dataclass(frozen=True)
class StandardDate:
    """A new-vehicle emission standard and the day it applied to all new vehicles."""

    stage: int
    effective: date

    def __post_init__(self) -> None:
        stage_label(self.stage)


# Heavy-duty diesel road-vehicle standards, implementation for all new vehicles. The app
# keeps its own editable copy (other fuels and classes have other dates) and passes it in.
DEFAULT_IN_PLANT_STANDARDS: tuple[StandardDate, ...] = (
    StandardDate(1, date(2001, 9, 1)),
    StandardDate(2, date(2004, 9, 1)),
    StandardDate(3, date(2008, 1, 1)),
    StandardDate(4, date(2013, 7, 1)),
    StandardDate(5, date(2017, 7, 1)),
    StandardDate(6, date(2021, 7, 1)),
)


@dataclass(frozen=True)
class StageDecision:
    stage: int
    code: str
    rule: Rule
    explanation: str
    notes: tuple[str, ...] = ()


def _decision(stage: int, rule: Rule, reason: str, notes: list[str]) -> StageDecision:
    explanation = f"{reason}，判定为{stage_label(stage)}（{rule.clause}）"
    return StageDecision(stage, stage_code(stage), rule, explanation, tuple(notes))


def _compact(number: str) -> str:
    # NFKC turns full-width letters and digits into ASCII; these numbers are ASCII only.
    return "".join(unicodedata.normalize("NFKC", number).split()).upper()


def _number_problem(number: str, length: int) -> str | None:
    if len(number) != length:
        return f"应为{length}位，实际为{len(number)}位"
    for char in number:
        if char not in _NUMBER_CHARS:
            return f"含有数字和大写字母以外的字符“{char}”"
    digit = number[STAGE_POSITION - 1]
    if digit not in "123456789":
        return f"第{STAGE_POSITION}位“{digit}”不是排放阶段代号（应为1至9的数字）"
    if int(digit) > MAX_STAGE:
        return (
            f"第{STAGE_POSITION}位为{digit}，超出已知的排放阶段（最高为{stage_label(MAX_STAGE)}）"
        )
    return None


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _by_production_date(
    inputs: StageInputs, day: date, standards: Sequence[StandardDate], notes: list[str]
) -> StageDecision | None:
    if inputs.in_plant:
        if not standards:
            notes.append("未配置场内车辆新车排放标准实施日期表，无法按生产日期判定")
            return None
        ordered = sorted(standards, key=lambda s: (s.effective, s.stage))
        applicable = [s for s in ordered if s.effective <= day]
        rule = Rule.IN_PLANT_STANDARD
        if not applicable:
            first = ordered[0]
            reason = (
                f"场内车辆生产日期{_cn_date(day)}早于最早的新车排放标准"
                f"（{stage_label(first.stage)}，{_cn_date(first.effective)}起实施）"
            )
            return _decision(1, rule, reason, notes)
        standard = applicable[-1]
        reason = (
            f"场内车辆生产日期{_cn_date(day)}，当时实施的新车排放标准为"
            f"{stage_label(standard.stage)}（{_cn_date(standard.effective)}起实施）"
        )
        return _decision(standard.stage, rule, reason, notes)
    if inputs.diesel:
        rule = Rule.DIESEL_PRODUCTION_DATE
        if day < DIESEL_STAGE_2_FROM:
            last_day = _cn_date(date.fromordinal(DIESEL_STAGE_2_FROM.toordinal() - 1))
            reason = f"柴油机械生产日期{_cn_date(day)}在{last_day}及以前"
            return _decision(1, rule, reason, notes)
        reason = f"柴油机械生产日期{_cn_date(day)}在{_cn_date(DIESEL_STAGE_2_FROM)}及以后"
        return _decision(2, rule, reason, notes)
    notes.append(
        f"生产日期{_cn_date(day)}未用于判定：第七条第（三）项只规定了柴油机械和场内车辆；"
        "如国家或本市另有规定，审核人员可按第七条第（五）项调整"
    )
    return None


def _by_number(
    number: str, length: int, rule: Rule, name: str, notes: list[str]
) -> StageDecision | None:
    problem = _number_problem(number, length)
    if problem is None:
        digit = number[STAGE_POSITION - 1]
        reason = f"{name} {number} 第{STAGE_POSITION}位为{digit}"
        return _decision(int(digit), rule, reason, notes)
    notes.append(f"{name} {number} 未使用：{problem}")
    return None


def determine_stage(
    inputs: StageInputs,
    in_plant_standards: Sequence[StandardDate] = DEFAULT_IN_PLANT_STANDARDS,
) -> StageDecision:
    """Apply Art. 7 in order; a supplied number that cannot be used is noted and skipped."""
    notes: list[str] = []

    label_number = _compact(inputs.machine_disclosure_number)
    if label_number:
        decision = _by_number(
            label_number, MACHINE_LABEL_LENGTH, Rule.MACHINE_LABEL, "环保信息公开编号", notes
        )
        if decision is not None:
            return decision

    engine_number = _compact(inputs.engine_number)
    if engine_number:
        kind = ENGINE_NUMBER_KINDS.get(len(engine_number))
        if kind is None:
            lengths = "或".join(f"{n}位（{name}）" for n, (_, name) in ENGINE_NUMBER_KINDS.items())
            notes.append(
                f"发动机编号 {engine_number} 未使用：应为{lengths}，实际为{len(engine_number)}位"
            )
        else:
            rule, name = kind
            decision = _by_number(engine_number, len(engine_number), rule, name, notes)
            if decision is not None:
                return decision

    if inputs.production_date is not None:
        decision = _by_production_date(inputs, inputs.production_date, in_plant_standards, notes)
        if decision is not None:
            return decision

    return _decision(1, Rule.NO_INFORMATION, "没有可用于判定的环保公开信息或生产日期", notes)


def override_stage(decision: StageDecision, stage: int, reason: str) -> StageDecision:
    """A reviewer's decision under Art. 7 (五); the reason and the original stay on record."""
    if not reason.strip():
        raise ValueError("请填写调整排放阶段的理由")
    label = stage_label(stage)
    explanation = (
        f"审核人员将排放阶段由{stage_label(decision.stage)}调整为{label}，"
        f"理由：{reason.strip()}（{Rule.OVERRIDE.clause}）。原判定：{decision.explanation}"
    )
    return StageDecision(stage, stage_code(stage), Rule.OVERRIDE, explanation, decision.notes)
