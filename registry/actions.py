"""Every state change of a declaration, one named function each (Zulip's actions).

Each runs in transaction.atomic(), takes a keyword-only acting_user, refuses illegal
transitions and outsiders with an ActionError, writes an audit row and saves with
update_fields. Pages and API endpoints only call these.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import can_act_for
from accounts.constants import AccountKind, Role, SmsPurpose
from accounts.models import User
from accounts.sms import issue_code, send_sms, take_code
from catalogue.lookup import lookup_many
from core import audit
from core.errors import ActionError, FieldErrors
from core.reference import city, holiday_calendar, in_plant_standards
from photos.processing import PhotoError, process_photo
from registry.constants import (
    BODY_PHOTOS,
    EDITABLE,
    IN_PLANT_LIST_PHOTOS,
    MAX_OTHER_PHOTOS,
    NAMEPLATE_PHOTOS,
    CredentialReason,
    Decision,
    DeclarationStatus,
    PhotoKind,
    RegistrationType,
)
from registry.credentials import issue_credential
from registry.models import Declaration, DeclarationPhoto, DeclarationRound, Registration
from registry.numbers import allocate_number, numbered_fields
from registry.steps import MACHINE, OTHER, START, STEP_FIELDS, clean_step
from rules.deadlines import DECLARATION_DAYS, is_late, review_due
from rules.emission import (
    Rule,
    StageDecision,
    StageInputs,
    determine_stage,
    override_stage,
    stage_code,
    stage_label,
)
from rules.workdays import MissingYearError

IN_PLANT_CATEGORY = "场内车辆"  # 附件2: in-plant vehicles are numbered under this category


# --- who may act ----------------------------------------------------------------------------


def _require_owner_side(user: User, declaration: Declaration) -> None:
    """The owner, an agent with the owner's consent, or a counter clerk of the district."""
    if user.role == Role.CLERK and user.district == declaration.district:
        return
    if user.role == Role.OWNER and can_act_for(user, declaration.owner):
        return
    raise ActionError("not_found", _("未找到该申报"), status=404)


def _require_reviewer(user: User, declaration: Declaration) -> None:
    if not (user.role == Role.REVIEWER and user.district == declaration.district):
        raise ActionError("not_found", _("未找到该申报"), status=404)


def _locked(declaration: Declaration) -> Declaration:
    return Declaration.objects.select_for_update().get(pk=declaration.pk)


# --- the owner's side -----------------------------------------------------------------------


def start_declaration(*, acting_user: User, owner: User, data: dict[str, Any]) -> Declaration:
    """The start page: registration district, site and type. Creates the draft."""
    if owner.role != Role.OWNER or owner.is_org_staff:
        raise ActionError("bad_owner", _("机械所有者须为已注册的机主或单位"), field="owner")
    if acting_user.role == Role.CLERK:
        # Art. 5 at the counter: the owner's SMS code first (start_counter_declaration).
        raise ActionError(
            "counter_code_required",
            _("窗口代办须先由机主短信验证码确认，请在工作台“窗口受理”中办理"),
            status=403,
        )
    cleaned = clean_step(START, data, {})
    if cleaned.errors:
        raise FieldErrors(cleaned.errors)
    return _create_draft(acting_user, owner, cleaned.values)


def _create_draft(acting_user: User, owner: User, values: dict[str, Any]) -> Declaration:
    draft = Declaration(owner=owner, declared_by=acting_user, step=0, **values)
    _require_owner_side(acting_user, draft)
    with transaction.atomic():
        draft.save()
        audit.record(
            "declaration.started", actor=acting_user, target=draft, data={"owner": owner.pk}
        )
    return draft


# --- the counter (Art. 5) --------------------------------------------------------------------


def _require_clerk(user: User) -> None:
    if user.role != Role.CLERK:
        raise ActionError("not_allowed", _("只有窗口受理员可以办理窗口申报"), status=403)


def _require_active_owner(owner: User) -> None:
    if not (owner.role == Role.OWNER and owner.is_active and owner.kind != AccountKind.ORG_STAFF):
        raise ActionError("bad_owner", _("机械所有者须为已注册的机主或单位"), field="owner")


