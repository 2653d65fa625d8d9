"""Every state change of a public report: filing (with its abuse guard), assigning,
noting, closing and reopening; illegal transitions and outsiders refused."""

import io

import pytest
import time_machine
from django.utils import timezone
from PIL import Image

from accounts.constants import Role
from accounts.models import SmsMessage
from core.errors import ActionError, FieldErrors
from core.models import AuditEntry
from reports import actions
from reports.constants import MAX_PHOTOS, ReportOutcome, ReportStatus
from reports.models import PublicReport, ReportNote, ReportPhoto
from tests.changes.helpers import approved
from tests.conftest import make_user
from tests.registry.helpers import jpeg
from tests.reports.helpers import filed, reload

pytestmark = pytest.mark.django_db


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (120, 80), "red")
    exif = Image.Exif()
    exif[0x8825] = {2: (31.0, 12.0, 0.0)}  # GPSInfo: latitude
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


class TestFiling:
    def test_a_member_of_the_public_files_a_report(self):
        report = filed(contact_name="王先生", contact_phone="+86 139 1234 5678")
        assert report.status == ReportStatus.RECEIVED
        assert len(report.code) == 10 and report.code.isalnum()
        assert report.district == "L"
        assert report.contact_phone == "13912345678"
        assert report.masked_phone == "139****5678"
        assert timezone.localtime(report.observed_at).strftime("%Y-%m-%d %H:%M") == (
            "2026-11-23 08:30"
        )
        entry = AuditEntry.objects.get(action="report.filed")
        assert entry.actor is None and entry.target_id == str(report.pk)
        assert entry.data == {"district": "L", "registration": None, "photos": 0, "contact": True}

    def test_codes_are_unique(self):
        assert len({filed(address=f"192.0.2.{i}").code for i in range(5)}) == 5

    def test_photos_are_re_encoded_without_metadata(self):
        report = filed(photos=[jpeg_with_gps(), jpeg("blue")])
        photos = list(report.photos.all())
        assert len(photos) == 2
        with photos[0].file.open("rb") as f:
            image = Image.open(io.BytesIO(f.read()))
            assert image.format == "JPEG"
            assert not image.getexif()
        assert photos[0].file.name.startswith("reports/")

    def test_a_known_number_links_the_registration(self, owner, reviewer):
        registration = approved(owner, reviewer)
        report = filed(number=f" {registration.short_number.lower()} ")
        assert report.registration == registration
        assert report.number_typed == registration.short_number

    def test_an_unknown_or_unreadable_number_is_kept_as_typed(self):
        assert filed(number="沪L4-99999").registration is None
        report = filed(number="看不清，好像是沪L")
        assert report.registration is None and report.number_typed == "看不清，好像是沪L"

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("district", "", "请选择发现地所在区"),
            ("district", "I", "请从列表中选择区"),
            ("place", "  ", "请填写发现地点"),
            ("place", "路" * 201, "不能超过200个字"),
            ("observed_at", "", "请填写发现时间"),
            ("observed_at", "昨天", "发现时间格式不正确"),
            ("observed_at", "2026-11-23T11:00", "发现时间不能晚于现在"),
            ("observed_at", "2025-11-01T08:00", "只受理365天内发现的情况"),
            ("description", "冒烟", "至少5个字"),
            ("description", "烟" * 2001, "不能超过2000个字"),
            ("contact_name", "王" * 51, "不能超过50个字"),
            ("contact_phone", "12345", "手机号"),
            ("number", "沪" * 41, "不能超过40个字"),
        ],
    )
    def test_bad_input_is_refused_with_a_chinese_message(self, field, value, message):
        with pytest.raises(FieldErrors) as caught:
            filed(**{field: value})
        assert message in caught.value.errors[field]
        assert not PublicReport.objects.exists()

    def test_a_few_minutes_of_clock_skew_are_allowed(self):
        assert filed(observed_at="2026-11-23T10:05").pk

    def test_every_error_at_once(self):
        with pytest.raises(FieldErrors) as caught:
            actions.file_report(
                acting_user=None,
                address="192.0.2.1",
                district="",
                place="",
                observed_at=None,
                description="",
            )
        assert set(caught.value.errors) == {"district", "place", "observed_at", "description"}

    def test_too_many_photos(self):
        with pytest.raises(FieldErrors) as caught:
            filed(photos=[jpeg()] * (MAX_PHOTOS + 1))
        assert caught.value.errors["photos"] == "最多上传6张照片"

    def test_one_bad_photo_saves_nothing(self):
        with pytest.raises(FieldErrors) as caught:
            filed(photos=[jpeg(), b"not an image"])
        assert caught.value.errors["photos"].startswith("第2张照片：")
        assert not PublicReport.objects.exists() and not ReportPhoto.objects.exists()

    def test_rate_limit_per_address(self, settings):
        settings.NRMM_PUBLIC_REPORTS_PER_HOUR = 2
        filed()
        filed()
        with pytest.raises(ActionError) as caught:
            filed()
        assert caught.value.status == 429 and caught.value.code == "rate_limited"
        assert "每小时最多提交2条" in caught.value.message
        filed(address="198.51.100.7")  # another address is not affected
        assert PublicReport.objects.count() == 3

    def test_bad_input_does_not_count_against_the_limit(self, settings):
        settings.NRMM_PUBLIC_REPORTS_PER_HOUR = 1
        for _ in range(3):
            with pytest.raises(FieldErrors):
                filed(place="")
        assert filed().pk

    def test_the_limit_lets_go_when_retry_after_says(self, settings):
        settings.NRMM_PUBLIC_REPORTS_PER_HOUR = 1
        with time_machine.travel("2026-11-23 11:20:00 +0800", tick=False) as clock:
            filed()
            with pytest.raises(ActionError) as refused:
                filed()
            wait = refused.value.retry_after
            assert wait is not None and 0 < wait <= 2 * 3600
            clock.shift(wait - 1)
            with pytest.raises(ActionError) as again:
                filed()
            assert again.value.retry_after is not None
            clock.shift(again.value.retry_after)
            assert filed(observed_at="2026-11-23T10:30").pk


