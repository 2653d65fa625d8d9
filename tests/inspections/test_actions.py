"""Every inspections action: the happy path and each refusal (Art. 15-16)."""

from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from accounts.models import AgentConsent, SmsMessage
from core.errors import ActionError, FieldErrors
from core.models import AuditEntry
from inspections import actions
from inspections.models import (
    Rectification,
    RectificationAnswer,
    RectificationPhoto,
    SpotCheck,
    SpotCheckPhoto,
)
from registry.models import Registration
from tests.inspections.helpers import (
    DUE,
    TODAY,
    approved,
    failed_check,
    order,
    other_inspector,
    pudong_clerk,
    record,
)
from tests.registry.helpers import jpeg

NOT_A_PHOTO = b"%PDF-1.4 not a photo"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def machine(db, owner, reviewer) -> Registration:
    return approved(owner, reviewer)


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*.jpg") if "declarations" not in p.parts]


def sms_to(phone: str) -> list[str]:
    return list(SmsMessage.objects.filter(phone=phone).values_list("body", flat=True))


# --- record_spot_check ----------------------------------------------------------------------


@pytest.mark.django_db
class TestRecordSpotCheck:
    def test_inspector_records_a_passing_check_with_photos(self, inspector, machine):
        check = record(inspector, machine, photos=2)
        assert (check.result, check.reasons) == ("passed", [])
        assert check.registration == machine
        assert check.number_typed == "沪L4-00001"
        assert check.district == "L"  # the registration's district by default
        assert (check.department, check.department_label) == ("construction", "建设")
        photos = list(check.photos.all())
        assert len(photos) == 2
        for photo in photos:
            assert photo.file.name == f"spotchecks/{photo.sha256[:2]}/{photo.sha256}.jpg"
            assert photo.file.read()[:2] == b"\xff\xd8"
        entry = AuditEntry.objects.get(action="spotcheck.recorded")
        assert entry.actor == inspector and entry.target_id == str(check.pk)
        assert entry.data["result"] == "passed" and entry.data["photos"] == 2

    @pytest.mark.parametrize(
        "typed",
        ["沪L4-00001", "工程机械沪L4-00001", "沪l4-00001", " 沪 L4 - 00001 ", "沪Ｌ４－００００１"],
    )
    def test_number_in_any_form_finds_the_registration(self, inspector, machine, typed):
        check = record(inspector, machine, number=typed)
        assert check.registration == machine

    def test_unknown_number_is_recorded_as_failed(self, inspector, machine):
        with pytest.raises(FieldErrors) as exc:
            record(inspector, None, number="沪L4-00099", sign_matches=None)
        assert exc.value.errors == {"district": "未查到登记时，请选择检查地所在区"}
        check = record(inspector, None, number="沪L4-00099", sign_matches=None, district="K")
        assert check.registration is None and check.number_typed == "沪L4-00099"
        assert (check.result, check.reasons, check.district) == ("failed", ["not_registered"], "K")

    def test_district_staff_default_to_their_district(self, clerk):
        check = record(
            clerk,
            None,
            number="",
            sign_present=False,
            sign_matches=None,
            card_present=False,
            card_check="absent",
        )
        assert (check.district, check.department, check.department_label) == (
            "A",
            "clerk",
            "窗口受理员",
        )
        assert check.reasons == ["not_registered", "sign_absent", "card_absent"]

    def test_a_forged_card_fails(self, reviewer, machine):
        check = record(reviewer, machine, card_check="not_genuine")
        assert (check.result, check.reasons) == ("failed", ["card_not_genuine"])

    def test_a_registration_no_longer_valid_fails(self, inspector, machine):
        Registration.objects.filter(pk=machine.pk).update(status="deregistered")
        check = record(inspector, machine)
        assert check.reasons == ["not_valid"]

    @pytest.mark.parametrize("role_user", ["owner", "city_admin", "agent"])
    def test_only_checkers_record(self, request, machine, role_user):
        user = request.getfixturevalue(role_user)
        with pytest.raises(ActionError) as exc:
            record(user, machine)
        assert exc.value.status == 403 and exc.value.code == "not_allowed"
        assert "只有行业检查员和区县工作人员" in exc.value.message
        assert not SpotCheck.objects.exists()

    def test_a_malformed_number_is_refused_with_the_reason(self, inspector, machine):
        with pytest.raises(FieldErrors) as exc:
            record(inspector, None, number="沪L4-0000I", district="L")
        assert "序号不能含有字母I" in exc.value.errors["number"]

    def test_a_number_is_needed_when_a_sign_or_card_is_there(self, inspector):
        with pytest.raises(FieldErrors) as exc:
            record(inspector, None, number=" ", district="L")
        assert exc.value.errors["number"] == "请输入标志或信息采集卡上的环保登记号码"

    def test_form_errors_come_together(self, inspector, machine):
        with pytest.raises(FieldErrors) as exc:
            record(
                inspector,
                machine,
                location=" ",
                sign_present=False,
                sign_matches=True,
                card_present=True,
                card_check="absent",
                notes="字" * 2001,
                district="Q9",
            )
        assert exc.value.errors == {
            "location": "请填写检查地点",
            "notes": "不能超过2000个字",
            "district": "请选择检查地所在区",
            "sign_matches": "未悬挂标志时不能填写标志号码是否一致",
            "card_check": "“未见信息采集卡”与出示信息采集卡不一致",
        }

    def test_a_present_sign_must_be_compared(self, inspector, machine):
        with pytest.raises(FieldErrors) as exc:
            record(inspector, machine, sign_matches=None)
        assert exc.value.errors == {"sign_matches": "请核对标志号码是否与登记一致"}
        with pytest.raises(FieldErrors) as exc:
            record(inspector, machine, card_check="maybe")
        assert exc.value.errors == {"card_check": "请选择信息采集卡核验结果"}

    def test_one_bad_photo_saves_nothing(self, inspector, machine):
        with pytest.raises(ActionError) as exc:
            actions.record_spot_check(
                acting_user=inspector,
                number=machine.short_number,
                photos=[jpeg(), NOT_A_PHOTO],
                location="张江",
                sign_present=True,
                sign_matches=True,
                card_present=True,
                card_check="genuine",
                smoke_visible=False,
            )
        assert exc.value.code == "photo_not_image" and exc.value.field == "photos"
        assert exc.value.message.startswith("第2张照片：")
        assert not SpotCheck.objects.exists() and not SpotCheckPhoto.objects.exists()
        assert stored_files() == []
        assert not AuditEntry.objects.filter(action="spotcheck.recorded").exists()

    def test_at_most_ten_photos(self, inspector, machine):
        with pytest.raises(ActionError) as exc:
            actions.record_spot_check(
                acting_user=inspector,
                number=machine.short_number,
                photos=[jpeg()] * 11,
                location="张江",
                sign_present=True,
                sign_matches=True,
                card_present=True,
                card_check="genuine",
                smoke_visible=False,
            )
        assert exc.value.code == "too_many_photos" and exc.value.message == "最多上传10张照片"