def request_counter_intake(*, acting_user: User, owner: User) -> None:
    """At the counter the owner proves they are present (and agree) by reading out the
    code sent to the phone they registered; the clerk never learns it otherwise."""
    _require_clerk(acting_user)
    _require_active_owner(owner)
    district = city().district(acting_user.district).name
    with transaction.atomic():
        issue_code(
            owner.phone,
            SmsPurpose.COUNTER_INTAKE,
            # {code} is filled by issue_code; the district is filled here.
            _(
                "您正在%(district)s窗口办理非道路移动机械申报，验证码{code}，5分钟内有效。"
                "如您本人不在窗口办理，请勿告知他人。"
            )
            % {"district": district},
            requested_by=acting_user,
        )
        audit.record(
            "declaration.counter_intake_requested",
            actor=acting_user,
            target=owner,
            data={"district": acting_user.district},
        )


def start_counter_declaration(
    *, acting_user: User, owner: User, code: str, data: dict[str, Any]
) -> Declaration:
    """The owner's code confirmed, the clerk starts the draft for them in the clerk's own
    district (a clerk cannot file into another district's queue)."""
    _require_clerk(acting_user)
    _require_active_owner(owner)
    data = {**data, "district": acting_user.district}
    # Check the form first, so that a typo in the address does not use up the owner's code.
    cleaned = clean_step(START, data, {})
    if cleaned.errors:
        raise FieldErrors(cleaned.errors)
    declaration = None
    with transaction.atomic():
        error = take_code(owner.phone, SmsPurpose.COUNTER_INTAKE, code, requested_by=acting_user)
        if error is None:
            declaration = _create_draft(acting_user, owner, cleaned.values)
            audit.record(
                "declaration.counter_intake_confirmed",
                actor=acting_user,
                target=declaration,
                data={"owner": owner.pk},
            )
    # Raised only now, so that the wrong try counted by take_code is committed.
    if error is not None:
        raise error
    assert declaration is not None
    return declaration


def save_step(
    *, acting_user: User, declaration: Declaration, step: int, data: dict[str, Any]
) -> Declaration:
    """Save one step of the wizard (the draft resumes from here on any device)."""
    _require_owner_side(acting_user, declaration)
    cleaned = clean_step(step, data, {"registration_type": declaration.registration_type})
    if cleaned.errors:
        raise FieldErrors(cleaned.errors)
    with transaction.atomic():
        declaration = _locked(declaration)
        if declaration.status not in EDITABLE:
            raise ActionError(
                "not_editable",
                _("该申报当前状态为“%(status)s”，不能修改")
                % {"status": declaration.get_status_display()},
                status=409,
            )
        for name, value in cleaned.values.items():
            setattr(declaration, name, value)
        prefilled = prefill_from_catalogue(declaration) if step == MACHINE else []
        declaration.step = max(declaration.step, step)
        declaration.save(update_fields=[*cleaned.values, *prefilled, "step", "updated_at"])
        audit.record(
            "declaration.step_saved", actor=acting_user, target=declaration, data={"step": step}
        )
    return declaration


# Catalogue field -> declaration field, for the blanks a known number can fill.
CATALOGUE_MACHINE_FIELDS = {
    "maker": "maker",
    "model": "machine_model",
    "machine_name": "machine_name",
}
CATALOGUE_ENGINE_FIELDS = {
    "engine_maker": "engine_maker",
    "engine_model": "engine_model",
    "power_kw": "engine_power_kw",
    "fuel_type": "fuel_type",
    "stage": "engine_stage",
}


def prefill_numbers(declaration: Declaration) -> list[str]:
    """The numbers prefill_from_catalogue looks up (a bulk import looks up many at once)."""
    numbers = [declaration.machine_disclosure_number, declaration.engine_number]
    return [n for n in numbers if n]


