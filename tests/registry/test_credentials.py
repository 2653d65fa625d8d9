"""Signs and cards after approval: issue, production, notice, collection, the sign photo,
and what verification says at each point (Art. 9-10)."""

from datetime import date

import pytest
import time_machine
from django.conf import settings

from accounts import actions as account_actions
from accounts.constants import Role
from accounts.models import SmsMessage
from core.errors import ActionError
from core.models import AuditEntry
from registry import actions
from registry import credentials as cards
from registry.constants import CredentialReason, CredentialStatus, SignPhotoDecision
from registry.models import Credential, Registration, SignPhoto
from registry.verification import CardOutcome, check_card, facts_for
from rules import cardsig
from tests.conftest import last_code, make_user
from tests.registry.helpers import declare, jpeg

MONDAY = "2026-11-23 10:00 +0800"


@pytest.fixture
def clerk_l(db):
    return make_user("13900000021", "浦东窗口", role=Role.CLERK, district="L")


def approved(owner, reviewer, **kwargs) -> Registration:
    return actions.approve(acting_user=reviewer, declaration=declare(owner, **kwargs))


def live(registration: Registration) -> Credential:
    return Credential.objects.exclude(status=CredentialStatus.REVOKED).get(
        registration=registration
    )


def to_ready(registration, staff, place="浦东新区生态环境局受理窗口") -> Credential:
    credential = live(registration)
    cards.record_produced(acting_user=staff, ids=[credential.pk])
    cards.notify_collection(acting_user=staff, ids=[credential.pk], place=place)
    return live(registration)


def to_collected(registration, staff) -> Credential:
    credential = to_ready(registration, staff)
    return cards.record_collection(
        acting_user=staff, credential=credential, pickup_code=credential.pickup_code
    )


@pytest.fixture(autouse=True)
def monday():
    with time_machine.travel(MONDAY, tick=False):
        yield


def proof_of(credential: Credential) -> str:
    return f"{credential.issue}.{credential.kid}.{credential.signature}"


# --- issue at approval ----------------------------------------------------------------------


class TestIssue:
    def test_approval_issues_the_first_card_signed(self, owner, reviewer):
        reg = approved(owner, reviewer)
        credential = live(reg)
        assert credential.issue == 1
        assert credential.reason == CredentialReason.FIRST
        assert credential.status == CredentialStatus.PENDING
        assert credential.district == "L"
        url = cards.qr_url(credential, reg.short_number)
        assert url.startswith(settings.NRMM_PUBLIC_BASE_URL + "/v/")
        verdict = cardsig.verify_url(url, settings.NRMM_CARD_KEYS.public_keys)
        assert verdict.genuine
        assert verdict.claim == cardsig.Claim(
            reg.short_number, 1, settings.NRMM_CARD_KEYS.active_kid
        )
        assert AuditEntry.objects.filter(action="credential.issued").count() == 1

    def test_a_new_issue_revokes_the_old_card(self, owner, reviewer):
        reg = approved(owner, reviewer)
        first = live(reg)
        second = cards.issue_credential(
            acting_user=reviewer, registration=reg, reason=CredentialReason.REISSUE
        )
        first.refresh_from_db()
        assert first.status == CredentialStatus.REVOKED
        assert first.revoked_at is not None
        assert first.revoked_reason == "补办"
        assert second.issue == 2
        assert check_card(reg.short_number, proof_of(first)).outcome == CardOutcome.REVOKED
        assert check_card(reg.short_number, proof_of(second)).outcome == CardOutcome.VALID

    def test_one_live_card_per_registration_in_the_database(self, owner, reviewer):
        from django.db import IntegrityError, transaction

        reg = approved(owner, reviewer)
        with pytest.raises(IntegrityError), transaction.atomic():
            Credential.objects.create(
                registration=reg, issue=2, district="L", kid="s1", signature="x"
            )


# --- production and notice ------------------------------------------------------------------


