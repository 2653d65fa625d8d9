"""Tests of rules.identifiers: every table row, normalisation and message."""

import string
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.identifiers import (
    CREDIT_CODE_ALPHABET,
    CREDIT_CODE_WEIGHTS,
    FORMATS,
    ID_CHECK_CHARS,
    ID_WEIGHTS,
    STAGE_DIGITS,
    VIN_TRANSLITERATION,
    VIN_WEIGHTS,
    Check,
    birth_date_from_id,
    check_credit_code,
    check_disclosure_number,
    check_engine_number,
    check_factory_serial,
    check_id_number,
    check_machine_env_code,
    check_mobile,
    check_pin,
    check_type_approval_number,
    credit_code_check_char,
    id_check_char,
    mask_id_number,
    mask_in_text,
    mask_phone,
    normalise,
    personal_data_in,
    vin_check_char,
)

TODAY = date(2025, 6, 1)


# --- independent derivations of the weight tables --------------------------------


def iso7064_mod11_2(body: str) -> str:
    """The MOD 11-2 check from its definition, not from the module's tables."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(body))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def gb32100_check(body: str) -> str:
    total = sum(CREDIT_CODE_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def test_id_weights_are_powers_of_two_mod_11() -> None:
    assert ID_WEIGHTS == tuple(pow(2, 17 - i, 11) for i in range(17))


def test_id_check_chars_follow_mod_11_2() -> None:
    for remainder, char in enumerate(ID_CHECK_CHARS):
        expected = (12 - remainder) % 11
        assert char == ("X" if expected == 10 else str(expected))


def test_credit_code_weights_are_powers_of_three_mod_31() -> None:
    assert CREDIT_CODE_WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


def test_credit_code_alphabet_leaves_out_i_o_z_s_v() -> None:
    assert len(CREDIT_CODE_ALPHABET) == 31
    assert set(string.digits + string.ascii_uppercase) - set(CREDIT_CODE_ALPHABET) == set("IOZSV")


def test_vin_transliteration_follows_the_vin_rule() -> None:
    # A-I, J-R and S-Z count 1-9, 1-9 and 2-9; I, O and Q are not used.
    expected = {d: int(d) for d in string.digits}
    for letters, first in (("ABCDEFGHI", 1), ("JKLMNOPQR", 1), ("STUVWXYZ", 2)):
        for offset, letter in enumerate(letters):
            if letter not in "IOQ":
                expected[letter] = first + offset
    assert dict(VIN_TRANSLITERATION) == expected


def test_vin_weights() -> None:
    assert VIN_WEIGHTS == (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def test_formats_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        FORMATS["pin"] = FORMATS["id_number"]  # type: ignore[index]


# --- Check and normalisation ---------------------------------------------------


def test_check_ok() -> None:
    assert Check("A").ok
    assert Check("A", warnings=("w",)).ok
    assert not Check("A", "error").ok


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  11010519491231002x  ", "11010519491231002X"),  # surrounding whitespace, x
        ("110105 1949 1231 002X", "11010519491231002X"),  # inner spaces
        ("110105\u30001949\t1231\n002X", "11010519491231002X"),  # ideographic space, tabs
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),  # full-width digits, Ｘ
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),  # full-width ｘ
        ("ａｂｃＡＢＣ", "ABCABC"),  # full-width letters, both cases
        ("\u200b9131\ufeff0115", "91310115"),  # zero-width characters from web pages
        ("＊＞＜－", "*><-"),  # full-width punctuation to ASCII
        ("", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_can_keep_case() -> None:
    assert normalise(" ａb Ｃ ", upper=False) == "abC"


# --- 身份证号码 -------------------------------------------------------------------

VALID_IDS = [
    "11010519491231002X",  # GB 11643-1999 example (DOMAIN.md)
    "310115199001011232",  # computed
    "310101200002294569",  # computed, 29 February of a leap year
    "310112198511110018",  # computed
    "320583197006308888",  # computed
]


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_numbers(number: str) -> None:
    assert iso7064_mod11_2(number[:17]) == number[17]
    assert check_id_number(number, today=TODAY) == Check(number)


def test_id_number_normalised_input() -> None:
    result = check_id_number(" 110105 19491231 002ｘ ", today=TODAY)
    assert result == Check("11010519491231002X")


def test_id_number_today_defaults_to_the_real_today() -> None:
    assert check_id_number("11010519491231002X").ok


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写身份证号码"),
        ("   ", "请填写身份证号码"),
        ("11010519491231002", "身份证号码应为18位，您输入了17位"),
        ("11010519491231002X1", "身份证号码应为18位，您输入了19位"),
        (
            "110105491231002",
            "身份证号码应为18位，您输入了15位（15位的旧身份证号码请改填18位号码）",
        ),
        ("1101A519491231002X", "身份证号码第5位“A”不是允许的字符（前17位只能是数字）"),
        ("1101051949123100XX", "身份证号码第17位“X”不是允许的字符（前17位只能是数字）"),
        ("11010519491231002Y", "身份证号码第18位“Y”不是允许的字符（第18位只能是数字或X）"),
        ("11010519491331002X", "身份证号码中的出生日期19491331不是有效日期"),
        ("11010519490229002X", "身份证号码中的出生日期19490229不是有效日期"),
        ("11010519490001002X", "身份证号码中的出生日期19490001不是有效日期"),
        # The standard's second example: a correct check character, born 1880.
        ("440524188001010014", "身份证号码中的出生日期18800101早于1900年1月1日，不是有效日期"),
        ("110105202506020010", "身份证号码中的出生日期20250602晚于今天，不是有效日期"),
        (
            "110105194912310021",
            "身份证号码校验位不正确（第18位应为X，您输入了1），请逐位核对号码",
        ),
        (
            "11010519491231003X",
            "身份证号码校验位不正确（第18位应为8，您输入了X），请逐位核对号码",
        ),
    ],
)
def test_invalid_id_numbers(raw: str, error: str) -> None:
    result = check_id_number(raw, today=TODAY)
    assert result.error == error
    assert not result.ok


def test_id_number_born_today_is_accepted() -> None:
    body = "11010520250601001"
    assert check_id_number(body + iso7064_mod11_2(body), today=TODAY).ok


def test_id_check_char_rejects_bad_bodies() -> None:
    assert id_check_char("11010519491231002") == "X"
    for bad in ("1101051949123100", "1101051949123100A"):
        with pytest.raises(ValueError):
            id_check_char(bad)


def test_birth_date_from_id() -> None:
    assert birth_date_from_id("11010519491231002X") == date(1949, 12, 31)
    assert birth_date_from_id("310101200002294569") == date(2000, 2, 29)
    for bad in ("11010519491331002X", "110105491231002"):
        with pytest.raises(ValueError):
            birth_date_from_id(bad)


def test_masks() -> None:
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("1234567") == "*******"  # too short to show anything safely


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Not Found: /x/11010519491231002X/", "Not Found: /x/110***********002X/"),
        ("q=11010519491231002x&p=1", "q=110***********002x&p=1"),
        ("phone 13812341234.", "phone 138****1234."),
        ("+8613812341234", "138****1234"),
        ("0086 138-1234-1234", "138****1234"),
        ("138 1234 1234 and 11010519491231002X", "138****1234 and 110***********002X"),
        # Not personal data: longer runs, hashes, tokens, other numbers.
        ("1381234123456", "1381234123456"),
        ("110105194912310021234", "110105194912310021234"),
        ("a11010519491231002X", "a11010519491231002X"),
        ("ab13812341234", "ab13812341234"),
        ("12812341234", "12812341234"),  # no mobile starts with 12
        ("沪L4-00001 2026-11-23 10:00", "沪L4-00001 2026-11-23 10:00"),
        ("", ""),
    ],
)
def test_mask_in_text(text: str, masked: str) -> None:
    assert mask_in_text(text) == masked


id_bodies = st.builds(
    lambda region, born, seq: f"{region}{born:%Y%m%d}{seq}",
    st.text(string.digits, min_size=6, max_size=6),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.text(string.digits, min_size=3, max_size=3),
)


@given(id_bodies)
def test_any_id_with_computed_check_is_accepted(body: str) -> None:
    number = body + iso7064_mod11_2(body)
    assert id_check_char(body) == number[17]
    assert check_id_number(number, today=TODAY) == Check(number)
    assert birth_date_from_id(number) == date(int(body[6:10]), int(body[10:12]), int(body[12:14]))


@given(id_bodies, st.sampled_from(string.digits + "X"))
def test_any_wrong_id_check_char_is_rejected(body: str, other: str) -> None:
    right = iso7064_mod11_2(body)
    if other == right:
        return
    result = check_id_number(body + other, today=TODAY)
    assert result.error == (
        f"身份证号码校验位不正确（第18位应为{right}，您输入了{other}），请逐位核对号码"
    )


@given(id_bodies, st.integers(0, 16), st.sampled_from(string.digits))
def test_any_single_digit_change_in_an_id_body_is_rejected(
    body: str, position: int, digit: str
) -> None:
    # MOD 11-2 catches every single substitution; a broken date may be caught first.
    number = body + iso7064_mod11_2(body)
    if number[position] == digit:
        return
    changed = number[:position] + digit + number[position + 1 :]
    assert not check_id_number(changed, today=TODAY).ok


# --- 统一社会信用代码 -------------------------------------------------------------

VALID_CREDIT_CODES = [
    "91110000600037341L",  # DOMAIN.md
    "91310115MA1K3BTP2B",  # DOMAIN.md
    "9144030071526726XG",  # DOMAIN.md
    "91350100M000100Y43",  # widely published example
    "91440300708461136T",  # widely published example
    "91310000MA1FL4JP3T",  # computed
    "123100004250010638",  # computed (public institution prefix 12)
]


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_valid_credit_codes(code: str) -> None:
    assert gb32100_check(code[:17]) == code[17]
    assert credit_code_check_char(code[:17]) == code[17]
    assert check_credit_code(code) == Check(code)


def test_credit_code_normalised_input() -> None:
    assert check_credit_code(" 9131 0115 ma1k3btp2b ") == Check("91310115MA1K3BTP2B")
    assert check_credit_code("９１３１０１１５ＭＡ１Ｋ３ＢＴＰ２Ｂ") == Check("91310115MA1K3BTP2B")


ALPHABET_HINT = "只能是数字和大写字母，不使用I、O、Z、S、V"


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写统一社会信用代码"),
        ("91310115MA1K3BTP2", "统一社会信用代码应为18位，您输入了17位"),
        ("91310115MA1K3BTP2BB", "统一社会信用代码应为18位，您输入了19位"),
        ("9131I115MA1K3BTP2B", f"统一社会信用代码第5位“I”不是允许的字符（{ALPHABET_HINT}）"),
        ("9131011OMA1K3BTP2B", f"统一社会信用代码第8位“O”不是允许的字符（{ALPHABET_HINT}）"),
        ("91310115MA1K3BTPZB", f"统一社会信用代码第17位“Z”不是允许的字符（{ALPHABET_HINT}）"),
        ("91310115MA1K3BTP2S", f"统一社会信用代码第18位“S”不是允许的字符（{ALPHABET_HINT}）"),
        ("91310115MA1K3BTP2V", f"统一社会信用代码第18位“V”不是允许的字符（{ALPHABET_HINT}）"),
        ("9131-115MA1K3BTP2B", f"统一社会信用代码第5位“-”不是允许的字符（{ALPHABET_HINT}）"),
        (
            "91310115MA1K3BTP2C",
            "统一社会信用代码校验位不正确（第18位应为B，您输入了C），请逐位核对代码",
        ),
        (
            "91110000600037341M",
            "统一社会信用代码校验位不正确（第18位应为L，您输入了M），请逐位核对代码",
        ),
    ],
)
def test_invalid_credit_codes(raw: str, error: str) -> None:
    assert check_credit_code(raw).error == error


def test_credit_code_check_char_rejects_bad_bodies() -> None:
    for bad in ("9131011", "91310115MA1K3BTPI"):
        with pytest.raises(ValueError):
            credit_code_check_char(bad)


credit_bodies = st.text(CREDIT_CODE_ALPHABET, min_size=17, max_size=17)


@given(credit_bodies)
def test_any_credit_code_with_computed_check_is_accepted(body: str) -> None:
    code = body + gb32100_check(body)
    assert check_credit_code(code) == Check(code)


@given(credit_bodies, st.integers(0, 17), st.sampled_from(CREDIT_CODE_ALPHABET))
def test_any_single_change_in_a_credit_code_is_rejected(
    body: str, position: int, char: str
) -> None:
    code = body + gb32100_check(body)
    if code[position] == char:
        return
    changed = code[:position] + char + code[position + 1 :]
    assert "校验位不正确" in (check_credit_code(changed).error or "")


# --- 机械环保代码 -----------------------------------------------------------------

# The Wikipedia VIN example; its check character is X (remainder 10).
VIN_EXAMPLE = "1M8GDM9AXKP042788"


@pytest.mark.parametrize(
    ("code", "check"),
    [
        (VIN_EXAMPLE, "X"),
        ("11111111111111111", "1"),
        ("LGMCE00A0N0000001", "2"),  # computed
        ("ZAXCE1200M1234567", "3"),  # computed
        ("SY365HXXXPA012345", "6"),  # computed
        ("00000000000000000", "0"),
    ],
)
def test_vin_check_char(code: str, check: str) -> None:
    assert vin_check_char(code) == check


def test_vin_check_char_ignores_position_9() -> None:
    assert vin_check_char("1M8GDM9AOKP042788") == "X"


@pytest.mark.parametrize("bad", ["1M8GDM9AXKP04278", "1M8GIM9AXKP042788", "1M8GDM9AXKP04278-"])
def test_vin_check_char_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        vin_check_char(bad)


@pytest.mark.parametrize(
    "raw",
    [
        VIN_EXAMPLE,
        f"*{VIN_EXAMPLE}*",
        f">{VIN_EXAMPLE}<",
        f"＊{VIN_EXAMPLE}＊",
        f"＞{VIN_EXAMPLE}＜",
        f"  **{VIN_EXAMPLE.lower()}**  ",
        "*1M8GD M9AX* KP042788*",  # delimiters and spaces inside
        "１Ｍ８ＧＤＭ９ＡＸＫＰ０４２７８８",
    ],
)
def test_machine_env_code_normalisation(raw: str) -> None:
    assert check_machine_env_code(raw) == Check(VIN_EXAMPLE)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写机械环保代码"),
        ("*><", "请填写机械环保代码"),
        ("*1M8GDM9AXKP04278*", "机械环保代码应为17位，您输入了16位"),
        ("1M8GDM9AXKP0427889", "机械环保代码应为17位，您输入了18位"),
        (
            "1M8GDM9AXKP04278-",
            "机械环保代码第17位“-”不是允许的字符（只能是数字和大写字母）",
        ),
        (
            "1M8GDM9AXKP0427#8",
            "机械环保代码第16位“#”不是允许的字符（只能是数字和大写字母）",
        ),
    ],
)
def test_invalid_machine_env_codes(raw: str, error: str) -> None:
    assert check_machine_env_code(raw).error == error


def test_machine_env_code_check_mismatch_is_a_warning() -> None:
    result = check_machine_env_code("*1M8GDM9A7KP042788*")
    assert result.ok
    assert result.warnings == (
        "机械环保代码第9位校验字符应为X，实际为7，请审核员核对铭牌"
        "（部分机械使用ISO 10261 PIN，校验规则不同）",
    )


def test_machine_env_code_with_a_pin_style_letter_check_is_a_warning() -> None:
    result = check_machine_env_code("1M8GDM9AKKP042788")
    assert result.ok
    assert "第9位校验字符应为X，实际为K" in result.warnings[0]


@pytest.mark.parametrize(
    ("raw", "positions", "letters"),
    [
        ("1M8GIM9AXKP042788", "5", "I"),
        ("OM8GDM9AXKP04278Q", "1、17", "O、Q"),
        ("1M8GDM9AXKPOO2788", "12、13", "O"),
    ],
)
def test_machine_env_code_with_i_o_q_is_a_warning(raw: str, positions: str, letters: str) -> None:
    result = check_machine_env_code(raw)
    assert result.ok
    assert result.warnings == (
        f"机械环保代码第{positions}位含字母{letters}（这类代码通常不用I、O、Q，"
        "以免与数字1、0混淆），无法计算校验字符，请审核员核对铭牌",
    )


vin_bodies = st.text("".join(VIN_TRANSLITERATION), min_size=17, max_size=17)


@given(vin_bodies)
def test_any_machine_env_code_with_computed_check_has_no_warning(body: str) -> None:
    code = body[:8] + vin_check_char(body) + body[9:]
    assert check_machine_env_code(code) == Check(code)


@given(vin_bodies, st.sampled_from(string.digits + string.ascii_uppercase))
def test_any_other_check_char_gives_a_warning_never_an_error(body: str, other: str) -> None:
    expected = vin_check_char(body)
    if other == expected:
        return
    result = check_machine_env_code(body[:8] + other + body[9:])
    assert result.ok
    assert len(result.warnings) == 1


# --- PIN and 出厂编号 -------------------------------------------------------------


def test_pin_with_check_letter() -> None:
    assert check_pin(" cat0320d kfal01234 ") == Check("CAT0320DKFAL01234")


def test_pin_with_non_letter_check_is_a_warning() -> None:
    result = check_pin("CAT0320D5FAL01234")
    assert result.ok
    assert result.warnings == ("产品识别码（PIN）第9位通常是校验字母，实际为“5”，请审核员核对铭牌",)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写产品识别码（PIN）"),
        ("CAT0320DKFAL0123", "产品识别码（PIN）应为17位，您输入了16位"),
        (
            "CAT0320DKFAL0123/",
            "产品识别码（PIN）第17位“/”不是允许的字符（只能是数字和大写字母）",
        ),
    ],
)
def test_invalid_pins(raw: str, error: str) -> None:
    assert check_pin(raw).error == error


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (" SN-2021/07.15 ", "SN-2021/07.15"),
        ("ab 12", "ab12"),  # case kept: free text copied from the plate
        ("ＡＢ－１２", "AB-12"),
        ("A", "A"),
        ("9" * 40, "9" * 40),
    ],
)
def test_valid_factory_serials(raw: str, value: str) -> None:
    assert check_factory_serial(raw) == Check(value)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写出厂编号"),
        ("9" * 41, "出厂编号最多40位，您输入了41位"),
        ("AB_12", "出厂编号第3位“_”不是允许的字符（只能是数字、英文字母和 - / .）"),
        ("编号12", "出厂编号第1位“编”不是允许的字符（只能是数字、英文字母和 - / .）"),
    ],
)
def test_invalid_factory_serials(raw: str, error: str) -> None:
    assert check_factory_serial(raw).error == error


# --- 环保信息公开编号, 发动机型式核准号, 发动机编号 -------------------------------

DISCLOSURE_EXAMPLE = "CNFJG4000L53000006000001"  # real Stage IV label (DOMAIN.md)


@pytest.mark.parametrize(
    "raw",
    [
        DISCLOSURE_EXAMPLE,
        "CN FJG4 000L53 000006 000001",
        " cnfjg4000l53000006000001 ",
        "ＣＮＦＪＧ４０００Ｌ５３０００００６０００００１",
    ],
)
def test_disclosure_number_normalisation(raw: str) -> None:
    assert check_disclosure_number(raw) == Check(DISCLOSURE_EXAMPLE)


@pytest.mark.parametrize("stage", STAGE_DIGITS)
def test_disclosure_number_accepts_every_stage_digit(stage: str) -> None:
    number = f"CNFJG{stage}000L53000006000001"
    assert check_disclosure_number(number) == Check(number)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写环保信息公开编号"),
        ("CNFJG4000L5300000600000", "环保信息公开编号应为24位，您输入了23位"),
        (
            "CNFJG4000L53000006000001-",
            "环保信息公开编号应为24位，您输入了25位",
        ),
        (
            "CNFJG4000L53000006-00001",
            "环保信息公开编号第19位“-”不是允许的字符（只能是数字和大写字母）",
        ),
        ("CNFJG0000L53000006000001", "环保信息公开编号第6位应为排放阶段数字（1-6），您输入了“0”"),
        ("CNFJG7000L53000006000001", "环保信息公开编号第6位应为排放阶段数字（1-6），您输入了“7”"),
        ("CNFJGX000L53000006000001", "环保信息公开编号第6位应为排放阶段数字（1-6），您输入了“X”"),
    ],
)
def test_invalid_disclosure_numbers(raw: str, error: str) -> None:
    assert check_disclosure_number(raw).error == error


def test_disclosure_number_structure_deviations_are_warnings() -> None:
    result = check_disclosure_number("XXFJH4000L53000006000001")
    assert result.ok
    assert result.warnings == (
        "环保信息公开编号第1-2位通常为“CN”，实际为“XX”，请审核员核对标签或铭牌",
        "环保信息公开编号第5位通常为“G”，实际为“H”，请审核员核对标签或铭牌",
    )
    assert check_disclosure_number("CNFJH4000L53000006000001").warnings == (
        "环保信息公开编号第5位通常为“G”，实际为“H”，请审核员核对标签或铭牌",
    )


TYPE_APPROVAL_EXAMPLE = "YCK084A000012345"  # synthetic: the structure is not public


@pytest.mark.parametrize("stage", STAGE_DIGITS)
def test_type_approval_number_accepts_every_stage_digit(stage: str) -> None:
    number = f"YCK08{stage}A000012345"
    assert check_type_approval_number(number) == Check(number)


def test_type_approval_number_normalisation() -> None:
    assert check_type_approval_number(" yck08 4a00 0012345 ") == Check(TYPE_APPROVAL_EXAMPLE)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写发动机型式核准号"),
        ("YCK084A00001234", "发动机型式核准号应为16位，您输入了15位"),
        ("YCK084A0000123456", "发动机型式核准号应为16位，您输入了17位"),
        ("YCK084A00001234.", "发动机型式核准号第16位“.”不是允许的字符（只能是数字和大写字母）"),
        ("YCK08AA000012345", "发动机型式核准号第6位应为排放阶段数字（1-6），您输入了“A”"),
        ("YCK089A000012345", "发动机型式核准号第6位应为排放阶段数字（1-6），您输入了“9”"),
    ],
)
def test_invalid_type_approval_numbers(raw: str, error: str) -> None:
    assert check_type_approval_number(raw).error == error


def test_engine_number_dispatches_by_length() -> None:
    assert check_engine_number(" yck084a000012345") == Check(TYPE_APPROVAL_EXAMPLE)
    assert check_engine_number("CN FJG4 000L53 000006 000001") == Check(DISCLOSURE_EXAMPLE)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写发动机型式核准号或信息公开编号"),
        (
            "YCK084A00001234",
            "发动机型式核准号应为16位，发动机信息公开编号/信息入库号应为24位，您输入了15位",
        ),
        (
            "CNFJG4000L530000060000011",
            "发动机型式核准号应为16位，发动机信息公开编号/信息入库号应为24位，您输入了25位",
        ),
        ("YCK087A000012345", "发动机型式核准号第6位应为排放阶段数字（1-6），您输入了“7”"),
        (
            "CNFJG7000L53000006000001",
            "发动机信息公开编号/信息入库号第6位应为排放阶段数字（1-6），您输入了“7”",
        ),
    ],
)
def test_invalid_engine_numbers(raw: str, error: str) -> None:
    assert check_engine_number(raw).error == error


def test_engine_disclosure_number_warnings_name_the_engine_label() -> None:
    result = check_engine_number("XXFJG4000L53000006000001")
    assert result.ok
    assert result.warnings == (
        "发动机信息公开编号/信息入库号第1-2位通常为“CN”，实际为“XX”，请审核员核对标签或铭牌",
    )


# --- 手机号码 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812341234",
        " 138 1234 1234 ",
        "138-1234-1234",
        "+86 138 1234 1234",
        "+86-13812341234",
        "(+86)13812341234",
        "8613812341234",
        "0086 13812341234",
        "１３８１２３４１２３４",
    ],
)
def test_valid_mobile_numbers(raw: str) -> None:
    assert check_mobile(raw) == Check("13812341234")


@pytest.mark.parametrize("second", "3456789")
def test_every_allowed_second_digit(second: str) -> None:
    number = f"1{second}812341234"
    assert check_mobile(number) == Check(number)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写手机号码"),
        (" - ", "请填写手机号码"),
        ("1381234123", "手机号码应为11位，您输入了10位"),
        ("+86 138 1234 123", "手机号码应为11位，您输入了10位"),
        ("138123412345", "手机号码应为11位，您输入了12位"),
        ("1381234123a", "手机号码第11位“A”不是数字"),
        ("138.1234.1234", "手机号码第4位“.”不是数字"),
        ("+852 6123 4567", "只支持中国大陆手机号码，国际区号只能是+86"),
        ("12812341234", "手机号码应以13至19开头，您输入的号码以12开头"),
        ("23812341234", "手机号码应以13至19开头，您输入的号码以23开头"),
        ("02112345678", "手机号码应以13至19开头，您输入的号码以02开头"),
    ],
)
def test_invalid_mobile_numbers(raw: str, error: str) -> None:
    assert check_mobile(raw).error == error


PERSONAL_DATA_CASES = [
    ("已责令整改，机械已停止使用。", ()),
    ("车主张三，身份证11010519491231002X。", ("id_number",)),
    ("身份证 110105 19491231 002x", ("id_number",)),
    ("110105194912310021 checks wrong", ()),  # not a valid check character
    ("联系电话13800000001", ("phone",)),
    ("电话 138-0000-0001", ("phone",)),
    ("+86 13800000001", ("phone",)),
    ("发动机号 CN138000000012345 与铭牌不符", ()),  # part of a longer code
    ("出厂编号 1380000000123", ()),  # 13 digits, not a phone
    ("座机021-12345678", ()),
    ("身份证11010519491231002X，电话13800000001", ("id_number", "phone")),
]


@pytest.mark.parametrize(("text", "kinds"), PERSONAL_DATA_CASES)
def test_personal_data_in(text, kinds):
    assert personal_data_in(text) == kinds


@given(st.text(alphabet="机械已整改，。ABCxyz -"))
def test_text_without_digits_holds_no_personal_data(text):
    assert personal_data_in(text) == ()