def prefill_from_catalogue(
    declaration: Declaration, known: dict[str, Any] | None = None
) -> list[str]:
    """Fill what the owner left blank from the disclosure catalogue when it knows the
    machine's or the engine's number; never overwrite what the owner typed. `known`: the
    catalogue's entries already looked up (catalogue.lookup.lookup_many), else looked up."""
    if known is None:
        known = lookup_many(prefill_numbers(declaration))
    filled: list[str] = []
    machine = known.get(declaration.machine_disclosure_number)
    engine = known.get(declaration.engine_number)
    for match, mapping in (
        (machine, CATALOGUE_MACHINE_FIELDS),
        (machine, CATALOGUE_ENGINE_FIELDS),
        (engine, CATALOGUE_ENGINE_FIELDS),
    ):
        if match is None:
            continue
        for source, target in mapping.items():
            value = getattr(match, source)
            if value not in ("", None) and getattr(declaration, target) in ("", None):
                setattr(declaration, target, value)
                filled.append(target)
    return filled


def _snapshot(declaration: Declaration) -> dict[str, Any]:
    def plain(value: object) -> object:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value

    names = [name for fields in STEP_FIELDS.values() for name in fields]
    return {name: plain(getattr(declaration, name)) for name in names}


def stage_inputs(declaration: Declaration) -> StageInputs:
    return StageInputs(
        machine_disclosure_number=declaration.machine_disclosure_number,
        engine_number=declaration.engine_number,
        production_date=declaration.production_date,
        in_plant=declaration.registration_type == RegistrationType.IN_PLANT,
        diesel=declaration.fuel_type in ("", "柴油"),
    )


def _review_warnings(declaration: Declaration) -> list[str]:
    """What the reviewer should look at: never a reason to refuse the submission."""
    warnings: list[str] = []
    data = _snapshot(declaration)
    for step in sorted(STEP_FIELDS):
        cleaned = clean_step(step, data, {"registration_type": declaration.registration_type})
        for messages in cleaned.warnings.values():
            warnings.extend(messages)
    if declaration.late and declaration.acquisition_date:
        warnings.append(
            _("逾期申报：取得日期%(date)s起已超过%(days)s日（第四条）")
            % {"date": declaration.acquisition_date.isoformat(), "days": DECLARATION_DAYS}
        )
    numbers = [n for n in (declaration.machine_disclosure_number, declaration.engine_number) if n]
    known = lookup_many(numbers)
    for number in numbers:
        if number not in known:
            warnings.append(
                _("编号 %(number)s 不在环保信息公开目录中，请核对铭牌照片") % {"number": number}
            )
    # One disclosure number covers a whole model, so it is shared on purpose; these are not.
    same_serial = {"factory_serial": declaration.factory_serial, "maker": declaration.maker}
    for field, label, match in (
        ("machine_env_code", _("机械环保代码"), {"machine_env_code": declaration.machine_env_code}),
        ("pin", _("产品识别码PIN"), {"pin": declaration.pin}),
        ("factory_serial", _("同一厂家的出厂编号"), same_serial),
    ):
        value = getattr(declaration, field)
        if value and (
            Declaration.objects.filter(**match)
            .exclude(pk=declaration.pk)
            .exclude(status__in=[DeclarationStatus.DRAFT, DeclarationStatus.REFUSED])
            .exists()
        ):
            warnings.append(
                _("%(label)s %(value)s 已在其他申报或登记中使用，请核对是否重复申报")
                % {"label": label, "value": value}
            )
    return warnings


