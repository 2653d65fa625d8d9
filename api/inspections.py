"""Spot checks and rectification over the API (Art. 15-16): the same actions as the pages.
Object access: 404 alike for missing and not yours (inspections.access). Operation ids are
the URL names, except that a path's GET and POST share one URL name (the access table is
keyed by it), so the POST's operation id ends in "_create"."""

from datetime import date, datetime
from typing import Annotated, Any

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from accounts.models import User
from core.http import current_user as _user
from core.http import jpeg_response
from inspections import actions
from inspections.access import (
    get_rectification_for_user,
    get_rectification_photo_for_user,
    get_spot_check_for_user,
    get_spot_check_photo_for_user,
)
from inspections.models import Rectification, RectificationAnswer, SpotCheck
from inspections.queries import CheckFilters, district_checks, owner_rectifications
from inspections.uploads import read_photos
from registry.models import Registration
from rules.emission import STAGE_LABELS

router = Router(tags=["inspections"])

# Past this, an offset would only ever return nothing; larger numbers are bad input.
MAX_OFFSET = 10**9
MAX_LIMIT = 500


# --- schemas --------------------------------------------------------------------------------


class MachineOut(Schema):
    """A registration's public facts: no owner, no personal data."""

    id: int
    number: str
    short_number: str
    machine_type: str
    category: str
    stage: int
    stage_label: str
    district: str
    status: str
    status_label: str


class PhotoOut(Schema):
    id: int
    width: int
    height: int
    url: str


class SpotCheckOut(Schema):
    id: int
    number_typed: str
    registration: MachineOut | None
    district: str
    inspector_name: str
    department: str
    department_label: str
    checked_at: datetime
    location: str
    sign_present: bool
    sign_matches: bool | None
    card_present: bool
    card_check: str
    card_check_label: str
    smoke_visible: bool
    notes: str
    result: str
    result_label: str
    reasons: list[str]
    reason_labels: list[str]
    photos: list[PhotoOut]


class SpotCheckIn(Schema):
    number: str = ""
    location: str = ""
    district: str = ""
    sign_present: bool
    sign_matches: bool | None = None
    card_present: bool
    card_check: str
    smoke_visible: bool = False
    notes: str = ""


class OrderIn(Schema):
    requirement: str = ""
    due_date: date | None = None


class CloseIn(Schema):
    accepted: bool
    note: str = ""
    due_date: date | None = None


class AnswerOut(Schema):
    number: int
    text: str
    answered_at: datetime
    outcome: str
    note: str
    reviewed_at: datetime | None
    photos: list[PhotoOut]


class RectificationOut(Schema):
    id: int
    spot_check_id: int
    registration: MachineOut
    district: str
    requirement: str
    due_date: date
    status: str
    status_label: str
    overdue: bool
    ordered_at: datetime
    answer: str
    answered_at: datetime | None
    closed_at: datetime | None
    outcome: str
    closing_note: str
    answers: list[AnswerOut]


# --- shaping --------------------------------------------------------------------------------


def machine_dict(registration: Registration) -> dict[str, Any]:
    return {
        "id": registration.pk,
        "number": registration.number,
        "short_number": registration.short_number,
        "machine_type": registration.declaration.machine_type,
        "category": registration.category,
        "stage": registration.stage,
        "stage_label": STAGE_LABELS.get(registration.stage, str(registration.stage)),
        "district": registration.district,
        "status": registration.status,
        "status_label": registration.get_status_display(),
    }


def spot_check_dict(check: SpotCheck) -> dict[str, Any]:
    return {
        "id": check.pk,
        "number_typed": check.number_typed,
        "registration": machine_dict(check.registration) if check.registration else None,
        "district": check.district,
        "inspector_name": check.inspector.name,
        "department": check.department,
        "department_label": check.department_label,
        "checked_at": check.checked_at,
        "location": check.location,
        "sign_present": check.sign_present,
        "sign_matches": check.sign_matches,
        "card_present": check.card_present,
        "card_check": check.card_check,
        "card_check_label": check.get_card_check_display(),
        "smoke_visible": check.smoke_visible,
        "notes": check.notes,
        "result": check.result,
        "result_label": check.get_result_display(),
        "reasons": check.reasons,
        "reason_labels": check.reason_labels,
        "photos": [
            {
                "id": p.pk,
                "width": p.width,
                "height": p.height,
                "url": f"/api/v1/spot-check-photos/{p.pk}",
            }
            for p in check.photos.all()
        ],
    }


def _answer_dict(answer: RectificationAnswer) -> dict[str, Any]:
    return {
        "number": answer.number,
        "text": answer.text,
        "answered_at": answer.answered_at,
        "outcome": answer.outcome,
        "note": answer.note,
        "reviewed_at": answer.reviewed_at,
        "photos": [
            {
                "id": p.pk,
                "width": p.width,
                "height": p.height,
                "url": f"/api/v1/rectification-photos/{p.pk}",
            }
            for p in answer.photos.all()
        ],
    }


def rectification_dict(r: Rectification) -> dict[str, Any]:
    return {
        "id": r.pk,
        "spot_check_id": r.spot_check_id,
        "registration": machine_dict(r.registration),
        "district": r.district,
        "requirement": r.requirement,
        "due_date": r.due_date,
        "status": r.status,
        "status_label": r.get_status_display(),
        "overdue": r.overdue(timezone.localdate()),
        "ordered_at": r.ordered_at,
        "answer": r.answer,
        "answered_at": r.answered_at,
        "closed_at": r.closed_at,
        "outcome": r.outcome,
        "closing_note": r.closing_note,
        "answers": [_answer_dict(a) for a in r.answers.all()],
    }