# --- order_rectification --------------------------------------------------------------------


@pytest.mark.django_db
class TestOrderRectification:
    def test_reviewer_orders_and_the_owner_gets_an_sms(
        self, owner, reviewer, inspector, machine, django_capture_on_commit_callbacks
    ):
        check = failed_check(inspector, machine)
        with django_capture_on_commit_callbacks(execute=True):
            rectification = order(reviewer, check)
        assert rectification.status == "ordered"
        assert (rectification.registration, rectification.district) == (machine, "L")
        assert rectification.due_date == DUE and rectification.ordered_by == reviewer
        [body] = [b for b in sms_to(owner.phone) if "整改" in b]
        assert "沪L4-00001" in body and "2026-12-07" in body and "责令整改" in body
        assert AuditEntry.objects.filter(action="rectification.ordered").count() == 1

    def test_a_clerk_of_the_district_orders_too(self, inspector, machine):
        rectification = order(pudong_clerk(), failed_check(inspector, machine))
        assert rectification.status == "ordered"

    @pytest.mark.parametrize(
        ("who", "code"),
        [
            ("reviewer_other_district", "wrong_district"),
            ("clerk", "wrong_district"),
            ("inspector", "not_allowed"),
            ("city_admin", "not_allowed"),
            ("owner", "not_allowed"),
        ],
    )
    def test_only_the_registration_district_orders(self, request, inspector, machine, who, code):
        check = failed_check(inspector, machine)
        with pytest.raises(ActionError) as exc:
            order(request.getfixturevalue(who), check)
        assert (exc.value.code, exc.value.status) == (code, 403)
        assert not Rectification.objects.exists()

    def test_wrong_district_says_which(self, reviewer_other_district, inspector, machine):
        with pytest.raises(ActionError) as exc:
            order(reviewer_other_district, failed_check(inspector, machine))
        assert exc.value.message == "该机械登记在浦东新区（L），只有该区的工作人员可以办理"

    def test_not_for_a_passed_check(self, reviewer, inspector, machine):
        with pytest.raises(ActionError) as exc:
            order(reviewer, record(inspector, machine))
        assert (exc.value.code, exc.value.status) == ("check_passed", 409)

    def test_not_without_a_registration(self, reviewer, inspector):
        check = record(inspector, None, number="沪L4-00099", district="L")
        with pytest.raises(ActionError) as exc:
            order(reviewer, check)
        assert exc.value.code == "not_registered"

    def test_requirement_and_due_date(self, reviewer, inspector, machine):
        check = failed_check(inspector, machine)
        with pytest.raises(FieldErrors) as exc:
            order(reviewer, check, requirement=" ", due_date=date(2026, 11, 22))
        assert exc.value.errors == {
            "requirement": "请填写整改要求",
            "due_date": "整改期限不能早于今天",
        }
        with pytest.raises(FieldErrors) as exc:
            order(reviewer, check, due_date=None)
        assert exc.value.errors == {"due_date": "请填写整改期限"}
        assert order(reviewer, check, due_date=date(2026, 11, 23)).due_date == date(2026, 11, 23)

    def test_one_open_order_per_check(self, owner, reviewer, inspector, machine):
        check = failed_check(inspector, machine)
        first = order(reviewer, check)
        with pytest.raises(ActionError) as exc:
            order(reviewer, check)
        assert (exc.value.code, exc.value.status) == ("already_ordered", 409)
        actions.answer_rectification(acting_user=owner, rectification=first, text="已修", photos=[])
        actions.close_rectification(
            acting_user=reviewer, rectification=first, accepted=True, note=""
        )
        assert order(reviewer, check).pk != first.pk  # closed: a new order may follow


