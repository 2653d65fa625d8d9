"""The result of a spot check, row by row (Art. 15)."""

import pytest

from inspections.constants import FailureReason as R
from inspections.results import Findings, failure_reasons, result_of

VALID = "valid"

# (registration status, sign present, sign matches, card present, card check, smoke) -> reasons
TABLE = [
    ((VALID, True, True, True, "genuine", False), []),
    ((VALID, True, True, True, "not_checked", False), []),
    ((None, True, None, True, "not_checked", False), [R.NOT_REGISTERED]),
    (("suspended", True, True, True, "genuine", False), [R.NOT_VALID]),
    (("deregistered", True, True, True, "genuine", False), [R.NOT_VALID]),
    ((VALID, False, None, True, "genuine", False), [R.SIGN_ABSENT]),
    ((VALID, True, False, True, "genuine", False), [R.SIGN_MISMATCH]),
    ((VALID, True, None, True, "genuine", False), []),
    ((VALID, True, True, False, "absent", False), [R.CARD_ABSENT]),
    ((VALID, True, True, True, "absent", False), [R.CARD_ABSENT]),
    ((VALID, True, True, True, "not_genuine", False), [R.CARD_NOT_GENUINE]),
    ((VALID, True, True, True, "genuine", True), [R.SMOKE_VISIBLE]),
    (
        (None, False, None, False, "absent", True),
        [R.NOT_REGISTERED, R.SIGN_ABSENT, R.CARD_ABSENT, R.SMOKE_VISIBLE],
    ),
    (
        ("transferred_out", True, False, True, "not_genuine", False),
        [R.NOT_VALID, R.SIGN_MISMATCH, R.CARD_NOT_GENUINE],
    ),
]


@pytest.mark.parametrize(("row", "expected"), TABLE)
def test_failure_reasons(row, expected):
    status, sign_present, sign_matches, card_present, card_check, smoke = row
    reasons = failure_reasons(
        Findings(
            registration_status=status,
            sign_present=sign_present,
            sign_matches=sign_matches,
            card_present=card_present,
            card_check=card_check,
            smoke_visible=smoke,
        )
    )
    assert reasons == expected
    assert result_of(reasons) == ("failed" if expected else "passed")