def submit(*, acting_user: User, declaration: Declaration) -> Declaration:
    """Step 5: submit for review. Submitting twice (double tap, retry) is one submission."""
    _require_owner_side(acting_user, declaration)
    with transaction.atomic():
        declaration = _locked(declaration)
        if declaration.status == DeclarationStatus.SUBMITTED:
            return declaration  # already in: the same submission, not a second one
        if declaration.status not in EDITABLE:
            raise ActionError(
                "not_editable",
                _("该申报当前状态为“%(status)s”，不能提交")
                % {"status": declaration.get_status_display()},
                status=409,
            )
        _require_complete(declaration)
        now = timezone.now()
        today = timezone.localdate(now)
        decision = determine_stage(stage_inputs(declaration), in_plant_standards())
        declaration.stage = decision.stage
        declaration.stage_rule = decision.rule.value
        declaration.stage_explanation = "\n".join([decision.explanation, *decision.notes])
        declaration.late = is_late(declaration.acquisition_date, today)
        declaration.warnings = _review_warnings(declaration)
        try:
            declaration.review_due = review_due(today, holiday_calendar())
        except MissingYearError as exc:
            declaration.review_due = None
            declaration.warnings.append(str(exc))
        declaration.rounds += 1
        declaration.status = DeclarationStatus.SUBMITTED
        declaration.submitted_at = now
        declaration.step = OTHER
        declaration.save(
            update_fields=[
                "stage",
                "stage_rule",
                "stage_explanation",
                "late",
                "warnings",
                "review_due",
                "rounds",
                "status",
                "submitted_at",
                "step",
                "updated_at",
            ]
        )
        DeclarationRound.objects.create(
            declaration=declaration,
            number=declaration.rounds,
            submitted_at=now,
            submitted_by=acting_user,
            snapshot=_snapshot(declaration),
        )
        audit.record(
            "declaration.submitted",
            actor=acting_user,
            target=declaration,
            data={"round": declaration.rounds, "stage": declaration.stage},
        )
    return declaration


def submission_problems(declaration: Declaration) -> dict[str, str]:
    """What submit would refuse, field by field: every step passes its checks again (rules
    may have changed since it was saved). Read-only, so the summary page can list it."""
    data = _snapshot(declaration)
    errors: dict[str, str] = {}
    for step in sorted(STEP_FIELDS):
        cleaned = clean_step(step, data, {"registration_type": declaration.registration_type})
        errors.update(cleaned.errors)
    errors.update(missing_photos(declaration))
    if declaration.step < OTHER:
        errors.setdefault("step", _("请先完成全部填报步骤"))
    return errors


def _require_complete(declaration: Declaration) -> None:
    errors = submission_problems(declaration)
    if errors:
        raise FieldErrors(errors)


# --- the reviewer's side --------------------------------------------------------------------


def _current_round(declaration: Declaration) -> DeclarationRound:
    return DeclarationRound.objects.select_for_update().get(
        declaration=declaration, number=declaration.rounds
    )


def _require_submitted(declaration: Declaration) -> None:
    if declaration.status != DeclarationStatus.SUBMITTED:
        raise ActionError(
            "not_submitted",
            _("该申报当前状态为“%(status)s”，不在待审核状态")
            % {"status": declaration.get_status_display()},
            status=409,
        )


def _decide(
    declaration: Declaration,
    acting_user: User,
    decision: Decision,
    status: DeclarationStatus,
    *,
    reason: str = "",
    field_reasons: dict[str, str] | None = None,
) -> None:
    now = timezone.now()
    current = _current_round(declaration)
    current.decision = decision
    current.decided_by = acting_user
    current.decided_at = now
    current.reason = reason
    current.field_reasons = field_reasons or {}
    current.save(update_fields=["decision", "decided_by", "decided_at", "reason", "field_reasons"])
    declaration.status = status
    declaration.decided_at = now
    declaration.save(update_fields=["status", "decided_at", "updated_at"])


def _notify_owner(declaration: Declaration, body: str) -> None:
    """After commit: a decision stands even if the SMS provider is down for a moment."""
    phone = declaration.owner.phone
    transaction.on_commit(lambda: send_sms(phone, body, purpose="decision"))


def _label(declaration: Declaration) -> str:
    return declaration.machine_name or declaration.machine_type or _("机械")


