"""generate_data: realistic, valid and consistent data that the platform goes on from."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max

from accounts.models import User
from core.reference import city
from registry.constants import DeclarationStatus
from registry.models import Credential, Declaration, DeclarationRound, NumberCounter, Registration
from rules.identifiers import check_credit_code, check_id_number
from rules.regno import parse_number, serial_from_text
from stats.generate import PHONE_PREFIX, generate

pytestmark = pytest.mark.django_db


def test_command_generates_and_reports():
    out = StringIO()
    call_command("generate_data", "--machines", "120", stdout=out)
    assert "registrations=120" in out.getvalue() and "rows_per_second=" in out.getvalue()
    assert Registration.objects.count() == 120
    with pytest.raises(CommandError):
        call_command("generate_data", "--machines", "0")


def test_data_is_valid_and_consistent():
    made = generate(500, seed=3)
    assert made.registrations == Registration.objects.count() == 500
    assert made.credentials == Credential.objects.count() == 500
    assert made.rows == (
        User.objects.filter(phone__startswith=PHONE_PREFIX).count()
        + Declaration.objects.count()
        + DeclarationRound.objects.count()
        + 1000
    )
    # Every status occurs, in plausible proportions.
    statuses = dict(Declaration.objects.values_list("status").annotate(n=Count("pk")))
    assert set(statuses) == set(DeclarationStatus.values)
    assert statuses[DeclarationStatus.APPROVED] == 500
    # Identifiers pass the platform's own checks; ID numbers are sealed and found by hash.
    for user in User.objects.filter(phone__startswith=PHONE_PREFIX):
        id_number = user.id_number
        assert (
            check_id_number(id_number) if id_number else check_credit_code(user.credit_code or "")
        ).ok
        if id_number:
            assert User.objects.by_id_number(id_number).get() == user
    # Numbers parse, and every counter stands at the last serial of its prefix.
    for number in Registration.objects.values_list("number", flat=True)[:50]:
        parse_number(number, city())
    last = dict(Registration.objects.values_list("prefix").annotate(m=Max("serial")))
    assert dict(NumberCounter.objects.values_list("prefix", "last_serial")) == last
    for prefix, serial in last.items():
        short = Registration.objects.get(prefix=prefix, serial=serial).short_number
        assert serial_from_text(short.split("-")[1]) == serial
    # Submitted declarations have a review deadline, decisions come after submissions.
    decided = Declaration.objects.exclude(decided_at=None)
    for d in decided[:200]:
        assert d.decided_at and d.submitted_at and d.decided_at >= d.submitted_at
    assert not Declaration.objects.filter(status="submitted", submitted_at=None).exists()


def test_a_second_run_continues_numbers_and_people():
    generate(100, seed=1)
    generate(100, seed=1)  # the same seed again: no unique number or phone repeats
    assert Registration.objects.count() == 200
    assert User.objects.filter(phone__startswith=PHONE_PREFIX).count() == 50
    assert (
        Registration.objects.values("short_number").distinct().count() == 200
    )  # and the constraints held
