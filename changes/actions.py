"""Every change after registration, one named function each (Art. 4, 11-14; manual 二), as
registry.actions: keyword-only acting_user, transaction.atomic() with the registration row
locked, an ActionError with a Chinese message for anything illegal (404 alike for missing
and not yours, 409 for the wrong state), an audit row, update_fields, SMS after commit.
Pages and API endpoints only call these.

Who may do what:
- The owner side (the machine's owner, or an agent with the owner's active consent) files
  requests, changes the location at once, withdraws its open requests and records machines
  registered in other cities.
- The new owner side confirms an owner change with the code sent to the new owner's phone.
- District staff (counter clerks and reviewers) of the registration's district record the
  on-site check of a retrofit (Art. 12 现场核查).
- Reviewers of the registration's district approve or reject (Art. 11-14 属地管理部门审核);
  for a deregistration the reviewer confirms that the sign and card were recovered.
- Only a valid registration accepts a request, and it holds at most one open request of
  each kind. Approving a change that hands the machine over or ends the registration
  (owner change, retrofit, transfer out, deregistration) closes its other open requests.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import can_act_for
from accounts.constants import DISTRICT_ROLES, AccountKind, Role
from accounts.models import User
from accounts.queries import fleet_owner
from accounts.sms import issue_code, send_sms, take_code
from changes.constants import (
    DEADLINE_KINDS,
    EXTERNAL_NUMBER_MAX_LENGTH,
    MAX_PHOTOS,
    OPEN_STATUSES,
    OWNER_CHANGE_SMS,
    REASON_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    ChangeKind,
    ChangePhotoKind,
    ChangeStatus,
    DeregistrationReason,
    ReissueReason,
)
from changes.models import ChangePhoto, ChangeRequest, ExternalRegistration
from core import audit
from core.errors import ActionError, FieldErrors
from core.reference import city, holiday_calendar, in_plant_standards
from photos.processing import PhotoError, ProcessedPhoto, process_photo
from registry.actions import stage_inputs
from registry.constants import (
    CredentialReason,
    CredentialStatus,
    DeclarationStatus,
    RegistrationStatus,
    RegistrationType,
)
from registry.credentials import issue_credential
from registry.models import Credential, Declaration, DeclarationPhoto, Registration
from registry.numbers import allocate_number, numbered_fields
from rules.deadlines import deadline_status, review_due
from rules.emission import (
    MAX_STAGE,
    StageDecision,
    StageInputs,
    determine_stage,
    override_stage,
    stage_label,
)
from rules.identifiers import check_engine_number, check_factory_serial, check_mobile
from rules.workdays import MissingYearError

EARLIEST_DATE = date(1950, 1, 1)
MAX_POWER_KW = Decimal("10000")

# The declaration's fields each kind may change, as recorded in before/after.
DPF_FIELDS = ("dpf_maker", "dpf_model", "dpf_serial", "dpf_installed_on")
ENGINE_FIELDS = (
    "engine_maker",
    "engine_model",
    "engine_serial",
    "engine_number",
    "engine_production_date",
    "engine_power_kw",
    "engine_stage",
)

# Changes after whose approval the registration is no longer the owner's or no longer valid.
ENDS_OTHER_REQUESTS = frozenset(
    {
        ChangeKind.OWNER,
        ChangeKind.RETROFIT,
        ChangeKind.TRANSFER_OUT,
        ChangeKind.DEREGISTRATION,
    }
)


# --- who may act ------------------------------------------------------------------------------


def _is_owner_side(user: User, owner: User) -> bool:
    return user.role == Role.OWNER and can_act_for(user, owner)


def _require_owner_side(user: User, registration: Registration) -> None:
    if not _is_owner_side(user, registration.owner):
        raise ActionError("not_found", _("未找到该机械"), status=404)


def _require_requester_side(user: User, request: ChangeRequest) -> None:
    if not _is_owner_side(user, request.owner):
        raise ActionError("not_found", _("未找到该变更申请"), status=404)


def _require_reviewer(user: User, request: ChangeRequest) -> None:
    if not (user.role == Role.REVIEWER and user.district == request.district):
        raise ActionError("not_found", _("未找到该变更申请"), status=404)


def _require_district_staff(user: User, request: ChangeRequest) -> None:
    if not (user.role in DISTRICT_ROLES and user.district == request.district):
        raise ActionError("not_found", _("未找到该变更申请"), status=404)


def _locked_registration(registration: Registration) -> Registration:
    return (
        Registration.objects.select_for_update()
        .select_related("owner", "declaration")
        .get(pk=registration.pk)
    )


def _locked(request: ChangeRequest) -> ChangeRequest:
    return (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("owner", "new_owner", "registration")
        .get(pk=request.pk)
    )


def _require_valid(registration: Registration) -> None:
    if registration.status != RegistrationStatus.VALID:
        raise ActionError(
            "registration_not_valid",
            _("该机械登记当前状态为“%(status)s”，不能办理变更")
            % {"status": registration.get_status_display()},
            status=409,
        )


def _require_status(request: ChangeRequest, *statuses: ChangeStatus) -> None:
    if request.status not in statuses:
        raise ActionError(
            "wrong_state",
            _("该变更申请当前状态为“%(status)s”，不能办理")
            % {"status": request.get_status_display()},
            status=409,
        )


# --- checking what the owner typed ------------------------------------------------------------


def _text(
    value: object,
    field: str,
    errors: dict[str, str],
    *,
    label: str,
    required: bool = False,
    limit: int = 100,
    multiline: bool = False,
) -> str:
    raw = str(value or "")
    text = raw.strip() if multiline else " ".join(raw.split())
    if required and not text:
        errors[field] = _("请填写%(label)s") % {"label": label}
    elif len(text) > limit:
        errors[field] = _("%(label)s不能超过%(n)s个字") % {"label": label, "n": limit}
    return text


def _date(
    value: date | str | None,
    field: str,
    errors: dict[str, str],
    *,
    label: str,
    required: bool = True,
) -> date | None:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        raw = value.strip()
        if not raw:
            value = None
        else:
            try:
                value = date.fromisoformat(raw)
            except ValueError:
                errors[field] = _("%(label)s格式应为年-月-日，例如2026-05-01") % {"label": label}
                return None
    if value is None:
        if required:
            errors[field] = _("请填写%(label)s") % {"label": label}
        return None
    if value > timezone.localdate():
        errors[field] = _("%(label)s不能晚于今天") % {"label": label}
    elif value < EARLIEST_DATE:
        errors[field] = _("%(label)s不能早于1950年") % {"label": label}
    return value


def _choice(value: object, field: str, errors: dict[str, str], *, label: str, allowed: Any) -> str:
    text = str(value or "").strip()
    if not text:
        errors[field] = _("请选择%(label)s") % {"label": label}
    elif text not in allowed:
        errors[field] = _("%(label)s“%(value)s”不在可选范围内") % {"label": label, "value": text}
    return text


def _photos_required(
    photos: list[bytes] | None, field: str, errors: dict[str, str], *, label: str, required: bool
) -> list[bytes]:
    photos = [p for p in (photos or []) if p]
    if required and not photos:
        errors[field] = _("请上传%(label)s") % {"label": label}
    elif len(photos) > MAX_PHOTOS:
        errors[field] = _("%(label)s最多上传%(n)s张") % {"label": label, "n": MAX_PHOTOS}
    return photos


def _process(
    groups: Iterable[tuple[str, ChangePhotoKind, list[bytes]]],
) -> list[tuple[str, ProcessedPhoto]]:
    """Check and re-encode every photo before anything is saved: one bad photo refuses the
    whole request, so nothing is half-saved."""
    processed: list[tuple[str, ProcessedPhoto]] = []
    for field, kind, photos in groups:
        for index, data in enumerate(photos, start=1):
            try:
                processed.append((kind, process_photo(data)))
            except PhotoError as exc:
                raise ActionError(
                    f"photo_{exc.code}",
                    _("第%(n)s张照片：%(message)s") % {"n": index, "message": exc.message},
                    field=field,
                ) from None
    return processed


def _store(request: ChangeRequest, kind: str, processed: ProcessedPhoto, user: User) -> None:
    photo = ChangePhoto(
        request=request,
        kind=kind,
        sha256=processed.sha256,
        width=processed.width,
        height=processed.height,
        size=len(processed.data),
        uploaded_by=user,
    )
    photo.file.save(f"{processed.sha256}.jpg", ContentFile(processed.data), save=False)
    photo.save()


def _plain(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _fields(obj: object, names: Iterable[str]) -> dict[str, object]:
    return {name: _plain(getattr(obj, name)) for name in names}


def _district_name(code: str) -> str:
    try:
        return city().district(code).name
    except ValueError:
        return code


def _machine(registration: Registration) -> str:
    declaration = registration.declaration
    return declaration.machine_name or declaration.machine_type or _("机械")


def _sms(phone: str, body: str) -> None:
    """After commit, as registry.actions._notify_owner: the change stands even if the SMS
    provider is down for a moment."""
    transaction.on_commit(lambda: send_sms(phone, body, purpose="change"))


# --- filing a request -------------------------------------------------------------------------


def _late(kind: str, event_date: date | None, today: date) -> bool:
    """Art. 11 and 13: filed more than 10 days after the event. Late requests are accepted
    and marked (for Art. 13's kinds it counts as "sign not fixed as required")."""
    rule = DEADLINE_KINDS.get(kind)
    if rule is None or event_date is None:
        return False
    return deadline_status(rule, event_date, today, done_on=today).done_late


def _review_due(today: date) -> date | None:
    """The district reviews within 10 working days, as a declaration (Art. 8, applied to
    changes); a year missing from the holiday table leaves it open."""
    try:
        return review_due(today, holiday_calendar())
    except MissingYearError:
        return None


def _file(
    acting_user: User,
    registration: Registration,
    kind: ChangeKind,
    *,
    event_date: date | None,
    data: dict[str, Any],
    photos: list[tuple[str, ProcessedPhoto]],
    status: ChangeStatus = ChangeStatus.SUBMITTED,
    new_owner: User | None = None,
) -> ChangeRequest:
    """Create the request on the locked registration. Runs inside the caller's atomic block."""
    registration = _locked_registration(registration)
    _require_owner_side(acting_user, registration)
    _require_valid(registration)
    if ChangeRequest.objects.filter(
        registration=registration, kind=kind, status__in=OPEN_STATUSES
    ).exists():
        raise ActionError(
            "already_open",
            _("该机械已有一项“%(kind)s”申请正在办理，请等待办结或撤回后再申请")
            % {"kind": kind.label},
            status=409,
        )
    now = timezone.now()
    today = timezone.localdate(now)
    submitted = status == ChangeStatus.SUBMITTED
    request = ChangeRequest.objects.create(
        registration=registration,
        kind=kind,
        status=status,
        district=registration.district,
        owner=registration.owner,
        new_owner=new_owner,
        requested_by=acting_user,
        requested_at=now,
        submitted_at=now if submitted else None,
        event_date=event_date,
        late=_late(kind, event_date, today),
        review_due=_review_due(today) if submitted else None,
        data=data,
    )
    for photo_kind, processed in photos:
        _store(request, photo_kind, processed, acting_user)
    audit.record(
        "change.requested",
        actor=acting_user,
        target=request,
        data={
            "registration": registration.pk,
            "number": registration.number,
            "kind": kind.value,
            "late": request.late,
            "photos": len(photos),
        },
    )
    return request


# --- owner change (Art. 11, manual 二(1)) -----------------------------------------------------


def send_owner_change_code(*, acting_user: User, registration: Registration) -> None:
    """The code that the current owner reads to agree to hand the machine over; sent to the
    phone the owner registered (an agent filing for the owner asks the owner for it)."""
    _require_owner_side(acting_user, registration)
    _require_valid(registration)
    with transaction.atomic():
        issue_code(
            registration.owner.phone,
            OWNER_CHANGE_SMS,
            _(
                "您正在办理非道路移动机械%(number)s的机主变更（转让给他人），验证码{code}，"
                "5分钟内有效。如非本人操作，请勿告知他人。"
            )
            % {"number": registration.number},
            requested_by=acting_user,
        )
        audit.record(
            "change.owner_code_sent",
            actor=acting_user,
            target=registration,
            data={"to": "owner"},
        )


def _find_new_owner(phone: str, errors: dict[str, str], current: User) -> User | None:
    check = check_mobile(phone or "")
    if check.error:
        errors["new_owner_phone"] = check.error
        return None
    new_owner = User.objects.filter(phone=check.value).first()
    if (
        new_owner is None
        or new_owner.role != Role.OWNER
        or not new_owner.is_active
        or new_owner.kind == AccountKind.ORG_STAFF  # a staff login owns nothing
    ):
        errors["new_owner_phone"] = _(
            "该手机号未注册为机主或单位账户：新机械所有者须先在平台注册（信息变更须双方均已注册）"
        )
        return None
    if new_owner.pk == current.pk:
        errors["new_owner_phone"] = _("新机械所有者不能是现机械所有者本人")
        return None
    return new_owner


def _send_new_owner_code(acting_user: User, request: ChangeRequest) -> None:
    assert request.new_owner is not None
    registration = request.registration
    issue_code(
        request.new_owner.phone,
        OWNER_CHANGE_SMS,
        _(
            "%(old)s申请将非道路移动机械%(number)s转让给您，验证码{code}，5分钟内有效。"
            "请登录平台“确认机主变更”输入验证码；如不同意，请勿告知他人。"
        )
        % {"old": request.owner.name, "number": registration.number},
        requested_by=request.requested_by,
    )
    audit.record(
        "change.owner_code_sent", actor=acting_user, target=request, data={"to": "new_owner"}
    )


def request_owner_change(
    *,
    acting_user: User,
    registration: Registration,
    new_owner_phone: str,
    event_date: date | str | None,
    agreement_photo: bytes | None,
    old_owner_code: str,
) -> ChangeRequest:
    """The current owner side files the transfer (Art. 11: within 10 days, with the transfer
    agreement). The current owner's code is checked now; the new owner, who must be a
    registered owner account, gets a code to confirm (status AWAITING_NEW_OWNER)."""
    _require_owner_side(acting_user, registration)
    errors: dict[str, str] = {}
    new_owner = _find_new_owner(new_owner_phone, errors, registration.owner)
    day = _date(event_date, "event_date", errors, label=_("转让日期"))
    photos = _photos_required(
        [agreement_photo] if agreement_photo else [],
        "agreement_photo",
        errors,
        label=_("转让协议照片"),
        required=True,
    )
    if errors:
        raise FieldErrors(errors)
    processed = _process([("agreement_photo", ChangePhotoKind.AGREEMENT, photos)])
    assert new_owner is not None
    request = None
    with transaction.atomic():
        # Checked inside, so that a refusal below (already open, not valid) rolls the code
        # back with everything else; only a wrong code is counted (take_code).
        error = take_code(
            registration.owner.phone, OWNER_CHANGE_SMS, old_owner_code, requested_by=acting_user
        )
        if error is None:
            request = _file(
                acting_user,
                registration,
                ChangeKind.OWNER,
                event_date=day,
                data={"new_owner_id": new_owner.pk, "new_owner_name": new_owner.name},
                photos=processed,
                status=ChangeStatus.AWAITING_NEW_OWNER,
                new_owner=new_owner,
            )
            _send_new_owner_code(acting_user, request)
    # Raised only now, so that the wrong try counted by take_code is committed.
    if error is not None:
        raise ActionError(error.code, error.message, field="old_owner_code", status=error.status)
    assert request is not None
    return request


def resend_new_owner_code(*, acting_user: User, request: ChangeRequest) -> None:
    """A fresh code for the new owner (the first expired, or was never read)."""
    if not (
        _is_owner_side(acting_user, request.owner)
        or (request.new_owner is not None and _is_owner_side(acting_user, request.new_owner))
    ):
        raise ActionError("not_found", _("未找到该变更申请"), status=404)
    with transaction.atomic():
        request = _locked(request)
        _require_status(request, ChangeStatus.AWAITING_NEW_OWNER)
        _send_new_owner_code(acting_user, request)


def confirm_owner_change(*, acting_user: User, request: ChangeRequest, code: str) -> ChangeRequest:
    """The new owner side enters the code sent to the new owner's phone: both owners have
    now agreed, and the request goes to the district for review."""
    if request.new_owner is None or not _is_owner_side(acting_user, request.new_owner):
        raise ActionError("not_found", _("未找到该变更申请"), status=404)
    with transaction.atomic():
        request = _locked(request)
        _require_status(request, ChangeStatus.AWAITING_NEW_OWNER)
        assert request.new_owner is not None
        error = take_code(
            request.new_owner.phone, OWNER_CHANGE_SMS, code, requested_by=request.requested_by
        )
        if error is None:
            now = timezone.now()
            today = timezone.localdate(now)
            request.status = ChangeStatus.SUBMITTED
            request.submitted_at = now
            request.review_due = _review_due(today)
            # Art. 11's 10 days run to the filing; recomputed in case the confirmation
            # took days (the owner filed on time only when both had agreed).
            request.late = _late(request.kind, request.event_date, today)
            request.save(update_fields=["status", "submitted_at", "review_due", "late"])
            audit.record(
                "change.owner_confirmed",
                actor=acting_user,
                target=request,
                data={"new_owner": request.new_owner.pk},
            )
    if error is not None:
        raise error
    return request


# --- location (manual 二(3)): at once, no review ----------------------------------------------


def change_location(
    *, acting_user: User, registration: Registration, district: str, since: date | str | None
) -> ChangeRequest:
    """The owner switches the district where the machine now works; effective at once."""
    _require_owner_side(acting_user, registration)
    errors: dict[str, str] = {}
    district = _choice(
        district, "district", errors, label=_("现所在区"), allowed=city().district_codes()
    )
    day = _date(since, "since", errors, label=_("起始日期"))
    if errors:
        raise FieldErrors(errors)
    assert day is not None
    with transaction.atomic():
        locked = _locked_registration(registration)
        current = locked.location_district or locked.district
        if district == current:
            raise FieldErrors({"district": _("机械现已在该区，无需变更")})
        if locked.location_since and day < locked.location_since:
            raise FieldErrors(
                {
                    "since": _("起始日期不能早于机械进入现所在区的日期%(date)s")
                    % {"date": locked.location_since.isoformat()}
                }
            )
        request = _file(
            acting_user,
            locked,
            ChangeKind.LOCATION,
            event_date=day,
            data={"district": district, "since": day.isoformat()},
            photos=[],
            status=ChangeStatus.DONE,
        )
        request.before = {
            "location_district": current,
            "location_since": _plain(locked.location_since),
        }
        locked.location_district = district
        locked.location_since = day
        locked.save(update_fields=["location_district", "location_since"])
        request.after = {"location_district": district, "location_since": day.isoformat()}
        request.applied_at = request.requested_at
        request.save(update_fields=["before", "after", "applied_at"])
        audit.record(
            "change.location_changed",
            actor=acting_user,
            target=request,
            data={"from": current, "to": district, "since": day.isoformat()},
        )
    return request


# --- requests the district reviews ------------------------------------------------------------


def request_dpf(
    *,
    acting_user: User,
    registration: Registration,
    dpf_maker: str,
    dpf_model: str,
    dpf_serial: str,
    installed_on: date | str | None,
    photos: list[bytes] | None,
) -> ChangeRequest:
    """A DPF fitted after registration (manual 二(2)): its details and photos, reviewed."""
    _require_owner_side(acting_user, registration)
    errors: dict[str, str] = {}
    data = {
        "dpf_maker": _text(dpf_maker, "dpf_maker", errors, label=_("DPF厂家"), required=True),
        "dpf_model": _text(dpf_model, "dpf_model", errors, label=_("DPF型号"), required=True),
        "dpf_serial": _text(
            dpf_serial, "dpf_serial", errors, label=_("DPF编号"), required=True, limit=50
        ),
    }
    day = _date(installed_on, "installed_on", errors, label=_("DPF安装日期"))
    images = _photos_required(photos, "photos", errors, label=_("DPF照片"), required=True)
    if errors:
        raise FieldErrors(errors)
    assert day is not None
    data["dpf_installed_on"] = day.isoformat()
    processed = _process([("photos", ChangePhotoKind.DPF, images)])
    with transaction.atomic():
        return _file(
            acting_user,
            registration,
            ChangeKind.DPF,
            event_date=day,
            data=data,
            photos=processed,
        )


def clean_engine(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The retrofitted engine as the declaration holds an engine (附件1's columns), plain
    JSON values (dates as ISO text, power as text)."""
    values: dict[str, Any] = {
        "engine_maker": _text(
            data.get("engine_maker"), "engine_maker", errors, label=_("主机制造商"), required=True
        ),
        "engine_model": _text(
            data.get("engine_model"), "engine_model", errors, label=_("主机型号"), required=True
        ),
        "engine_serial": _text(
            data.get("engine_serial"),
            "engine_serial",
            errors,
            label=_("主机编号"),
            required=True,
            limit=50,
        ),
    }
    number = str(data.get("engine_number") or "").strip()
    values["engine_number"] = ""
    if number:
        check = check_engine_number(number)
        if check.error:
            errors["engine_number"] = check.error
        values["engine_number"] = check.value
    produced = _date(
        data.get("engine_production_date"),
        "engine_production_date",
        errors,
        label=_("主机出厂日期"),
        required=False,
    )
    values["engine_production_date"] = produced.isoformat() if produced else None
    raw_power = str(data.get("engine_power_kw") or "").strip()
    values["engine_power_kw"] = None
    if raw_power:
        try:
            power = Decimal(raw_power)
        except InvalidOperation:
            errors["engine_power_kw"] = _("主机功率应为数字（千瓦）")
        else:
            if not (Decimal(0) < power <= MAX_POWER_KW):
                errors["engine_power_kw"] = _("主机功率应大于0且不超过10000千瓦")
            else:
                values["engine_power_kw"] = str(power.quantize(Decimal("0.1")))
    raw_stage = str(data.get("engine_stage") or "").strip()
    values["engine_stage"] = None
    if raw_stage:
        if not raw_stage.isdigit() or not 1 <= int(raw_stage) <= MAX_STAGE:
            errors["engine_stage"] = _("主机排放阶段应为1至%(max)s（1表示国1及以前）") % {
                "max": MAX_STAGE
            }
        else:
            values["engine_stage"] = int(raw_stage)
    values["test_lab"] = _text(
        data.get("test_lab"), "test_lab", errors, label=_("排放检测单位"), required=True
    )
    values["test_report_number"] = _text(
        data.get("test_report_number"), "test_report_number", errors, label=_("检测报告编号")
    )
    return values


def request_retrofit(
    *,
    acting_user: User,
    registration: Registration,
    engine: Mapping[str, Any],
    event_date: date | str | None,
    before_photos: list[bytes] | None,
    after_photos: list[bytes] | None,
    test_report_photos: list[bytes] | None,
) -> ChangeRequest:
    """Art. 12: after an engine retrofit, photos before and after and the emission test
    report of an accredited lab. The district checks the papers and the machine on site,
    then determines the stage again and issues a new number, sign and card."""
    _require_owner_side(acting_user, registration)
    errors: dict[str, str] = {}
    data = clean_engine(engine, errors)
    day = _date(event_date, "event_date", errors, label=_("改装完成日期"))
    groups = [
        ("before_photos", ChangePhotoKind.BEFORE, before_photos, _("改装前照片")),
        ("after_photos", ChangePhotoKind.AFTER, after_photos, _("改装后照片")),
        ("test_report_photos", ChangePhotoKind.TEST_REPORT, test_report_photos, _("排放检测报告")),
    ]
    images = [
        (field, kind, _photos_required(photos, field, errors, label=label, required=True))
        for field, kind, photos, label in groups
    ]
    if errors:
        raise FieldErrors(errors)
    processed = _process(images)
    with transaction.atomic():
        return _file(
            acting_user,
            registration,
            ChangeKind.RETROFIT,
            event_date=day,
            data=data,
            photos=processed,
        )


def request_alteration(
    *,
    acting_user: User,
    registration: Registration,
    description: str,
    event_date: date | str | None,
    before_photos: list[bytes] | None,
    after_photos: list[bytes] | None,
    machine_type: str = "",
) -> ChangeRequest:
    """Art. 13: the machine's type, function or appearance changed markedly; within 10 days,
    with photos before and after. A new machine type, if any, is one of the city's."""
    _require_owner_side(acting_user, registration)
    errors: dict[str, str] = {}
    text = _text(
        description,
        "description",
        errors,
        label=_("变更情况"),
        required=True,
        limit=TEXT_MAX_LENGTH,
        multiline=True,
    )
    machine_type = (machine_type or "").strip()
    if machine_type:
        _choice(
            machine_type,
            "machine_type",
            errors,
            label=_("机械类型"),
            allowed=[t.name for t in city().machine_types],
        )
        if machine_type == registration.declaration.machine_type:
            machine_type = ""  # not a change of type
    day = _date(event_date, "event_date", errors, label=_("变更发生日期"))
    images = [
        (
            "before_photos",
            ChangePhotoKind.BEFORE,
            _photos_required(
                before_photos, "before_photos", errors, label=_("变更前照片"), required=True
            ),
        ),
        (
            "after_photos",
            ChangePhotoKind.AFTER,
            _photos_required(
                after_photos, "after_photos", errors, label=_("变更后照片"), required=True
            ),
        ),
    ]
    if errors:
        raise FieldErrors(errors)
    processed = _process(images)
    with transaction.atomic():
        return _file(
            acting_user,
            registration,
            ChangeKind.ALTERATION,
            event_date=day,
            data={"description": text, "machine_type": machine_type},
            photos=processed,
        )


def request_reissue(
    *,
    acting_user: User,
    registration: Registration,
    reason: str,
    event_date: date | str | None,
    photos: list[bytes] | None = None,
) -> ChangeRequest:
    """Art. 13: the sign or card was lost, damaged or cannot be read; within 10 days. A photo
    of what is left of it may be added."""
    _require_owner_side(acting_user, registration)
    errors: dict[str, str] = {}
    reason = _choice(reason, "reason", errors, label=_("补办原因"), allowed=ReissueReason.values)
    day = _date(event_date, "event_date", errors, label=_("遗失或损毁日期"))
    images = _photos_required(photos, "photos", errors, label=_("照片"), required=False)
    if errors:
        raise FieldErrors(errors)
    processed = _process([("photos", ChangePhotoKind.OTHER, images)])
    with transaction.atomic():
        return _file(
            acting_user,
            registration,
            ChangeKind.REISSUE,
            event_date=day,
            data={"reason": reason},
            photos=processed,
        )


def request_transfer_out(
    *,
    acting_user: User,
    registration: Registration,
    destination: str,
    event_date: date | str | None,
) -> ChangeRequest:
    """Art. 14: the machine leaves the city; the registration ends as transferred out."""
    _require_owner_side(acting_user, registration)
    errors: dict[str, str] = {}
    destination = _text(
        destination, "destination", errors, label=_("转入地（省市）"), required=True, limit=50
    )
    day = _date(event_date, "event_date", errors, label=_("转出日期"))
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        return _file(
            acting_user,
            registration,
            ChangeKind.TRANSFER_OUT,
            event_date=day,
            data={"destination": destination},
            photos=[],
        )


def request_deregistration(
    *,
    acting_user: User,
    registration: Registration,
    reason: str,
    event_date: date | str | None,
    photos: list[bytes] | None = None,
) -> ChangeRequest:
    """Art. 14: the machine is scrapped or out of use. The district confirms and recovers the
    sign and card, then deregisters (approve with sign_and_card_recovered)."""
    _require_owner_side(acting_user, registration)
    errors: dict[str, str] = {}
    reason = _choice(
        reason, "reason", errors, label=_("注销原因"), allowed=DeregistrationReason.values
    )
    day = _date(event_date, "event_date", errors, label=_("报废或停用日期"))
    images = _photos_required(photos, "photos", errors, label=_("照片"), required=False)
    if errors:
        raise FieldErrors(errors)
    processed = _process([("photos", ChangePhotoKind.OTHER, images)])
    with transaction.atomic():
        return _file(
            acting_user,
            registration,
            ChangeKind.DEREGISTRATION,
            event_date=day,
            data={"reason": reason},
            photos=processed,
        )


# --- the owner side withdraws -----------------------------------------------------------------


def withdraw(*, acting_user: User, request: ChangeRequest) -> ChangeRequest:
    """The owner side (of the owner who filed) takes back an open request."""
    _require_requester_side(acting_user, request)
    with transaction.atomic():
        request = _locked(request)
        _require_status(request, *OPEN_STATUSES)
        request.status = ChangeStatus.WITHDRAWN
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at"])
        audit.record("change.withdrawn", actor=acting_user, target=request, data={})
    return request


# --- the district -----------------------------------------------------------------------------


def record_site_check(*, acting_user: User, request: ChangeRequest, notes: str) -> ChangeRequest:
    """Art. 12 现场核查: district staff looked at the retrofitted machine. Required before a
    retrofit is approved; recording it again replaces the notes (each is audited)."""
    _require_district_staff(acting_user, request)
    errors: dict[str, str] = {}
    notes = _text(
        notes,
        "notes",
        errors,
        label=_("现场核查情况"),
        required=True,
        limit=TEXT_MAX_LENGTH,
        multiline=True,
    )
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        request = _locked(request)
        if request.kind != ChangeKind.RETROFIT:
            raise ActionError("no_site_check", _("只有发动机改装需要记录现场核查"), status=409)
        _require_status(request, ChangeStatus.SUBMITTED)
        request.site_check_at = timezone.now()
        request.site_check_by = acting_user
        request.site_check_notes = notes
        request.save(update_fields=["site_check_at", "site_check_by", "site_check_notes"])
        audit.record(
            "change.site_checked", actor=acting_user, target=request, data={"notes": notes}
        )
    return request


def reject(*, acting_user: User, request: ChangeRequest, reason: str) -> ChangeRequest:
    """Not approved, with the reason the owner reads."""
    _require_reviewer(acting_user, request)
    errors: dict[str, str] = {}
    reason = _text(
        reason,
        "reason",
        errors,
        label=_("未通过的理由"),
        required=True,
        limit=REASON_MAX_LENGTH,
        multiline=True,
    )
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        request = _locked(request)
        _require_status(request, ChangeStatus.SUBMITTED)
        request.status = ChangeStatus.REJECTED
        request.decided_by = acting_user
        request.decided_at = timezone.now()
        request.decision_reason = reason
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit.record("change.rejected", actor=acting_user, target=request, data={"reason": reason})
        registration = request.registration
        body = _("您的%(machine)s（%(number)s）%(kind)s申请未通过，理由：%(reason)s") % {
            "machine": _machine(registration),
            "number": registration.number,
            "kind": request.get_kind_display(),
            "reason": reason,
        }
        _sms(request.owner.phone, body)
        if request.new_owner is not None:
            _sms(request.new_owner.phone, body)
    return request


def approve(
    *,
    acting_user: User,
    request: ChangeRequest,
    override: int | None = None,
    override_reason: str = "",
    sign_and_card_recovered: bool = False,
) -> ChangeRequest:
    """The district's reviewer approves and the change is applied in the same transaction,
    its before and after recorded. A retrofit needs the site check first and may have its
    stage overridden with a reason (Art. 7 (五)); a deregistration needs the sign and card
    recovered (Art. 14)."""
    _require_reviewer(acting_user, request)
    if override is not None and request.kind != ChangeKind.RETROFIT:
        raise ActionError("bad_override", _("只有发动机改装可以调整排放阶段"), field="override")
    with transaction.atomic():
        registration = _locked_registration(request.registration)
        request = _locked(request)
        _require_status(request, ChangeStatus.SUBMITTED)
        _require_valid(registration)
        if request.kind == ChangeKind.DEREGISTRATION and not sign_and_card_recovered:
            raise FieldErrors(
                {"sign_and_card_recovered": _("请先确认并收回识别标志和信息采集卡（第十四条）")}
            )
        now = timezone.now()
        request.registration = registration
        apply = APPLY[ChangeKind(request.kind)]
        before, after = apply(
            acting_user,
            request,
            registration,
            override=override,
            override_reason=override_reason,
        )
        request.status = ChangeStatus.APPROVED
        request.decided_by = acting_user
        request.decided_at = now
        request.applied_at = now
        request.before = before
        request.after = after
        request.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "applied_at",
                "before",
                "after",
                "new_registration",
                "new_declaration",
            ]
        )
        audit.record(
            "change.approved",
            actor=acting_user,
            target=request,
            data={
                "kind": request.kind,
                "registration": registration.pk,
                "before": before,
                "after": after,
                "sign_and_card_recovered": sign_and_card_recovered,
            },
        )
        if request.kind in ENDS_OTHER_REQUESTS:
            _close_others(acting_user, request, registration)
    return request


def _close_others(acting_user: User, request: ChangeRequest, registration: Registration) -> None:
    others = ChangeRequest.objects.select_for_update().filter(
        registration=registration, status__in=OPEN_STATUSES
    )
    reason = _("因“%(kind)s”已办结，本申请自动终止") % {"kind": request.get_kind_display()}
    now = timezone.now()
    for other in others.exclude(pk=request.pk):
        other.status = ChangeStatus.REJECTED
        other.decided_by = acting_user
        other.decided_at = now
        other.decision_reason = reason
        other.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit.record(
            "change.closed", actor=acting_user, target=other, data={"by_request": request.pk}
        )


def _revoke_live_credential(acting_user: User, registration: Registration, reason: str) -> None:
    """The registration ended: its sign and card are void, so its QR code checks as revoked."""
    now = timezone.now()
    for credential in (
        Credential.objects.select_for_update()
        .filter(registration=registration)
        .exclude(status=CredentialStatus.REVOKED)
    ):
        credential.status = CredentialStatus.REVOKED
        credential.revoked_at = now
        credential.revoked_reason = reason
        credential.save(update_fields=["status", "revoked_at", "revoked_reason"])
        audit.record(
            "credential.revoked",
            actor=acting_user,
            target=credential,
            data={"number": registration.number, "issue": credential.issue, "reason": reason},
        )


def _end_registration(
    acting_user: User, registration: Registration, status: RegistrationStatus, reason: str
) -> None:
    registration.status = status
    registration.save(update_fields=["status"])
    _revoke_live_credential(acting_user, registration, reason)


Applied = tuple[dict[str, Any], dict[str, Any]]


def _apply_owner(
    acting_user: User, request: ChangeRequest, registration: Registration, **_kwargs: Any
) -> Applied:
    """Same number, same sign and card: the machine moves to the new owner's account (the
    declaration with it, so its papers and photos follow the machine)."""
    new_owner = request.new_owner
    assert new_owner is not None
    if not (new_owner.role == Role.OWNER and new_owner.is_active):
        raise ActionError(
            "bad_new_owner", _("新机械所有者账户已停用，不能办理机主变更"), status=409
        )
    old_owner = registration.owner
    before = {"owner_id": old_owner.pk, "owner_name": old_owner.name}
    registration.owner = new_owner
    registration.save(update_fields=["owner"])
    Declaration.objects.filter(pk=registration.declaration_id).update(owner=new_owner)
    after = {"owner_id": new_owner.pk, "owner_name": new_owner.name}
    values = {"machine": _machine(registration), "number": registration.number}
    _sms(
        old_owner.phone,
        _("您的%(machine)s（%(number)s）机主变更已审核通过，该机械已转至新机主名下。") % values,
    )
    _sms(
        new_owner.phone,
        _(
            "%(machine)s（%(number)s）机主变更已审核通过，该机械已转至您的名下，"
            "原识别标志和信息采集卡继续有效。"
        )
        % values,
    )
    return before, after


def _apply_dpf(
    acting_user: User, request: ChangeRequest, registration: Registration, **_kwargs: Any
) -> Applied:
    declaration = Declaration.objects.select_for_update().get(pk=registration.declaration_id)
    before = _fields(declaration, DPF_FIELDS)
    for name in DPF_FIELDS:
        value = request.data.get(name) or ""
        if name == "dpf_installed_on":
            value = date.fromisoformat(value) if value else None
        setattr(declaration, name, value)
    declaration.save(update_fields=[*DPF_FIELDS, "updated_at"])
    _sms(
        request.owner.phone,
        _("您的%(machine)s（%(number)s）加装DPF信息变更已审核通过。")
        % {"machine": _machine(registration), "number": registration.number},
    )
    return before, _fields(declaration, DPF_FIELDS)


def _retrofit_stage(
    declaration: Declaration, data: Mapping[str, Any], override: int | None, reason: str
) -> StageDecision:
    """Art. 12 with Art. 7: the stage of the machine with its new engine. The machine's own
    label describes the machine as built, so the new engine's number decides; without one,
    the new engine's production date (or else the machine's)."""
    produced = data.get("engine_production_date")
    base = stage_inputs(declaration)
    inputs = StageInputs(
        machine_disclosure_number="",
        engine_number=data.get("engine_number") or "",
        production_date=date.fromisoformat(produced) if produced else base.production_date,
        in_plant=base.in_plant,
        diesel=base.diesel,
    )
    decision = determine_stage(inputs, in_plant_standards())
    decision = StageDecision(
        stage=decision.stage,
        code=decision.code,
        rule=decision.rule,
        explanation=_("发动机改装后重新判定（第十二条）：") + decision.explanation,
        notes=decision.notes,
    )
    if override is not None:
        try:
            decision = override_stage(decision, override, reason)
        except ValueError as exc:
            raise ActionError("bad_override", str(exc), field="override_reason") from None
    return decision


def _apply_retrofit(
    acting_user: User,
    request: ChangeRequest,
    registration: Registration,
    *,
    override: int | None = None,
    override_reason: str = "",
    **_kwargs: Any,
) -> Applied:
    """A new number (never the old one again), on a copy of the declaration carrying the new
    engine; the old registration is REPLACED and its card revoked; a new sign and card."""
    if request.site_check_at is None:
        raise ActionError(
            "site_check_required",
            _("请先记录现场核查情况（第十二条），再审核通过"),
            field="site_notes",
            status=409,
        )
    old_declaration = registration.declaration
    data = request.data
    decision = _retrofit_stage(old_declaration, data, override, override_reason)
    now = timezone.now()
    # The copy: every machine fact of the old declaration, the new engine, approved now.
    copy = Declaration.objects.get(pk=old_declaration.pk)
    copy.pk = None
    copy._state.adding = True
    produced, power = data.get("engine_production_date"), data.get("engine_power_kw")
    copy.engine_maker = data.get("engine_maker") or ""
    copy.engine_model = data.get("engine_model") or ""
    copy.engine_serial = data.get("engine_serial") or ""
    copy.engine_number = data.get("engine_number") or ""
    copy.engine_production_date = date.fromisoformat(produced) if produced else None
    copy.engine_power_kw = Decimal(power) if power else None
    copy.engine_stage = data.get("engine_stage")
    copy.status = DeclarationStatus.APPROVED
    copy.stage = decision.stage
    copy.stage_rule = decision.rule.value
    copy.stage_explanation = "\n".join([decision.explanation, *decision.notes])
    copy.warnings = []
    copy.late = False
    copy.rounds = 0
    copy.created_at = now
    copy.submitted_at = request.submitted_at
    copy.decided_at = now
    copy.review_due = None
    copy.declared_by = request.requested_by
    copy.save()
    # The machine's photos stay the machine's: the new declaration shows the same files.
    DeclarationPhoto.objects.bulk_create(
        DeclarationPhoto(
            declaration=copy,
            kind=p.kind,
            file=p.file.name,
            sha256=p.sha256,
            width=p.width,
            height=p.height,
            size=p.size,
            uploaded_by=p.uploaded_by,
            uploaded_at=p.uploaded_at,
        )
        for p in DeclarationPhoto.objects.filter(declaration=old_declaration)
    )
    number = allocate_number(
        category=registration.category, district=registration.district, stage_code=decision.code
    )
    new = Registration.objects.create(
        declaration=copy,
        owner=registration.owner,
        district=registration.district,
        **numbered_fields(number, decision),
        approved_by=acting_user,
        issued_at=now,
        location_district=registration.location_district or registration.district,
        location_since=registration.location_since,
    )
    before = {
        "number": registration.number,
        "stage": registration.stage,
        "status": registration.status,
        **_fields(old_declaration, ENGINE_FIELDS),
    }
    _end_registration(acting_user, registration, RegistrationStatus.REPLACED, _("发动机改装换号"))
    issue_credential(acting_user=acting_user, registration=new, reason=CredentialReason.RENUMBER)
    request.new_registration = new
    request.new_declaration = copy
    after = {
        "number": new.number,
        "stage": new.stage,
        "status": registration.status,
        "new_registration_id": new.pk,
        **_fields(copy, ENGINE_FIELDS),
    }
    _sms(
        registration.owner.phone,
        _(
            "您的%(machine)s发动机改装已审核通过，排放阶段重新判定为%(stage)s，"
            "换发新环保登记号码%(number)s，原号码%(old)s作废。"
            "新识别标志和信息采集卡制作完成后将另行通知领取。"
        )
        % {
            "machine": _machine(registration),
            "stage": stage_label(decision.stage),
            "number": new.number,
            "old": registration.number,
        },
    )
    return before, after


def _apply_alteration(
    acting_user: User, request: ChangeRequest, registration: Registration, **_kwargs: Any
) -> Applied:
    """The description is recorded; a new machine type is written to the declaration. If
    the type's category differs, the full number changes its category (same short number and
    serial) and a new sign is made, since the sign's first line is the category."""
    declaration = Declaration.objects.select_for_update().get(pk=registration.declaration_id)
    new_type = request.data.get("machine_type") or ""
    before: dict[str, Any] = {"machine_type": declaration.machine_type}
    after: dict[str, Any] = {"machine_type": declaration.machine_type}
    if new_type and new_type != declaration.machine_type:
        declaration.machine_type = new_type
        declaration.save(update_fields=["machine_type", "updated_at"])
        after["machine_type"] = new_type
        if declaration.registration_type != RegistrationType.IN_PLANT:
            category = city().category_for(new_type)
            if category != registration.category:
                before.update(category=registration.category, number=registration.number)
                registration.number = category + registration.short_number
                registration.category = category
                registration.save(update_fields=["number", "category"])
                after.update(category=category, number=registration.number)
                issue_credential(
                    acting_user=acting_user,
                    registration=registration,
                    reason=CredentialReason.REISSUE,
                    note=_("机械种类变更"),
                )
    _sms(
        request.owner.phone,
        _("您的%(machine)s（%(number)s）类型、功能或外观变更已审核通过。")
        % {"machine": _machine(registration), "number": registration.number},
    )
    return before, after


def _apply_reissue(
    acting_user: User, request: ChangeRequest, registration: Registration, **_kwargs: Any
) -> Applied:
    """A new sign and card (the old card's QR code is revoked); production, notice and
    collection follow as for the first (registry.credentials)."""
    last = Credential.objects.filter(registration=registration).order_by("-issue").first()
    reason = ReissueReason(request.data.get("reason", ReissueReason.LOST))
    credential = issue_credential(
        acting_user=acting_user,
        registration=registration,
        reason=CredentialReason.REISSUE,
        note=_("补办（%(reason)s）") % {"reason": reason.label},
    )
    _sms(
        request.owner.phone,
        _(
            "您的%(machine)s（%(number)s）识别标志和信息采集卡补办已审核通过，原信息采集卡作废。"
            "新标志和信息卡制作完成后将另行通知领取。"
        )
        % {"machine": _machine(registration), "number": registration.number},
    )
    return {"credential_issue": last.issue if last else None}, {
        "credential_issue": credential.issue
    }


def _apply_transfer_out(
    acting_user: User, request: ChangeRequest, registration: Registration, **_kwargs: Any
) -> Applied:
    before = {"status": registration.status}
    _end_registration(acting_user, registration, RegistrationStatus.TRANSFERRED_OUT, _("转出本市"))
    _sms(
        request.owner.phone,
        _("您的%(machine)s（%(number)s）转出登记已办结，本市登记终止，原号码作废。")
        % {"machine": _machine(registration), "number": registration.number},
    )
    return before, {"status": registration.status, "destination": request.data.get("destination")}


def _apply_deregistration(
    acting_user: User, request: ChangeRequest, registration: Registration, **_kwargs: Any
) -> Applied:
    before = {"status": registration.status}
    _end_registration(acting_user, registration, RegistrationStatus.DEREGISTERED, _("报废注销"))
    _sms(
        request.owner.phone,
        _("您的%(machine)s（%(number)s）已注销登记，识别标志和信息采集卡已收回。")
        % {"machine": _machine(registration), "number": registration.number},
    )
    return before, {"status": registration.status, "sign_and_card_recovered": True}


def _not_reviewed(*args: Any, **kwargs: Any) -> Applied:
    raise ActionError("not_reviewed", _("使用区域变更无需审核"), status=409)


APPLY: dict[ChangeKind, Callable[..., Applied]] = {
    ChangeKind.OWNER: _apply_owner,
    ChangeKind.LOCATION: _not_reviewed,
    ChangeKind.DPF: _apply_dpf,
    ChangeKind.RETROFIT: _apply_retrofit,
    ChangeKind.ALTERATION: _apply_alteration,
    ChangeKind.REISSUE: _apply_reissue,
    ChangeKind.TRANSFER_OUT: _apply_transfer_out,
    ChangeKind.DEREGISTRATION: _apply_deregistration,
}


# --- Art. 4: machines registered in another city ----------------------------------------------


def record_external(
    *,
    acting_user: User,
    city_name: str,
    number: str,
    machine_type: str,
    district: str,
    maker: str = "",
    machine_model: str = "",
    factory_serial: str = "",
    notes: str = "",
) -> ExternalRegistration:
    """An owner records a machine declared and registered in another city, with that city's
    number: exempt from declaration here (Art. 4 第二款); district staff where it works see it."""
    if acting_user.role != Role.OWNER:
        raise ActionError("not_allowed", _("只有机主或单位可以记录外省市已登记机械"), status=403)
    errors: dict[str, str] = {}
    city_name = _text(city_name, "city_name", errors, label=_("登记城市"), required=True, limit=50)
    here = city().name
    if city_name and city_name.removesuffix("市") == here.removesuffix("市"):
        errors["city_name"] = _("本市登记的机械无需记录，请在“我的机械”中查看")
    number = _text(
        number,
        "number",
        errors,
        label=_("外地环保登记号码"),
        required=True,
        limit=EXTERNAL_NUMBER_MAX_LENGTH,
    )
    _choice(
        machine_type,
        "machine_type",
        errors,
        label=_("机械类型"),
        allowed=[t.name for t in city().machine_types],
    )
    district = _choice(
        district, "district", errors, label=_("在本市使用的区"), allowed=city().district_codes()
    )
    maker = _text(maker, "maker", errors, label=_("生产厂家"))
    machine_model = _text(machine_model, "machine_model", errors, label=_("规格型号"))
    serial = (factory_serial or "").strip()
    if serial:
        check = check_factory_serial(serial)
        if check.error:
            errors["factory_serial"] = check.error
        serial = check.value
    notes = _text(notes, "notes", errors, label=_("备注"), limit=TEXT_MAX_LENGTH, multiline=True)
    if errors:
        raise FieldErrors(errors)
    # An organisation's staff record machines of the organisation, which owns them.
    owner = fleet_owner(acting_user)
    with transaction.atomic():
        # The owner's row is the lock: two taps of the button make one record.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        if ExternalRegistration.objects.filter(
            owner=owner, city_name=city_name, number=number
        ).exists():
            raise ActionError("already_recorded", _("该号码已记录"), field="number", status=409)
        record = ExternalRegistration.objects.create(
            owner=owner,
            city_name=city_name,
            number=number,
            machine_type=machine_type.strip(),
            maker=maker,
            machine_model=machine_model,
            factory_serial=serial,
            district=district,
            notes=notes,
            recorded_by=acting_user,
        )
        audit.record(
            "external_registration.recorded",
            actor=acting_user,
            target=record,
            data={"city": city_name, "number": number, "district": district},
        )
    return record


__all__ = [
    "approve",
    "change_location",
    "clean_engine",
    "confirm_owner_change",
    "record_external",
    "record_site_check",
    "reject",
    "request_alteration",
    "request_deregistration",
    "request_dpf",
    "request_owner_change",
    "request_reissue",
    "request_retrofit",
    "request_transfer_out",
    "resend_new_owner_code",
    "send_owner_change_code",
    "withdraw",
]
