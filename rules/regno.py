"""The environmental registration number of 附件2.

Full form `{机械种类}{沪}{区代号}{排放阶段代号}-{序号}`, e.g. `工程机械沪A2-12345`; the
information card shows the short form `沪A2-12345`. The short form must be unique on
its own, so serials are counted per short prefix (`沪A2`), never per category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rules.city import DISTRICT_CODE_ALPHABET, CityConfig

# 附件2 §4: digits, then capital letters without I and O. The position of a symbol here
# is its value, so serials are issued and compared in this order.
SERIAL_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
SERIAL_LENGTH = 5
# "00000" is never issued: the first serial of every prefix is "00001".
SERIAL_CAPACITY = len(SERIAL_ALPHABET) ** SERIAL_LENGTH - 1

# 国1 and earlier share "1"; later stages use their digit. One digit leaves room for 国7+.
STAGE_CODES = "123456789"

DASH = "-"

# What people type instead of ASCII: full-width forms (U+FF01..U+FF5E) and dash look-alikes.
# A plain table rather than NFKC, which would also rewrite the Chinese category text.
_NORMALISE = str.maketrans(
    {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
    | dict.fromkeys("－—–‐‑‒―−﹣﹘", DASH)
)
# Chinese input methods type "——" for the dash key.
_DASH_RUN = re.compile(f"{DASH}+")


class NumberFormatError(ValueError):
    """A text that is not a registration number of the city; the message says why."""


def _serial_problem(text: str) -> str | None:
    if len(text) != SERIAL_LENGTH:
        return f"序号应为{SERIAL_LENGTH}位，实际为{len(text)}位（“{text}”）"
    for char in text:
        if char in "IO":
            return f"序号不能含有字母{char}（易与数字{'1' if char == 'I' else '0'}混淆）"
        if char not in SERIAL_ALPHABET:
            return f"序号含有不允许的字符“{char}”，只能使用数字0至9和除I、O以外的大写字母"
    if text == SERIAL_ALPHABET[0] * SERIAL_LENGTH:
        return f"序号不能为{text}，第一个序号为{serial_to_text(1)}"
    return None


def serial_to_text(value: int) -> str:
    if not 1 <= value <= SERIAL_CAPACITY:
        raise ValueError(f"序号超出范围：应为1至{SERIAL_CAPACITY}，实际为{value}")
    base = len(SERIAL_ALPHABET)
    chars = []
    for _ in range(SERIAL_LENGTH):
        value, digit = divmod(value, base)
        chars.append(SERIAL_ALPHABET[digit])
    return "".join(reversed(chars))


def serial_from_text(text: str) -> int:
    problem = _serial_problem(text)
    if problem is not None:
        raise ValueError(problem)
    value = 0
    for char in text:
        value = value * len(SERIAL_ALPHABET) + SERIAL_ALPHABET.index(char)
    return value


def next_serial(text: str) -> str:
    value = serial_from_text(text)
    if value == SERIAL_CAPACITY:
        raise ValueError(f"序号{text}已是最后一个，该号段的序号已用尽")
    return serial_to_text(value + 1)


@dataclass(frozen=True, order=False)
class RegistrationNumber:
    """One number; `category` is "" when it was read from the short form."""

    category: str
    city: str
    district: str
    stage_code: str
    serial: str

    def __post_init__(self) -> None:
        # Only the shape, which needs no city; format_number/parse_number check the city.
        if len(self.city) != 1:
            raise ValueError(f"城市简称应为1个字，实际为“{self.city}”")
        if len(self.district) != 1 or self.district not in DISTRICT_CODE_ALPHABET:
            raise ValueError(f"区代号应为除I、O以外的1个大写英文字母，实际为“{self.district}”")
        if len(self.stage_code) != 1 or self.stage_code not in STAGE_CODES:
            raise ValueError(f"排放阶段代号应为1至9的一位数字，实际为“{self.stage_code}”")
        problem = _serial_problem(self.serial)
        if problem is not None:
            raise ValueError(problem)

    @property
    def prefix_key(self) -> str:
        return f"{self.city}{self.district}{self.stage_code}"

    @property
    def short(self) -> str:
        return f"{self.prefix_key}{DASH}{self.serial}"

    @property
    def full(self) -> str:
        return f"{self.category}{self.short}"

    @property
    def serial_value(self) -> int:
        return serial_from_text(self.serial)

    def __str__(self) -> str:
        return self.full


def format_number(
    category: str, city: CityConfig, district_code: str, stage_code: str, serial_value: int
) -> RegistrationNumber:
    if category not in city.categories():
        raise ValueError(
            f"未知的机械种类“{category}”，{city.name}的机械种类为：{'、'.join(city.categories())}"
        )
    city.district(district_code)
    if len(stage_code) != 1 or stage_code not in STAGE_CODES:
        raise ValueError(f"排放阶段代号应为1至9的一位数字，实际为“{stage_code}”")
    return RegistrationNumber(
        category=category,
        city=city.abbreviation,
        district=district_code,
        stage_code=stage_code,
        serial=serial_to_text(serial_value),
    )


def normalise_number(text: str) -> str:
    """The number as it should have been typed: no spaces, ASCII, upper case."""
    compact = "".join(text.translate(_NORMALISE).split()).upper()
    return _DASH_RUN.sub(DASH, compact)


def parse_number(text: str, city: CityConfig) -> RegistrationNumber:
    """Read a full or short number; raise NumberFormatError saying what is wrong."""
    number = normalise_number(text)
    abbreviation = city.abbreviation
    if not number:
        raise NumberFormatError("请输入环保登记号码")
    if DASH not in number:
        raise NumberFormatError(f"缺少短横分隔符“-”：序号前应有短横，例如“{abbreviation}A2-00001”")
    head, _, serial = number.partition(DASH)
    if DASH in serial:
        raise NumberFormatError("号码中只能有一个短横分隔符“-”")
    # rfind: the district and stage that follow the abbreviation are ASCII, so the last
    # occurrence is the abbreviation even if a category contained the same character.
    position = head.rfind(abbreviation)
    if position < 0:
        raise NumberFormatError(f"不是本市（{abbreviation}）的号码")
    category, rest = head[:position], head[position + 1 :]
    if category and category not in city.categories():
        raise NumberFormatError(
            f"未知的机械种类“{category}”，{city.name}的机械种类为：{'、'.join(city.categories())}"
        )
    if len(rest) != 2:
        raise NumberFormatError(
            f"“{abbreviation}”与短横之间应为1位区代号和1位排放阶段代号，实际为“{rest}”"
        )
    district, stage_code = rest[0], rest[1]
    if district not in city.district_codes():
        codes = "、".join(d.code for d in city.districts)
        raise NumberFormatError(f"未知的区代号“{district}”，{city.name}的区代号为：{codes}")
    if stage_code not in STAGE_CODES:
        raise NumberFormatError(f"排放阶段代号应为1至9的一位数字，实际为“{stage_code}”")
    problem = _serial_problem(serial)
    if problem is not None:
        raise NumberFormatError(problem)
    return RegistrationNumber(category, abbreviation, district, stage_code, serial)


def is_valid_number(text: str, city: CityConfig) -> bool:
    try:
        parse_number(text, city)
    except NumberFormatError:
        return False
    return True
