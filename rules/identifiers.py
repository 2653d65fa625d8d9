"""Format checks for the identifiers an owner types into a declaration.

Every ``check_*`` function takes raw user input and returns a :class:`Check`: the
normalised value, at most one blocking error and any number of warnings.  Errors
stop the form; warnings are shown to the reviewer, because several of these codes
follow rules that DOMAIN.md marks [inferred] and real plates deviate from them.

The lengths, alphabets and stage-digit positions live in :data:`FORMATS` and the
weight tables in module constants, so they can be changed as configuration.
User-facing messages are Simplified Chinese; everything else is English.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True)
class Check:
    """Outcome of one check: the normalised value, an error or warnings."""

    value: str
    error: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class CodeFormat:
    """Length and alphabet of one fixed-length code.

    ``last_alphabet`` exists because ID numbers allow ``X`` only in the check
    position.  ``stage_position`` is 1-based (the seeds count from 1).
    """

    label: str
    length: int
    alphabet: str
    alphabet_hint: str
    last_alphabet: str | None = None
    last_alphabet_hint: str | None = None
    stage_position: int | None = None


DIGITS: Final = "0123456789"
UPPER_ALNUM: Final = DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# GB 32100-2015 leaves out I, O, Z, S and V so they are not read as 1, 0, 2, 5, U.
CREDIT_CODE_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Emission stage digits as they appear in disclosure and type-approval numbers.
STAGE_DIGITS: Final = "123456"

FORMATS: Final[Mapping[str, CodeFormat]] = MappingProxyType(
    {
        "id_number": CodeFormat(
            label="身份证号码",
            length=18,
            alphabet=DIGITS,
            alphabet_hint="前17位只能是数字",
            last_alphabet=DIGITS + "X",
            last_alphabet_hint="第18位只能是数字或X",
        ),
        "credit_code": CodeFormat(
            label="统一社会信用代码",
            length=18,
            alphabet=CREDIT_CODE_ALPHABET,
            alphabet_hint="只能是数字和大写字母，不使用I、O、Z、S、V",
        ),
        "machine_env_code": CodeFormat(
            label="机械环保代码",
            length=17,
            alphabet=UPPER_ALNUM,
            alphabet_hint="只能是数字和大写字母",
        ),
        "pin": CodeFormat(
            label="产品识别码（PIN）",
            length=17,
            alphabet=UPPER_ALNUM,
            alphabet_hint="只能是数字和大写字母",
        ),
        "disclosure_number": CodeFormat(
            label="环保信息公开编号",
            length=24,
            alphabet=UPPER_ALNUM,
            alphabet_hint="只能是数字和大写字母",
            stage_position=6,
        ),
        "engine_disclosure_number": CodeFormat(
            label="发动机信息公开编号/信息入库号",
            length=24,
            alphabet=UPPER_ALNUM,
            alphabet_hint="只能是数字和大写字母",
            stage_position=6,
        ),
        "type_approval_number": CodeFormat(
            label="发动机型式核准号",
            length=16,
            alphabet=UPPER_ALNUM,
            alphabet_hint="只能是数字和大写字母",
            stage_position=6,
        ),
    }
)

# GB 11643-1999 (ISO 7064 MOD 11-2): weight i is 2**(17-i) mod 11.
ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS: Final = "10X98765432"
# The birth date sits in characters 7-14; dates before 1900 are not issued.
ID_BIRTH_SLICE: Final = slice(6, 14)
ID_EARLIEST_BIRTH: Final = date(1900, 1, 1)

# GB 32100-2015: weight i is 3**(i-1) mod 31.
CREDIT_CODE_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# VIN-style check (ISO 3779 / GB 16735) that HJ 1014-2020 appears to reuse [inferred].
VIN_TRANSLITERATION: Final[Mapping[str, int]] = MappingProxyType(
    {
        **{d: int(d) for d in DIGITS},
        **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
        **dict(zip("JKLMN", range(1, 6), strict=True)),
        "P": 7,
        "R": 9,
        **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
    }
)
VIN_WEIGHTS: Final = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_CHECK_POSITION: Final = 9
# VIN-style codes avoid these letters because they look like 1 and 0.
VIN_UNUSED_LETTERS: Final = "IOQ"
# Characters people copy from the plate around the code; never part of it.
MACHINE_CODE_DELIMITERS: Final = "*<>"

PIN_CHECK_POSITION: Final = 9

FACTORY_SERIAL_LABEL: Final = "出厂编号"
FACTORY_SERIAL_MAX_LENGTH: Final = 40
FACTORY_SERIAL_ALPHABET: Final = DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-/."

# One manufacturer's structure of the 24-character number (DOMAIN.md): deviations are
# shown to the reviewer, not refused.  Rows are (1-based start position, expected text).
DISCLOSURE_EXPECTED_PARTS: Final = ((1, "CN"), (5, "G"))

MOBILE_LABEL: Final = "手机号码"
MOBILE_LENGTH: Final = 11
MOBILE_SECOND_DIGITS: Final = "3456789"
# Country-code spellings people put before a mainland number.  A bare "86" is only a
# prefix when 11 digits follow, because no mainland number itself starts with 86.
MOBILE_PREFIXES: Final = ("+86", "0086")
MOBILE_BARE_PREFIX: Final = "86"
MOBILE_SEPARATORS: Final = "-()"

ENGINE_NUMBER_LABEL: Final = "发动机型式核准号或信息公开编号"

# Full-width ASCII (U+FF01-U+FF5E) maps to ASCII by a fixed offset; lower case goes to
# upper case in the same pass.  Zero-width characters come along when text is pasted
# from web pages and are invisible to the user, so they are dropped.
_ZERO_WIDTH: Final = "\u200b\u200c\u200d\u2060\ufeff"
_KEEP_CASE: dict[int, int | None] = {
    **{cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)},
    **{ord(c): None for c in _ZERO_WIDTH},
}
_UPPER_CASE: dict[int, int | None] = {
    **_KEEP_CASE,
    **{cp: ord(chr(cp - 0xFEE0).upper()) for cp in range(0xFF41, 0xFF5B)},
    **{cp: cp - 32 for cp in range(ord("a"), ord("z") + 1)},
}


def normalise(text: str, *, upper: bool = True) -> str:
    """Remove all whitespace, map full-width ASCII to ASCII and (by default) upper-case."""
    return "".join(text.split()).translate(_UPPER_CASE if upper else _KEEP_CASE)


def _format_error(fmt: CodeFormat, value: str) -> str | None:
    """Length, then the first character outside the alphabet, then the stage digit."""
    if len(value) != fmt.length:
        return f"{fmt.label}应为{fmt.length}位，您输入了{len(value)}位"
    for position, char in enumerate(value, start=1):
        if position == fmt.length and fmt.last_alphabet is not None:
            allowed, hint = fmt.last_alphabet, fmt.last_alphabet_hint or fmt.alphabet_hint
        else:
            allowed, hint = fmt.alphabet, fmt.alphabet_hint
        if char not in allowed:
            return f"{fmt.label}第{position}位“{char}”不是允许的字符（{hint}）"
    if fmt.stage_position is not None:
        stage = value[fmt.stage_position - 1]
        if stage not in STAGE_DIGITS:
            return (
                f"{fmt.label}第{fmt.stage_position}位应为排放阶段数字"
                f"（{STAGE_DIGITS[0]}-{STAGE_DIGITS[-1]}），您输入了“{stage}”"
            )
    return None


def _check_fixed(fmt: CodeFormat, value: str) -> Check:
    if not value:
        return Check(value, f"请填写{fmt.label}")
    return Check(value, _format_error(fmt, value))


# --- 身份证号码 -------------------------------------------------------------------


def id_check_char(body17: str) -> str:
    """Check character of an ID number from its first 17 digits."""
    if len(body17) != len(ID_WEIGHTS) or not all(c in DIGITS for c in body17):
        raise ValueError(f"expected 17 digits, got {body17!r}")
    total = sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def _parse_yyyymmdd(text: str) -> date | None:
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def birth_date_from_id(value: str) -> date:
    """Birth date of a normalised 18-character ID number; ValueError if not a date."""
    birth = _parse_yyyymmdd(value[ID_BIRTH_SLICE]) if len(value) == 18 else None
    if birth is None:
        raise ValueError(f"no valid birth date in {value!r}")
    return birth


def check_id_number(text: str, today: date | None = None) -> Check:
    """身份证号码 (GB 11643-1999): 17 digits, a real birth date, the MOD 11-2 check."""
    fmt = FORMATS["id_number"]
    value = normalise(text)
    result = _check_fixed(fmt, value)
    if not result.ok:
        if len(value) == 15:
            # First-generation numbers are still remembered by some owners.
            return Check(value, f"{result.error}（15位的旧身份证号码请改填18位号码）")
        return result
    digits = value[ID_BIRTH_SLICE]
    birth = _parse_yyyymmdd(digits)
    today = today or date.today()
    if birth is None:
        return Check(value, f"{fmt.label}中的出生日期{digits}不是有效日期")
    if birth < ID_EARLIEST_BIRTH:
        return Check(value, f"{fmt.label}中的出生日期{digits}早于1900年1月1日，不是有效日期")
    if birth > today:
        return Check(value, f"{fmt.label}中的出生日期{digits}晚于今天，不是有效日期")
    expected = id_check_char(value[:17])
    if value[17] != expected:
        return Check(
            value,
            f"{fmt.label}校验位不正确（第18位应为{expected}，您输入了{value[17]}），请逐位核对号码",
        )
    return Check(value)


def _mask(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_id_number(value: str) -> str:
    """Show the first 3 and last 4 characters: ``110***********002X``."""
    return _mask(value, 3, 4)


def mask_phone(value: str) -> str:
    """Show the first 3 and last 4 digits: ``138****1234``."""
    return _mask(value, 3, 4)


# Anything in free text that looks like an 18-character ID number or a mainland mobile
# number (optionally +86/0086/86 in front, spaces or dashes inside), not part of a longer
# run of letters and digits, so hashes, tokens and long numbers are left alone.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])((?:\+|00)?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![0-9A-Za-z])"
)


def mask_in_text(text: str) -> str:
    """The text with every ID number and mobile number in it masked as the pages mask them
    (``110***********002X``, ``138****1234``): for log lines and error reports."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(2) + m.group(3) + m.group(4)), text)