@pytest.fixture
def report(db):
    return filed(contact_phone="13912345678")


class TestAssign:
    def test_to_self(self, report, reviewer):
        report = actions.assign(acting_user=reviewer, report=report)
        assert report.status == ReportStatus.ASSIGNED and report.assigned_to == reviewer
        assert reload(report).assigned_at is not None
        assert AuditEntry.objects.filter(action="report.assigned", actor=reviewer).exists()

    def test_to_a_colleague_and_on_again(self, report, reviewer, clerk_l):
        report = actions.assign(acting_user=reviewer, report=report, assignee=clerk_l)
        assert report.assigned_to == clerk_l
        report = actions.assign(acting_user=clerk_l, report=report, assignee=reviewer)
        assert reload(report).assigned_to == reviewer

    def test_not_to_someone_of_another_district(
        self, report, reviewer, reviewer_other_district, city_admin, owner
    ):
        for assignee in (reviewer_other_district, city_admin, owner):
            with pytest.raises(FieldErrors) as caught:
                actions.assign(acting_user=reviewer, report=report, assignee=assignee)
            assert "本区" in caught.value.errors["assignee"]
        assert reload(report).status == ReportStatus.RECEIVED

    def test_not_to_an_inactive_colleague(self, report, reviewer, clerk_l):
        clerk_l.is_active = False
        clerk_l.save()
        with pytest.raises(FieldErrors):
            actions.assign(acting_user=reviewer, report=report, assignee=clerk_l)

    def test_outsiders_are_told_not_found(
        self, report, reviewer_other_district, city_admin, inspector, owner, clerk
    ):
        for user in (reviewer_other_district, city_admin, inspector, owner, clerk):
            with pytest.raises(ActionError) as caught:
                actions.assign(acting_user=user, report=report)
            assert caught.value.status == 404, user
        assert not AuditEntry.objects.filter(action="report.assigned").exists()

    def test_a_closed_report_is_not_assigned(self, report, reviewer):
        actions.close(acting_user=reviewer, report=report, outcome="confirmed", text="已处理")
        with pytest.raises(ActionError) as caught:
            actions.assign(acting_user=reviewer, report=report)
        assert caught.value.status == 409 and "已办结" in caught.value.message


class TestNotes:
    def test_notes_in_any_state(self, report, clerk_l, reviewer):
        actions.add_note(acting_user=clerk_l, report=report, text="已电话联系工地负责人")
        actions.close(acting_user=reviewer, report=report, outcome="confirmed", text="已处理")
        actions.add_note(acting_user=reviewer, report=report, text="复查：已整改")
        texts = list(ReportNote.objects.values_list("text", flat=True))
        assert texts == ["已电话联系工地负责人", "复查：已整改"]
        assert AuditEntry.objects.filter(action="report.noted").count() == 2

    def test_empty_or_long_notes_are_refused(self, report, clerk_l):
        for text, message in (("  ", "请填写处理记录"), ("字" * 2001, "不能超过2000个字")):
            with pytest.raises(FieldErrors) as caught:
                actions.add_note(acting_user=clerk_l, report=report, text=text)
            assert message in caught.value.errors["text"]

    def test_outsiders_cannot_note(self, report, reviewer_other_district, city_admin):
        for user in (reviewer_other_district, city_admin):
            with pytest.raises(ActionError) as caught:
                actions.add_note(acting_user=user, report=report, text="看看")
            assert caught.value.status == 404
        assert not ReportNote.objects.exists()


