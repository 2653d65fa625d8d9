"""Engine retrofit (Art. 12): site check, the stage again, a new number, the old REPLACED;
DPF added later (manual 二(2)); type, function or appearance changes (Art. 13); machines
registered in another city (Art. 4)."""

from datetime import date, timedelta

import pytest

from accounts.models import SmsMessage
from changes import actions
from changes.constants import ChangeStatus
from changes.models import ChangePhoto, ChangeRequest, ExternalRegistration
from core.errors import ActionError, FieldErrors
from registry.constants import (
    CredentialReason,
    CredentialStatus,
    DeclarationStatus,
    RegistrationStatus,
)
from registry.models import Credential, Declaration, NumberCounter, Registration
from registry.verification import CardOutcome, check_card, facts_for
from tests.changes.helpers import (
    DAY,
    alteration,
    approved,
    dpf,
    reissue,
    reload,
    retrofit,
)
from tests.registry.helpers import jpeg

pytestmark = pytest.mark.django_db

OLD_MACHINE = {"machine_disclosure_number": "", "engine_number": ""}
OLD_BASIC = {"production_date": "2008-05-01", "acquisition_date": "2026-11-10"}


def proof_of(credential: Credential) -> str:
    return f"{credential.issue}.{credential.kid}.{credential.signature}"


@pytest.fixture
def old_machine(owner, reviewer) -> Registration:
    """A 2008 diesel machine without disclosure numbers: 国1及以前 (沪L1-00001)."""
    return approved(owner, reviewer, machine=OLD_MACHINE, basic=OLD_BASIC)