# --- 统一社会信用代码 -------------------------------------------------------------


def credit_code_check_char(body17: str) -> str:
    """Check character of a credit code from its first 17 characters."""
    if len(body17) != len(CREDIT_CODE_WEIGHTS):
        raise ValueError(f"expected 17 characters, got {body17!r}")
    try:
        total = sum(
            CREDIT_CODE_ALPHABET.index(c) * w
            for c, w in zip(body17, CREDIT_CODE_WEIGHTS, strict=True)
        )
    except ValueError:
        raise ValueError(f"character outside the credit-code alphabet in {body17!r}") from None
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(text: str) -> Check:
    """统一社会信用代码 (GB 32100-2015): 18 characters and the MOD 31 check."""
    fmt = FORMATS["credit_code"]
    value = normalise(text)
    result = _check_fixed(fmt, value)
    if not result.ok:
        return result
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        return Check(
            value,
            f"{fmt.label}校验位不正确（第18位应为{expected}，您输入了{value[17]}），请逐位核对代码",
        )
    return Check(value)


# --- 机械环保代码, PIN, 出厂编号 ----------------------------------------------------


def vin_check_char(code17: str) -> str:
    """VIN-style check character of a 17-character code (position 9 is ignored).

    Raises ValueError for a wrong length or a character without a transliteration
    (I, O, Q or anything outside 0-9A-Z) outside position 9.
    """
    if len(code17) != len(VIN_WEIGHTS):
        raise ValueError(f"expected 17 characters, got {code17!r}")
    total = 0
    for position, (char, weight) in enumerate(zip(code17, VIN_WEIGHTS, strict=True), 1):
        if position == VIN_CHECK_POSITION:
            continue
        if char not in VIN_TRANSLITERATION:
            raise ValueError(f"no VIN transliteration for {char!r} at position {position}")
        total += VIN_TRANSLITERATION[char] * weight
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def check_machine_env_code(text: str) -> Check:
    """机械环保代码 (HJ 1014-2020): 17 characters between the plate's delimiters.

    Only length and alphabet are errors.  I/O/Q and a failed check character are
    warnings: machines may carry an ISO 10261 PIN with a different check.
    """
    fmt = FORMATS["machine_env_code"]
    value = normalise(text).translate({ord(c): None for c in MACHINE_CODE_DELIMITERS})
    result = _check_fixed(fmt, value)
    if not result.ok:
        return result
    unused = [
        (position, char)
        for position, char in enumerate(value, start=1)
        if char in VIN_UNUSED_LETTERS and position != VIN_CHECK_POSITION
    ]
    if unused:
        positions = "、".join(str(p) for p, _ in unused)
        letters = "、".join(dict.fromkeys(c for _, c in unused))
        return Check(
            value,
            warnings=(
                f"{fmt.label}第{positions}位含字母{letters}（这类代码通常不用I、O、Q，"
                "以免与数字1、0混淆），无法计算校验字符，请审核员核对铭牌",
            ),
        )
    expected = vin_check_char(value)
    actual = value[VIN_CHECK_POSITION - 1]
    if actual != expected:
        return Check(
            value,
            warnings=(
                f"{fmt.label}第{VIN_CHECK_POSITION}位校验字符应为{expected}，实际为{actual}，"
                "请审核员核对铭牌（部分机械使用ISO 10261 PIN，校验规则不同）",
            ),
        )
    return Check(value)


