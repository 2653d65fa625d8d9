"""Fleet pages (owner side): the organisation's staff logins, bulk import from xlsx, and the
list of all its machines with a named action that submits many drafts. Thin views: they
read the form, call fleets.actions / accounts.actions and show the Chinese messages."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import actions as account_actions
from accounts.constants import AccountKind
from accounts.queries import fleet_owner, org_staff
from core.errors import ActionError
from core.http import current_user as _current
from core.http import form_errors as _errors
from core.reference import city
from fleets import actions
from fleets.columns import template_spec
from fleets.constants import IssueKind
from fleets.models import ImportJob
from fleets.queries import (
    PAGE_SIZE,
    FleetFilters,
    fleet_declarations,
    get_import_job,
    visible_import_jobs,
)
from fleets.xlsx import build_template
from registry.access import filer_declarations
from registry.constants import EDITABLE, DeclarationStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SUBMIT_MANY = 500
ISSUES_SHOWN = 1000


# --- staff logins ---------------------------------------------------------------------------


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", status=403)


@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    if user.kind != AccountKind.ORGANISATION:
        return _forbidden(request)  # staff members and people manage no staff
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    if request.method == "POST" and request.POST.get("action") == "send_code":
        values = {f: request.POST.get(f, "") for f in ("name", "phone")}
        try:
            account_actions.request_org_staff_code(acting_user=user, phone=values["phone"])
        except ActionError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("验证码已发送至员工手机，请员工告知后填写"))
    elif request.method == "POST":
        fields = ("name", "phone", "password", "password_confirm", "code")
        values = {f: request.POST.get(f, "") for f in fields}
        try:
            member = account_actions.create_org_staff(
                acting_user=user, form=account_actions.OrgStaffForm(**values)
            )
        except ActionError as exc:
            errors = _errors(exc)
        else:
            messages.success(
                request,
                _("已创建员工账户：%(name)s，请将手机号和初始密码告知本人") % {"name": member.name},
            )
            return redirect("fleets:staff")
        values = {k: v for k, v in values.items() if k in ("name", "phone")}
    context = {"members": org_staff(user), "values": values, "errors": errors}
    return render(request, "fleets/staff.html", context, status=400 if errors else 200)


def _set_active(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    user = _current(request)
    if user.kind != AccountKind.ORGANISATION:
        return _forbidden(request)
    member = get_object_or_404(org_staff(user), pk=pk)
    try:
        account_actions.set_org_staff_active(acting_user=user, staff=member, active=active)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (_("已启用%(name)s的账户") if active else _("已停用%(name)s的账户"))
            % {"name": member.name},
        )
    return redirect("fleets:staff")


@require_POST
def staff_disable(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, False)


@require_POST
def staff_enable(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, True)


# --- the fleet ------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> FleetFilters:
    raw_import = request.GET.get("import", "")
    return FleetFilters(
        status=request.GET.get("status", ""),
        machine_type=request.GET.get("machine_type", ""),
        district=request.GET.get("district", ""),
        q=request.GET.get("q", "")[:50],
        import_id=int(raw_import) if raw_import.isdigit() else None,
    )


@require_GET
def machines(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    filters = _filters(request)
    page = Paginator(fleet_declarations(user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    names = {d.code: d.name for d in city().districts}
    context = {
        "owner": fleet_owner(user),
        "page": page,
        "rows": [(d, names.get(d.district, d.district)) for d in page],
        "filters": filters,
        "statuses": DeclarationStatus.choices,
        "machine_types": [t.name for t in city().machine_types],
        "districts": [(d.code, d.name) for d in city().districts],
        "editable": {str(s) for s in EDITABLE},
    }
    return render(request, "fleets/machines.html", context)


@require_POST
def submit_many(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()][:MAX_SUBMIT_MANY]
    if not ids:
        messages.error(request, _("请先勾选要提交的草稿"))
        return redirect("fleets:machines")
    found = {d.pk: d for d in filer_declarations(user).filter(pk__in=ids)}
    outcomes = actions.submit_many(
        acting_user=user, declarations=[found[pk] for pk in ids if pk in found]
    )
    missing = [pk for pk in ids if pk not in found]
    rows: list[dict[str, Any]] = [
        {
            "d": o.declaration,
            "submitted": o.submitted,
            "problems": actions.problems_text(o.problems),
        }
        for o in outcomes
    ]
    context = {
        "submitted": [r for r in rows if r["submitted"]],
        "failed": [r for r in rows if not r["submitted"]],
        "missing": missing,
    }
    return render(request, "fleets/submit_result.html", context)


# --- bulk import ----------------------------------------------------------------------------


@require_GET
def template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(build_template(template_spec()), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="nrmm-import-template.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
def imports(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors["file"] = _("请选择要上传的xlsx文件")
        elif upload.size is not None and upload.size > actions.MAX_IMPORT_BYTES:
            errors["file"] = _("文件不能超过20MB，请分成几个文件导入")
        else:
            try:
                job = actions.start_import(
                    acting_user=user,
                    owner=fleet_owner(user),
                    file_name=upload.name or "",
                    data=upload.read(),
                )
            except ActionError as exc:
                errors = _errors(exc)
            else:
                return redirect("fleets:import_job", job.pk)
    context = {"jobs": visible_import_jobs(user)[:10], "errors": errors}
    return render(request, "fleets/imports.html", context, status=400 if errors else 200)


def _job_context(job: ImportJob) -> dict[str, Any]:
    context: dict[str, Any] = {"job": job}
    if job.finished:
        issues = job.issues.all()
        context["errors"] = list(issues.filter(kind=IssueKind.ERROR)[:ISSUES_SHOWN])
        context["duplicate_rows"] = list(
            issues.filter(kind=IssueKind.DUPLICATE).values_list("row", flat=True)[:ISSUES_SHOWN]
        )
        context["previous"] = actions.previous_import(job)
    return context


@require_GET
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_import_job(_current(request), pk)
    return render(request, "fleets/import_job.html", _job_context(job))


@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx polls this while the import runs; the finished result stops the polling."""
    job = get_import_job(_current(request), pk)
    return render(request, "fleets/_import_progress.html", _job_context(job))