def return_for_correction(
    *,
    acting_user: User,
    declaration: Declaration,
    reason: str,
    field_reasons: dict[str, str] | None = None,
) -> Declaration:
    """Back to the owner with reasons (per field where given); the round is kept."""
    _require_reviewer(acting_user, declaration)
    reason = (reason or "").strip()
    field_reasons = {k: v.strip() for k, v in (field_reasons or {}).items() if v and v.strip()}
    known = {name for fields in STEP_FIELDS.values() for name in fields} | {"photos"}
    unknown = sorted(set(field_reasons) - known)
    if unknown:
        raise ActionError("unknown_field", _("无法识别的字段：%(f)s") % {"f": "、".join(unknown)})
    if not reason and not field_reasons:
        raise ActionError("reason_required", _("请填写退回理由"), field="reason")
    with transaction.atomic():
        declaration = _locked(declaration)
        _require_submitted(declaration)
        _decide(
            declaration,
            acting_user,
            Decision.RETURNED,
            DeclarationStatus.RETURNED,
            reason=reason,
            field_reasons=field_reasons,
        )
        audit.record(
            "declaration.returned",
            actor=acting_user,
            target=declaration,
            data={"reason": reason, "fields": field_reasons},
        )
        _notify_owner(
            declaration,
            _("您申报的%(machine)s（申报号%(id)s）已退回重填，请登录查看退回理由并修改后重新提交。")
            % {"machine": _label(declaration), "id": declaration.pk},
        )
    return declaration


def refuse(*, acting_user: User, declaration: Declaration, reason: str) -> Declaration:
    """不予登记, with the reason the owner sees (Art. 8)."""
    _require_reviewer(acting_user, declaration)
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("reason_required", _("请填写不予登记的理由"), field="reason")
    with transaction.atomic():
        declaration = _locked(declaration)
        _require_submitted(declaration)
        _decide(
            declaration, acting_user, Decision.REFUSED, DeclarationStatus.REFUSED, reason=reason
        )
        audit.record(
            "declaration.refused", actor=acting_user, target=declaration, data={"reason": reason}
        )
        _notify_owner(
            declaration,
            _("您申报的%(machine)s（申报号%(id)s）不予登记，理由：%(reason)s")
            % {"machine": _label(declaration), "id": declaration.pk, "reason": reason},
        )
    return declaration


def category_of(declaration: Declaration) -> str:
    if declaration.registration_type == RegistrationType.IN_PLANT:
        return IN_PLANT_CATEGORY
    return city().category_for(declaration.machine_type)


def approve(
    *,
    acting_user: User,
    declaration: Declaration,
    override: int | None = None,
    override_reason: str = "",
) -> Registration:
    """准予登记: fix the stage (optionally overridden, with a reason: Art. 7 (五)) and
    allocate the number (Art. 8, 附件2) in the same transaction.

    Approvals of one district and stage queue on the number counter, and every audited
    transaction on the audit chain's head, each until commit: so everything that does not
    need the number (checks, the round's decision, the owner's phone, the message) comes
    first, then the counter, the rows that carry the number, and the audit rows last."""
    _require_reviewer(acting_user, declaration)
    with transaction.atomic():
        declaration = _locked(declaration)
        _require_submitted(declaration)
        assert declaration.stage is not None  # set by submit
        decision = StageDecision(
            stage=declaration.stage,
            code=stage_code(declaration.stage),
            rule=Rule(declaration.stage_rule),
            explanation=declaration.stage_explanation,
        )
        if override is not None:
            try:
                decision = override_stage(decision, override, override_reason)
            except ValueError as exc:
                raise ActionError("bad_override", str(exc), field="override_reason") from None
        category = category_of(declaration)
        message = _(
            "您申报的%(machine)s已准予登记，环保登记号码%(number)s（%(stage)s）。"
            "识别标志和信息采集卡制作完成后将另行通知领取。"
        )
        machine, stage = _label(declaration), stage_label(decision.stage)
        phone = declaration.owner.phone
        _decide(declaration, acting_user, Decision.APPROVED, DeclarationStatus.APPROVED)
        with audit.written_last():
            number = allocate_number(
                category=category, district=declaration.district, stage_code=decision.code
            )
            registration = Registration.objects.create(
                declaration=declaration,
                owner_id=declaration.owner_id,
                district=declaration.district,
                approved_by=acting_user,
                **numbered_fields(number, decision),
            )
            # The first sign and card (Art. 9), its QR code signed now; production follows.
            issue_credential(
                acting_user=acting_user,
                registration=registration,
                reason=CredentialReason.FIRST,
                new_registration=True,
            )
            audit.record(
                "declaration.approved",
                actor=acting_user,
                target=declaration,
                data={
                    "number": number.full,
                    "stage": decision.stage,
                    "override": override is not None,
                    "override_reason": override_reason.strip(),
                },
            )
        body = message % {"machine": machine, "number": number.full, "stage": stage}
        # After commit: a decision stands even if the SMS provider is down for a moment.
        transaction.on_commit(lambda: send_sms(phone, body, purpose="decision"))
    return registration


