"""The result of a spot check from what the checker found (Art. 15). Pure: no database."""

from dataclasses import dataclass

from inspections.constants import CardCheck, FailureReason, SpotCheckResult
from registry.constants import RegistrationStatus


@dataclass(frozen=True)
class Findings:
    registration_status: str | None  # None: no registration was found for the number
    sign_present: bool
    sign_matches: bool | None
    card_present: bool
    card_check: str
    smoke_visible: bool


def failure_reasons(findings: Findings) -> list[FailureReason]:
    """Every reason the check fails, in a fixed order; none means it passed."""
    reasons: list[FailureReason] = []
    if findings.registration_status is None:
        reasons.append(FailureReason.NOT_REGISTERED)
    elif findings.registration_status != RegistrationStatus.VALID:
        reasons.append(FailureReason.NOT_VALID)
    if not findings.sign_present:
        reasons.append(FailureReason.SIGN_ABSENT)
    elif findings.sign_matches is False:
        reasons.append(FailureReason.SIGN_MISMATCH)
    if not findings.card_present or findings.card_check == CardCheck.ABSENT:
        reasons.append(FailureReason.CARD_ABSENT)
    elif findings.card_check == CardCheck.NOT_GENUINE:
        reasons.append(FailureReason.CARD_NOT_GENUINE)
    if findings.smoke_visible:
        reasons.append(FailureReason.SMOKE_VISIBLE)
    return reasons


def result_of(reasons: list[FailureReason]) -> SpotCheckResult:
    return SpotCheckResult.FAILED if reasons else SpotCheckResult.PASSED