def check_pin(text: str) -> Check:
    """PIN (ISO 10261): 17 characters; a non-letter check position is only a warning."""
    fmt = FORMATS["pin"]
    value = normalise(text)
    result = _check_fixed(fmt, value)
    if not result.ok:
        return result
    check = value[PIN_CHECK_POSITION - 1]
    if not ("A" <= check <= "Z"):
        return Check(
            value,
            warnings=(
                f"{fmt.label}第{PIN_CHECK_POSITION}位通常是校验字母，实际为“{check}”，"
                "请审核员核对铭牌",
            ),
        )
    return Check(value)


def check_factory_serial(text: str) -> Check:
    """Free-form 出厂编号 that is not a PIN; case is kept because it is free text."""
    value = normalise(text, upper=False)
    if not value:
        return Check(value, f"请填写{FACTORY_SERIAL_LABEL}")
    if len(value) > FACTORY_SERIAL_MAX_LENGTH:
        return Check(
            value,
            f"{FACTORY_SERIAL_LABEL}最多{FACTORY_SERIAL_MAX_LENGTH}位，您输入了{len(value)}位",
        )
    for position, char in enumerate(value, start=1):
        if char not in FACTORY_SERIAL_ALPHABET:
            return Check(
                value,
                f"{FACTORY_SERIAL_LABEL}第{position}位“{char}”不是允许的字符"
                "（只能是数字、英文字母和 - / .）",
            )
    return Check(value)