class TestRetrofit:
    def test_a_new_number_and_the_old_one_replaced(
        self, owner, reviewer, clerk_l, old_machine, django_capture_on_commit_callbacks
    ):
        assert old_machine.short_number == "沪L1-00001"
        old_card = Credential.objects.get(registration=old_machine)
        request = retrofit(old_machine, owner)
        assert request.status == ChangeStatus.SUBMITTED
        assert request.data["engine_number"] == "CNFJG4000L53000006000009"
        assert request.data["engine_power_kw"] == "150.0"
        assert ChangePhoto.objects.filter(request=request).count() == 3

        # The site check comes first (Art. 12).
        with pytest.raises(ActionError) as exc:
            actions.approve(acting_user=reviewer, request=request)
        assert exc.value.code == "site_check_required"
        with pytest.raises(FieldErrors):
            actions.record_site_check(acting_user=clerk_l, request=request, notes=" ")
        actions.record_site_check(
            acting_user=clerk_l, request=request, notes="现场核对发动机铭牌与检测报告一致"
        )
        assert reload(request).site_check_by == clerk_l

        with django_capture_on_commit_callbacks(execute=True):
            actions.approve(acting_user=reviewer, request=request)

        request = reload(request)
        old = reload(old_machine)
        new = request.new_registration
        assert request.status == ChangeStatus.APPROVED
        assert old.status == RegistrationStatus.REPLACED
        assert new is not None and new.pk != old.pk
        assert new.short_number == "沪L4-00001"  # the stage of the new engine, a new serial
        assert new.stage == 4
        assert new.stage_rule == "engine_disclosure"
        assert "第十二条" in new.stage_explanation
        assert new.owner == owner
        assert new.status == RegistrationStatus.VALID
        assert new.location_district == old.location_district
        # A copy of the declaration carries the new engine; the old one is untouched.
        assert new.declaration.pk != old.declaration.pk
        assert new.declaration.status == DeclarationStatus.APPROVED
        assert new.declaration.engine_maker == "潍柴动力"
        assert new.declaration.engine_production_date == date(2026, 6, 1)
        assert new.declaration.machine_type == old.declaration.machine_type
        assert reload(old.declaration).engine_maker == "康明斯"
        assert request.new_declaration == new.declaration
        assert new.declaration.photos.count() == old.declaration.photos.count()
        # before / after
        assert request.before["number"] == "工程机械沪L1-00001"
        assert request.after["number"] == "工程机械沪L4-00001"
        assert request.after["engine_maker"] == "潍柴动力"
        # A new sign and card for the new number; the old card is void.
        card = Credential.objects.get(registration=new)
        assert card.reason == CredentialReason.RENUMBER
        assert card.status == CredentialStatus.PENDING
        assert reload(old_card).status == CredentialStatus.REVOKED
        assert check_card(old.short_number, proof_of(old_card)).outcome == CardOutcome.REVOKED
        # The public page of the old number says it was replaced (已换号).
        facts = facts_for(old.short_number)
        assert facts is not None
        assert facts.status == RegistrationStatus.REPLACED
        assert old.get_status_display() == "已换号"
        assert "换发新号" in facts.status_label
        new_facts = facts_for(new.short_number)
        assert new_facts is not None and new_facts.valid
        # The owner is told the new number.
        assert SmsMessage.objects.filter(phone=owner.phone, body__contains=new.number)
        # The old number is never reused: the next 国1 number is the next serial.
        assert NumberCounter.objects.get(prefix="沪L1").last_serial == 1
        # The old registration accepts nothing more; the new one does.
        with pytest.raises(ActionError) as exc:
            reissue(old, owner)
        assert exc.value.status == 409
        assert reissue(new, owner).registration == new

    def test_the_owners_declarations_page_still_opens(self, owner, reviewer, clerk_l, old_machine):
        from tests.conftest import logged_in

        request = retrofit(old_machine, owner)
        actions.record_site_check(acting_user=reviewer, request=request, notes="一致")
        actions.approve(acting_user=reviewer, request=request)
        response = logged_in(owner).get("/declarations/")
        assert response.status_code == 200
        assert "沪L4-00001" in response.content.decode()

    def test_override_with_a_reason(self, owner, reviewer, old_machine):
        request = retrofit(old_machine, owner)
        actions.record_site_check(acting_user=reviewer, request=request, notes="一致")
        with pytest.raises(ActionError) as exc:
            actions.approve(acting_user=reviewer, request=request, override=3, override_reason="")
        assert exc.value.code == "bad_override"
        assert reload(old_machine).status == RegistrationStatus.VALID
        assert not NumberCounter.objects.filter(prefix="沪L3").exists()
        actions.approve(
            acting_user=reviewer,
            request=request,
            override=3,
            override_reason="检测报告为国三限值",
        )
        new = reload(request).new_registration
        assert new.short_number == "沪L3-00001"
        assert new.stage_rule == "override"
        assert "检测报告为国三限值" in new.stage_explanation

    def test_without_an_engine_number_the_engine_date_decides(self, owner, reviewer, old_machine):
        request = retrofit(
            old_machine, owner, engine_number="", engine_production_date="2015-01-01"
        )
        actions.record_site_check(acting_user=reviewer, request=request, notes="一致")
        actions.approve(acting_user=reviewer, request=request)
        assert reload(request).new_registration.stage == 2  # diesel produced after 2009-10-01

    def test_fields_and_photos_required(self, owner, old_machine):
        with pytest.raises(FieldErrors) as exc:
            actions.request_retrofit(
                acting_user=owner,
                registration=old_machine,
                engine={"engine_number": "ABC", "engine_power_kw": "-1", "engine_stage": "9"},
                event_date=None,
                before_photos=[],
                after_photos=None,
                test_report_photos=[],
            )
        assert {
            "engine_maker",
            "engine_model",
            "engine_serial",
            "engine_number",
            "engine_power_kw",
            "engine_stage",
            "test_lab",
            "event_date",
            "before_photos",
            "after_photos",
            "test_report_photos",
        } <= set(exc.value.errors)
        assert not ChangeRequest.objects.exists()

    def test_site_check_by_staff_of_the_district_only(
        self, owner, clerk, reviewer_other_district, inspector, old_machine
    ):
        request = retrofit(old_machine, owner)
        for user in (clerk, reviewer_other_district, inspector, owner):
            with pytest.raises(ActionError) as exc:
                actions.record_site_check(acting_user=user, request=request, notes="一致")
            assert exc.value.status == 404
        assert reload(request).site_check_at is None

    def test_site_check_only_for_retrofits(self, owner, reviewer, old_machine):
        request = reissue(old_machine, owner)
        with pytest.raises(ActionError) as exc:
            actions.record_site_check(acting_user=reviewer, request=request, notes="一致")
        assert exc.value.status == 409