class TestProduction:
    def test_batch_production_sets_the_notice_deadline(self, owner, reviewer, clerk_l):
        regs = [approved(owner, reviewer) for _ in range(3)]
        ids = [live(r).pk for r in regs]
        rows = cards.record_produced(acting_user=clerk_l, ids=ids)
        assert [c.status for c in rows] == [CredentialStatus.PRODUCED] * 3
        # Monday 23 November + 5 working days = Monday 30 November.
        assert {live(r).notice_due for r in regs} == {date(2026, 11, 30)}
        assert AuditEntry.objects.filter(action="credential.produced").count() == 3

    def test_notice_deadline_skips_national_day_and_counts_the_makeup_saturday(
        self, owner, reviewer
    ):
        reg = approved(owner, reviewer)
        with time_machine.travel("2026-09-29 10:00 +0800", tick=False):
            cards.record_produced(acting_user=reviewer, ids=[live(reg).pk])
        # 30 Sep, (1-7 Oct off), 8 Oct, 9 Oct, Sat 10 Oct (调休上班), 12 Oct.
        assert live(reg).notice_due == date(2026, 10, 12)

    def test_all_or_nothing(self, owner, reviewer):
        a, b = approved(owner, reviewer), approved(owner, reviewer)
        cards.record_produced(acting_user=reviewer, ids=[live(a).pk])
        with pytest.raises(ActionError) as exc:
            cards.record_produced(acting_user=reviewer, ids=[live(a).pk, live(b).pk])
        assert exc.value.code == "wrong_state"
        assert a.short_number in exc.value.message
        assert live(b).status == CredentialStatus.PENDING

    @pytest.mark.parametrize("who", ["reviewer_other_district", "city_admin", "inspector", "owner"])
    def test_outsiders_cannot_record_production(self, request, owner, reviewer, who):
        reg = approved(owner, reviewer)
        with pytest.raises(ActionError) as exc:
            cards.record_produced(acting_user=request.getfixturevalue(who), ids=[live(reg).pk])
        assert exc.value.status == 404
        assert live(reg).status == CredentialStatus.PENDING

    def test_empty_and_unknown_batches(self, reviewer):
        with pytest.raises(ActionError) as exc:
            cards.record_produced(acting_user=reviewer, ids=[])
        assert exc.value.code == "nothing_selected"
        with pytest.raises(ActionError) as exc:
            cards.record_produced(acting_user=reviewer, ids=[987654])
        assert exc.value.status == 404

    def test_notice_sends_an_sms_with_the_place_and_keeps_the_code_out_of_it(
        self, owner, reviewer, django_capture_on_commit_callbacks
    ):
        reg = approved(owner, reviewer)
        credential = live(reg)
        cards.record_produced(acting_user=reviewer, ids=[credential.pk])
        with django_capture_on_commit_callbacks(execute=True):
            cards.notify_collection(
                acting_user=reviewer, ids=[credential.pk], place="浦东新区锦绣路1号"
            )
        credential.refresh_from_db()
        assert credential.status == CredentialStatus.READY
        assert len(credential.pickup_code) == 8 and credential.pickup_code.isdigit()
        sms = SmsMessage.objects.filter(phone=owner.phone).order_by("-id").first()
        assert sms is not None
        assert "浦东新区锦绣路1号" in sms.body
        assert reg.number in sms.body
        assert credential.pickup_code not in sms.body

    def test_notice_needs_a_place_and_production_first(self, owner, reviewer):
        reg = approved(owner, reviewer)
        with pytest.raises(ActionError) as exc:
            cards.notify_collection(acting_user=reviewer, ids=[live(reg).pk], place=" ")
        assert exc.value.field == "place"
        with pytest.raises(ActionError) as exc:
            cards.notify_collection(acting_user=reviewer, ids=[live(reg).pk], place="窗口")
        assert exc.value.code == "wrong_state"


# --- collection -----------------------------------------------------------------------------