# --- photos ---------------------------------------------------------------------------------


def upload_photo(
    *, acting_user: User, declaration: Declaration, kind: str, data: bytes
) -> DeclarationPhoto:
    """Check and re-encode the photo, then store it; a new photo of a kind replaces the
    old one (except "other" papers, of which there may be several)."""
    _require_owner_side(acting_user, declaration)
    if kind not in PhotoKind.values:
        raise ActionError("bad_kind", _("请选择照片类型"), field="kind")
    try:
        processed = process_photo(data)
    except PhotoError as exc:
        raise ActionError(f"photo_{exc.code}", str(exc), field=kind) from None
    with transaction.atomic():
        declaration = _locked(declaration)
        if declaration.status not in EDITABLE:
            raise ActionError("not_editable", _("该申报当前不能修改照片"), status=409)
        existing = DeclarationPhoto.objects.filter(declaration=declaration, kind=kind)
        if kind == PhotoKind.OTHER:
            if existing.count() >= MAX_OTHER_PHOTOS:
                raise ActionError(
                    "too_many_photos",
                    _("其他资料最多上传%(n)s张") % {"n": MAX_OTHER_PHOTOS},
                    field=kind,
                )
        else:
            existing.delete()
        photo = DeclarationPhoto(
            declaration=declaration,
            kind=kind,
            sha256=processed.sha256,
            width=processed.width,
            height=processed.height,
            size=len(processed.data),
            uploaded_by=acting_user,
        )
        photo.file.save(f"{processed.sha256}.jpg", ContentFile(processed.data), save=False)
        photo.save()
        audit.record(
            "declaration.photo_uploaded",
            actor=acting_user,
            target=declaration,
            data={"kind": kind, "photo": photo.pk, "sha256": processed.sha256},
        )
    return photo


def delete_photo(*, acting_user: User, photo: DeclarationPhoto) -> None:
    declaration = photo.declaration
    _require_owner_side(acting_user, declaration)
    with transaction.atomic():
        declaration = _locked(declaration)
        if declaration.status not in EDITABLE:
            raise ActionError("not_editable", _("该申报当前不能修改照片"), status=409)
        audit.record(
            "declaration.photo_deleted",
            actor=acting_user,
            target=declaration,
            data={"kind": photo.kind, "photo": photo.pk},
        )
        photo.delete()


def missing_photos(declaration: Declaration) -> dict[str, str]:
    """Manual 第四步 2) and Art. 6: which required photos are still missing."""
    have = set(declaration.photos.values_list("kind", flat=True))
    errors: dict[str, str] = {}
    for kind in BODY_PHOTOS:
        if kind not in have:
            errors[kind] = _("请上传%(label)s照片") % {"label": PhotoKind(kind).label}
    if declaration.has_nameplates and not have.intersection(NAMEPLATE_PHOTOS):
        errors["nameplates"] = _(
            "有铭牌的机械须至少上传机械铭牌、发动机铭牌、机械环保代码、环保信息标签、"
            "发动机型式核准号照片中的一张"
        )
    if declaration.has_nameplates is False and PhotoKind.CERTIFICATE not in have:
        errors[PhotoKind.CERTIFICATE] = _("无铭牌的机械须上传合格证照片")
    if declaration.registration_type == RegistrationType.IN_PLANT:
        for kind in IN_PLANT_LIST_PHOTOS:
            if kind not in have:
                errors[kind] = _("场内车辆须上传%(label)s照片") % {"label": PhotoKind(kind).label}
    if have.intersection(IN_PLANT_LIST_PHOTOS) and not declaration.machine_disclosure_number:
        errors["machine_disclosure_number"] = _("已上传环保信息随车清单的，须填写环保信息公开编号")
    return errors