# --- 环保信息公开编号, 发动机型式核准号 ---------------------------------------------


def _check_disclosure(fmt: CodeFormat, value: str) -> Check:
    result = _check_fixed(fmt, value)
    if not result.ok:
        return result
    warnings = tuple(
        f"{fmt.label}第{_span(start, len(expected))}位通常为“{expected}”，"
        f"实际为“{actual}”，请审核员核对标签或铭牌"
        for start, expected in DISCLOSURE_EXPECTED_PARTS
        if (actual := value[start - 1 : start - 1 + len(expected)]) != expected
    )
    return Check(value, warnings=warnings)


def _span(start: int, length: int) -> str:
    return str(start) if length == 1 else f"{start}-{start + length - 1}"


def check_disclosure_number(text: str) -> Check:
    """24-character 环保信息公开编号 / 信息入库号 of the machine's label."""
    return _check_disclosure(FORMATS["disclosure_number"], normalise(text))


def check_type_approval_number(text: str) -> Check:
    """16-character 发动机型式核准号: length, alphabet and the stage digit only."""
    return _check_fixed(FORMATS["type_approval_number"], normalise(text))


def check_engine_number(text: str) -> Check:
    """The engine plate's number: 16 → type approval, 24 → disclosure number."""
    value = normalise(text)
    if not value:
        return Check(value, f"请填写{ENGINE_NUMBER_LABEL}")
    type_approval = FORMATS["type_approval_number"]
    disclosure = FORMATS["engine_disclosure_number"]
    if len(value) == type_approval.length:
        return _check_fixed(type_approval, value)
    if len(value) == disclosure.length:
        return _check_disclosure(disclosure, value)
    return Check(
        value,
        f"{type_approval.label}应为{type_approval.length}位，"
        f"{disclosure.label}应为{disclosure.length}位，您输入了{len(value)}位",
    )