class TestCollection:
    def test_right_code_collects_and_starts_the_photo_deadline(self, owner, reviewer, clerk_l):
        reg = approved(owner, reviewer)
        credential = to_ready(reg, clerk_l)
        done = cards.record_collection(
            acting_user=clerk_l,
            credential=credential,
            pickup_code=f" {credential.pickup_code[:4]} {credential.pickup_code[4:]} ",
            collector_name="张三",
        )
        assert done.status == CredentialStatus.COLLECTED
        assert done.collected_by == clerk_l
        assert done.collector_name == "张三"
        assert done.photo_due == date(2026, 12, 3)  # 10 calendar days

    def test_wrong_code_is_refused_and_recorded(self, owner, reviewer, clerk_l):
        reg = approved(owner, reviewer)
        credential = to_ready(reg, clerk_l)
        wrong = "00000000" if credential.pickup_code != "00000000" else "11111111"
        with pytest.raises(ActionError) as exc:
            cards.record_collection(acting_user=clerk_l, credential=credential, pickup_code=wrong)
        assert exc.value.code == "pickup_code_wrong"
        assert live(reg).status == CredentialStatus.READY
        assert AuditEntry.objects.filter(action="credential.pickup_code_wrong").exists()

    def test_cannot_collect_twice_or_before_notice(self, owner, reviewer, clerk_l):
        reg = approved(owner, reviewer)
        with pytest.raises(ActionError) as exc:
            cards.record_collection(acting_user=clerk_l, credential=live(reg), pickup_code="1")
        assert exc.value.code == "wrong_state"
        credential = to_collected(reg, clerk_l)
        with pytest.raises(ActionError) as exc:
            cards.record_collection(
                acting_user=clerk_l, credential=credential, pickup_code=credential.pickup_code
            )
        assert exc.value.status == 409

    def test_clerk_of_another_district_cannot_hand_over(self, owner, reviewer, clerk):
        reg = approved(owner, reviewer)
        credential = to_ready(reg, reviewer)
        with pytest.raises(ActionError) as exc:
            cards.record_collection(
                acting_user=clerk, credential=credential, pickup_code=credential.pickup_code
            )
        assert exc.value.status == 404


# --- the sign photo -------------------------------------------------------------------------


class TestSignPhoto:
    def test_upload_confirm(self, owner, reviewer):
        reg = approved(owner, reviewer)
        credential = to_collected(reg, reviewer)
        photo = cards.upload_sign_photo(acting_user=owner, credential=credential, data=jpeg())
        assert live(reg).status == CredentialStatus.PHOTO_SUBMITTED
        cards.confirm_sign_photo(acting_user=reviewer, photo=photo)
        photo.refresh_from_db()
        assert photo.decision == SignPhotoDecision.CONFIRMED
        assert live(reg).status == CredentialStatus.FIXED
        # The confirmed photo becomes one of the machine's public photos.
        facts = facts_for(reg.short_number)
        assert facts is not None
        assert "标志固定照片" in [p.label for p in facts.photos]

    def test_reject_needs_a_reason_and_lets_the_owner_try_again(
        self, owner, reviewer, django_capture_on_commit_callbacks
    ):
        reg = approved(owner, reviewer)
        credential = to_collected(reg, reviewer)
        photo = cards.upload_sign_photo(acting_user=owner, credential=credential, data=jpeg())
        with pytest.raises(ActionError) as exc:
            cards.reject_sign_photo(acting_user=reviewer, photo=photo, reason="  ")
        assert exc.value.field == "reason"
        with django_capture_on_commit_callbacks(execute=True):
            cards.reject_sign_photo(acting_user=reviewer, photo=photo, reason="号码看不清")
        assert live(reg).status == CredentialStatus.COLLECTED
        sms = SmsMessage.objects.filter(phone=owner.phone).last()
        assert sms is not None
        assert "号码看不清" in sms.body
        again = cards.upload_sign_photo(acting_user=owner, credential=credential, data=jpeg("blue"))
        assert SignPhoto.objects.filter(credential=credential).count() == 2
        with pytest.raises(ActionError) as exc:  # the rejected one cannot be decided again
            cards.confirm_sign_photo(acting_user=reviewer, photo=photo)
        assert exc.value.status == 409
        cards.confirm_sign_photo(acting_user=reviewer, photo=again)
        assert live(reg).status == CredentialStatus.FIXED

    def test_upload_before_collection_or_twice_is_refused(self, owner, reviewer):
        reg = approved(owner, reviewer)
        with pytest.raises(ActionError) as exc:
            cards.upload_sign_photo(acting_user=owner, credential=live(reg), data=jpeg())
        assert exc.value.message == "领取识别标志后才能上传固定照片"
        credential = to_collected(reg, reviewer)
        cards.upload_sign_photo(acting_user=owner, credential=credential, data=jpeg())
        with pytest.raises(ActionError) as exc:
            cards.upload_sign_photo(acting_user=owner, credential=credential, data=jpeg())
        assert "等待" in exc.value.message

    def test_bad_photo_saves_nothing(self, owner, reviewer):
        reg = approved(owner, reviewer)
        credential = to_collected(reg, reviewer)
        with pytest.raises(ActionError) as exc:
            cards.upload_sign_photo(acting_user=owner, credential=credential, data=b"not a photo")
        assert exc.value.field == "photo"
        assert not SignPhoto.objects.exists()
        assert live(reg).status == CredentialStatus.COLLECTED

    def test_only_the_owner_side_uploads(self, owner, other_owner, agent, reviewer, clerk_l):
        reg = approved(owner, reviewer)
        credential = to_collected(reg, reviewer)
        for outsider in (other_owner, agent, clerk_l, reviewer):
            with pytest.raises(ActionError) as exc:
                cards.upload_sign_photo(acting_user=outsider, credential=credential, data=jpeg())
            assert exc.value.status == 404
        # With the owner's consent the agent may.
        account_actions.request_agent_consent(
            acting_user=agent, owner_phone=owner.phone, owner_name=owner.name
        )
        account_actions.confirm_agent_consent(
            acting_user=agent, owner_phone=owner.phone, code=last_code(owner.phone)
        )
        cards.upload_sign_photo(acting_user=agent, credential=credential, data=jpeg())

    def test_other_district_cannot_decide(self, owner, reviewer, reviewer_other_district):
        reg = approved(owner, reviewer)
        credential = to_collected(reg, reviewer)
        photo = cards.upload_sign_photo(acting_user=owner, credential=credential, data=jpeg())
        with pytest.raises(ActionError) as exc:
            cards.confirm_sign_photo(acting_user=reviewer_other_district, photo=photo)
        assert exc.value.status == 404


