"""Declarations over the API: the same steps and actions as the owners' wizard and the
reviewer's pages. Object access: 404 alike for missing and not yours."""

from datetime import date, datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from accounts.actions import can_act_for
from accounts.constants import Role
from accounts.models import User
from accounts.queries import fleet_owner
from catalogue.lookup import lookup
from core.errors import ActionError
from core.http import api_page, jpeg_response
from core.http import current_user as _user
from core.reference import holiday_calendar
from photos.processing import MAX_UPLOAD_BYTES
from registry import actions
from registry.access import (
    get_declaration_for_filer,
    get_declaration_for_staff,
    get_photo_for_user,
)
from registry.models import Declaration, DeclarationPhoto
from registry.queries import progress_list, review_deadline, review_queue
from registry.steps import ID_GROUPS, STEP_FIELDS, check_group
from rules.emission import stage_label
from rules.workdays import HolidayCalendar

router = Router(tags=["declarations"])


class StartIn(Schema):
    owner_id: int | None = None
    district: str
    site_type: str
    site_address: str = ""
    registration_type: str


class StepIn(Schema):
    data: dict[str, Any]


class GroupIn(Schema):
    group: str
    value: str


class CatalogueOut(Schema):
    kind: str
    stage: int
    maker: str
    model: str
    machine_type: str
    machine_name: str
    engine_maker: str
    engine_model: str
    power_kw: float | None
    fuel_type: str


class GroupOut(Schema):
    value: str
    error: str | None
    warnings: list[str]
    catalogue: CatalogueOut | None


class RoundOut(Schema):
    number: int
    submitted_at: datetime
    decision: str
    decided_at: datetime | None
    reason: str
    field_reasons: dict[str, str]


class PhotoOut(Schema):
    id: int
    kind: str
    kind_label: str
    width: int
    height: int
    url: str


class DeclarationOut(Schema):
    id: int
    owner_id: int
    owner_name: str
    status: str
    status_label: str
    step: int
    fields: dict[str, Any]
    stage: int | None
    stage_label: str
    stage_rule: str
    stage_explanation: str
    late: bool
    warnings: list[str]
    review_due: date | None
    working_days_left: int | None
    overdue: bool
    rounds: list[RoundOut]
    photos: list[PhotoOut]
    number: str | None
    short_number: str | None


class ReturnIn(Schema):
    reason: str = ""
    field_reasons: dict[str, str] = {}


class RefuseIn(Schema):
    reason: str


class ApproveIn(Schema):
    override_stage: int | None = None
    override_reason: str = ""


def photo_dict(photo: DeclarationPhoto) -> dict[str, Any]:
    return {
        "id": photo.pk,
        "kind": photo.kind,
        "kind_label": photo.get_kind_display(),
        "width": photo.width,
        "height": photo.height,
        "url": f"/api/v1/photos/{photo.pk}",
    }


def declaration_dict(
    d: Declaration, *, with_rounds: bool = True, calendar: HolidayCalendar | None = None
) -> dict[str, Any]:
    """calendar: the holiday table read once for a whole list (else read here)."""
    deadline = review_deadline(d, timezone.localdate(), calendar)
    registration = getattr(d, "registration", None)
    names = [name for fields in STEP_FIELDS.values() for name in fields]
    return {
        "id": d.pk,
        "owner_id": d.owner_id,
        "owner_name": d.owner.name,
        "status": d.status,
        "status_label": d.get_status_display(),
        "step": d.step,
        "fields": {n: getattr(d, n) for n in names},
        "stage": d.stage,
        "stage_label": stage_label(d.stage) if d.stage else "",
        "stage_rule": d.stage_rule,
        "stage_explanation": d.stage_explanation,
        "late": d.late,
        "warnings": d.warnings,
        "review_due": deadline.due,
        "working_days_left": deadline.working_days_left,
        "overdue": deadline.overdue,
        "rounds": list(d.round_history.all()) if with_rounds else [],
        "photos": [photo_dict(p) for p in d.photos.all()] if with_rounds else [],
        "number": registration.number if registration else None,
        "short_number": registration.short_number if registration else None,
    }


