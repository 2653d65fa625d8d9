"""The owner change (Art. 11, manual 二(1)): both owners registered, both confirm with their
own SMS code, the agreement uploaded, the district approves, the machine moves."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings

from accounts.constants import SmsPurpose
from accounts.models import AgentConsent, SmsCode, SmsMessage
from changes import actions
from changes.constants import OWNER_CHANGE_SMS, ChangeKind, ChangePhotoKind, ChangeStatus
from changes.models import ChangeRequest
from core.errors import ActionError, FieldErrors
from registry.access import owner_side_registrations
from registry.constants import CredentialStatus
from registry.models import Credential
from tests.changes.helpers import (
    DAY,
    YESTERDAY,
    confirmed_owner_change,
    owner_change,
    reissue,
    reload,
)
from tests.conftest import last_code, make_user
from tests.registry.helpers import jpeg

pytestmark = pytest.mark.django_db


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


class TestBothCodes:
    def test_end_to_end(
        self, owner, other_owner, reviewer, machine, django_capture_on_commit_callbacks
    ):
        credential = Credential.objects.get(registration=machine)
        request = owner_change(machine, owner, other_owner)
        assert request.status == ChangeStatus.AWAITING_NEW_OWNER
        assert request.kind == ChangeKind.OWNER
        assert request.new_owner == other_owner
        assert request.submitted_at is None
        assert request.photos.get().kind == ChangePhotoKind.AGREEMENT
        # The new owner got a code naming the old owner and the number.
        message = SmsMessage.objects.filter(phone=other_owner.phone).latest("id")
        assert "张三" in message.body and machine.number in message.body
        # The reviewer cannot decide before the new owner has agreed.
        with pytest.raises(ActionError) as exc:
            actions.approve(acting_user=reviewer, request=request)
        assert exc.value.status == 409

        request = actions.confirm_owner_change(
            acting_user=other_owner, request=request, code=last_code(other_owner.phone)
        )
        assert request.status == ChangeStatus.SUBMITTED
        assert request.submitted_at is not None
        assert not request.late

        with django_capture_on_commit_callbacks(execute=True):
            actions.approve(acting_user=reviewer, request=request)
        machine = reload(machine)
        assert machine.owner == other_owner
        assert machine.declaration.owner == other_owner
        assert machine.number == "工程机械沪L4-00001"  # same number
        credential = reload(credential)
        assert credential.status != CredentialStatus.REVOKED  # same sign and card
        request = reload(request)
        assert request.before == {"owner_id": owner.pk, "owner_name": "张三"}
        assert request.after == {"owner_id": other_owner.pk, "owner_name": "钱七"}
        assert SmsMessage.objects.filter(phone=owner.phone, body__contains="已转至新机主")
        assert SmsMessage.objects.filter(phone=other_owner.phone, body__contains="转至您的名下")
        assert machine in owner_side_registrations(other_owner)
        assert machine not in owner_side_registrations(owner)
        # The machine is now the new owner's to change; the old owner's side is closed.
        with pytest.raises(ActionError) as exc:
            reissue(machine, owner)
        assert exc.value.status == 404
        assert reissue(machine, other_owner).owner == other_owner

    def test_the_current_owners_code_is_checked_and_a_wrong_one_counted(
        self, owner, other_owner, machine
    ):
        actions.send_owner_change_code(acting_user=owner, registration=machine)
        code = last_code(owner.phone)
        with pytest.raises(ActionError) as exc:
            actions.request_owner_change(
                acting_user=owner,
                registration=machine,
                new_owner_phone=other_owner.phone,
                event_date=YESTERDAY,
                agreement_photo=jpeg(),
                old_owner_code=wrong(code),
            )
        assert exc.value.code == "sms_code_wrong"
        assert exc.value.field == "old_owner_code"
        row = SmsCode.objects.get(phone=owner.phone, purpose=OWNER_CHANGE_SMS)
        assert row.failed_attempts == 1  # counted, although the request was refused
        assert not ChangeRequest.objects.exists()
        assert not SmsMessage.objects.filter(phone=other_owner.phone).exists()
        # The right code still works.
        request = actions.request_owner_change(
            acting_user=owner,
            registration=machine,
            new_owner_phone=other_owner.phone,
            event_date=YESTERDAY,
            agreement_photo=jpeg(),
            old_owner_code=code,
        )
        assert request.status == ChangeStatus.AWAITING_NEW_OWNER

    def test_no_code_asked(self, owner, other_owner, machine):
        with pytest.raises(ActionError) as exc:
            actions.request_owner_change(
                acting_user=owner,
                registration=machine,
                new_owner_phone=other_owner.phone,
                event_date=YESTERDAY,
                agreement_photo=jpeg(),
                old_owner_code="123456",
            )
        assert exc.value.code == "sms_code_missing"

    def test_a_code_of_another_purpose_does_not_serve(self, owner, other_owner, machine):
        from accounts.actions import send_password_reset_code

        send_password_reset_code(owner.phone)
        with pytest.raises(ActionError):
            actions.request_owner_change(
                acting_user=owner,
                registration=machine,
                new_owner_phone=other_owner.phone,
                event_date=YESTERDAY,
                agreement_photo=jpeg(),
                old_owner_code=last_code(owner.phone),
            )
        assert SmsCode.objects.filter(purpose=SmsPurpose.RESET_PASSWORD, consumed_at=None)

    def test_the_new_owners_wrong_code_is_counted(self, owner, other_owner, machine):
        request = owner_change(machine, owner, other_owner)
        code = last_code(other_owner.phone)
        with pytest.raises(ActionError) as exc:
            actions.confirm_owner_change(acting_user=other_owner, request=request, code=wrong(code))
        assert exc.value.code == "sms_code_wrong"
        assert reload(request).status == ChangeStatus.AWAITING_NEW_OWNER
        row = SmsCode.objects.filter(phone=other_owner.phone).latest("created_at")
        assert row.failed_attempts == 1
        for _ in range(settings.NRMM_SMS_CODE_MAX_ATTEMPTS - 1):
            with pytest.raises(ActionError):
                actions.confirm_owner_change(
                    acting_user=other_owner, request=request, code=wrong(code)
                )
        with pytest.raises(ActionError) as exc:
            actions.confirm_owner_change(acting_user=other_owner, request=request, code=code)
        assert exc.value.code == "sms_code_locked"
        # A fresh code (a minute later) confirms.
        with time_machine.travel(timedelta(minutes=2)):
            actions.resend_new_owner_code(acting_user=owner, request=request)
            actions.confirm_owner_change(
                acting_user=other_owner, request=request, code=last_code(other_owner.phone)
            )
        assert reload(request).status == ChangeStatus.SUBMITTED

    def test_only_the_new_owner_side_confirms(self, owner, other_owner, agent, machine):
        request = owner_change(machine, owner, other_owner)
        code = last_code(other_owner.phone)
        for user in (owner, agent):
            with pytest.raises(ActionError) as exc:
                actions.confirm_owner_change(acting_user=user, request=request, code=code)
            assert exc.value.status == 404
        # An agent of the new owner may enter the new owner's code.
        AgentConsent.objects.create(agent=agent, owner=other_owner)
        actions.confirm_owner_change(acting_user=agent, request=request, code=code)
        assert reload(request).status == ChangeStatus.SUBMITTED


class TestNewOwner:
    def test_must_be_a_registered_owner(self, owner, reviewer, machine):
        actions.send_owner_change_code(acting_user=owner, registration=machine)
        code = last_code(owner.phone)
        for phone, message in (
            ("13800009999", "未注册"),  # nobody
            (reviewer.phone, "未注册"),  # staff, not an owner
            (owner.phone, "本人"),
            ("12345", "手机号"),
        ):
            with pytest.raises(FieldErrors) as exc:
                actions.request_owner_change(
                    acting_user=owner,
                    registration=machine,
                    new_owner_phone=phone,
                    event_date=YESTERDAY,
                    agreement_photo=jpeg(),
                    old_owner_code=code,
                )
            assert message in exc.value.errors["new_owner_phone"]
        # The code was not used up by the refusals: the form is checked first.
        assert SmsCode.objects.get(phone=owner.phone, consumed_at=None).failed_attempts == 0

    def test_an_inactive_account_is_refused(self, owner, machine):
        inactive = make_user(
            "13800000012", "停用", kind="person", id_number="11010519900307453X", is_active=False
        )
        with pytest.raises(FieldErrors):
            owner_change(machine, owner, inactive)

    def test_agreement_and_date_required(self, owner, other_owner, machine):
        with pytest.raises(FieldErrors) as exc:
            owner_change(machine, owner, other_owner, agreement_photo=None, event_date=None)
        assert set(exc.value.errors) == {"agreement_photo", "event_date"}
        assert not ChangeRequest.objects.exists()

    def test_organisation_as_new_owner(self, owner, organisation, reviewer, machine):
        request = confirmed_owner_change(machine, owner, organisation)
        actions.approve(acting_user=reviewer, request=request)
        assert reload(machine).owner == organisation


class TestDeadline:
    def test_late_after_ten_days_from_the_transfer(self, owner, other_owner, machine):
        on_time = owner_change(machine, owner, other_owner, event_date=DAY - timedelta(days=10))
        assert not on_time.late
        actions.withdraw(acting_user=owner, request=on_time)
        with time_machine.travel(timedelta(minutes=2)):
            late = owner_change(machine, owner, other_owner, event_date=DAY - timedelta(days=11))
        assert late.late

    def test_a_slow_confirmation_makes_it_late(self, owner, other_owner, machine):
        request = owner_change(machine, owner, other_owner, event_date=DAY - timedelta(days=10))
        assert not request.late
        with time_machine.travel(timedelta(days=1, minutes=2)):
            actions.resend_new_owner_code(acting_user=other_owner, request=request)
            request = actions.confirm_owner_change(
                acting_user=other_owner, request=request, code=last_code(other_owner.phone)
            )
        assert request.late


class TestStateAndAccess:
    def test_approval_closes_the_old_owners_other_requests(
        self, owner, other_owner, reviewer, machine
    ):
        other = reissue(machine, owner)
        request = confirmed_owner_change(machine, owner, other_owner)
        actions.approve(acting_user=reviewer, request=request)
        assert reload(other).status == ChangeStatus.REJECTED

    def test_withdrawn_while_waiting_for_the_new_owner(self, owner, other_owner, machine):
        request = owner_change(machine, owner, other_owner)
        with pytest.raises(ActionError):
            actions.withdraw(acting_user=other_owner, request=request)
        actions.withdraw(acting_user=owner, request=request)
        with pytest.raises(ActionError) as exc:
            actions.confirm_owner_change(
                acting_user=other_owner, request=request, code=last_code(other_owner.phone)
            )
        assert exc.value.status == 409

    def test_outsider_cannot_ask_the_owners_code(self, other_owner, machine):
        with pytest.raises(ActionError) as exc:
            actions.send_owner_change_code(acting_user=other_owner, registration=machine)
        assert exc.value.status == 404
        assert not SmsMessage.objects.filter(body__contains="机主变更").exists()

    def test_reject_tells_both(
        self, owner, other_owner, reviewer, machine, django_capture_on_commit_callbacks
    ):
        request = confirmed_owner_change(machine, owner, other_owner)
        with django_capture_on_commit_callbacks(execute=True):
            actions.reject(acting_user=reviewer, request=request, reason="转让协议不清晰")
        for phone in (owner.phone, other_owner.phone):
            assert SmsMessage.objects.filter(phone=phone, body__contains="转让协议不清晰")
        assert reload(machine).owner == owner