class TestDpf:
    def test_approval_writes_the_declaration(self, owner, reviewer, machine):
        request = dpf(machine, owner)
        assert request.data["dpf_installed_on"] == "2026-11-22"
        actions.approve(acting_user=reviewer, request=request)
        declaration = Declaration.objects.get(pk=machine.declaration_id)
        assert declaration.dpf_maker == "无锡威孚"
        assert declaration.dpf_serial == "WF2026001"
        assert declaration.dpf_installed_on == date(2026, 11, 22)
        request = reload(request)
        assert request.before == {
            "dpf_maker": "",
            "dpf_model": "",
            "dpf_serial": "",
            "dpf_installed_on": None,
        }
        assert request.after["dpf_model"] == "DPF-200"
        assert reload(machine).number == machine.number

    def test_required(self, owner, machine):
        with pytest.raises(FieldErrors) as exc:
            dpf(machine, owner, dpf_maker="", photos=[], installed_on=DAY + timedelta(days=2))
        assert set(exc.value.errors) == {"dpf_maker", "photos", "installed_on"}

    def test_rejected_leaves_the_declaration(self, owner, reviewer, machine):
        request = dpf(machine, owner)
        actions.reject(acting_user=reviewer, request=request, reason="照片看不清编号")
        assert Declaration.objects.get(pk=machine.declaration_id).dpf_maker == ""


class TestAlteration:
    def test_description_recorded(self, owner, reviewer, machine):
        request = alteration(machine, owner)
        assert not request.late
        actions.approve(acting_user=reviewer, request=request)
        request = reload(request)
        assert request.data["description"] == "加装破碎锤，改为破碎作业"
        assert request.before == request.after == {"machine_type": "挖掘机"}
        assert Credential.objects.filter(registration=machine).count() == 1

    def test_type_change_within_the_category(self, owner, reviewer, machine):
        actions.approve(
            acting_user=reviewer, request=alteration(machine, owner, machine_type="装载机")
        )
        assert Declaration.objects.get(pk=machine.declaration_id).machine_type == "装载机"
        assert reload(machine).number == machine.number

    def test_type_change_to_another_category_renames_the_number(self, owner, reviewer, machine):
        old_card = Credential.objects.get(registration=machine)
        request = alteration(machine, owner, machine_type="堆高机")
        actions.approve(acting_user=reviewer, request=request)
        machine = reload(machine)
        assert machine.category == "材料装卸机械"
        assert machine.number == "材料装卸机械沪L4-00001"
        assert machine.short_number == "沪L4-00001"
        assert reload(old_card).status == CredentialStatus.REVOKED  # the sign shows the category
        assert reload(request).after["number"] == machine.number

    def test_unknown_type_refused(self, owner, machine):
        with pytest.raises(FieldErrors) as exc:
            alteration(machine, owner, machine_type="火箭", before_photos=[])
        assert set(exc.value.errors) == {"machine_type", "before_photos"}

    def test_late_with_frozen_time(self, owner, machine):
        request = alteration(machine, owner, event_date=DAY - timedelta(days=11))
        assert request.late


class TestExternal:
    def test_recorded_by_the_owner(self, owner):
        record = actions.record_external(
            acting_user=owner,
            city_name="江苏省苏州市",
            number=" 苏E2-00123 ",
            machine_type="挖掘机",
            district="L",
            maker="三一",
        )
        assert record.exempt
        assert record.number == "苏E2-00123"
        assert record.owner == owner
        with pytest.raises(ActionError) as exc:
            actions.record_external(
                acting_user=owner,
                city_name="江苏省苏州市",
                number="苏E2-00123",
                machine_type="挖掘机",
                district="L",
            )
        assert exc.value.status == 409

    def test_checks(self, owner, reviewer):
        with pytest.raises(FieldErrors) as exc:
            actions.record_external(
                acting_user=owner,
                city_name="上海",
                number="x" * 31,
                machine_type="火箭",
                district="Z",
            )
        assert set(exc.value.errors) == {"city_name", "number", "machine_type", "district"}
        with pytest.raises(FieldErrors) as exc:
            actions.record_external(
                acting_user=owner, city_name="杭州", number=" ", machine_type="挖掘机", district="L"
            )
        assert set(exc.value.errors) == {"number"}
        with pytest.raises(ActionError) as refused:
            actions.record_external(
                acting_user=reviewer,
                city_name="杭州",
                number="浙A2-1",
                machine_type="挖掘机",
                district="L",
            )
        assert refused.value.status == 403
        assert not ExternalRegistration.objects.exists()


def test_nothing_on_a_bad_photo_for_multi_photo_kinds(owner, machine):
    with pytest.raises(ActionError):
        alteration(machine, owner, after_photos=[jpeg(), b"\x00" * 10])
    assert not ChangeRequest.objects.exists()
    assert not ChangePhoto.objects.exists()
