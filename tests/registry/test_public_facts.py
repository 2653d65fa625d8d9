"""The public facts of a number (registry.verification), read by hand-written SQL: the same
facts on both databases, the issue date in Shanghai's calendar, the card's issue and status."""

import pytest
import time_machine

from registry.constants import RegistrationStatus
from registry.verification import CardOutcome, card_and_facts, facts_for
from tests.registry.test_credentials import approved, live, proof_of

pytestmark = pytest.mark.django_db


def test_issued_early_in_the_morning_is_that_day_in_shanghai(owner, reviewer):
    with time_machine.travel("2026-11-24 07:30 +0800", tick=False):  # 23:30 UTC the day before
        registration = approved(owner, reviewer)
    facts = facts_for(registration.short_number)
    assert facts is not None and facts.issued_on == "2026-11-24"


def test_the_facts(owner, reviewer):
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        registration = approved(owner, reviewer)
    facts = facts_for(registration.short_number)
    assert facts is not None
    assert (facts.registration_id, facts.number, facts.short_number) == (
        registration.pk,
        registration.number,
        registration.short_number,
    )
    assert facts.machine_type == registration.declaration.machine_type
    assert facts.status == RegistrationStatus.VALID and facts.status_label == "登记有效"
    assert facts.stage == "国4" and facts.district == "浦东新区"
    assert [p.label for p in facts.photos] == ["机身正面", "机身后面", "机身45度前侧"]
    assert facts_for("沪L4-99999") is None


def test_a_card_and_its_facts(owner, reviewer):
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        registration = approved(owner, reviewer)
        credential = live(registration)
    card, facts = card_and_facts(registration.short_number, proof_of(credential))
    assert card.outcome == CardOutcome.VALID and card.issue == 1
    assert facts is not None and facts.number == registration.number
    forged = proof_of(credential)[:-4] + "AAAA"
    assert card_and_facts(registration.short_number, forged)[0].outcome == CardOutcome.NOT_GENUINE
