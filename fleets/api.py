"""Fleets over the API: an organisation's staff logins, bulk import (upload, progress and
errors, the template), the list of all machines, and submitting many drafts at once. The
same actions as the pages; 404 alike for missing and not yours."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from accounts import actions as account_actions
from accounts.constants import AccountKind
from accounts.models import User
from accounts.queries import fleet_owner, org_staff
from core.errors import ActionError
from core.http import current_user as _user
from fleets import actions
from fleets.columns import template_spec
from fleets.constants import IssueKind
from fleets.models import ImportJob
from fleets.queries import PAGE_SIZE, FleetFilters, fleet_declarations, get_import_job
from fleets.xlsx import build_template
from registry.access import filer_declarations

router = Router(tags=["fleets"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SUBMIT_MANY = 500
ISSUES_RETURNED = 5000


# --- staff logins ---------------------------------------------------------------------------


class StaffIn(Schema):
    name: str
    phone: str
    password: str
    password_confirm: str
    code: str  # sent to the staff member's phone by POST me/staff/codes


class StaffCodeIn(Schema):
    phone: str = ""  # checked by the action, after the caller is known to be an organisation


class StaffCodeOut(Schema):
    message: str


class StaffOut(Schema):
    id: int
    name: str
    phone: str  # masked
    is_active: bool
    date_joined: datetime


def _staff_dict(member: User) -> dict[str, Any]:
    return {
        "id": member.pk,
        "name": member.name,
        "phone": member.masked_phone,
        "is_active": member.is_active,
        "date_joined": member.date_joined,
    }


def _organisation(request: HttpRequest) -> User:
    user = _user(request)
    if user.kind != AccountKind.ORGANISATION:
        raise ActionError("not_allowed", _("只有单位主账户可以管理员工账户"), status=403)
    return user


@router.get("me/staff", response=list[StaffOut], url_name="org_staff")
def list_staff(request: HttpRequest) -> list[dict[str, Any]]:
    return [_staff_dict(m) for m in org_staff(_organisation(request))]


@router.post("me/staff/codes", response={202: StaffCodeOut}, url_name="org_staff_codes")
def staff_code(request: HttpRequest, payload: StaffCodeIn) -> Status[dict[str, str]]:
    """Sends the code that the staff member reads out, agreeing to the login on their phone."""
    account_actions.request_org_staff_code(acting_user=_organisation(request), phone=payload.phone)
    return Status(202, {"message": _("验证码已发送至员工手机，请员工告知后填写")})


@router.post("me/staff", response={201: StaffOut}, url_name="org_staff")
def create_staff(request: HttpRequest, payload: StaffIn) -> Status[dict[str, Any]]:
    member = account_actions.create_org_staff(
        acting_user=_organisation(request), form=account_actions.OrgStaffForm(**payload.dict())
    )
    return Status(201, _staff_dict(member))


def _set_active(request: HttpRequest, pk: int, active: bool) -> dict[str, Any]:
    organisation = _organisation(request)
    member = get_object_or_404(org_staff(organisation), pk=pk)
    member = account_actions.set_org_staff_active(
        acting_user=organisation, staff=member, active=active
    )
    return _staff_dict(member)


@router.post("me/staff/{pk}/disable", response=StaffOut, url_name="org_staff_disable")
def disable_staff(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _set_active(request, pk, False)


@router.post("me/staff/{pk}/enable", response=StaffOut, url_name="org_staff_enable")
def enable_staff(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _set_active(request, pk, True)


# --- the fleet ------------------------------------------------------------------------------


class MachineOut(Schema):
    id: int
    status: str
    status_label: str
    machine_type: str
    machine_name: str
    district: str
    factory_serial: str
    pin: str
    machine_env_code: str
    number: str | None


class FleetOut(Schema):
    count: int
    page: int
    pages: int
    results: list[MachineOut]


@router.get("fleet", response=FleetOut, url_name="fleet")
def fleet(
    request: HttpRequest,
    status: str = "",
    machine_type: str = "",
    district: str = "",
    q: str = "",
    import_id: int | None = None,
    page: int = 1,
) -> dict[str, Any]:
    """All machines of the user's fleet (the organisation's, for its staff), newest first,
    PAGE_SIZE per page, with the same filters as the page."""
    from django.core.paginator import Paginator

    filters = FleetFilters(status, machine_type, district, q[:50], import_id)
    paginator = Paginator(fleet_declarations(_user(request), filters), PAGE_SIZE)
    current = paginator.get_page(page)
    return {
        "count": paginator.count,
        "page": current.number,
        "pages": paginator.num_pages,
        "results": [
            {
                "id": d.pk,
                "status": d.status,
                "status_label": d.get_status_display(),
                "machine_type": d.machine_type,
                "machine_name": d.machine_name,
                "district": d.district,
                "factory_serial": d.factory_serial,
                "pin": d.pin,
                "machine_env_code": d.machine_env_code,
                "number": getattr(getattr(d, "registration", None), "number", None),
            }
            for d in current
        ],
    }


class SubmitManyIn(Schema):
    ids: list[int]


class SubmitResultOut(Schema):
    id: int
    submitted: bool
    status: str
    problems: dict[str, str]
    messages: list[str]


class SubmitManyOut(Schema):
    submitted: int
    failed: int
    results: list[SubmitResultOut]


@router.post(
    "declarations/submit-many", response=SubmitManyOut, url_name="declarations_submit_many"
)
def submit_many(request: HttpRequest, payload: SubmitManyIn) -> dict[str, Any]:
    """Submit each listed draft on its own (each atomic): the answer says, per id, whether it
    went and, if not, why (field -> message). An id that is missing or not the user's is
    reported as not_found, like any other failure."""
    user = _user(request)
    if len(payload.ids) > MAX_SUBMIT_MANY:
        raise ActionError(
            "too_many", _("一次最多提交%(n)s份") % {"n": MAX_SUBMIT_MANY}, field="ids"
        )
    ids = list(dict.fromkeys(payload.ids))
    found = {d.pk: d for d in filer_declarations(user).filter(pk__in=ids)}
    outcomes = {
        o.declaration.pk: o
        for o in actions.submit_many(
            acting_user=user, declarations=[found[pk] for pk in ids if pk in found]
        )
    }
    results = []
    for pk in ids:
        outcome = outcomes.get(pk)
        if outcome is None:
            results.append(
                {
                    "id": pk,
                    "submitted": False,
                    "status": "",
                    "problems": {"not_found": _("未找到该申报")},
                    "messages": [_("未找到该申报")],
                }
            )
            continue
        results.append(
            {
                "id": pk,
                "submitted": outcome.submitted,
                "status": outcome.declaration.status,
                "problems": {k: str(v) for k, v in outcome.problems.items()},
                "messages": actions.problems_text(outcome.problems),
            }
        )
    ok = sum(1 for r in results if r["submitted"])
    return {"submitted": ok, "failed": len(results) - ok, "results": results}


# --- bulk import ----------------------------------------------------------------------------


class IssueOut(Schema):
    row: int
    column: str
    message: str


class ImportOut(Schema):
    id: int
    status: str
    status_label: str
    file_name: str
    total_rows: int
    rows_done: int
    percent: int
    created: int
    duplicates: int
    error_rows: int
    error_count: int
    message: str
    created_at: datetime
    finished_at: datetime | None
    errors: list[IssueOut]
    duplicate_rows: list[int]


def _job_dict(job: ImportJob, *, with_issues: bool = True) -> dict[str, Any]:
    errors: list[dict[str, Any]] = []
    duplicates: list[int] = []
    if with_issues and job.finished:
        issues = job.issues.all()
        errors = [
            {"row": i.row, "column": i.column, "message": i.message}
            for i in issues.filter(kind=IssueKind.ERROR)[:ISSUES_RETURNED]
        ]
        duplicates = list(
            issues.filter(kind=IssueKind.DUPLICATE).values_list("row", flat=True)[:ISSUES_RETURNED]
        )
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "file_name": job.file_name,
        "total_rows": job.total_rows,
        "rows_done": job.rows_done,
        "percent": job.percent,
        "created": job.created_count,
        "duplicates": job.duplicate_count,
        "error_rows": job.error_rows,
        "error_count": job.error_count,
        "message": job.message,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "errors": errors,
        "duplicate_rows": duplicates,
    }


@router.get("imports/template", url_name="import_template", response={200: None})
def import_template(request: HttpRequest) -> HttpResponse:
    """The xlsx template, with the allowed values as drop-down lists."""
    response = HttpResponse(build_template(template_spec()), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="nrmm-import-template.xlsx"'
    return response


@router.post("imports", response={202: ImportOut}, url_name="imports")
def upload(request: HttpRequest, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    """Upload an xlsx (multipart, field `file`) for the user's fleet. The import runs in
    the background: poll GET /imports/{id} until `status` is done or failed."""
    user = _user(request)
    if file.size is not None and file.size > actions.MAX_IMPORT_BYTES:
        raise ActionError("file_too_large", _("文件不能超过20MB，请分成几个文件导入"), field="file")
    job = actions.start_import(
        acting_user=user, owner=fleet_owner(user), file_name=file.name or "", data=file.read()
    )
    job.refresh_from_db()
    return Status(202, _job_dict(job))


@router.get("imports/{pk}", response=ImportOut, url_name="import")
def import_status(request: HttpRequest, pk: int) -> dict[str, Any]:
    """Progress (rows done of about total_rows) and, once finished, the errors per row and
    column (row numbers as Excel shows them) and the rows already there."""
    return _job_dict(get_import_job(_user(request), pk))
