"""Public reports (Art. 17): the public's form, confirmation and follow pages (no login,
mobile-first), and the district's back-office pages. Thin views: they read the form, call
reports.actions and show its Chinese messages next to the fields.

Role access is enforced by AccessMiddleware (accounts.access); object access by
reports.access, which answers 404 alike for missing and not yours."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.constants import Role
from accounts.models import User
from core import formonce
from core.errors import ActionError, FieldErrors
from core.http import current_user as _current
from core.http import form_errors as _errors
from core.http import jpeg_response
from core.ratelimit import client_address, hit, retry_after, too_often
from core.reference import city
from reports import actions, codes, queries
from reports.access import get_report_for_user, get_report_photo_for_user, handles
from reports.constants import (
    CONTACT_NAME_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    MAX_PHOTOS,
    NOTE_MAX_LENGTH,
    NUMBER_MAX_LENGTH,
    OUTCOME_TEXT_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    ReportOutcome,
    ReportStatus,
)
from reports.uploads import report_photos

PAGE_SIZE = 50
SESSION_KEY = "reports:filed_code"
# A field people never see (hidden by CSS, skipped by keyboards): only robots fill it in.
HONEYPOT = "website"
FORM_FIELDS = (
    "number",
    "district",
    "place",
    "observed_at",
    "description",
    "contact_name",
    "contact_phone",
)


# --- the public -----------------------------------------------------------------------------


def _form(
    request: HttpRequest,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    *,
    alert: str = "",
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    context = {
        "values": values,
        "errors": errors,
        "alert": alert or (_("请检查标红的内容") if errors else ""),
        "districts": city().districts,
        "max_photos": MAX_PHOTOS,
        "limits": {
            "number": NUMBER_MAX_LENGTH,
            "place": PLACE_MAX_LENGTH,
            "description": DESCRIPTION_MAX_LENGTH,
            "contact_name": CONTACT_NAME_MAX_LENGTH,
        },
        "now": f"{timezone.localtime():%Y-%m-%dT%H:%M}",
        "form_key": formonce.key_for(request),
    }
    return render(request, "reports/new.html", context, status=status)


@require_http_methods(["GET", "POST"])
@never_cache  # the form carries its one-time key (core.formonce): no shared copies
def new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        values = {"number": request.GET.get("number", "")[:NUMBER_MAX_LENGTH]}
        return _form(request, values)
    values = {name: request.POST.get(name, "") for name in FORM_FIELDS}
    if request.POST.get(HONEYPOT):
        return _form(request, values, alert=_("提交失败，请刷新页面后重试"), status=400)

    def file() -> str:
        report = actions.file_report(
            acting_user=None,
            address=client_address(request),
            photos=photos,
            **values,
        )
        return report.code

    try:
        photos = report_photos(request.FILES.getlist("photos"))
        # A report sent again (its answer lost on the way) is the first one, same code.
        code, _again = formonce.run_once(request, None, file)
    except FieldErrors as exc:
        return _form(request, values, exc.errors, status=exc.status)
    except ActionError as exc:
        errors = _errors(exc)
        alert = exc.message if exc.field is None else ""
        return _form(request, values, {} if alert else errors, alert=alert, status=exc.status)
    request.session[SESSION_KEY] = code
    return redirect("reports:filed")


@require_GET
def filed(request: HttpRequest) -> HttpResponse:
    """The confirmation with the reference code (kept in the visitor's session, not in the
    address, so that it stays off browser history and server logs)."""
    code = request.session.get(SESSION_KEY)
    if not code:
        return redirect("reports:new")
    return render(request, "reports/filed.html", {"code": codes.display(code), "raw_code": code})


@require_GET
def follow(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("code", "").strip()
    if not text:
        return render(request, "reports/follow.html", {})
    key, limit = f"report-follow:{client_address(request)}", settings.NRMM_PUBLIC_LOOKUPS_PER_MINUTE
    if not hit(key, limit=limit):
        wait = retry_after(key, limit=limit)
        context = {"code": text, "error": too_often(wait)}
        response = render(request, "reports/follow.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response
    if codes.normalise(text) is None:
        error = _("查询码为%(n)s位字母和数字，例如“K7M2Q-9XHTR”") % {"n": codes.LENGTH}
        return render(request, "reports/follow.html", {"code": text, "error": error}, status=400)
    progress = queries.follow(text)
    if progress is None:
        error = _("没有找到该查询码对应的举报，请核对后重新输入")
        return render(request, "reports/follow.html", {"code": text, "error": error}, status=404)
    return render(request, "reports/follow.html", {"code": text, "progress": progress})


# --- the district ---------------------------------------------------------------------------


@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    filters = queries.ListFilters.from_query(user, request.GET)
    page = Paginator(queries.staff_list(user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    names = {d.code: d.name for d in city().districts}
    context = {
        "me": user,
        "page": page,
        "rows": [(r, names.get(r.district, r.district)) for r in page],
        "filters": filters,
        "statuses": ReportStatus.choices,
        "outcomes": ReportOutcome.choices,
        "districts": city().districts if user.role == Role.CITY_ADMIN else (),
        "title": names.get(user.district, user.district) if user.district else _("全市"),
    }
    return render(request, "reports/staff_list.html", context)


def _detail(
    request: HttpRequest,
    pk: int,
    *,
    form: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _current(request)
    report = get_report_for_user(user, pk)
    can_act = handles(user, report)
    errors = errors or {}
    context: dict[str, Any] = {
        "me": user,
        "r": report,
        "district": actions.district_label(report.district),
        # The reporter's phone: in full only for the district that may call back.
        "phone": report.contact_phone if can_act else report.masked_phone,
        "photos": list(report.photos.all()),
        "notes": list(report.notes.select_related("author")),
        "can_act": can_act,
        "open": report.status != ReportStatus.CLOSED,
        "colleagues": actions.colleagues(report) if can_act else [],
        "outcomes": ReportOutcome.choices,
        "form": form,
        "errors": errors,
        "values": values or {},
        "alert": next(iter(errors.values()), "") if errors else "",
        "limits": {"note": NOTE_MAX_LENGTH, "outcome_text": OUTCOME_TEXT_MAX_LENGTH},
    }
    return render(request, "reports/staff_detail.html", context, status=status)


@require_GET
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    return jpeg_response(get_report_photo_for_user(_current(request), pk).file)


@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    report = get_report_for_user(user, pk)
    values = {"assignee": request.POST.get("assignee", "")}
    raw = values["assignee"].strip()
    try:
        assignee = None
        if raw:
            assignee = User.objects.filter(pk=int(raw) if raw.isdigit() else 0).first()
            if assignee is None:
                raise FieldErrors({"assignee": _("只能分派给本区的窗口受理员或审核员")})
        report = actions.assign(acting_user=user, report=report, assignee=assignee)
    except ActionError as exc:
        return _detail(
            request, pk, form="assign", errors=_errors(exc), values=values, status=exc.status
        )
    assert report.assigned_to is not None
    messages.success(request, _("已分派给%(name)s") % {"name": report.assigned_to.name})
    return redirect("reports:staff_detail", pk)


@require_POST
def note(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    report = get_report_for_user(user, pk)
    values = {"text": request.POST.get("text", "")}
    try:
        actions.add_note(acting_user=user, report=report, text=values["text"])
    except ActionError as exc:
        return _detail(
            request, pk, form="note", errors=_errors(exc), values=values, status=exc.status
        )
    messages.success(request, _("已添加处理记录"))
    return redirect("reports:staff_detail", pk)


@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    report = get_report_for_user(user, pk)
    values = {
        "outcome": request.POST.get("outcome", ""),
        "outcome_text": request.POST.get("outcome_text", ""),
    }
    try:
        actions.close(
            acting_user=user, report=report, outcome=values["outcome"], text=values["outcome_text"]
        )
    except ActionError as exc:
        return _detail(
            request, pk, form="close", errors=_errors(exc), values=values, status=exc.status
        )
    if report.contact_phone:
        messages.success(request, _("已办结，并已短信告知举报人"))
    else:
        messages.success(request, _("已办结"))
    return redirect("reports:staff_detail", pk)


@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    report = get_report_for_user(user, pk)
    values = {"reason": request.POST.get("reason", "")}
    try:
        actions.reopen(acting_user=user, report=report, reason=values["reason"])
    except ActionError as exc:
        return _detail(
            request, pk, form="reopen", errors=_errors(exc), values=values, status=exc.status
        )
    messages.success(request, _("已重新办理"))
    return redirect("reports:staff_detail", pk)