# --- 手机号码 ---------------------------------------------------------------------


def check_mobile(text: str) -> Check:
    """Mainland mobile number, normalised to 11 digits (+86, spaces, dashes removed)."""
    value = normalise(text).translate({ord(c): None for c in MOBILE_SEPARATORS})
    if not value:
        return Check(value, f"请填写{MOBILE_LABEL}")
    for prefix in MOBILE_PREFIXES:
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    else:
        if value.startswith("+"):
            return Check(value, f"只支持中国大陆{MOBILE_LABEL}，国际区号只能是+86")
        if value.startswith(MOBILE_BARE_PREFIX) and len(value) == 2 + MOBILE_LENGTH:
            value = value[len(MOBILE_BARE_PREFIX) :]
    for position, char in enumerate(value, start=1):
        if char not in DIGITS:
            return Check(value, f"{MOBILE_LABEL}第{position}位“{char}”不是数字")
    if len(value) != MOBILE_LENGTH:
        return Check(value, f"{MOBILE_LABEL}应为{MOBILE_LENGTH}位，您输入了{len(value)}位")
    if value[0] != "1" or value[1] not in MOBILE_SECOND_DIGITS:
        return Check(
            value,
            f"{MOBILE_LABEL}应以13至19开头，您输入的号码以{value[:2]}开头",
        )
    return Check(value)


# --- personal data in free text --------------------------------------------------

# An ID number or a mobile number standing alone in text (not part of a longer run of
# digits, such as an engine or factory number). Spaces and dashes inside count too,
# because staff type "138 0000 0001" as often as "13800000001".
_SPACED_ID_IN_TEXT: Final = re.compile(
    r"(?<![0-9A-Za-z])(\d(?:[ -]?\d){16}[ -]?[0-9Xx])(?![0-9A-Za-z])"
)
_SPACED_MOBILE_IN_TEXT: Final = re.compile(
    r"(?<![0-9])((?:\+?86[ -]?)?1[3-9](?:[ -]?\d){9})(?![0-9])"
)


def personal_data_in(text: str) -> tuple[str, ...]:
    """Which kinds of personal data ("id_number", "phone") a free text holds, for texts
    that are shown to the public. An ID number counts only with a valid check character."""
    found: list[str] = []
    rest = text
    for match in _SPACED_ID_IN_TEXT.finditer(text):
        value = re.sub(r"[ -]", "", match.group(1)).upper()
        if id_check_char(value[:17]) == value[17]:
            if not found:
                found.append("id_number")
            # Its digits are not looked at again as a phone number.
            rest = rest.replace(match.group(1), " ")
    if _SPACED_MOBILE_IN_TEXT.search(rest):
        found.append("phone")
    return tuple(found)