# --- verification ---------------------------------------------------------------------------


class TestVerification:
    def test_public_facts_carry_no_personal_data(self, owner, reviewer):
        reg = approved(owner, reviewer)
        facts = facts_for(reg.short_number)
        assert facts is not None
        text = repr(facts)
        for private in (owner.name, owner.phone, owner.id_number, "张江路"):
            assert private not in text
        assert facts.machine_type == "挖掘机"
        assert facts.district == "浦东新区"
        assert facts.stage == "国4"
        assert facts.valid
        # Body photos only: no nameplates or papers.
        assert [p.label for p in facts.photos] == ["机身正面", "机身后面", "机身45度前侧"]

    def test_unknown_number(self, db):
        assert facts_for("沪A2-ZZZZZ") is None

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda p: p[:-1] + ("A" if p[-1] != "A" else "B"),
            lambda p: "2" + p[1:],
            lambda p: p.replace(".s1.", ".k9."),
            lambda p: "garbage",
        ],
    )
    def test_tampered_proofs_are_not_genuine(self, owner, reviewer, mangle):
        reg = approved(owner, reviewer)
        result = check_card(reg.short_number, mangle(proof_of(live(reg))))
        assert result.outcome == CardOutcome.NOT_GENUINE

    def test_genuine_proof_for_a_number_we_do_not_hold(self, db):
        keys = settings.NRMM_CARD_KEYS
        claim = cardsig.Claim("沪A2-ZZZZZ", 1, keys.active_kid)
        proof = cardsig.proof(claim, cardsig.sign(claim, keys.active))
        assert check_card("沪A2-ZZZZZ", proof).outcome == CardOutcome.UNKNOWN_NUMBER


def test_all_pending_signs_in_one_pdf(owner, reviewer, reviewer_other_district):
    import pypdfium2 as pdfium

    from tests.conftest import logged_in

    for _ in range(3):
        approved(owner, reviewer)
    client = logged_in(reviewer)
    response = client.get("/staff/credentials/signs.pdf?all=pending")
    assert response.status_code == 200
    assert len(pdfium.PdfDocument(response.content)) == 3
    cards_pdf = client.get("/staff/credentials/cards.pdf?all=pending")
    assert cards_pdf.content.startswith(b"%PDF")
    # Another district has none pending: nothing to print.
    other = logged_in(reviewer_other_district).get("/staff/credentials/signs.pdf?all=pending")
    assert other.status_code == 404
