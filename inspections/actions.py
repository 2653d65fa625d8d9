"""Every state change of spot checks (Art. 15) and rectification orders (Art. 16), one
named function each, as registry.actions: keyword-only acting_user, transaction.atomic(),
an ActionError with a Chinese message for anything illegal, an audit row, update_fields.
Pages and API endpoints only call these."""

from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import can_act_for
from accounts.constants import DISTRICT_ROLES, Role
from accounts.models import User
from accounts.sms import send_sms
from core import audit
from core.errors import ActionError, FieldErrors
from core.reference import city
from inspections.constants import (
    LOCATION_MAX_LENGTH,
    MAX_ANSWER_PHOTOS,
    MAX_CHECK_PHOTOS,
    OPEN_RECTIFICATION,
    TEXT_MAX_LENGTH,
    CardCheck,
    RectificationOutcome,
    RectificationStatus,
    SpotCheckResult,
)
from inspections.models import (
    Rectification,
    RectificationAnswer,
    RectificationPhoto,
    SpotCheck,
    SpotCheckPhoto,
)
from inspections.queries import find_registration
from inspections.results import Findings, failure_reasons, result_of
from photos.processing import PhotoError, ProcessedPhoto, process_photo
from registry.models import Registration

CHECKERS = frozenset({Role.INSPECTOR, Role.CLERK, Role.REVIEWER})


# --- helpers --------------------------------------------------------------------------------


def _process_all(photos: list[bytes], *, limit: int, field: str = "photos") -> list[ProcessedPhoto]:
    """Check and re-encode every photo before anything is saved: one bad photo refuses the
    whole form, so nothing is half-saved."""
    if len(photos) > limit:
        raise ActionError("too_many_photos", _("最多上传%(n)s张照片") % {"n": limit}, field=field)
    processed = []
    for index, data in enumerate(photos, start=1):
        try:
            processed.append(process_photo(data))
        except PhotoError as exc:
            raise ActionError(
                f"photo_{exc.code}",
                _("第%(n)s张照片：%(message)s") % {"n": index, "message": exc.message},
                field=field,
            ) from None
    return processed


def _store(photo: SpotCheckPhoto | RectificationPhoto, processed: ProcessedPhoto) -> None:
    photo.sha256 = processed.sha256
    photo.width = processed.width
    photo.height = processed.height
    photo.size = len(processed.data)
    photo.file.save(f"{processed.sha256}.jpg", ContentFile(processed.data), save=False)
    photo.save()


def _text(
    value: str | None, field: str, *, required: str = "", limit: int = TEXT_MAX_LENGTH
) -> str:
    text = (value or "").strip()
    if required and not text:
        raise FieldErrors({field: required})
    if len(text) > limit:
        raise FieldErrors({field: _("不能超过%(n)s个字") % {"n": limit}})
    return text


def _department(user: User) -> str:
    if user.role == Role.INSPECTOR and user.department:
        return user.department
    return user.role


def _machine(registration: Registration) -> str:
    declaration = registration.declaration
    return declaration.machine_name or declaration.machine_type or _("机械")


def _notify_owner(registration: Registration, body: str) -> None:
    """After commit, as registry.actions._notify_owner: the order stands even if the SMS
    provider is down for a moment."""
    phone = registration.owner.phone
    transaction.on_commit(lambda: send_sms(phone, body, purpose="rectification"))


def _require_district_staff(user: User, district: str) -> None:
    """Ordering and closing are the district authority's (Art. 16 属地管理部门)."""
    if user.role not in DISTRICT_ROLES:
        raise ActionError("not_allowed", _("只有区审核员或窗口受理员可以办理责令整改"), status=403)
    if user.district != district:
        raise ActionError(
            "wrong_district",
            _("该机械登记在%(district)s，只有该区的工作人员可以办理")
            % {"district": _district_name(district)},
            status=403,
        )


def _district_name(code: str) -> str:
    try:
        return f"{city().district(code).name}（{code}）"
    except ValueError:
        return code


def _due_date(value: date | None, field: str = "due_date") -> date:
    if value is None:
        raise FieldErrors({field: _("请填写整改期限")})
    if value < timezone.localdate():
        raise FieldErrors({field: _("整改期限不能早于今天")})
    return value


# --- Art. 15: the spot check ----------------------------------------------------------------


