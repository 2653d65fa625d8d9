"""Every state change of a public report (Art. 17), one named function each, as
registry.actions: keyword-only acting_user, transaction.atomic() with the report row
locked, an ActionError with a Chinese message for anything illegal (404 alike for missing
and not yours, 409 for the wrong state), an audit row, update_fields, SMS after commit.

- Anyone files a report without an account (acting_user None). The abuse guard: a limit of
  well-formed reports per address and hour (NRMM_PUBLIC_REPORTS_PER_HOUR, counted in the
  database so every process sees it), length limits on every text, at most MAX_PHOTOS
  photos, each checked and re-encoded by photos.processing (size, pixels, format).
- District staff (clerks, reviewers) of the district where the machine was seen assign it
  (to themselves or a colleague of the district), add notes, close it with an outcome and
  reopen it. The city administrator only reads.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.constants import DISTRICT_ROLES
from accounts.models import User
from accounts.sms import send_sms
from core import audit, ratelimit
from core.errors import ActionError, FieldErrors
from core.reference import city
from inspections.queries import find_registration
from photos.processing import PhotoError, ProcessedPhoto, process_photo
from reports import codes
from reports.access import handles
from reports.constants import (
    CONTACT_NAME_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_MIN_LENGTH,
    FUTURE_TOLERANCE_MINUTES,
    MAX_AGE_DAYS,
    MAX_PHOTOS,
    NOTE_MAX_LENGTH,
    NUMBER_MAX_LENGTH,
    OPEN_STATUSES,
    OUTCOME_TEXT_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    ReportOutcome,
    ReportStatus,
)
from reports.models import PublicReport, ReportNote, ReportPhoto
from rules.identifiers import check_mobile, personal_data_in

RATE_WINDOW_SECONDS = 3600


# --- helpers --------------------------------------------------------------------------------


def _text(value: str | None, limit: int) -> tuple[str, str]:
    """(the trimmed text, an error or "")."""
    text = (value or "").strip()
    if len(text) > limit:
        return text, _("不能超过%(n)s个字") % {"n": limit}
    return text, ""


def _observed(value: datetime | str | None, errors: dict[str, str]) -> datetime | None:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = parse_datetime(text) if text else None
        except ValueError:
            value = None
        if value is None:
            errors["observed_at"] = (
                _("请填写发现时间") if not text else _("发现时间格式不正确，例如2026-05-01 09:30")
            )
            return None
    if value is None:
        errors["observed_at"] = _("请填写发现时间")
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    now = timezone.now()
    if value > now + timedelta(minutes=FUTURE_TOLERANCE_MINUTES):
        errors["observed_at"] = _("发现时间不能晚于现在")
    elif value < now - timedelta(days=MAX_AGE_DAYS):
        errors["observed_at"] = _("只受理%(n)s天内发现的情况") % {"n": MAX_AGE_DAYS}
    return value


def process_all(photos: list[bytes]) -> list[ProcessedPhoto]:
    """Check and re-encode every photo before anything is saved: one bad photo refuses
    the whole report, so nothing is half-saved."""
    if len(photos) > MAX_PHOTOS:
        raise FieldErrors({"photos": _("最多上传%(n)s张照片") % {"n": MAX_PHOTOS}})
    processed = []
    for index, data in enumerate(photos, start=1):
        try:
            processed.append(process_photo(data))
        except PhotoError as exc:
            raise FieldErrors(
                {"photos": _("第%(n)s张照片：%(message)s") % {"n": index, "message": exc.message}}
            ) from None
    return processed


def _store(report: PublicReport, processed: ProcessedPhoto) -> None:
    photo = ReportPhoto(
        report=report,
        sha256=processed.sha256,
        width=processed.width,
        height=processed.height,
        size=len(processed.data),
    )
    photo.file.save(f"{processed.sha256}.jpg", ContentFile(processed.data), save=False)
    photo.save()


def _new_code() -> str:
    # 50 random bits: a clash is all but impossible, and the unique constraint backs this.
    for _attempt in range(5):
        code = codes.new_code()
        if not PublicReport.objects.filter(code=code).exists():
            return code
    raise ActionError("busy", _("系统繁忙，请稍后再试"), status=503)  # pragma: no cover


def _require_handler(user: User, report: PublicReport) -> None:
    if not handles(user, report):
        raise ActionError("not_found", _("未找到该举报"), status=404)


def _locked(report: PublicReport) -> PublicReport:
    return PublicReport.objects.select_for_update().get(pk=report.pk)


def _wrong_state(report: PublicReport, doing: str) -> ActionError:
    return ActionError(
        "wrong_status",
        _("该举报当前状态为“%(status)s”，不能%(doing)s")
        % {"status": report.get_status_display(), "doing": doing},
        status=409,
    )


def district_label(code: str) -> str:
    try:
        return f"{city().district(code).name}（{code}）"
    except ValueError:
        return code


def colleagues(report: PublicReport) -> list[User]:
    """Who may take the report: active clerks and reviewers of its district."""
    return list(
        User.objects.filter(
            role__in=sorted(DISTRICT_ROLES), district=report.district, is_active=True
        ).order_by("role", "name", "pk")
    )


# --- the public -----------------------------------------------------------------------------


def file_report(
    *,
    acting_user: User | None = None,
    address: str,
    district: str,
    place: str,
    observed_at: datetime | str | None,
    description: str,
    number: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    photos: list[bytes] | None = None,
) -> PublicReport:
    """A member of the public reports a machine: no account needed. Only well-formed
    reports count against the address's hourly limit, so a typo costs nothing; photos are
    processed after the limit, so a flood cannot make the server decode images."""
    errors: dict[str, str] = {}
    number, error = _text(number, NUMBER_MAX_LENGTH)
    if error:
        errors["number"] = error
    district = (district or "").strip()
    if not district:
        errors["district"] = _("请选择发现地所在区")
    elif district not in city().district_codes():
        errors["district"] = _("请从列表中选择区")
    place, error = _text(place, PLACE_MAX_LENGTH)
    if error or not place:
        errors["place"] = error or _("请填写发现地点")
    when = _observed(observed_at, errors)
    description, error = _text(description, DESCRIPTION_MAX_LENGTH)
    if error:
        errors["description"] = error
    elif len(description) < DESCRIPTION_MIN_LENGTH:
        errors["description"] = _("请描述看到的情况（至少%(n)s个字）") % {
            "n": DESCRIPTION_MIN_LENGTH
        }
    contact_name, error = _text(contact_name, CONTACT_NAME_MAX_LENGTH)
    if error:
        errors["contact_name"] = error
    phone = ""
    if (contact_phone or "").strip():
        check = check_mobile(contact_phone)
        if check.error:
            errors["contact_phone"] = check.error
        phone = check.value
    photos = photos or []
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = _("最多上传%(n)s张照片") % {"n": MAX_PHOTOS}
    if errors:
        raise FieldErrors(errors)
    assert when is not None

    limit, key = settings.NRMM_PUBLIC_REPORTS_PER_HOUR, f"report:{address}"
    if not ratelimit.hit(key, limit=limit, window_seconds=RATE_WINDOW_SECONDS):
        raise ActionError(
            "rate_limited",
            _("提交过于频繁：同一网络每小时最多提交%(n)s条举报，请稍后再试") % {"n": limit},
            status=429,
            retry_after=ratelimit.retry_after(key, limit=limit, window_seconds=RATE_WINDOW_SECONDS),
        )
    processed = process_all(photos)
    lookup = find_registration(number) if number else None
    with transaction.atomic():
        report = PublicReport.objects.create(
            code=_new_code(),
            # Normalised when it reads as a number of this city, else exactly as typed.
            number_typed=lookup.number if lookup and not lookup.error else number,
            registration=lookup.registration if lookup else None,
            district=district,
            place=place,
            observed_at=when,
            description=description,
            contact_name=contact_name,
            contact_phone=phone,
        )
        for item in processed:
            _store(report, item)
        audit.record(
            "report.filed",
            actor=acting_user,
            target=report,
            data={
                "district": district,
                "registration": report.registration_id,
                "photos": len(processed),
                "contact": bool(phone),
            },
        )
    return report


# --- the district ---------------------------------------------------------------------------


def assign(
    *, acting_user: User, report: PublicReport, assignee: User | None = None
) -> PublicReport:
    """The district takes the report: to the acting user or a colleague of the district.
    An open report may be handed on; a closed one is reopened first."""
    _require_handler(acting_user, report)
    assignee = assignee or acting_user
    if not (handles(assignee, report) and assignee.is_active):
        raise FieldErrors({"assignee": _("只能分派给本区的窗口受理员或审核员")})
    with transaction.atomic():
        report = _locked(report)
        if report.status not in OPEN_STATUSES:
            raise _wrong_state(report, _("分派"))
        previous = report.assigned_to_id
        report.status = ReportStatus.ASSIGNED
        report.assigned_to = assignee
        report.assigned_at = timezone.now()
        report.save(update_fields=["status", "assigned_to", "assigned_at"])
        audit.record(
            "report.assigned",
            actor=acting_user,
            target=report,
            data={"assignee": assignee.pk, "previous": previous},
        )
    return report


def add_note(*, acting_user: User, report: PublicReport, text: str) -> ReportNote:
    """A working note of the district (a call made, a visit, what was found), in any
    state: notes are kept for good."""
    _require_handler(acting_user, report)
    text, error = _text(text, NOTE_MAX_LENGTH)
    if error or not text:
        raise FieldErrors({"text": error or _("请填写处理记录")})
    with transaction.atomic():
        report = _locked(report)
        note = ReportNote.objects.create(report=report, author=acting_user, text=text)
        audit.record("report.noted", actor=acting_user, target=report, data={"note": note.pk})
    return note


def close(*, acting_user: User, report: PublicReport, outcome: str, text: str) -> PublicReport:
    """办结 with an outcome and a reply the reporter reads (on the follow page, and by SMS
    when a contact phone was given)."""
    _require_handler(acting_user, report)
    errors: dict[str, str] = {}
    if outcome not in ReportOutcome.values:
        errors["outcome"] = _("请选择办理结果")
    text, error = _text(text, OUTCOME_TEXT_MAX_LENGTH)
    if error or not text:
        errors["outcome_text"] = error or _("请填写答复举报人的办理情况")
    elif personal_data_in(text):
        # The reply is public to whoever holds the reference code.
        errors["outcome_text"] = _("答复对举报人公开，请删去其中的身份证号或手机号")
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        report = _locked(report)
        if report.status not in OPEN_STATUSES:
            raise _wrong_state(report, _("办结"))
        report.status = ReportStatus.CLOSED
        report.outcome = outcome
        report.outcome_text = text
        report.closed_by = acting_user
        report.closed_at = timezone.now()
        report.save(update_fields=["status", "outcome", "outcome_text", "closed_by", "closed_at"])
        audit.record("report.closed", actor=acting_user, target=report, data={"outcome": outcome})
        if report.contact_phone:
            phone = report.contact_phone
            body = _(
                "您%(date)s提交的举报（查询码%(code)s）已办结，办理结果：%(outcome)s。"
                "详情可凭查询码在平台“举报查询”中查看。"
            ) % {
                "date": f"{timezone.localtime(report.filed_at):%Y-%m-%d}",
                "code": report.display_code,
                "outcome": ReportOutcome(outcome).label,
            }
            # After commit, as changes.actions._sms: the closing stands even if the SMS
            # provider is down for a moment.
            transaction.on_commit(lambda: send_sms(phone, body, purpose="report"))
    return report


def reopen(*, acting_user: User, report: PublicReport, reason: str) -> PublicReport:
    """A closed report is taken up again (new facts, a wrong outcome). The reason becomes a
    note; the outcome is cleared, the audit trail keeps the old one."""
    _require_handler(acting_user, report)
    reason, error = _text(reason, NOTE_MAX_LENGTH)
    if error or not reason:
        raise FieldErrors({"reason": error or _("请填写重新办理的理由")})
    with transaction.atomic():
        report = _locked(report)
        if report.status != ReportStatus.CLOSED:
            raise _wrong_state(report, _("重新办理"))
        old = {"outcome": report.outcome, "outcome_text": report.outcome_text}
        report.status = ReportStatus.ASSIGNED if report.assigned_to_id else ReportStatus.RECEIVED
        report.outcome = ""
        report.outcome_text = ""
        report.closed_by = None
        report.closed_at = None
        report.save(update_fields=["status", "outcome", "outcome_text", "closed_by", "closed_at"])
        ReportNote.objects.create(
            report=report, author=acting_user, text=_("重新办理：%(reason)s") % {"reason": reason}
        )
        audit.record(
            "report.reopened", actor=acting_user, target=report, data={"reason": reason, **old}
        )
    return report
