"""Reissue (Art. 13), transfer out and deregistration (Art. 14), and the location switch
(manual 二(3)): happy paths and refusals, nothing half-saved."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from accounts.models import AgentConsent, SmsMessage
from changes import actions
from changes.constants import ChangeKind, ChangeStatus
from changes.models import ChangePhoto, ChangeRequest
from core.errors import ActionError, FieldErrors
from core.models import AuditEntry
from registry.constants import CredentialReason, CredentialStatus, RegistrationStatus
from registry.models import Credential
from registry.verification import CardOutcome, check_card, facts_for
from tests.changes.helpers import (
    DAY,
    YESTERDAY,
    approved,
    deregistration,
    reissue,
    reload,
    transfer_out,
)
from tests.registry.helpers import jpeg

pytestmark = pytest.mark.django_db


def proof_of(credential: Credential) -> str:
    return f"{credential.issue}.{credential.kid}.{credential.signature}"


def live(registration) -> Credential:
    return Credential.objects.exclude(status=CredentialStatus.REVOKED).get(
        registration=registration
    )


class TestReissue:
    def test_approval_issues_a_new_card_and_revokes_the_old_qr(
        self, owner, reviewer, machine, django_capture_on_commit_callbacks
    ):
        old = live(machine)
        request = reissue(machine, owner, reason="damaged", photos=[jpeg("black")])
        assert request.status == ChangeStatus.SUBMITTED
        assert request.kind == ChangeKind.REISSUE
        assert request.district == "L"
        assert request.owner == owner
        assert request.review_due == date(2026, 12, 7)  # 10 working days
        assert not request.late
        assert ChangePhoto.objects.filter(request=request).count() == 1
        assert check_card(machine.short_number, proof_of(old)).outcome == CardOutcome.VALID

        with django_capture_on_commit_callbacks(execute=True):
            actions.approve(acting_user=reviewer, request=request)

        request = reload(request)
        assert request.status == ChangeStatus.APPROVED
        assert request.decided_by == reviewer
        assert request.before == {"credential_issue": 1}
        assert request.after == {"credential_issue": 2}
        new = live(machine)
        assert new.issue == 2
        assert new.reason == CredentialReason.REISSUE
        assert new.status == CredentialStatus.PENDING  # production follows as the first
        assert reload(old).status == CredentialStatus.REVOKED
        assert "损毁" in reload(old).revoked_reason
        assert check_card(machine.short_number, proof_of(old)).outcome == CardOutcome.REVOKED
        assert check_card(machine.short_number, proof_of(new)).outcome == CardOutcome.VALID
        assert reload(machine).status == RegistrationStatus.VALID
        assert SmsMessage.objects.filter(phone=owner.phone, body__contains="补办已审核通过")
        assert AuditEntry.objects.filter(action="change.approved", target_id=str(request.pk))

    def test_reason_and_date_are_checked(self, owner, machine):
        with pytest.raises(FieldErrors) as exc:
            reissue(machine, owner, reason="stolen", event_date=DAY + timedelta(days=1))
        assert set(exc.value.errors) == {"reason", "event_date"}
        with pytest.raises(FieldErrors) as exc:
            reissue(machine, owner, event_date=None)
        assert exc.value.errors == {"event_date": "请填写遗失或损毁日期"}
        with pytest.raises(FieldErrors):
            reissue(machine, owner, event_date="2026/11/01")
        assert not ChangeRequest.objects.exists()

    def test_a_bad_photo_saves_nothing(self, owner, machine):
        with pytest.raises(ActionError) as exc:
            reissue(machine, owner, photos=[jpeg(), b"not a photo"])
        assert exc.value.field == "photos"
        assert "第2张照片" in exc.value.message
        assert not ChangeRequest.objects.exists()
        assert not ChangePhoto.objects.exists()

    def test_one_open_request_of_a_kind(self, owner, machine):
        reissue(machine, owner)
        with pytest.raises(ActionError) as exc:
            reissue(machine, owner)
        assert exc.value.status == 409
        assert exc.value.code == "already_open"
        # Another kind may be open at the same time.
        transfer_out(machine, owner)
        assert ChangeRequest.objects.count() == 2

    def test_the_database_backs_one_open_request_per_kind(self, owner, machine):
        first = reissue(machine, owner)
        with pytest.raises(IntegrityError), transaction.atomic():
            ChangeRequest.objects.create(
                registration=machine,
                kind=ChangeKind.REISSUE,
                district="L",
                owner=owner,
                requested_by=owner,
            )
        actions.withdraw(acting_user=owner, request=first)
        assert reissue(machine, owner).status == ChangeStatus.SUBMITTED

    def test_outsiders_and_other_districts_get_404(
        self, owner, other_owner, reviewer, reviewer_other_district, clerk_l, machine
    ):
        with pytest.raises(ActionError) as exc:
            reissue(machine, other_owner)
        assert exc.value.status == 404
        request = reissue(machine, owner)
        for user in (reviewer_other_district, clerk_l, owner, other_owner):
            with pytest.raises(ActionError) as exc:
                actions.approve(acting_user=user, request=request)
            assert exc.value.status == 404
        with pytest.raises(ActionError) as exc:
            actions.withdraw(acting_user=other_owner, request=request)
        assert exc.value.status == 404
        with pytest.raises(ActionError) as exc:
            actions.reject(acting_user=reviewer_other_district, request=request, reason="x")
        assert exc.value.status == 404
        assert reload(request).status == ChangeStatus.SUBMITTED

    def test_an_agent_with_consent_files_for_the_owner(self, owner, agent, machine):
        with pytest.raises(ActionError):
            reissue(machine, agent)
        AgentConsent.objects.create(agent=agent, owner=owner)
        request = reissue(machine, agent)
        assert request.requested_by == agent
        assert request.owner == owner

    def test_late_after_ten_days(self, owner, machine):
        on_time = reissue(machine, owner, event_date=DAY - timedelta(days=10))
        assert not on_time.late
        actions.withdraw(acting_user=owner, request=on_time)
        late = reissue(machine, owner, event_date=DAY - timedelta(days=11))
        assert late.late


class TestRejectAndWithdraw:
    def test_reject_needs_a_reason_and_tells_the_owner(
        self, owner, reviewer, machine, django_capture_on_commit_callbacks
    ):
        request = reissue(machine, owner)
        with pytest.raises(FieldErrors):
            actions.reject(acting_user=reviewer, request=request, reason="  ")
        with django_capture_on_commit_callbacks(execute=True):
            actions.reject(acting_user=reviewer, request=request, reason="请提供遗失说明")
        request = reload(request)
        assert request.status == ChangeStatus.REJECTED
        assert request.decision_reason == "请提供遗失说明"
        assert SmsMessage.objects.filter(phone=owner.phone, body__contains="请提供遗失说明")
        with pytest.raises(ActionError) as exc:
            actions.approve(acting_user=reviewer, request=request)
        assert exc.value.status == 409
        with pytest.raises(ActionError) as exc:
            actions.withdraw(acting_user=owner, request=request)
        assert exc.value.status == 409

    def test_withdrawn_cannot_be_approved(self, owner, reviewer, machine):
        request = actions.withdraw(acting_user=owner, request=reissue(machine, owner))
        assert request.status == ChangeStatus.WITHDRAWN
        with pytest.raises(ActionError) as exc:
            actions.approve(acting_user=reviewer, request=request)
        assert exc.value.status == 409
        assert Credential.objects.filter(registration=machine).count() == 1


class TestTransferOut:
    def test_approval_ends_the_registration(self, owner, reviewer, machine):
        old = live(machine)
        request = transfer_out(machine, owner)
        assert request.data == {"destination": "江苏省苏州市"}
        other = reissue(machine, owner)
        actions.approve(acting_user=reviewer, request=request)
        machine = reload(machine)
        assert machine.status == RegistrationStatus.TRANSFERRED_OUT
        request = reload(request)
        assert request.before == {"status": "valid"}
        assert request.after == {"status": "transferred_out", "destination": "江苏省苏州市"}
        facts = facts_for(machine.short_number)
        assert facts is not None and not facts.valid
        assert "转出本市" in facts.status_label
        assert check_card(machine.short_number, proof_of(old)).outcome == CardOutcome.REVOKED
        # The other open request ends with it.
        other = reload(other)
        assert other.status == ChangeStatus.REJECTED
        assert "自动终止" in other.decision_reason
        # And nothing more can be filed.
        with pytest.raises(ActionError) as exc:
            reissue(machine, owner)
        assert exc.value.status == 409
        assert exc.value.code == "registration_not_valid"

    def test_destination_required(self, owner, machine):
        with pytest.raises(FieldErrors) as exc:
            actions.request_transfer_out(
                acting_user=owner, registration=machine, destination=" ", event_date=YESTERDAY
            )
        assert "destination" in exc.value.errors


class TestDeregistration:
    def test_needs_the_sign_and_card_recovered(self, owner, reviewer, machine):
        old = live(machine)
        request = deregistration(machine, owner)
        with pytest.raises(FieldErrors) as exc:
            actions.approve(acting_user=reviewer, request=request)
        assert "sign_and_card_recovered" in exc.value.errors
        assert reload(request).status == ChangeStatus.SUBMITTED
        assert reload(machine).status == RegistrationStatus.VALID

        actions.approve(acting_user=reviewer, request=request, sign_and_card_recovered=True)
        assert reload(machine).status == RegistrationStatus.DEREGISTERED
        assert reload(request).after["sign_and_card_recovered"] is True
        assert reload(old).status == CredentialStatus.REVOKED
        facts = facts_for(machine.short_number)
        assert facts is not None and "注销" in facts.status_label

    def test_reason_must_be_known(self, owner, machine):
        with pytest.raises(FieldErrors):
            actions.request_deregistration(
                acting_user=owner, registration=machine, reason="sold", event_date=YESTERDAY
            )

    def test_override_only_for_retrofits(self, owner, reviewer, machine):
        request = deregistration(machine, owner)
        with pytest.raises(ActionError) as exc:
            actions.approve(
                acting_user=reviewer,
                request=request,
                override=2,
                override_reason="x",
                sign_and_card_recovered=True,
            )
        assert exc.value.code == "bad_override"


class TestLocation:
    def test_effective_at_once(self, owner, machine):
        assert machine.location_district == "L"
        assert machine.location_since == DAY
        request = actions.change_location(
            acting_user=owner, registration=machine, district="K", since=DAY
        )
        assert request.status == ChangeStatus.DONE
        assert request.kind == ChangeKind.LOCATION
        assert request.applied_at is not None
        assert request.before == {"location_district": "L", "location_since": "2026-11-23"}
        assert request.after == {"location_district": "K", "location_since": "2026-11-23"}
        machine = reload(machine)
        assert machine.location_district == "K"
        assert machine.location_since == DAY
        assert machine.district == "L"  # the number stays the district's
        # No review: the next switch is possible straight away.
        actions.change_location(acting_user=owner, registration=machine, district="A", since=DAY)
        assert reload(machine).location_district == "A"
        assert ChangeRequest.objects.filter(kind=ChangeKind.LOCATION).count() == 2

    def test_refusals(self, owner, other_owner, machine):
        with pytest.raises(FieldErrors) as exc:
            actions.change_location(
                acting_user=owner, registration=machine, district="L", since=DAY
            )
        assert "district" in exc.value.errors
        with pytest.raises(FieldErrors) as exc:
            actions.change_location(
                acting_user=owner, registration=machine, district="Z", since=DAY
            )
        assert "district" in exc.value.errors
        with pytest.raises(FieldErrors) as exc:
            actions.change_location(
                acting_user=owner,
                registration=machine,
                district="K",
                since=DAY - timedelta(days=1),
            )
        assert "since" in exc.value.errors  # before it came to its present district
        with pytest.raises(FieldErrors):
            actions.change_location(
                acting_user=owner,
                registration=machine,
                district="K",
                since=DAY + timedelta(days=1),
            )
        with pytest.raises(ActionError) as refused:
            actions.change_location(
                acting_user=other_owner, registration=machine, district="K", since=DAY
            )
        assert refused.value.status == 404
        assert not ChangeRequest.objects.exists()
        assert reload(machine).location_district == "L"

    def test_a_location_change_cannot_be_reviewed(self, owner, reviewer, machine):
        request = actions.change_location(
            acting_user=owner, registration=machine, district="K", since=DAY
        )
        with pytest.raises(ActionError) as exc:
            actions.approve(acting_user=reviewer, request=request)
        assert exc.value.status == 409


def test_a_second_machine_keeps_its_own_requests(owner, reviewer, machine):
    second = approved(owner, reviewer)
    reissue(machine, owner)
    assert reissue(second, owner).registration == second


class TestDeadlinesAcrossSpringFestival:
    """2026: 2月16日-23日 off (Spring Festival), 2月14日 and 2月28日 (Saturdays) worked."""

    def test_review_due_counts_working_days(self, owner, reviewer):
        with time_machine.travel("2026-02-12 10:00 +0800", tick=False):
            machine = approved(owner, reviewer, basic={"acquisition_date": "2026-02-01"})
            request = reissue(machine, owner, event_date=date(2026, 2, 10))
        # 13th, 14th (make-up), 24th-27th, 28th (make-up), 2nd-4th March.
        assert request.review_due == date(2026, 3, 4)
        with time_machine.travel("2026-03-04 18:00 +0800", tick=False):
            assert not request.review_overdue(date(2026, 3, 4))
        assert request.review_overdue(date(2026, 3, 5))

    def test_ten_calendar_days_run_through_the_holiday(self, owner, reviewer):
        with time_machine.travel("2026-02-12 10:00 +0800", tick=False):
            machine = approved(owner, reviewer, basic={"acquisition_date": "2026-02-01"})
        lost_on = date(2026, 2, 13)
        with time_machine.travel("2026-02-23 10:00 +0800", tick=False):  # the 10th day
            assert not reissue(machine, owner, event_date=lost_on).late
        ChangeRequest.objects.all().delete()
        with time_machine.travel("2026-02-24 10:00 +0800", tick=False):  # the 11th day
            request = reissue(machine, owner, event_date=lost_on)
        assert request.late
        assert request.review_due == date(2026, 3, 9)  # 2月28日 (Saturday) is worked
