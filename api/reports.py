"""Public reports over the API (Art. 17): the same actions as the pages. Anyone files a
report (multipart with photos, or JSON without) and follows it with its reference code; the
district of the place lists, reads, assigns, notes, closes and reopens; the city reads.
Object access: 404 alike for missing and not yours (reports.access)."""

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from accounts.models import User
from core.errors import ActionError
from core.http import current_user as _user
from core.http import jpeg_response
from core.ratelimit import client_address, hit, retry_after, too_often
from reports import actions, codes, queries
from reports.access import get_report_for_user, get_report_photo_for_user, handles
from reports.models import PublicReport
from reports.uploads import report_photos

router = Router(tags=["reports"])

MAX_LIST = 500
TEXT_FIELDS = (
    "number",
    "district",
    "place",
    "observed_at",
    "description",
    "contact_name",
    "contact_phone",
)


# --- schemas --------------------------------------------------------------------------------


class FiledOut(Schema):
    code: str
    display_code: str
    status: str
    status_label: str


class ProgressOut(Schema):
    code: str
    status: str
    status_label: str
    district: str
    filed_at: datetime
    assigned_at: datetime | None
    closed_at: datetime | None
    outcome: str
    outcome_label: str
    outcome_text: str


class PersonOut(Schema):
    id: int
    name: str


class PhotoOut(Schema):
    id: int
    width: int
    height: int
    url: str


class NoteOut(Schema):
    id: int
    author: PersonOut
    text: str
    created_at: datetime


class ReportSummaryOut(Schema):
    id: int
    code: str
    status: str
    status_label: str
    district: str
    number_typed: str
    registration_number: str | None
    place: str
    observed_at: datetime
    filed_at: datetime
    assigned_to: PersonOut | None
    outcome: str
    outcome_label: str
    closed_at: datetime | None
    photo_count: int
    note_count: int


class ReportOut(ReportSummaryOut):
    description: str
    contact_name: str
    contact_phone: str  # in full for the district's staff, masked for the city
    assigned_at: datetime | None
    outcome_text: str
    closed_by: PersonOut | None
    photos: list[PhotoOut]
    notes: list[NoteOut]


class AssignIn(Schema):
    assignee_id: int | None = None  # default: the acting user


class NoteIn(Schema):
    text: str = ""


class CloseIn(Schema):
    outcome: str = ""
    text: str = ""


class ReopenIn(Schema):
    reason: str = ""


# --- shaping --------------------------------------------------------------------------------


def _person(user: User | None) -> dict[str, Any] | None:
    return {"id": user.pk, "name": user.name} if user is not None else None


def summary_dict(report: PublicReport, photo_count: int, note_count: int) -> dict[str, Any]:
    return {
        "id": report.pk,
        "code": report.display_code,
        "status": report.status,
        "status_label": report.get_status_display(),
        "district": report.district,
        "number_typed": report.number_typed,
        "registration_number": report.registration.number if report.registration else None,
        "place": report.place,
        "observed_at": report.observed_at,
        "filed_at": report.filed_at,
        "assigned_to": _person(report.assigned_to),
        "outcome": report.outcome,
        "outcome_label": report.get_outcome_display() if report.outcome else "",
        "closed_at": report.closed_at,
        "photo_count": photo_count,
        "note_count": note_count,
    }


def _report(user: User, pk: int) -> dict[str, Any]:
    report = get_report_for_user(user, pk)
    photos = list(report.photos.all())
    notes = list(report.notes.select_related("author"))
    return {
        **summary_dict(report, len(photos), len(notes)),
        "description": report.description,
        "contact_name": report.contact_name,
        "contact_phone": report.contact_phone if handles(user, report) else report.masked_phone,
        "assigned_at": report.assigned_at,
        "outcome_text": report.outcome_text,
        "closed_by": _person(report.closed_by),
        "photos": [
            {
                "id": p.pk,
                "width": p.width,
                "height": p.height,
                "url": f"/api/v1/staff/report-photos/{p.pk}",
            }
            for p in photos
        ],
        "notes": [
            {"id": n.pk, "author": _person(n.author), "text": n.text, "created_at": n.created_at}
            for n in notes
        ],
    }


def _fields(request: HttpRequest) -> tuple[dict[str, str], list[bytes]]:
    """The report's fields and photos from a multipart form or a JSON object."""
    if request.content_type == "multipart/form-data":
        values = {name: request.POST.get(name, "") for name in TEXT_FIELDS}
        return values, report_photos(request.FILES.getlist("photos"))
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ActionError("invalid_request", _("请求内容应为JSON对象或multipart表单"))
    values = {}
    for name in TEXT_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise ActionError("invalid_request", _("该项应为文本"), field=name)
        values[name] = value or ""
    if data.get("photos"):
        raise ActionError("invalid_request", _("附带照片时请使用multipart表单提交"), field="photos")
    return values, []


FILE_SCHEMA = {
    "type": "object",
    "properties": {
        **{name: {"type": "string"} for name in TEXT_FIELDS},
        "photos": {"type": "array", "items": {"type": "string", "format": "binary"}},
    },
    "required": ["district", "place", "observed_at", "description"],
}


# --- the public -----------------------------------------------------------------------------


