"""The registration number of 附件2: serials, formatting and parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.city import SHANGHAI, load_city
from rules.regno import (
    SERIAL_ALPHABET,
    SERIAL_CAPACITY,
    SERIAL_LENGTH,
    NumberFormatError,
    RegistrationNumber,
    format_number,
    is_valid_number,
    next_serial,
    parse_number,
    serial_from_text,
    serial_to_text,
)

SERIALS = st.integers(min_value=1, max_value=SERIAL_CAPACITY)


def test_serial_alphabet() -> None:
    assert len(SERIAL_ALPHABET) == 34
    assert "I" not in SERIAL_ALPHABET
    assert "O" not in SERIAL_ALPHABET
    assert SERIAL_ALPHABET.startswith("0123456789A")
    assert SERIAL_LENGTH == 5
    assert SERIAL_CAPACITY == 34**5 - 1 == 45_435_423


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1, "00001"),
        (9, "00009"),
        (10, "0000A"),
        (17, "0000H"),
        (18, "0000J"),
        (33, "0000Z"),
        (34, "00010"),
        (12345, "00AP3"),
        (1 * 34**4 + 2 * 34**3 + 3 * 34**2 + 4 * 34 + 5, "12345"),
        (SERIAL_CAPACITY, "ZZZZZ"),
    ],
)
def test_serial_text(value: int, text: str) -> None:
    assert serial_to_text(value) == text
    assert serial_from_text(text) == value


@pytest.mark.parametrize("value", [0, -1, SERIAL_CAPACITY + 1])
def test_serial_out_of_range(value: int) -> None:
    with pytest.raises(ValueError, match="序号超出范围"):
        serial_to_text(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1234", "序号应为5位，实际为4位"),
        ("123456", "序号应为5位，实际为6位"),
        ("0000I", "序号不能含有字母I"),
        ("0000O", "序号不能含有字母O"),
        ("0000a", "序号含有不允许的字符“a”"),
        ("0000中", "序号含有不允许的字符“中”"),
        ("00000", "序号不能为00000"),
    ],
)
def test_serial_from_text_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        serial_from_text(text)


@pytest.mark.parametrize(
    ("text", "following"),
    [
        ("00001", "00002"),
        ("00009", "0000A"),
        ("0000H", "0000J"),
        ("0000N", "0000P"),
        ("0000Z", "00010"),
        ("0ZZZZ", "10000"),
    ],
)
def test_next_serial(text: str, following: str) -> None:
    assert next_serial(text) == following


def test_next_serial_after_the_last() -> None:
    with pytest.raises(ValueError, match="已用尽"):
        next_serial("ZZZZZ")


@given(SERIALS)
def test_serial_round_trip(value: int) -> None:
    text = serial_to_text(value)
    assert len(text) == SERIAL_LENGTH
    assert serial_from_text(text) == value


@given(SERIALS, SERIALS)
def test_serial_order_is_value_order(a: int, b: int) -> None:
    def key(text: str) -> list[int]:
        return [SERIAL_ALPHABET.index(c) for c in text]

    text_a, text_b = serial_to_text(a), serial_to_text(b)
    assert (key(text_a) < key(text_b)) == (a < b)
    # The alphabet is in code point order, so plain string (and database) sorting agrees.
    assert (text_a < text_b) == (a < b)


def test_example_of_annex_2() -> None:
    number = format_number("工程机械", SHANGHAI, "A", "2", serial_from_text("12345"))
    assert number == RegistrationNumber("工程机械", "沪", "A", "2", "12345")
    assert number.full == "工程机械沪A2-12345"
    assert str(number) == "工程机械沪A2-12345"
    assert number.short == "沪A2-12345"
    assert number.prefix_key == "沪A2"
    assert number.serial_value == serial_from_text("12345")


def test_card_example_of_annex_3() -> None:
    number = parse_number("沪U2-00040", SHANGHAI)
    assert (number.category, number.district, number.stage_code, number.serial) == (
        "",
        "U",
        "2",
        "00040",
    )
    assert number.full == number.short == "沪U2-00040"


@pytest.mark.parametrize("district", [d.code for d in SHANGHAI.districts])
def test_each_district_formats_and_parses(district: str) -> None:
    number = format_number("工程机械", SHANGHAI, district, "4", 1)
    assert number.full == f"工程机械沪{district}4-00001"
    assert parse_number(number.full, SHANGHAI) == number


@pytest.mark.parametrize("category", SHANGHAI.categories())
def test_each_category_formats_and_parses(category: str) -> None:
    number = format_number(category, SHANGHAI, "L", "3", 34)
    assert number.full == f"{category}沪L3-00010"
    assert parse_number(number.full, SHANGHAI) == number


def test_prefix_key_ignores_category() -> None:
    a = format_number("工程机械", SHANGHAI, "K", "3", 7)
    b = format_number("场内车辆", SHANGHAI, "K", "3", 8)
    assert a.prefix_key == b.prefix_key == "沪K3"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("拖拉机", "A", "2", 1), "未知的机械种类“拖拉机”"),
        (("", "A", "2", 1), "未知的机械种类“”"),
        (("工程机械", "C", "2", 1), "未知的区代号“C”"),
        (("工程机械", "A", "0", 1), "排放阶段代号应为1至9"),
        (("工程机械", "A", "22", 1), "排放阶段代号应为1至9"),
        (("工程机械", "A", "2", 0), "序号超出范围"),
    ],
)
def test_format_number_errors(args: tuple[str, str, str, int], message: str) -> None:
    category, district, stage, serial = args
    with pytest.raises(ValueError, match=message):
        format_number(category, SHANGHAI, district, stage, serial)


@pytest.mark.parametrize(
    "typed",
    [
        "工程机械沪A2-12345",
        "工程机械沪a2-12345",
        " 工程机械 沪 A2 - 12345 ",
        "工程机械沪Ａ２－１２３４５",
        "工程机械沪A2—12345",
        "工程机械沪A2——12345",
        "工程机械沪A2–12345",
        "工程机械沪A2‐12345",
        "工程机械\u3000沪A2-12345",
    ],
)
def test_parse_normalises_what_people_type(typed: str) -> None:
    assert parse_number(typed, SHANGHAI).full == "工程机械沪A2-12345"


def test_parse_short_form() -> None:
    number = parse_number("沪a2-1234z", SHANGHAI)
    assert number == RegistrationNumber("", "沪", "A", "2", "1234Z")


PARSE_ERRORS = [
    ("", "请输入环保登记号码"),
    ("   ", "请输入环保登记号码"),
    ("拖拉机沪A2-12345", "未知的机械种类“拖拉机”"),
    ("京A2-12345", "不是本市（沪）的号码"),
    ("工程机械京A2-12345", "不是本市（沪）的号码"),
    ("A2-12345", "不是本市（沪）的号码"),
    ("沪C2-12345", "未知的区代号“C”"),
    ("沪I2-12345", "未知的区代号“I”"),
    ("沪12-12345", "未知的区代号“1”"),
    ("沪A0-12345", "排放阶段代号应为1至9的一位数字，实际为“0”"),
    ("沪AB-12345", "排放阶段代号应为1至9的一位数字，实际为“B”"),
    ("沪A-12345", "“沪”与短横之间应为1位区代号和1位排放阶段代号，实际为“A”"),
    ("沪A22-12345", "“沪”与短横之间应为1位区代号和1位排放阶段代号，实际为“A22”"),
    ("沪A212345", "缺少短横分隔符"),
    ("沪A2-123-45", "只能有一个短横分隔符"),
    ("沪A2-1234", "序号应为5位，实际为4位"),
    ("沪A2-123456", "序号应为5位，实际为6位"),
    ("沪A2-", "序号应为5位，实际为0位"),
    ("沪A2-1234I", "序号不能含有字母I"),
    ("沪A2-1234o", "序号不能含有字母O"),
    ("沪A2-1234#", "序号含有不允许的字符“#”"),
    ("沪A2-00000", "序号不能为00000"),
]


@pytest.mark.parametrize(("text", "message"), PARSE_ERRORS)
def test_parse_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(NumberFormatError, match=message):
        parse_number(text, SHANGHAI)
    assert not is_valid_number(text, SHANGHAI)


def test_number_format_error_is_a_value_error() -> None:
    assert issubclass(NumberFormatError, ValueError)


def test_is_valid_number() -> None:
    assert is_valid_number("工程机械沪A2-12345", SHANGHAI)
    assert is_valid_number("沪W6-ZZZZZ", SHANGHAI)


def test_registration_number_checks_its_shape() -> None:
    with pytest.raises(ValueError, match="序号不能为00000"):
        RegistrationNumber("工程机械", "沪", "A", "2", "00000")
    with pytest.raises(ValueError, match="区代号"):
        RegistrationNumber("工程机械", "沪", "O", "2", "00001")


def test_custom_city(tmp_path: Path) -> None:
    path = tmp_path / "beijing.json"
    config = {
        "name": "北京市",
        "abbreviation": "京",
        "districts": [
            {"code": "A", "name": "东城区"},
            {"code": "B", "name": "西城区"},
            {"code": "C", "name": "朝阳区"},
        ],
        "machine_types": [
            {"name": "挖掘机", "category": "工程机械", "in_plant": False},
            {"name": "场内车辆", "category": "场内车辆", "in_plant": True},
        ],
        "fuel_types": ["柴油", "其他"],
        "site_types": ["工地", "其他"],
        "issuer": "北京市生态环境局",
    }
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    beijing = load_city(path)
    number = parse_number("场内车辆京C3-0000A", beijing)
    assert number == RegistrationNumber("场内车辆", "京", "C", "3", "0000A")
    assert number.prefix_key == "京C3"
    assert format_number("工程机械", beijing, "C", "3", 10).short == "京C3-0000A"
    with pytest.raises(NumberFormatError, match="不是本市（京）的号码"):
        parse_number("沪A2-12345", beijing)
    with pytest.raises(NumberFormatError, match="未知的区代号“D”"):
        parse_number("京D2-12345", beijing)


@given(
    st.sampled_from(SHANGHAI.categories()),
    st.sampled_from([d.code for d in SHANGHAI.districts]),
    st.sampled_from("123456789"),
    SERIALS,
)
def test_format_parse_round_trip(category: str, district: str, stage: str, serial: int) -> None:
    number = format_number(category, SHANGHAI, district, stage, serial)
    assert parse_number(number.full, SHANGHAI) == number
    short = parse_number(number.short, SHANGHAI)
    assert short.category == ""
    assert short.short == number.short
    assert short.serial_value == serial


# Text made mostly of the characters numbers are made of reaches the deeper checks.
_NUMBERISH = st.text(
    st.sampled_from([*"沪京工程机械场内车辆AIOZaz019-－— ", *SERIAL_ALPHABET]) | st.characters(),
    max_size=20,
)


@given(st.one_of(st.text(), _NUMBERISH))
def test_parse_raises_only_number_format_error(text: str) -> None:
    try:
        number = parse_number(text, SHANGHAI)
    except NumberFormatError as error:
        assert str(error)
    else:
        assert parse_number(number.full, SHANGHAI) == number