class TestClose:
    def test_close_with_an_outcome_and_tell_the_reporter(
        self, report, reviewer, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            report = actions.close(
                acting_user=reviewer,
                report=report,
                outcome=ReportOutcome.CONFIRMED,
                text="经现场核查，已责令整改",
            )
        report = reload(report)
        assert report.status == ReportStatus.CLOSED
        assert report.outcome == "confirmed" and report.outcome_text == "经现场核查，已责令整改"
        assert report.closed_by == reviewer and report.closed_at is not None
        message = SmsMessage.objects.get(phone="13912345678")
        assert report.display_code in message.body and "查实并处理" in message.body
        assert message.purpose == "report"
        assert AuditEntry.objects.get(action="report.closed").data == {"outcome": "confirmed"}

    def test_no_sms_without_a_contact_phone(self, reviewer, django_capture_on_commit_callbacks):
        report = filed()
        with django_capture_on_commit_callbacks(execute=True):
            actions.close(acting_user=reviewer, report=report, outcome="duplicate", text="重复")
        assert not SmsMessage.objects.exists()

    def test_close_from_assigned(self, report, clerk_l):
        actions.assign(acting_user=clerk_l, report=report)
        report = actions.close(
            acting_user=clerk_l, report=report, outcome="not_confirmed", text="x"
        )
        assert report.status == ReportStatus.CLOSED

    def test_outcome_and_reply_are_required(self, report, reviewer):
        with pytest.raises(FieldErrors) as caught:
            actions.close(acting_user=reviewer, report=report, outcome="maybe", text="")
        assert caught.value.errors == {
            "outcome": "请选择办理结果",
            "outcome_text": "请填写答复举报人的办理情况",
        }
        assert reload(report).status == ReportStatus.RECEIVED

    def test_the_public_reply_holds_no_id_number_or_phone(self, report, reviewer):
        for text in ("机主张三（11010519491231002X）已整改", "请联系机主13800000001"):
            with pytest.raises(FieldErrors) as caught:
                actions.close(acting_user=reviewer, report=report, outcome="confirmed", text=text)
            assert "身份证号或手机号" in caught.value.errors["outcome_text"]
        assert reload(report).status == ReportStatus.RECEIVED

    def test_closing_twice_is_refused(self, report, reviewer):
        actions.close(acting_user=reviewer, report=report, outcome="confirmed", text="已处理")
        with pytest.raises(ActionError) as caught:
            actions.close(acting_user=reviewer, report=report, outcome="duplicate", text="重复")
        assert caught.value.status == 409
        assert reload(report).outcome == "confirmed"

    def test_outsiders_cannot_close(self, report, reviewer_other_district, city_admin, inspector):
        for user in (reviewer_other_district, city_admin, inspector):
            with pytest.raises(ActionError) as caught:
                actions.close(acting_user=user, report=report, outcome="confirmed", text="x")
            assert caught.value.status == 404
        assert reload(report).status == ReportStatus.RECEIVED


class TestReopen:
    def test_reopen_goes_back_to_the_assignee(self, report, reviewer, clerk_l):
        actions.assign(acting_user=reviewer, report=report, assignee=clerk_l)
        actions.close(acting_user=clerk_l, report=report, outcome="not_confirmed", text="未见")
        report = actions.reopen(acting_user=reviewer, report=report, reason="举报人补充了照片")
        report = reload(report)
        assert report.status == ReportStatus.ASSIGNED and report.assigned_to == clerk_l
        assert report.outcome == "" and report.closed_at is None
        assert ReportNote.objects.get().text == "重新办理：举报人补充了照片"
        entry = AuditEntry.objects.get(action="report.reopened")
        assert entry.data["outcome"] == "not_confirmed"

    def test_reopen_unassigned_goes_back_to_received(self, report, reviewer):
        actions.close(acting_user=reviewer, report=report, outcome="duplicate", text="重复")
        assert actions.reopen(acting_user=reviewer, report=report, reason="并非重复").status == (
            ReportStatus.RECEIVED
        )

    def test_only_closed_reports_reopen(self, report, reviewer):
        with pytest.raises(ActionError) as caught:
            actions.reopen(acting_user=reviewer, report=report, reason="x")
        assert caught.value.status == 409

    def test_a_reason_is_required(self, report, reviewer):
        actions.close(acting_user=reviewer, report=report, outcome="duplicate", text="重复")
        with pytest.raises(FieldErrors) as caught:
            actions.reopen(acting_user=reviewer, report=report, reason=" ")
        assert caught.value.errors == {"reason": "请填写重新办理的理由"}

    def test_outsiders_cannot_reopen(self, report, reviewer, reviewer_other_district):
        actions.close(acting_user=reviewer, report=report, outcome="duplicate", text="重复")
        with pytest.raises(ActionError) as caught:
            actions.reopen(acting_user=reviewer_other_district, report=report, reason="x")
        assert caught.value.status == 404


def test_colleagues_are_the_active_district_staff(report, reviewer, clerk_l, clerk):
    make_user("13900000022", "离职", role=Role.CLERK, district="L", is_active=False)
    assert actions.colleagues(report) == [clerk_l, reviewer]