def record_spot_check(
    *,
    acting_user: User,
    number: str,
    location: str,
    district: str | None = None,
    sign_present: bool,
    sign_matches: bool | None,
    card_present: bool,
    card_check: str,
    smoke_visible: bool,
    notes: str = "",
    photos: list[bytes] | None = None,
) -> SpotCheck:
    """Record one machine checked in the field. The result is worked out here: failed when
    no registration is found, it is not valid, the sign is absent or does not match, the
    card is absent or not genuine, or smoke is visible."""
    if acting_user.role not in CHECKERS:
        raise ActionError(
            "not_allowed", _("只有行业检查员和区县工作人员可以记录监督检查"), status=403
        )
    lookup = find_registration(number)
    registration = lookup.registration
    errors: dict[str, str] = {}
    if lookup.error:
        errors["number"] = lookup.error
    elif not lookup.number and (sign_present or card_present):
        errors["number"] = _("请输入标志或信息采集卡上的环保登记号码")
    location = (location or "").strip()
    if not location:
        errors["location"] = _("请填写检查地点")
    elif len(location) > LOCATION_MAX_LENGTH:
        errors["location"] = _("不能超过%(n)s个字") % {"n": LOCATION_MAX_LENGTH}
    notes = (notes or "").strip()
    if len(notes) > TEXT_MAX_LENGTH:
        errors["notes"] = _("不能超过%(n)s个字") % {"n": TEXT_MAX_LENGTH}
    district = (district or "").strip().upper()
    if not district:
        if registration is not None:
            district = registration.district
        elif acting_user.role in DISTRICT_ROLES:
            district = acting_user.district
        else:
            errors["district"] = _("未查到登记时，请选择检查地所在区")
    if district and district not in city().district_codes():
        errors["district"] = _("请选择检查地所在区")
    if registration is None:
        sign_matches = None  # nothing to compare the sign with
    if not sign_present and sign_matches is not None:
        errors["sign_matches"] = _("未悬挂标志时不能填写标志号码是否一致")
    elif sign_present and registration is not None and sign_matches is None:
        errors["sign_matches"] = _("请核对标志号码是否与登记一致")
    if card_check not in CardCheck.values:
        errors["card_check"] = _("请选择信息采集卡核验结果")
    elif card_present == (card_check == CardCheck.ABSENT):
        errors["card_check"] = _("“未见信息采集卡”与出示信息采集卡不一致")
    if errors:
        raise FieldErrors(errors)
    processed = _process_all(photos or [], limit=MAX_CHECK_PHOTOS)

    reasons = failure_reasons(
        Findings(
            registration_status=registration.status if registration else None,
            sign_present=sign_present,
            sign_matches=sign_matches,
            card_present=card_present,
            card_check=card_check,
            smoke_visible=smoke_visible,
        )
    )
    with transaction.atomic():
        check = SpotCheck.objects.create(
            registration=registration,
            number_typed=lookup.number,
            district=district,
            inspector=acting_user,
            department=_department(acting_user),
            location=location,
            sign_present=sign_present,
            sign_matches=sign_matches,
            card_present=card_present,
            card_check=card_check,
            smoke_visible=smoke_visible,
            notes=notes,
            result=result_of(reasons),
            reasons=[r.value for r in reasons],
        )
        for item in processed:
            _store(SpotCheckPhoto(spot_check=check), item)
        audit.record(
            "spotcheck.recorded",
            actor=acting_user,
            target=check,
            data={
                "number": lookup.number,
                "registration": registration.pk if registration else None,
                "result": check.result,
                "reasons": check.reasons,
                "photos": len(processed),
            },
        )
    return check


# --- Art. 16: rectification -----------------------------------------------------------------


def order_rectification(
    *, acting_user: User, spot_check: SpotCheck, requirement: str, due_date: date | None
) -> Rectification:
    """责令整改 after a failed check of a registered machine, by the district where it is
    registered; the owner is told by SMS."""
    registration = spot_check.registration
    if registration is None:
        raise ActionError(
            "not_registered",
            _("未查到登记的机械无法通过平台责令整改，请依法另行处理"),
            status=409,
        )
    _require_district_staff(acting_user, registration.district)
    if spot_check.result != SpotCheckResult.FAILED:
        raise ActionError("check_passed", _("检查结果为合格，无需责令整改"), status=409)
    errors: dict[str, str] = {}
    try:
        requirement = _text(requirement, "requirement", required=_("请填写整改要求"))
    except FieldErrors as exc:
        errors.update(exc.errors)
    try:
        due_date = _due_date(due_date)
    except FieldErrors as exc:
        errors.update(exc.errors)
    if errors:
        raise FieldErrors(errors)
    assert due_date is not None
    with transaction.atomic():
        # Lock the check so that two staff ordering at once make one order.
        spot_check = SpotCheck.objects.select_for_update().get(pk=spot_check.pk)
        if Rectification.objects.filter(
            spot_check=spot_check, status__in=OPEN_RECTIFICATION
        ).exists():
            raise ActionError("already_ordered", _("该检查已责令整改，尚未办结"), status=409)
        rectification = Rectification.objects.create(
            spot_check=spot_check,
            registration=registration,
            district=registration.district,
            ordered_by=acting_user,
            requirement=requirement,
            due_date=due_date,
        )
        audit.record(
            "rectification.ordered",
            actor=acting_user,
            target=rectification,
            data={
                "spot_check": spot_check.pk,
                "registration": registration.pk,
                "due_date": due_date.isoformat(),
            },
        )
        _notify_owner(
            registration,
            _(
                "您的%(machine)s（%(number)s）在监督检查中发现问题，已被责令整改，"
                "请于%(due)s前完成整改并登录平台回复整改情况。"
            )
            % {
                "machine": _machine(registration),
                "number": registration.short_number,
                "due": due_date.isoformat(),
            },
        )
    return rectification


