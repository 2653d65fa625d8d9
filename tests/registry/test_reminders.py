"""SMS reminders before the owners' deadlines: each once, only what falls due soon."""

from datetime import date

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import SmsMessage
from changes.actions import confirm_owner_change
from core.models import Reminder
from registry import actions
from registry import credentials as cards
from registry.reminders import due_reminders, send_due_reminders
from tests.changes.helpers import approved, owner_change
from tests.conftest import last_code, make_user
from tests.inspections.helpers import failed_check, order
from tests.registry.helpers import declare
from tests.registry.test_credentials import live

MONDAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def monday():
    with time_machine.travel("2026-11-23 09:00 +0800", tick=False):
        yield


def reminders_to(phone: str) -> list[str]:
    return list(
        SmsMessage.objects.filter(phone=phone, purpose="reminder").values_list("body", flat=True)
    )


@pytest.mark.parametrize(
    ("acquired", "reminded"),
    [
        ("2026-10-24", True),  # due 23 Nov: today
        ("2026-10-26", True),  # due 25 Nov: within two days
        ("2026-10-27", False),  # due 26 Nov: three days away
        ("2026-10-20", False),  # due 19 Nov: already late, the district's business
    ],
)
def test_draft_declarations(owner, acquired, reminded):
    declare(owner, submit=False, basic={"acquisition_date": acquired})
    keys = [d.key for d in due_reminders(MONDAY, 2)]
    assert bool(keys) is reminded


def test_the_draft_reminder_names_the_due_date_and_goes_once(owner):
    d = declare(owner, submit=False, basic={"acquisition_date": "2026-10-26"})
    assert send_due_reminders() == 1
    assert send_due_reminders() == 0  # the same day again: nothing new
    (body,) = reminders_to(owner.phone)
    assert "2026年11月25日" in body and str(d.pk) in body
    assert Reminder.objects.count() == 1


def test_submitted_declarations_are_not_reminded(owner):
    declare(owner, basic={"acquisition_date": "2026-10-26"})
    assert due_reminders(MONDAY, 2) == []


def test_sign_photo_due_soon(owner, reviewer):
    with time_machine.travel("2026-11-15 10:00 +0800", tick=False):
        reg = actions.approve(acting_user=reviewer, declaration=declare(owner))
        credential = live(reg)
        cards.record_produced(acting_user=reviewer, ids=[credential.pk])
        cards.notify_collection(acting_user=reviewer, ids=[credential.pk], place="窗口")
        credential = live(reg)
        cards.record_collection(
            acting_user=reviewer, credential=credential, pickup_code=credential.pickup_code
        )
    assert live(reg).photo_due == date(2026, 11, 25)
    assert send_due_reminders() == 1
    (body,) = reminders_to(owner.phone)
    assert reg.number in body and "2026年11月25日" in body


def test_rectification_due_soon(owner, reviewer, inspector):
    reg = actions.approve(acting_user=reviewer, declaration=declare(owner))
    order(reviewer, failed_check(inspector, reg), due_date=date(2026, 11, 24))
    assert send_due_reminders() == 1
    assert "整改期限为2026年11月24日" in reminders_to(owner.phone)[0]


@pytest.mark.parametrize(
    ("sold_on", "reminded"),
    [
        (date(2026, 11, 13), True),  # due 23 Nov: today
        (date(2026, 11, 15), True),  # due 25 Nov
        (date(2026, 11, 16), False),  # due 26 Nov: three days away
        (date(2026, 11, 12), False),  # due 22 Nov: overdue, on the district's list
    ],
)
def test_unconfirmed_owner_change_reminds_both_owners(owner, reviewer, sold_on, reminded):
    buyer = make_user("13800000011", "钱七", kind="person", id_number="110101199003074530")
    request = owner_change(approved(owner, reviewer), owner, buyer, event_date=sold_on)
    SmsMessage.objects.all().delete()  # the codes
    assert send_due_reminders() == (2 if reminded else 0)
    if reminded:
        for phone in (owner.phone, buyer.phone):
            (body,) = reminders_to(phone)
            assert request.registration.number in body and "钱七" in body
        assert send_due_reminders() == 0


def test_a_confirmed_owner_change_is_not_reminded(owner, reviewer):
    buyer = make_user("13800000011", "钱七", kind="person", id_number="110101199003074530")
    sold = approved(owner, reviewer)
    pending = owner_change(sold, owner, buyer, event_date=date(2026, 11, 14))
    confirm_owner_change(acting_user=buyer, request=pending, code=last_code(buyer.phone))
    assert due_reminders(MONDAY, 2) == []


def test_the_command_runs_the_task(owner, capsys):
    declare(owner, submit=False, basic={"acquisition_date": "2026-10-26"})
    call_command("send_reminders")
    assert "reminders sent: 1" in capsys.readouterr().out