# --- answer_rectification -------------------------------------------------------------------


@pytest.mark.django_db
class TestAnswer:
    def test_owner_answers_with_photos(self, owner, reviewer, inspector, machine):
        rectification = order(reviewer, failed_check(inspector, machine))
        answer = actions.answer_rectification(
            acting_user=owner, rectification=rectification, text="已加装DPF", photos=[jpeg()]
        )
        rectification.refresh_from_db()
        assert rectification.status == "answered"
        assert (rectification.answer, rectification.answered_by) == ("已加装DPF", owner)
        assert answer.number == 1 and answer.photos.count() == 1
        photo = answer.photos.get()
        assert photo.file.name.startswith("rectifications/")
        assert AuditEntry.objects.filter(action="rectification.answered").exists()

    def test_an_agent_with_consent_answers(self, owner, agent, reviewer, inspector, machine):
        rectification = order(reviewer, failed_check(inspector, machine))
        with pytest.raises(ActionError) as exc:
            actions.answer_rectification(
                acting_user=agent, rectification=rectification, text="已修", photos=[]
            )
        assert exc.value.status == 404
        AgentConsent.objects.create(agent=agent, owner=owner)
        actions.answer_rectification(
            acting_user=agent, rectification=rectification, text="已修", photos=[]
        )
        assert RectificationAnswer.objects.get().answered_by == agent

    @pytest.mark.parametrize("who", ["other_owner", "reviewer", "inspector", "clerk"])
    def test_nobody_else_answers(self, request, reviewer, inspector, machine, who):
        rectification = order(reviewer, failed_check(inspector, machine))
        with pytest.raises(ActionError) as exc:
            actions.answer_rectification(
                acting_user=request.getfixturevalue(who),
                rectification=rectification,
                text="已修",
                photos=[],
            )
        assert (exc.value.code, exc.value.status) == ("not_found", 404)
        assert exc.value.message == "未找到该整改通知"

    def test_only_while_ordered(self, owner, reviewer, inspector, machine):
        rectification = order(reviewer, failed_check(inspector, machine))
        actions.answer_rectification(
            acting_user=owner, rectification=rectification, text="a", photos=[]
        )
        with pytest.raises(ActionError) as exc:
            actions.answer_rectification(
                acting_user=owner, rectification=rectification, text="b", photos=[]
            )
        assert (exc.value.code, exc.value.status) == ("not_open", 409)
        assert "已回复，待审核" in exc.value.message

    def test_bad_input_saves_nothing(self, owner, reviewer, inspector, machine):
        rectification = order(reviewer, failed_check(inspector, machine))
        with pytest.raises(FieldErrors) as exc:
            actions.answer_rectification(
                acting_user=owner, rectification=rectification, text=" ", photos=[]
            )
        assert exc.value.errors == {"text": "请填写整改情况"}
        with pytest.raises(ActionError) as bad_photo:
            actions.answer_rectification(
                acting_user=owner,
                rectification=rectification,
                text="已修",
                photos=[jpeg(), b""],
            )
        assert bad_photo.value.code == "photo_empty"
        rectification.refresh_from_db()
        assert rectification.status == "ordered"
        assert not RectificationAnswer.objects.exists() and not RectificationPhoto.objects.exists()
        assert stored_files() == []


# --- close_rectification --------------------------------------------------------------------


