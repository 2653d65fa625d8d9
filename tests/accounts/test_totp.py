"""RFC 6238's own test vectors (SHA-1), and the rules around them: drift, replay, format."""

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts import totp

# RFC 6238 appendix B: the ASCII secret "12345678901234567890", 8-digit codes; ours are the
# last 6 digits of the same truncated value.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("unix_time", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_vectors(unix_time, eight_digits):
    assert totp.code_at(RFC_SECRET, unix_time) == eight_digits[-6:]


def test_a_code_matches_within_one_step_of_drift():
    now = 1_800_000_000
    for offset in (-30, 0, 30):
        code = totp.code_at(RFC_SECRET, now + offset)
        assert totp.matching_step(RFC_SECRET, code, now) == totp.step_at(now + offset)
    assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, now - 90), now) is None


def test_a_used_step_does_not_match_again():
    now = 1_800_000_000
    code = totp.code_at(RFC_SECRET, now)
    step = totp.matching_step(RFC_SECRET, code, now)
    assert step is not None
    assert totp.matching_step(RFC_SECRET, code, now, after_step=step) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_never_match(code):
    assert totp.matching_step(RFC_SECRET, code, 1_800_000_000) is None


@given(st.integers(min_value=0, max_value=2**40))
def test_codes_are_six_digits_and_spaces_are_ignored(unix_time):
    code = totp.code_at(RFC_SECRET, unix_time)
    assert len(code) == 6 and code.isdigit()
    spaced = f"{code[:3]} {code[3:]}"
    assert totp.matching_step(RFC_SECRET, spaced, unix_time) == totp.step_at(unix_time)


def test_secrets_and_the_enrolment_uri():
    secret = totp.new_secret()
    assert len(secret) == 32 and secret != totp.new_secret()
    uri = totp.provisioning_uri(secret, account="13900000002", issuer="非道路移动机械")
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