# --- the owner's side (owner, agent, counter clerk) -----------------------------------------


@router.get("declarations", response=list[DeclarationOut], url_name="declarations")
def list_declarations(
    request: HttpRequest, page: int | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """编码登记进展: every declaration of the user and of the owners they act for, newest
    first; with `page` and/or `limit`, one page of them (core.http.api_page)."""
    rows = api_page(progress_list(_user(request)), page, limit)
    calendar = holiday_calendar()
    return [declaration_dict(d, with_rounds=False, calendar=calendar) for d in rows]


@router.post("declarations", response={201: DeclarationOut}, url_name="declarations")
def start(request: HttpRequest, payload: StartIn) -> Status[dict[str, Any]]:
    user = _user(request)
    owner = fleet_owner(user)  # an organisation's staff member declares for it
    if payload.owner_id is not None and payload.owner_id != owner.pk:
        owner = User.objects.filter(pk=payload.owner_id).first()  # type: ignore[assignment]
        # Missing, not one the user may act for, or not an owner at all: one answer, so
        # owner ids cannot be probed (a clerk goes on to the counter-code refusal).
        if owner is None or (user.role == Role.OWNER and not can_act_for(user, owner)):
            raise ActionError("owner_not_found", _("未找到该机主"), field="owner_id")
    data = payload.dict(exclude={"owner_id"})
    declaration = actions.start_declaration(acting_user=user, owner=owner, data=data)
    return Status(201, declaration_dict(declaration))


@router.get("declarations/{pk}", response=DeclarationOut, url_name="declaration")
def get(request: HttpRequest, pk: int) -> dict[str, Any]:
    return declaration_dict(get_declaration_for_filer(_user(request), pk))


@router.put("declarations/{pk}/steps/{step}", response=DeclarationOut, url_name="declaration_step")
def save_step(request: HttpRequest, pk: int, step: int, payload: StepIn) -> dict[str, Any]:
    user = _user(request)
    declaration = get_declaration_for_filer(user, pk)
    declaration = actions.save_step(
        acting_user=user, declaration=declaration, step=step, data=payload.data
    )
    return declaration_dict(declaration)


@router.post("identification-checks", response=GroupOut, url_name="declaration_check_group")
def check(request: HttpRequest, payload: GroupIn) -> dict[str, Any]:
    """Step 3: check one identification group before moving on to the next."""
    if payload.group not in ID_GROUPS:
        raise ActionError("unknown_group", _("无法识别的编码组"), field="group")
    result = check_group(payload.group, payload.value)
    known = lookup(result.value) if result.value and not result.error else None
    return {
        "value": result.value,
        "error": result.error,
        "warnings": list(result.warnings),
        "catalogue": known,  # what saving step 3 fills into blank fields
    }


@router.post("declarations/{pk}/submit", response=DeclarationOut, url_name="declaration_submit")
def submit(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = _user(request)
    declaration = actions.submit(acting_user=user, declaration=get_declaration_for_filer(user, pk))
    return declaration_dict(declaration)


@router.post("declarations/{pk}/photos", response={201: PhotoOut}, url_name="declaration_photos")
def upload_photo(
    request: HttpRequest, pk: int, kind: Form[str], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """Upload one photo (multipart: kind, file). JPEG, PNG, WebP or HEIC up to 15 MB; the
    server re-encodes it to JPEG without metadata."""
    user = _user(request)
    declaration = get_declaration_for_filer(user, pk)
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise ActionError("photo_too_large", _("照片不能超过15MB"), field=kind)
    photo = actions.upload_photo(
        acting_user=user, declaration=declaration, kind=kind, data=file.read()
    )
    return Status(201, photo_dict(photo))


@router.delete(
    "declarations/{pk}/photos/{photo_id}", response=DeclarationOut, url_name="declaration_photo"
)
def delete_photo(request: HttpRequest, pk: int, photo_id: int) -> dict[str, Any]:
    user = _user(request)
    declaration = get_declaration_for_filer(user, pk)
    photo = declaration.photos.filter(pk=photo_id).first()
    if photo is None:
        raise ActionError("not_found", _("未找到该照片"), status=404)
    actions.delete_photo(acting_user=user, photo=photo)
    return declaration_dict(Declaration.objects.get(pk=pk))


@router.get("photos/{photo_id}", url_name="photo", response={200: None})
def photo_file(request: HttpRequest, photo_id: int) -> FileResponse:
    """The JPEG, for the owner, their agent and staff of the district."""
    photo = get_photo_for_user(_user(request), photo_id)
    return jpeg_response(photo.file)


# --- the counter (Art. 5) --------------------------------------------------------------------


class IntakeCodeIn(Schema):
    owner_id: int


class IntakeIn(Schema):
    owner_id: int
    code: str
    site_type: str
    site_address: str = ""
    registration_type: str


class Message(Schema):
    message: str


def _counter_owner(owner_id: int) -> User:
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None:
        raise ActionError("owner_not_found", _("未找到该机主"), field="owner_id", status=404)
    return owner


@router.post("counter/intake-codes", response={202: Message}, url_name="counter_intake_codes")
def counter_code(request: HttpRequest, payload: IntakeCodeIn) -> Status[dict[str, str]]:
    """A counter clerk sends the owner a code; the owner reads it out to confirm the intake."""
    actions.request_counter_intake(
        acting_user=_user(request), owner=_counter_owner(payload.owner_id)
    )
    return Status(202, {"message": _("验证码已发送至机主手机")})


@router.post("counter/declarations", response={201: DeclarationOut}, url_name="counter_intake")
def counter_start(request: HttpRequest, payload: IntakeIn) -> Status[dict[str, Any]]:
    """With the owner's code, the clerk starts the declaration in the clerk's district; the
    steps then go through the same endpoints as the owner's."""
    declaration = actions.start_counter_declaration(
        acting_user=_user(request),
        owner=_counter_owner(payload.owner_id),
        code=payload.code,
        data=payload.dict(exclude={"owner_id", "code"}),
    )
    return Status(201, declaration_dict(declaration))


# --- the reviewer's side --------------------------------------------------------------------


@router.get("review/declarations", response=list[DeclarationOut], url_name="review_queue")
def queue(
    request: HttpRequest,
    status: str = "submitted",
    page: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The district's queue, oldest submission first, with deadlines; with `page` and/or
    `limit`, one page of it (core.http.api_page)."""
    rows = api_page(review_queue(_user(request), status=status), page, limit)
    calendar = holiday_calendar()
    return [declaration_dict(d, with_rounds=False, calendar=calendar) for d in rows]


@router.get("review/declarations/{pk}", response=DeclarationOut, url_name="review_declaration")
def review_get(request: HttpRequest, pk: int) -> dict[str, Any]:
    return declaration_dict(get_declaration_for_staff(_user(request), pk))


@router.post("review/declarations/{pk}/approve", response=DeclarationOut, url_name="review_approve")
def approve(request: HttpRequest, pk: int, payload: ApproveIn) -> dict[str, Any]:
    user = _user(request)
    declaration = get_declaration_for_staff(user, pk)
    actions.approve(
        acting_user=user,
        declaration=declaration,
        override=payload.override_stage,
        override_reason=payload.override_reason,
    )
    return declaration_dict(Declaration.objects.select_related("owner", "registration").get(pk=pk))


@router.post("review/declarations/{pk}/return", response=DeclarationOut, url_name="review_return")
def return_(request: HttpRequest, pk: int, payload: ReturnIn) -> dict[str, Any]:
    user = _user(request)
    declaration = actions.return_for_correction(
        acting_user=user,
        declaration=get_declaration_for_staff(user, pk),
        reason=payload.reason,
        field_reasons=payload.field_reasons,
    )
    return declaration_dict(declaration)


@router.post("review/declarations/{pk}/refuse", response=DeclarationOut, url_name="review_refuse")
def refuse(request: HttpRequest, pk: int, payload: RefuseIn) -> dict[str, Any]:
    user = _user(request)
    declaration = actions.refuse(
        acting_user=user, declaration=get_declaration_for_staff(user, pk), reason=payload.reason
    )
    return declaration_dict(declaration)