@pytest.mark.django_db
class TestClose:
    def answered(self, owner, reviewer, inspector, machine) -> Rectification:
        rectification = order(reviewer, failed_check(inspector, machine))
        actions.answer_rectification(
            acting_user=owner, rectification=rectification, text="已加装DPF", photos=[jpeg()]
        )
        return rectification

    def test_accept_closes(
        self, owner, reviewer, inspector, machine, django_capture_on_commit_callbacks
    ):
        rectification = self.answered(owner, reviewer, inspector, machine)
        with django_capture_on_commit_callbacks(execute=True):
            closed = actions.close_rectification(
                acting_user=reviewer, rectification=rectification, accepted=True, note="复检合格"
            )
        assert (closed.status, closed.outcome, closed.closed_by) == ("closed", "accepted", reviewer)
        assert closed.closing_note == "复检合格"
        assert RectificationAnswer.objects.get().outcome == "accepted"
        assert any("审核通过" in b and "沪L4-00001" in b for b in sms_to(owner.phone))
        assert AuditEntry.objects.filter(action="rectification.accepted").exists()

    def test_reject_goes_back_and_keeps_every_answer(
        self, owner, reviewer, inspector, machine, django_capture_on_commit_callbacks
    ):
        rectification = self.answered(owner, reviewer, inspector, machine)
        with pytest.raises(FieldErrors) as exc:
            actions.close_rectification(
                acting_user=reviewer, rectification=rectification, accepted=False, note=" "
            )
        assert exc.value.errors == {"note": "退回整改时请填写审核意见"}
        with django_capture_on_commit_callbacks(execute=True):
            back = actions.close_rectification(
                acting_user=reviewer,
                rectification=rectification,
                accepted=False,
                note="照片看不清DPF铭牌",
                due_date=date(2026, 12, 14),
            )
        assert (back.status, back.outcome, back.due_date) == ("ordered", "", date(2026, 12, 14))
        assert any("照片看不清DPF铭牌" in b and "2026-12-14" in b for b in sms_to(owner.phone))
        assert AuditEntry.objects.filter(action="rectification.rejected").exists()
        actions.answer_rectification(
            acting_user=owner, rectification=back, text="补拍铭牌", photos=[jpeg("blue")]
        )
        actions.close_rectification(
            acting_user=reviewer, rectification=back, accepted=True, note=""
        )
        answers = list(RectificationAnswer.objects.order_by("number"))
        assert [(a.number, a.text, a.outcome) for a in answers] == [
            (1, "已加装DPF", "rejected"),
            (2, "补拍铭牌", "accepted"),
        ]
        assert answers[0].note == "照片看不清DPF铭牌"
        assert RectificationPhoto.objects.count() == 2

    def test_a_new_due_date_is_not_in_the_past(self, owner, reviewer, inspector, machine):
        rectification = self.answered(owner, reviewer, inspector, machine)
        with pytest.raises(FieldErrors) as exc:
            actions.close_rectification(
                acting_user=reviewer,
                rectification=rectification,
                accepted=False,
                note="不合格",
                due_date=date(2026, 11, 1),
            )
        assert exc.value.errors == {"due_date": "整改期限不能早于今天"}

    def test_only_when_answered(self, reviewer, inspector, machine):
        rectification = order(reviewer, failed_check(inspector, machine))
        with pytest.raises(ActionError) as exc:
            actions.close_rectification(
                acting_user=reviewer, rectification=rectification, accepted=True, note=""
            )
        assert (exc.value.code, exc.value.status) == ("not_answered", 409)
        assert "待整改" in exc.value.message

    @pytest.mark.parametrize("who", ["reviewer_other_district", "clerk", "inspector", "owner"])
    def test_only_the_district_closes(self, request, owner, reviewer, inspector, machine, who):
        rectification = self.answered(owner, reviewer, inspector, machine)
        with pytest.raises(ActionError) as exc:
            actions.close_rectification(
                acting_user=request.getfixturevalue(who),
                rectification=rectification,
                accepted=True,
                note="",
            )
        assert exc.value.status == 403
        rectification.refresh_from_db()
        assert rectification.status == "answered"

    def test_overdue_only_while_waiting_for_the_owner(self, owner, reviewer, inspector, machine):
        rectification = order(reviewer, failed_check(inspector, machine))
        after = DUE + timedelta(days=1)
        assert not rectification.overdue(DUE) and rectification.overdue(after)
        actions.answer_rectification(
            acting_user=owner, rectification=rectification, text="a", photos=[]
        )
        rectification.refresh_from_db()
        assert not rectification.overdue(after)


@pytest.mark.django_db
def test_another_inspector_is_another_department(machine):
    check = record(other_inspector(), machine)
    assert check.department_label == "交通"
