"""Emission stage determination, Art. 7, rule by rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.emission import (
    DEFAULT_IN_PLANT_STANDARDS,
    DIESEL_STAGE_2_FROM,
    MAX_STAGE,
    Rule,
    StageDecision,
    StageInputs,
    StandardDate,
    determine_stage,
    override_stage,
    stage_code,
    stage_label,
)

LABEL_NUMBER = "CNFJG4000L53000006000001"  # a real Stage IV label (DOMAIN.md)


def _label(digit: str) -> str:
    return f"CNFJG{digit}000L53000006000001"


@pytest.mark.parametrize(
    ("stage", "label"),
    [(1, "国1及以前"), (2, "国2"), (3, "国3"), (4, "国4"), (5, "国5"), (6, "国6")],
)
def test_stage_labels_and_codes(stage: int, label: str) -> None:
    assert stage_label(stage) == label
    assert stage_code(stage) == str(stage)


@pytest.mark.parametrize("stage", [0, 7, -1])
def test_unknown_stage(stage: int) -> None:
    with pytest.raises(ValueError, match="未知的排放阶段"):
        stage_label(stage)
    with pytest.raises(ValueError, match="未知的排放阶段"):
        stage_code(stage)


@pytest.mark.parametrize(
    ("rule", "slug"),
    [
        (Rule.MACHINE_LABEL, "machine_label"),
        (Rule.ENGINE_TYPE_APPROVAL, "engine_type_approval"),
        (Rule.ENGINE_DISCLOSURE, "engine_disclosure"),
        (Rule.DIESEL_PRODUCTION_DATE, "diesel_production_date"),
        (Rule.IN_PLANT_STANDARD, "in_plant_standard"),
        (Rule.NO_INFORMATION, "no_information"),
        (Rule.OVERRIDE, "override"),
    ],
)
def test_each_rule_has_a_stable_slug_and_chinese_label(rule: Rule, slug: str) -> None:
    assert rule == slug
    assert Rule(slug) is rule
    assert rule.label
    assert rule.clause.startswith("第七条第（")


def test_rules_are_exactly_seven() -> None:
    assert len(Rule) == 7


def test_machine_label_example() -> None:
    decision = determine_stage(StageInputs(machine_disclosure_number=LABEL_NUMBER))
    assert decision == StageDecision(
        stage=4,
        code="4",
        rule=Rule.MACHINE_LABEL,
        explanation=(
            "环保信息公开编号 CNFJG4000L53000006000001 第6位为4，判定为国4（第七条第（一）项）"
        ),
    )


@pytest.mark.parametrize("stage", range(1, MAX_STAGE + 1))
def test_machine_label_each_stage(stage: int) -> None:
    decision = determine_stage(StageInputs(machine_disclosure_number=_label(str(stage))))
    assert (decision.stage, decision.code, decision.rule) == (stage, str(stage), Rule.MACHINE_LABEL)
    assert stage_label(stage) in decision.explanation


@pytest.mark.parametrize(
    "typed",
    ["CNFJG4 000L5 300000 6000001", "cnfjg4000l53000006000001", "ＣＮＦＪＧ４000L53000006000001"],
)
def test_machine_label_as_people_type_it(typed: str) -> None:
    decision = determine_stage(StageInputs(machine_disclosure_number=typed))
    assert (decision.stage, decision.rule) == (4, Rule.MACHINE_LABEL)
    assert LABEL_NUMBER in decision.explanation


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("CNFJG4000L5300000600000", "应为24位，实际为23位"),
        ("CNFJG0000L53000006000001", "第6位“0”不是排放阶段代号"),
        ("CNFJGX000L53000006000001", "第6位“X”不是排放阶段代号"),
        ("CNFJG7000L53000006000001", "第6位为7，超出已知的排放阶段"),
        ("CNFJG4000L5300000600000-", "含有数字和大写字母以外的字符“-”"),
        ("CNFJG4000L5300000600000中", "含有数字和大写字母以外的字符“中”"),
    ],
)
def test_unusable_machine_label_is_noted_and_skipped(number: str, problem: str) -> None:
    decision = determine_stage(
        StageInputs(machine_disclosure_number=number, engine_number="ABCDE3FGHJKLMN12")
    )
    assert (decision.stage, decision.rule) == (3, Rule.ENGINE_TYPE_APPROVAL)
    assert len(decision.notes) == 1
    assert decision.notes[0].startswith("环保信息公开编号")
    assert problem in decision.notes[0]


def test_machine_label_beats_engine_and_date() -> None:
    decision = determine_stage(
        StageInputs(
            machine_disclosure_number=_label("3"),
            engine_number="ABCDE5FGHJKLMN12",
            production_date=date(2000, 1, 1),
        )
    )
    assert (decision.stage, decision.rule, decision.notes) == (3, Rule.MACHINE_LABEL, ())


@pytest.mark.parametrize(
    ("number", "rule", "stage"),
    [
        ("ABCDE3FGHJKLMN12", Rule.ENGINE_TYPE_APPROVAL, 3),
        ("ABCDE 2FGHJ KLMN12", Rule.ENGINE_TYPE_APPROVAL, 2),
        (_label("5"), Rule.ENGINE_DISCLOSURE, 5),
        (_label("1"), Rule.ENGINE_DISCLOSURE, 1),
    ],
)
def test_engine_numbers(number: str, rule: Rule, stage: int) -> None:
    decision = determine_stage(StageInputs(engine_number=number, production_date=date(2000, 1, 1)))
    assert (decision.stage, decision.code, decision.rule) == (stage, str(stage), rule)
    assert "第七条第（二）项" in decision.explanation


def test_engine_type_approval_explanation() -> None:
    decision = determine_stage(StageInputs(engine_number="ABCDE3FGHJKLMN12"))
    assert decision.explanation == (
        "发动机型式核准号 ABCDE3FGHJKLMN12 第6位为3，判定为国3（第七条第（二）项）"
    )


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("ABCDE3FGHJ", "应为16位（发动机型式核准号）或24位"),
        ("ABCDE0FGHJKLMN12", "第6位“0”不是排放阶段代号"),
        ("CNFJG9000L53000006000001", "第6位为9，超出已知的排放阶段"),
    ],
)
def test_unusable_engine_number_falls_to_production_date(number: str, problem: str) -> None:
    decision = determine_stage(StageInputs(engine_number=number, production_date=date(2015, 1, 1)))
    assert (decision.stage, decision.rule) == (2, Rule.DIESEL_PRODUCTION_DATE)
    assert len(decision.notes) == 1
    assert problem in decision.notes[0]


@pytest.mark.parametrize(
    ("day", "stage"),
    [
        (date(1990, 1, 1), 1),
        (date(2009, 9, 29), 1),
        (date(2009, 9, 30), 1),
        (date(2009, 10, 1), 2),
        (date(2009, 10, 2), 2),
        (date(2024, 1, 1), 2),
    ],
)
def test_diesel_production_date_boundary(day: date, stage: int) -> None:
    decision = determine_stage(StageInputs(production_date=day))
    assert (decision.stage, decision.rule) == (stage, Rule.DIESEL_PRODUCTION_DATE)
    assert f"{day.year}年{day.month}月{day.day}日" in decision.explanation
    assert "第七条第（三）项第（1）目" in decision.explanation


def test_diesel_boundary_constant() -> None:
    assert date(2009, 10, 1) == DIESEL_STAGE_2_FROM


def test_diesel_explanations() -> None:
    before = determine_stage(StageInputs(production_date=date(2009, 9, 30)))
    assert before.explanation == (
        "柴油机械生产日期2009年9月30日在2009年9月30日及以前，"
        "判定为国1及以前（第七条第（三）项第（1）目）"
    )
    after = determine_stage(StageInputs(production_date=date(2009, 10, 1)))
    assert after.explanation == (
        "柴油机械生产日期2009年10月1日在2009年10月1日及以后，判定为国2（第七条第（三）项第（1）目）"
    )


def test_default_in_plant_standards() -> None:
    assert [(s.stage, s.effective) for s in DEFAULT_IN_PLANT_STANDARDS] == [
        (1, date(2001, 9, 1)),
        (2, date(2004, 9, 1)),
        (3, date(2008, 1, 1)),
        (4, date(2013, 7, 1)),
        (5, date(2017, 7, 1)),
        (6, date(2021, 7, 1)),
    ]


def _in_plant(day: date) -> StageDecision:
    return determine_stage(StageInputs(production_date=day, in_plant=True))


@pytest.mark.parametrize("standard", DEFAULT_IN_PLANT_STANDARDS, ids=lambda s: f"国{s.stage}")
def test_in_plant_each_standard_and_the_days_around_it(standard: StandardDate) -> None:
    previous = max(1, standard.stage - 1)
    day_before = _in_plant(standard.effective - timedelta(days=1))
    on_the_day = _in_plant(standard.effective)
    day_after = _in_plant(standard.effective + timedelta(days=1))
    assert day_before.stage == previous
    assert on_the_day.stage == standard.stage
    assert day_after.stage == standard.stage
    for decision in (day_before, on_the_day, day_after):
        assert decision.rule == Rule.IN_PLANT_STANDARD
        assert decision.code == str(decision.stage)
        assert "第七条第（三）项第（2）目" in decision.explanation


def test_in_plant_explanation() -> None:
    decision = _in_plant(date(2015, 3, 8))
    assert decision.explanation == (
        "场内车辆生产日期2015年3月8日，当时实施的新车排放标准为国4（2013年7月1日起实施），"
        "判定为国4（第七条第（三）项第（2）目）"
    )


def test_in_plant_before_the_first_standard() -> None:
    decision = _in_plant(date(1995, 1, 1))
    assert (decision.stage, decision.rule) == (1, Rule.IN_PLANT_STANDARD)
    assert "早于最早的新车排放标准" in decision.explanation


def test_in_plant_uses_the_table_passed_in() -> None:
    table = [StandardDate(6, date(2020, 1, 1)), StandardDate(3, date(2010, 1, 1))]
    inputs = StageInputs(production_date=date(2020, 6, 1), in_plant=True)
    assert determine_stage(inputs, table).stage == 6
    assert determine_stage(inputs).stage == 5


def test_in_plant_beats_diesel_date() -> None:
    decision = determine_stage(StageInputs(production_date=date(2018, 1, 1), in_plant=True))
    assert (decision.stage, decision.rule) == (5, Rule.IN_PLANT_STANDARD)


def test_in_plant_without_a_table_is_noted() -> None:
    decision = determine_stage(StageInputs(production_date=date(2018, 1, 1), in_plant=True), ())
    assert (decision.stage, decision.rule) == (1, Rule.NO_INFORMATION)
    assert "未配置场内车辆新车排放标准实施日期表" in decision.notes[0]


def test_standard_date_rejects_unknown_stage() -> None:
    with pytest.raises(ValueError, match="未知的排放阶段"):
        StandardDate(7, date(2030, 1, 1))


def test_non_diesel_with_a_date_has_no_rule() -> None:
    decision = determine_stage(StageInputs(production_date=date(2018, 1, 1), diesel=False))
    assert (decision.stage, decision.code, decision.rule) == (1, "1", Rule.NO_INFORMATION)
    assert len(decision.notes) == 1
    assert "第七条第（五）项" in decision.notes[0]


def test_nothing_at_all() -> None:
    decision = determine_stage(StageInputs())
    assert decision == StageDecision(
        stage=1,
        code="1",
        rule=Rule.NO_INFORMATION,
        explanation="没有可用于判定的环保公开信息或生产日期，判定为国1及以前（第七条第（四）项）",
    )


def test_blank_numbers_are_not_noted() -> None:
    assert (
        determine_stage(StageInputs(machine_disclosure_number="  ", engine_number=" ")).notes == ()
    )


def test_override() -> None:
    original = determine_stage(StageInputs(production_date=date(2012, 5, 1)))
    decision = override_stage(original, 3, "  改装后检测报告为国3  ")
    assert (decision.stage, decision.code, decision.rule) == (3, "3", Rule.OVERRIDE)
    assert decision.explanation.startswith(
        "审核人员将排放阶段由国2调整为国3，理由：改装后检测报告为国3（第七条第（五）项）。原判定："
    )
    assert original.explanation in decision.explanation
    assert decision.notes == original.notes


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_override_needs_a_reason(reason: str) -> None:
    with pytest.raises(ValueError, match=r"^请填写调整排放阶段的理由$"):
        override_stage(determine_stage(StageInputs()), 2, reason)


def test_override_to_unknown_stage() -> None:
    with pytest.raises(ValueError, match="未知的排放阶段"):
        override_stage(determine_stage(StageInputs()), 7, "理由")


# Near-valid numbers reach the deeper checks more often than arbitrary text.
_NUMBERS = st.one_of(
    st.text(),
    st.from_regex(r"[A-Z0-9 ]{14,26}", fullmatch=True),
    st.text(st.sampled_from("CNFJG0123456789 -中Ａ"), max_size=26),
)


@given(
    st.builds(
        StageInputs,
        machine_disclosure_number=_NUMBERS,
        engine_number=_NUMBERS,
        production_date=st.none() | st.dates(),
        in_plant=st.booleans(),
        diesel=st.booleans(),
    )
)
def test_determine_stage_is_total(inputs: StageInputs) -> None:
    decision = determine_stage(inputs)
    assert 1 <= decision.stage <= MAX_STAGE
    assert decision.code == stage_code(decision.stage)
    assert decision.rule in Rule
    assert decision.rule is not Rule.OVERRIDE
    assert decision.explanation.endswith(f"（{decision.rule.clause}）")