def _locked(rectification: Rectification) -> Rectification:
    return (
        Rectification.objects.select_for_update()
        .select_related("registration__owner", "registration__declaration")
        .get(pk=rectification.pk)
    )


def answer_rectification(
    *, acting_user: User, rectification: Rectification, text: str, photos: list[bytes] | None
) -> RectificationAnswer:
    """The owner (or an agent with the owner's consent) says what was done, with photos."""
    registration = rectification.registration
    if not (acting_user.role == Role.OWNER and can_act_for(acting_user, registration.owner)):
        raise ActionError("not_found", _("未找到该整改通知"), status=404)
    text = _text(text, "text", required=_("请填写整改情况"))
    processed = _process_all(photos or [], limit=MAX_ANSWER_PHOTOS)
    with transaction.atomic():
        rectification = _locked(rectification)
        if rectification.status != RectificationStatus.ORDERED:
            raise ActionError(
                "not_open",
                _("该整改通知当前状态为“%(status)s”，不能回复")
                % {"status": rectification.get_status_display()},
                status=409,
            )
        now = timezone.now()
        answer = RectificationAnswer.objects.create(
            rectification=rectification,
            number=rectification.answers.count() + 1,
            text=text,
            answered_by=acting_user,
            answered_at=now,
        )
        for item in processed:
            _store(RectificationPhoto(answer=answer), item)
        rectification.status = RectificationStatus.ANSWERED
        rectification.answer = text
        rectification.answered_by = acting_user
        rectification.answered_at = now
        rectification.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        audit.record(
            "rectification.answered",
            actor=acting_user,
            target=rectification,
            data={"answer": answer.number, "photos": len(processed)},
        )
    return answer


def close_rectification(
    *,
    acting_user: User,
    rectification: Rectification,
    accepted: bool,
    note: str,
    due_date: date | None = None,
) -> Rectification:
    """The district looks at the answer: accepted closes the order; rejected sends it back
    to the owner with the note (required), optionally with a new due date. SMS either way."""
    _require_district_staff(acting_user, rectification.district)
    note = _text(
        note,
        "note",
        required="" if accepted else _("退回整改时请填写审核意见"),
        limit=TEXT_MAX_LENGTH,
    )
    if due_date is not None and not accepted:
        due_date = _due_date(due_date)
    with transaction.atomic():
        rectification = _locked(rectification)
        if rectification.status != RectificationStatus.ANSWERED:
            raise ActionError(
                "not_answered",
                _("该整改通知当前状态为“%(status)s”，不在待审核状态")
                % {"status": rectification.get_status_display()},
                status=409,
            )
        now = timezone.now()
        outcome = RectificationOutcome.ACCEPTED if accepted else RectificationOutcome.REJECTED
        answer = rectification.answers.select_for_update().order_by("-number").first()
        assert answer is not None  # ANSWERED means there is one
        answer.outcome = outcome
        answer.reviewed_by = acting_user
        answer.reviewed_at = now
        answer.note = note
        answer.save(update_fields=["outcome", "reviewed_by", "reviewed_at", "note"])
        registration = rectification.registration
        values = {"machine": _machine(registration), "number": registration.short_number}
        if accepted:
            rectification.status = RectificationStatus.CLOSED
            rectification.outcome = outcome
            rectification.closed_by = acting_user
            rectification.closed_at = now
            rectification.closing_note = note
            rectification.save(
                update_fields=["status", "outcome", "closed_by", "closed_at", "closing_note"]
            )
            body = _("您的%(machine)s（%(number)s）整改情况已审核通过，整改通知已办结。") % values
        else:
            rectification.status = RectificationStatus.ORDERED
            fields = ["status"]
            if due_date is not None:
                rectification.due_date = due_date
                fields.append("due_date")
            rectification.save(update_fields=fields)
            body = _(
                "您的%(machine)s（%(number)s）整改情况未通过审核，请于%(due)s前重新整改并回复。"
                "审核意见：%(note)s"
            ) % {**values, "due": rectification.due_date.isoformat(), "note": note}
        audit.record(
            "rectification.accepted" if accepted else "rectification.rejected",
            actor=acting_user,
            target=rectification,
            data={
                "answer": answer.number,
                "note": note,
                "due_date": rectification.due_date.isoformat(),
            },
        )
        _notify_owner(registration, body)
    return rectification