def _spot_check(user: User, pk: int) -> SpotCheck:
    check = get_spot_check_for_user(user, pk)
    return (
        SpotCheck.objects.select_related("registration__declaration", "inspector")
        .prefetch_related("photos")
        .get(pk=check.pk)
    )


def _rectification(user: User, pk: int) -> Rectification:
    found = get_rectification_for_user(user, pk)
    return (
        Rectification.objects.select_related("registration__declaration")
        .prefetch_related("answers__photos")
        .get(pk=found.pk)
    )


# --- Art. 15: spot checks -------------------------------------------------------------------


@router.post(
    "spot-checks",
    response={201: SpotCheckOut},
    url_name="spot_checks",
    operation_id="spot_checks_create",
)
def create_spot_check(
    request: HttpRequest,
    payload: Form[SpotCheckIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[dict[str, Any]]:
    """Record a spot check (multipart: the fields, and any number of `photos`). The result
    is worked out by the server."""
    user = _user(request)
    check = actions.record_spot_check(
        acting_user=user,
        number=payload.number,
        location=payload.location,
        district=payload.district or None,
        sign_present=payload.sign_present,
        sign_matches=payload.sign_matches,
        card_present=payload.card_present,
        card_check=payload.card_check,
        smoke_visible=payload.smoke_visible,
        notes=payload.notes,
        photos=read_photos(photos),
    )
    return Status(201, spot_check_dict(_spot_check(user, check.pk)))


@router.get(
    "spot-checks",
    response=list[SpotCheckOut],
    url_name="spot_checks",
    operation_id="spot_checks",
)
def list_spot_checks(
    request: HttpRequest,
    result: str = "",
    date_from: str = "",
    date_to: str = "",
    district: str = "",
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """An inspector's own checks; district staff's: those in or of their district; the city
    administrator's: all. Newest first; filter by result, dates (YYYY-MM-DD), district."""
    user = _user(request)
    filters = CheckFilters.from_query(
        user, {"result": result, "date_from": date_from, "date_to": date_to, "district": district}
    )
    limit = min(max(limit, 1), MAX_LIMIT)
    checks = district_checks(user, filters).prefetch_related("photos")[offset : offset + limit]
    return [spot_check_dict(c) for c in checks]


@router.get(
    "spot-checks/{pk}", response=SpotCheckOut, url_name="spot_check", operation_id="spot_check"
)
def get_spot_check(request: HttpRequest, pk: int) -> dict[str, Any]:
    return spot_check_dict(_spot_check(_user(request), pk))


@router.get(
    "spot-check-photos/{pk}",
    url_name="spot_check_photo",
    operation_id="spot_check_photo",
    response={200: None},
)
def spot_check_photo(request: HttpRequest, pk: int) -> FileResponse:
    return jpeg_response(get_spot_check_photo_for_user(_user(request), pk).file)


@router.post(
    "spot-checks/{pk}/rectification",
    response={201: RectificationOut},
    url_name="spot_check_rectification",
    operation_id="spot_check_rectification",
)
def order(request: HttpRequest, pk: int, payload: OrderIn) -> Status[dict[str, Any]]:
    """责令整改 (Art. 16): district staff of the machine's registration district."""
    user = _user(request)
    rectification = actions.order_rectification(
        acting_user=user,
        spot_check=get_spot_check_for_user(user, pk),
        requirement=payload.requirement,
        due_date=payload.due_date,
    )
    return Status(201, rectification_dict(_rectification(user, rectification.pk)))


# --- Art. 16: rectification -----------------------------------------------------------------


@router.get(
    "rectifications",
    response=list[RectificationOut],
    url_name="rectifications",
    operation_id="rectifications",
)
def list_rectifications(request: HttpRequest) -> list[dict[str, Any]]:
    """Owners (and agents): the orders about their machines; staff: as they may see."""
    rectifications = owner_rectifications(_user(request)).prefetch_related("answers__photos")
    return [rectification_dict(r) for r in rectifications]


@router.get(
    "rectifications/{pk}",
    response=RectificationOut,
    url_name="rectification",
    operation_id="rectification",
)
def get_rectification(request: HttpRequest, pk: int) -> dict[str, Any]:
    return rectification_dict(_rectification(_user(request), pk))


@router.post(
    "rectifications/{pk}/answer",
    response=RectificationOut,
    url_name="rectification_answer",
    operation_id="rectification_answer",
)
def answer(
    request: HttpRequest,
    pk: int,
    text: Form[str] = "",
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> dict[str, Any]:
    """The owner side answers (multipart: `text` and any number of `photos`)."""
    user = _user(request)
    actions.answer_rectification(
        acting_user=user,
        rectification=get_rectification_for_user(user, pk),
        text=text,
        photos=read_photos(photos),
    )
    return rectification_dict(_rectification(user, pk))


@router.post(
    "rectifications/{pk}/close",
    response=RectificationOut,
    url_name="rectification_close",
    operation_id="rectification_close",
)
def close(request: HttpRequest, pk: int, payload: CloseIn) -> dict[str, Any]:
    """Accept (closes the order) or reject (back to the owner; `note` required, optionally a
    new `due_date`)."""
    user = _user(request)
    actions.close_rectification(
        acting_user=user,
        rectification=get_rectification_for_user(user, pk),
        accepted=payload.accepted,
        note=payload.note,
        due_date=payload.due_date,
    )
    return rectification_dict(_rectification(user, pk))


@router.get(
    "rectification-photos/{pk}",
    url_name="rectification_photo",
    operation_id="rectification_photo",
    response={200: None},
)
def rectification_photo(request: HttpRequest, pk: int) -> FileResponse:
    return jpeg_response(get_rectification_photo_for_user(_user(request), pk).file)
