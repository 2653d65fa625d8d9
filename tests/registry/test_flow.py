from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import transaction

from accounts.models import AgentConsent, SmsMessage
from core.errors import ActionError, FieldErrors
from core.models import AuditEntry
from registry import actions
from registry.constants import DeclarationStatus
from registry.models import DeclarationRound, NumberCounter, Registration
from registry.steps import BASIC, MACHINE
from tests.registry.helpers import declare, jpeg

# A Monday in 2026, inside the holiday table, so review deadlines can be computed.
TODAY = "2026-11-23 10:00 +0800"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.mark.django_db(transaction=True)
class TestDeclarationFlow:
    def test_submit_works_out_the_stage_and_deadline(self, owner):
        declaration = declare(owner)
        assert declaration.status == DeclarationStatus.SUBMITTED
        assert (declaration.stage, declaration.stage_rule) == (4, "machine_label")
        assert "第6位为4" in declaration.stage_explanation
        assert declaration.review_due == date(2026, 12, 7)  # 10 working days
        assert declaration.late is False
        assert DeclarationRound.objects.get(declaration=declaration).number == 1

    def test_double_submit_is_one_submission(self, owner):
        declaration = declare(owner)
        again = actions.submit(acting_user=owner, declaration=declaration)
        assert again.rounds == 1 and DeclarationRound.objects.count() == 1

    def test_late_declaration_is_accepted_and_marked(self, owner):
        declaration = declare(owner, basic={"acquisition_date": "2026-10-23"})
        assert declaration.late is True
        assert any("逾期申报" in w for w in declaration.warnings)
        on_time = declare(owner, basic={"acquisition_date": "2026-10-24"})
        assert on_time.late is False

    def test_step_errors_next_to_their_fields(self, owner):
        draft = declare(owner, submit=False)
        with pytest.raises(FieldErrors) as exc:
            actions.save_step(
                acting_user=owner,
                declaration=draft,
                step=MACHINE,
                data={"machine_disclosure_number": "CNFJG0000L53000006000001", "fuel_type": ""},
            )
        assert set(exc.value.errors) == {"machine_disclosure_number", "fuel_type"}

    def test_incomplete_draft_cannot_be_submitted(self, owner):
        draft = actions.start_declaration(
            acting_user=owner,
            owner=owner,
            data={"district": "L", "site_type": "工地", "registration_type": "machine"},
        )
        with pytest.raises(FieldErrors) as exc:
            actions.submit(acting_user=owner, declaration=draft)
        assert "machine_type" in exc.value.errors and "step" in exc.value.errors

    def test_return_correct_resubmit_approve(self, owner, reviewer):
        declaration = declare(owner)
        actions.return_for_correction(
            acting_user=reviewer,
            declaration=declaration,
            reason="照片不清晰",
            field_reasons={"machine_model": "型号与铭牌不一致"},
        )
        declaration.refresh_from_db()
        assert declaration.status == DeclarationStatus.RETURNED
        actions.save_step(
            acting_user=owner,
            declaration=declaration,
            step=BASIC,
            data={**_basic(declaration), "machine_model": "SY215C-10"},
        )
        declaration = actions.submit(acting_user=owner, declaration=declaration)
        assert declaration.rounds == 2
        registration = actions.approve(acting_user=reviewer, declaration=declaration)
        assert registration.number == "工程机械沪L4-00001"
        assert registration.short_number == "沪L4-00001"
        rounds = list(DeclarationRound.objects.filter(declaration=declaration))
        assert [(r.number, r.decision) for r in rounds] == [(1, "returned"), (2, "approved")]
        assert rounds[0].field_reasons == {"machine_model": "型号与铭牌不一致"}
        assert rounds[0].snapshot["machine_model"] == "SY215C"
        assert rounds[1].snapshot["machine_model"] == "SY215C-10"
        bodies = list(SmsMessage.objects.filter(phone=owner.phone).values_list("body", flat=True))
        assert any("退回重填" in b for b in bodies)
        assert any("工程机械沪L4-00001" in b for b in bodies)
        actions_done = set(AuditEntry.objects.values_list("action", flat=True))
        assert {"declaration.returned", "declaration.approved"} <= actions_done

    def test_serials_follow_each_prefix(self, owner, reviewer):
        numbers = []
        for stage_digit in ("4", "4", "3", "4"):
            d = declare(
                owner,
                machine={"machine_disclosure_number": f"CNFJG{stage_digit}000L53000006000001"},
            )
            numbers.append(actions.approve(acting_user=reviewer, declaration=d).short_number)
        assert numbers == ["沪L4-00001", "沪L4-00002", "沪L3-00001", "沪L4-00003"]
        assert NumberCounter.objects.get(prefix="沪L4").last_serial == 3

    def test_in_plant_vehicle_is_numbered_as_such(self, owner, reviewer):
        in_plant: dict[str, Any] = {
            "start": {"registration_type": "in_plant"},
            "basic": {"machine_type": "叉车", "in_plant_plate": "场A12345"},
            "has_nameplates": False,
        }
        # The 随车清单 is uploaded, so its disclosure number is required (manual 第四步 1)).
        with pytest.raises(FieldErrors) as exc:
            declare(owner, machine={"machine_disclosure_number": ""}, **in_plant)
        assert "须填写环保信息公开编号" in exc.value.errors["machine_disclosure_number"]
        d = declare(
            owner, machine={"machine_disclosure_number": "CNZBG5000L53000006000001"}, **in_plant
        )
        assert (d.stage, d.stage_rule) == (5, "machine_label")
        registration = actions.approve(acting_user=reviewer, declaration=d)
        assert registration.number == "场内车辆沪L5-00001"

    def test_required_photos(self, owner):
        draft = declare(owner, submit=False)
        draft.photos.filter(kind__in=["rear", "machine_nameplate"]).delete()
        with pytest.raises(FieldErrors) as exc:
            actions.submit(acting_user=owner, declaration=draft)
        assert set(exc.value.errors) == {"rear", "nameplates"}

    def test_photo_is_checked_and_replaced(self, owner):
        draft = declare(owner, submit=False)
        with pytest.raises(ActionError) as exc:
            actions.upload_photo(
                acting_user=owner, declaration=draft, kind="front", data=b"%PDF-1.4 not a photo"
            )
        assert exc.value.code == "photo_not_image" and exc.value.field == "front"
        photo = actions.upload_photo(
            acting_user=owner, declaration=draft, kind="front", data=jpeg("blue")
        )
        assert draft.photos.filter(kind="front").get() == photo
        assert photo.file.read()[:2] == b"\xff\xd8"

    def test_override_needs_a_reason(self, owner, reviewer):
        d = declare(owner)
        with pytest.raises(ActionError) as exc:
            actions.approve(acting_user=reviewer, declaration=d, override=3)
        assert exc.value.field == "override_reason"
        assert not Registration.objects.exists()
        registration = actions.approve(
            acting_user=reviewer, declaration=d, override=3, override_reason="铭牌经核实为国三"
        )
        assert (registration.stage, registration.stage_rule) == (3, "override")
        assert registration.short_number == "沪L3-00001"

    def test_refuse_with_reason(self, owner, reviewer):
        d = declare(owner)
        with pytest.raises(ActionError):
            actions.refuse(acting_user=reviewer, declaration=d, reason=" ")
        actions.refuse(acting_user=reviewer, declaration=d, reason="非本市使用机械")
        d.refresh_from_db()
        assert d.status == DeclarationStatus.REFUSED
        with pytest.raises(ActionError) as exc:
            actions.approve(acting_user=reviewer, declaration=d)
        assert exc.value.code == "not_submitted"

    def test_approved_declaration_cannot_be_edited(self, owner, reviewer):
        d = declare(owner)
        actions.approve(acting_user=reviewer, declaration=d)
        with pytest.raises(ActionError) as exc:
            actions.save_step(acting_user=owner, declaration=d, step=BASIC, data=_basic(d))
        assert exc.value.code == "not_editable"

    def test_failed_approval_leaves_no_gap(self, owner, reviewer, monkeypatch):
        first = declare(owner)
        second = declare(owner)

        def broken(*args, **kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr("registry.actions.audit.record", broken)
        with pytest.raises(RuntimeError):
            actions.approve(acting_user=reviewer, declaration=first)
        monkeypatch.undo()
        assert not Registration.objects.exists()
        assert actions.approve(acting_user=reviewer, declaration=second).serial == 1
        assert actions.approve(acting_user=reviewer, declaration=first).serial == 2


@pytest.mark.django_db(transaction=True)
class TestWhoMayAct:
    def test_agent_with_consent_declares_for_the_owner(self, agent, owner):
        AgentConsent.objects.create(agent=agent, owner=owner)
        d = declare(agent, owner)
        assert d.owner == owner and d.declared_by == agent

    def test_agent_without_consent_is_refused(self, agent, owner):
        with pytest.raises(ActionError) as exc:
            declare(agent, owner)
        assert exc.value.status == 404

    def test_other_owner_cannot_touch(self, owner, other_owner):
        d = declare(owner, submit=False)
        with pytest.raises(ActionError):
            actions.save_step(acting_user=other_owner, declaration=d, step=BASIC, data={})
        with pytest.raises(ActionError):
            actions.submit(acting_user=other_owner, declaration=d)

    def test_reviewer_of_another_district_is_refused(self, owner, reviewer_other_district):
        d = declare(owner)
        attempts = [
            lambda: actions.approve(acting_user=reviewer_other_district, declaration=d),
            lambda: actions.refuse(acting_user=reviewer_other_district, declaration=d, reason="x"),
            lambda: actions.return_for_correction(
                acting_user=reviewer_other_district, declaration=d, reason="x"
            ),
        ]
        for attempt in attempts:
            with pytest.raises(ActionError) as exc:
                attempt()
            assert exc.value.status == 404

    def test_counter_clerk_files_for_an_owner_in_their_own_district(self, owner, clerk):
        d = declare(clerk, owner, start={"district": "L"})
        assert d.declared_by == clerk and d.owner == owner and d.district == "A"

    def test_counter_clerk_needs_the_owners_code(self, owner, clerk):
        with pytest.raises(ActionError) as exc:
            actions.start_declaration(
                acting_user=clerk,
                owner=owner,
                data={"district": "A", "site_type": "工地", "registration_type": "machine"},
            )
        assert exc.value.code == "counter_code_required"


def _basic(declaration) -> dict:
    from registry.steps import STEP_FIELDS

    values = {}
    for name in STEP_FIELDS[BASIC]:
        value = getattr(declaration, name)
        values[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return values


@pytest.mark.django_db(transaction=True)
def test_allocation_outside_a_transaction_is_refused():
    from registry.numbers import allocate_number

    with pytest.raises(RuntimeError):
        allocate_number(category="工程机械", district="A", stage_code="2")
    with transaction.atomic():
        assert allocate_number(category="工程机械", district="A", stage_code="2").serial == "00001"


@pytest.mark.django_db
def test_catalogue_knows_or_flags_the_number(owner):
    from catalogue.models import CatalogueEntry

    with time_machine.travel(TODAY, tick=False):
        unknown = declare(owner)
        assert any("不在环保信息公开目录中" in w for w in unknown.warnings)
        CatalogueEntry.objects.create(
            number="CNFJG4000L53000006000002", kind="machine", stage=4, maker="三一", model="SY215C"
        )
        known = declare(owner, machine={"machine_disclosure_number": "CNFJG4000L53000006000002"})
        assert not any("不在环保信息公开目录中" in w for w in known.warnings)
        assert known.status == "submitted"


@pytest.mark.django_db
def test_catalogue_prefills_what_the_owner_left_blank(owner):
    from decimal import Decimal

    from catalogue.models import CatalogueEntry

    CatalogueEntry.objects.create(
        number="CNFJG4000L53000006000003",
        kind="machine",
        stage=4,
        maker="三一重机有限公司",
        model="SY215C",
        engine_maker="康明斯",
        engine_model="QSB4.5",
        power_kw=Decimal("118.0"),
        fuel_type="柴油",
    )
    with time_machine.travel(TODAY, tick=False):
        d = declare(
            owner,
            submit=False,
            machine={
                "machine_disclosure_number": "CN FJ G4 00 0L53 000006 000003",
                "engine_maker": "",
                "engine_power_kw": "",
                "engine_stage": "",
            },
        )
    d.refresh_from_db()
    assert (d.engine_maker, d.engine_model, d.engine_power_kw) == (
        "康明斯",
        "QSB4.5",
        Decimal("118.0"),
    )
    assert d.engine_stage == 4
    assert d.maker == "三一重机有限公司"  # typed by the owner in step 1: kept as it was


@pytest.mark.django_db
def test_duplicate_serial_of_the_same_maker_is_flagged(owner, other_owner):
    with time_machine.travel(TODAY, tick=False):
        first = declare(owner)
        assert not any("出厂编号" in w for w in first.warnings)
        second = declare(other_owner)
        assert any("同一厂家的出厂编号 SY021CAB12345" in w for w in second.warnings)
        other_maker = declare(other_owner, basic={"maker": "徐工集团"})
        assert not any("出厂编号" in w for w in other_maker.warnings)