@router.post(
    "reports",
    response={201: FiledOut},
    url_name="report_file",
    operation_id="report_file",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": FILE_SCHEMA},
                "multipart/form-data": {"schema": FILE_SCHEMA},
            },
            "required": True,
        }
    },
)
def file_report(request: HttpRequest) -> Status[dict[str, Any]]:
    """Anyone, without a token. `district` is a district code of GET /reference;
    `observed_at` ISO 8601 local time (not in the future); `number`, `contact_name`,
    `contact_phone` optional; up to 6 `photos` in a multipart request. Well-formed
    reports are limited per address and hour (429 rate_limited). Keep the `code`: it is
    the only way to follow the report."""
    values, photos = _fields(request)
    report = actions.file_report(
        acting_user=None, address=client_address(request), photos=photos, **values
    )
    return Status(
        201,
        {
            "code": report.code,
            "display_code": report.display_code,
            "status": report.status,
            "status_label": report.get_status_display(),
        },
    )


@router.get(
    "reports/follow/{code}",
    response=ProgressOut,
    url_name="report_follow",
    operation_id="report_follow",
)
def follow(request: HttpRequest, code: str) -> dict[str, Any]:
    """Status, dates and outcome of a report by its reference code (dashes and case do not
    matter); nothing of its contents, the reporter or the staff. Rate limited per address."""
    key, limit = f"report-follow:{client_address(request)}", settings.NRMM_PUBLIC_LOOKUPS_PER_MINUTE
    if not hit(key, limit=limit):
        wait = retry_after(key, limit=limit)
        raise ActionError("rate_limited", too_often(wait), status=429, retry_after=wait)
    if codes.normalise(code) is None:
        raise ActionError(
            "bad_code",
            _("查询码为%(n)s位字母和数字，例如“K7M2Q-9XHTR”") % {"n": codes.LENGTH},
            field="code",
        )
    progress = queries.follow(code)
    if progress is None:
        raise ActionError("not_found", _("没有找到该查询码对应的举报"), status=404)
    return asdict(progress)


# --- the district ---------------------------------------------------------------------------


@router.get(
    "staff/reports",
    response=list[ReportSummaryOut],
    url_name="staff_reports",
    operation_id="staff_reports",
)
def list_reports(
    request: HttpRequest, status: str = "open", outcome: str = "", district: str = ""
) -> list[dict[str, Any]]:
    """District staff: their district's reports; the city administrator: all (or one
    `district`). `status`: open (default), all, received, assigned or closed; `outcome`.
    At most 500, oldest first."""
    user = _user(request)
    filters = queries.ListFilters.from_query(
        user, {"status": status, "outcome": outcome, "district": district}
    )
    rows = queries.staff_list(user, filters)[:MAX_LIST]
    return [summary_dict(r, r.photo_count, r.note_count) for r in rows]  # type: ignore[attr-defined]


@router.get(
    "staff/reports/{pk}", response=ReportOut, url_name="staff_report", operation_id="staff_report"
)
def get_report(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _report(_user(request), pk)


@router.get(
    "staff/report-photos/{pk}", url_name="staff_report_photo", operation_id="staff_report_photo"
)
def report_photo(request: HttpRequest, pk: int) -> FileResponse:
    return jpeg_response(get_report_photo_for_user(_user(request), pk).file)


@router.post(
    "staff/reports/{pk}/assign",
    response=ReportOut,
    url_name="staff_report_assign",
    operation_id="staff_report_assign",
)
def assign(request: HttpRequest, pk: int, payload: AssignIn) -> dict[str, Any]:
    """To the acting user, or to `assignee_id`, a clerk or reviewer of the same district."""
    user = _user(request)
    report = get_report_for_user(user, pk)
    assignee = None
    if payload.assignee_id is not None:
        assignee = User.objects.filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise ActionError("invalid", _("只能分派给本区的窗口受理员或审核员"), field="assignee")
    actions.assign(acting_user=user, report=report, assignee=assignee)
    return _report(user, pk)


@router.post(
    "staff/reports/{pk}/notes",
    response={201: ReportOut},
    url_name="staff_report_note",
    operation_id="staff_report_note",
)
def note(request: HttpRequest, pk: int, payload: NoteIn) -> Status[dict[str, Any]]:
    user = _user(request)
    actions.add_note(acting_user=user, report=get_report_for_user(user, pk), text=payload.text)
    return Status(201, _report(user, pk))


@router.post(
    "staff/reports/{pk}/close",
    response=ReportOut,
    url_name="staff_report_close",
    operation_id="staff_report_close",
)
def close(request: HttpRequest, pk: int, payload: CloseIn) -> dict[str, Any]:
    """`outcome`: confirmed | not_confirmed | referred | out_of_scope | duplicate; `text`:
    the reply the reporter reads (also sent by SMS when a contact phone was given)."""
    user = _user(request)
    actions.close(
        acting_user=user,
        report=get_report_for_user(user, pk),
        outcome=payload.outcome,
        text=payload.text,
    )
    return _report(user, pk)


@router.post(
    "staff/reports/{pk}/reopen",
    response=ReportOut,
    url_name="staff_report_reopen",
    operation_id="staff_report_reopen",
)
def reopen(request: HttpRequest, pk: int, payload: ReopenIn) -> dict[str, Any]:
    user = _user(request)
    actions.reopen(acting_user=user, report=get_report_for_user(user, pk), reason=payload.reason)
    return _report(user, pk)
