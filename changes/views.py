"""Changes after registration (Art. 4, 11-14; manual 二): thin views that read the form,
call changes.actions and show its Chinese messages next to the fields.

Role access is enforced by AccessMiddleware (accounts.access); object access by
changes.access and registry.access, which answer 404 alike for missing and not yours.
Owners' pages are mobile-first (base.html); the district's are back-office pages."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.constants import DISTRICT_ROLES, Role
from accounts.models import User
from changes import actions, queries
from changes.access import acting_for_ids, get_change_photo_for_user, get_request_for_user
from changes.constants import (
    MAX_PHOTOS,
    OPEN_STATUSES,
    ChangeKind,
    ChangeStatus,
    DeregistrationReason,
    ReissueReason,
)
from changes.models import ChangeRequest
from core.errors import ActionError, FieldErrors
from core.http import current_user as _current
from core.http import form_errors as _errors
from core.http import jpeg_response
from core.reference import city
from inspections.uploads import read_photos
from registry.access import get_registration_for_owner_side, owner_side_registrations
from registry.constants import RegistrationStatus
from registry.models import Registration
from rules.emission import STAGE_LABELS

PAGE_SIZE = 50

# The forms an owner files (the location switch included), in the manual's order.
FORM_KINDS = (
    ChangeKind.OWNER,
    ChangeKind.LOCATION,
    ChangeKind.DPF,
    ChangeKind.RETROFIT,
    ChangeKind.ALTERATION,
    ChangeKind.REISSUE,
    ChangeKind.TRANSFER_OUT,
    ChangeKind.DEREGISTRATION,
)
KIND_SLUGS = {kind.value: kind for kind in FORM_KINDS}
# One line under each choice on the "choose a change" page.
KIND_HINTS = {
    ChangeKind.OWNER: _("机械转让给他人（第十一条）：双方均须已注册，各自输入短信验证码"),
    ChangeKind.LOCATION: _("机械到其他区作业（信息变更（3））：立即生效，无需审核"),
    ChangeKind.DPF: _("登记后加装了颗粒捕集器DPF（信息变更（2））"),
    ChangeKind.RETROFIT: _("更换或改装发动机（第十二条）：审核并现场核查后换发新号码"),
    ChangeKind.ALTERATION: _("机械类型、功能或外观显著变化（第十三条）：10日内申请"),
    ChangeKind.REISSUE: _("识别标志或信息采集卡遗失、损毁或无法辨识（第十三条）：10日内申请"),
    ChangeKind.TRANSFER_OUT: _("机械转出本市（第十四条）：本市登记终止"),
    ChangeKind.DEREGISTRATION: _("机械报废或停用（第十四条）：收回标志和信息卡后注销"),
}
ENGINE_KEYS = (
    "engine_maker",
    "engine_model",
    "engine_serial",
    "engine_number",
    "engine_production_date",
    "engine_power_kw",
    "engine_stage",
    "test_lab",
    "test_report_number",
)


def _district_name(code: str) -> str:
    names = {d.code: d.name for d in city().districts}
    return f"{names[code]}（{code}）" if code in names else code


def machine_facts(registration: Registration) -> list[tuple[str, str]]:
    declaration = registration.declaration
    location = registration.location_district or registration.district
    rows = [
        (_("环保登记号码"), registration.number),
        (_("机械类型"), f"{declaration.machine_type} {declaration.machine_name}".strip()),
        (_("规格型号"), declaration.machine_model),
        (_("排放阶段"), STAGE_LABELS.get(registration.stage, str(registration.stage))),
        (_("登记区"), _district_name(registration.district)),
        (_("现所在区"), _district_name(location)),
        (_("登记状态"), str(registration.get_status_display())),
    ]
    return [(label, value) for label, value in rows if value]


# --- the owner's pages ----------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """信息变更: every machine of the account (manual 二 第二步) and the requests filed."""
    user = _current(request)
    machines = Paginator(
        owner_side_registrations(user)
        .select_related("declaration", "owner")
        .order_by("-issued_at", "-pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    recent = list(queries.owner_requests(user)[:20])
    context = {
        "me": user,
        "page": machines,
        "machines": list(machines),
        "requests": recent,
        "awaiting": queries.awaiting_confirmation(user).count(),
    }
    return render(request, "changes/home.html", context)


def _registration_page(
    request: HttpRequest, registration: Registration, *, status: int = 200
) -> HttpResponse:
    history = queries.for_registration(registration)
    open_kinds = {c.kind for c in history["changes"] if c.status in OPEN_STATUSES}
    choices = [
        {
            "kind": kind,
            "label": kind.label,
            "hint": KIND_HINTS[kind],
            "open": kind in open_kinds,
        }
        for kind in FORM_KINDS
    ]
    context = {
        "reg": registration,
        "facts": machine_facts(registration),
        "valid": registration.status == RegistrationStatus.VALID,
        "choices": choices,
        "rows": [(c, queries.changes_of(c)) for c in history["changes"]],
        **history,
    }
    return render(request, "changes/registration.html", context, status=status)


@require_GET
def registration(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose a change for one machine; its changes so far."""
    return _registration_page(request, _owned(request, pk))


def _owned(request: HttpRequest, pk: int) -> Registration:
    found = get_registration_for_owner_side(_current(request), pk)
    return Registration.objects.select_related("declaration", "owner").get(pk=found.pk)


def _form_context(
    registration: Registration, kind: ChangeKind, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "reg": registration,
        "facts": machine_facts(registration),
        "kind": kind.value,
        "kind_label": kind.label,
        "kind_hint": KIND_HINTS[kind],
        "values": values,
        "errors": errors,
        "districts": city().districts,
        "machine_types": [t.name for t in city().machine_types],
        "reissue_reasons": ReissueReason.choices,
        "deregistration_reasons": DeregistrationReason.choices,
        "stages": sorted(STAGE_LABELS.items()),
        "max_photos": MAX_PHOTOS,
        "today": timezone.localdate().isoformat(),
        "location": registration.location_district or registration.district,
    }


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """One form per kind; the location switch takes effect at once, the others go to the
    district (an owner change first to the new owner for their code)."""
    user = _current(request)
    registration = _owned(request, pk)
    change_kind = KIND_SLUGS.get(kind)
    if change_kind is None:
        raise Http404
    if request.method == "GET":
        values: dict[str, Any] = {"event_date": "", "since": timezone.localdate().isoformat()}
        context = _form_context(registration, change_kind, values, {})
        return render(request, "changes/form.html", context)

    post = request.POST
    values = {key: post.get(key, "") for key in post if key != "csrfmiddlewaretoken"}
    try:
        change = _file(user, registration, change_kind, request)
    except ActionError as exc:
        context = _form_context(registration, change_kind, values, _errors(exc))
        return render(request, "changes/form.html", context, status=exc.status)
    if change.status == ChangeStatus.DONE:
        messages.success(request, _("使用区域已变更，立即生效"))
        return redirect("changes:registration", registration.pk)
    if change.status == ChangeStatus.AWAITING_NEW_OWNER:
        messages.success(request, _("已向新机械所有者发送验证码，请新机主登录平台确认"))
    else:
        messages.success(request, _("变更申请已提交，等待属地管理部门审核"))
    return redirect("changes:request", change.pk)


def _file(
    user: User, registration: Registration, kind: ChangeKind, request: HttpRequest
) -> ChangeRequest:
    post = request.POST
    files = request.FILES

    def photos(name: str) -> list[bytes]:
        return read_photos(files.getlist(name), field=name)

    if kind == ChangeKind.OWNER:
        agreement = photos("agreement_photo")
        return actions.request_owner_change(
            acting_user=user,
            registration=registration,
            new_owner_phone=post.get("new_owner_phone", ""),
            event_date=post.get("event_date", ""),
            agreement_photo=agreement[0] if agreement else None,
            old_owner_code=post.get("old_owner_code", ""),
        )
    if kind == ChangeKind.LOCATION:
        return actions.change_location(
            acting_user=user,
            registration=registration,
            district=post.get("district", ""),
            since=post.get("since", ""),
        )
    if kind == ChangeKind.DPF:
        return actions.request_dpf(
            acting_user=user,
            registration=registration,
            dpf_maker=post.get("dpf_maker", ""),
            dpf_model=post.get("dpf_model", ""),
            dpf_serial=post.get("dpf_serial", ""),
            installed_on=post.get("installed_on", ""),
            photos=photos("photos"),
        )
    if kind == ChangeKind.RETROFIT:
        return actions.request_retrofit(
            acting_user=user,
            registration=registration,
            engine={key: post.get(key, "") for key in ENGINE_KEYS},
            event_date=post.get("event_date", ""),
            before_photos=photos("before_photos"),
            after_photos=photos("after_photos"),
            test_report_photos=photos("test_report_photos"),
        )
    if kind == ChangeKind.ALTERATION:
        return actions.request_alteration(
            acting_user=user,
            registration=registration,
            description=post.get("description", ""),
            machine_type=post.get("machine_type", ""),
            event_date=post.get("event_date", ""),
            before_photos=photos("before_photos"),
            after_photos=photos("after_photos"),
        )
    if kind == ChangeKind.REISSUE:
        return actions.request_reissue(
            acting_user=user,
            registration=registration,
            reason=post.get("reason", ""),
            event_date=post.get("event_date", ""),
            photos=photos("photos"),
        )
    if kind == ChangeKind.TRANSFER_OUT:
        return actions.request_transfer_out(
            acting_user=user,
            registration=registration,
            destination=post.get("destination", ""),
            event_date=post.get("event_date", ""),
        )
    return actions.request_deregistration(
        acting_user=user,
        registration=registration,
        reason=post.get("reason", ""),
        event_date=post.get("event_date", ""),
        photos=photos("photos"),
    )


@require_POST
def owner_code(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: send the current owner's code for an owner change; answers a status line (200
    either way, so that htmx shows the error too)."""
    user = _current(request)
    registration = _owned(request, pk)
    try:
        actions.send_owner_change_code(acting_user=user, registration=registration)
    except ActionError as exc:
        return render(request, "changes/_code_status.html", {"error": exc.message})
    response = render(
        request, "changes/_code_status.html", {"phone": registration.owner.masked_phone}
    )
    response["X-Sms-Sent"] = "1"
    return response


def _request_page(
    request: HttpRequest, pk: int, *, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    user = _current(request)
    change = get_request_for_user(user, pk)
    ids = set(acting_for_ids(user))
    is_requester = change.owner_id in ids
    is_new_owner = change.new_owner_id in ids
    context = {
        "c": change,
        "reg": change.registration,
        "facts": machine_facts(change.registration),
        "rows": queries.changes_of(change),
        "photos": list(change.photos.all()),
        "data_rows": data_rows(change),
        "can_withdraw": is_requester and change.status in OPEN_STATUSES,
        "can_resend": (is_requester or is_new_owner)
        and change.status == ChangeStatus.AWAITING_NEW_OWNER,
        "can_open_machine": change.registration.owner_id in ids,
        "can_confirm": is_new_owner
        and not is_requester
        and change.status == ChangeStatus.AWAITING_NEW_OWNER,
        "errors": errors or {},
        "alert": next(iter((errors or {}).values()), ""),
    }
    return render(request, "changes/request.html", context, status=status)


def data_rows(change: ChangeRequest) -> list[tuple[str, str]]:
    """What the owner filed, labelled (the kind's own fields)."""
    labels = {
        "district": _("现所在区"),
        "since": _("起始日期"),
        "dpf_maker": _("DPF厂家"),
        "dpf_model": _("DPF型号"),
        "dpf_serial": _("DPF编号"),
        "dpf_installed_on": _("DPF安装日期"),
        "engine_maker": _("主机制造商"),
        "engine_model": _("主机型号"),
        "engine_serial": _("主机编号"),
        "engine_number": _("发动机型式核准号/信息公开编号"),
        "engine_production_date": _("主机出厂日期"),
        "engine_power_kw": _("主机功率(kW)"),
        "engine_stage": _("主机排放阶段"),
        "test_lab": _("排放检测单位"),
        "test_report_number": _("检测报告编号"),
        "description": _("变更情况"),
        "machine_type": _("新机械类型"),
        "reason": _("原因"),
        "destination": _("转入地"),
    }
    reasons = {**dict(ReissueReason.choices), **dict(DeregistrationReason.choices)}
    rows = []
    for key, label in labels.items():
        value = (change.data or {}).get(key)
        if value in (None, ""):
            continue
        if key == "district":
            value = _district_name(str(value))
        elif key == "reason":
            value = reasons.get(str(value), value)
        elif key == "engine_stage":
            value = STAGE_LABELS.get(int(value), value)
        rows.append((str(label), str(value)))
    return rows


@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _request_page(request, pk)


@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    change = get_request_for_user(user, pk)
    try:
        actions.withdraw(acting_user=user, request=change)
    except ActionError as exc:
        return _request_page(request, pk, errors=_errors(exc), status=exc.status)
    messages.success(request, _("申请已撤回"))
    return redirect("changes:request", pk)


@require_POST
def resend_code(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    change = get_request_for_user(user, pk)
    try:
        actions.resend_new_owner_code(acting_user=user, request=change)
    except ActionError as exc:
        return _request_page(request, pk, errors=_errors(exc), status=exc.status)
    messages.success(request, _("已重新向新机械所有者发送验证码"))
    return redirect("changes:request", pk)


@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    return jpeg_response(get_change_photo_for_user(_current(request), pk).file)


def _confirm_page(
    request: HttpRequest,
    *,
    errors: dict[str, str] | None = None,
    current: int | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _current(request)
    pending = list(queries.awaiting_confirmation(user))
    context = {"pending": pending, "errors": errors or {}, "current": current}
    return render(request, "changes/confirm_owner.html", context, status=status)


@require_http_methods(["GET", "POST"])
def confirm_owner(request: HttpRequest) -> HttpResponse:
    """The new owner enters the code sent to their phone (manual 二(1): both owners)."""
    if request.method == "GET":
        return _confirm_page(request)
    user = _current(request)
    raw = request.POST.get("request", "")
    pk = int(raw) if raw.isdigit() else 0
    try:
        change = get_request_for_user(user, pk)
        actions.confirm_owner_change(
            acting_user=user, request=change, code=request.POST.get("code", "")
        )
    except ActionError as exc:
        return _confirm_page(request, errors=_errors(exc), current=pk, status=exc.status)
    messages.success(request, _("已确认机主变更，等待属地管理部门审核"))
    return redirect("changes:request", pk)


@require_http_methods(["GET", "POST"])
def external(request: HttpRequest) -> HttpResponse:
    """Art. 4 第二款: machines already registered in another city, recorded by the owner."""
    user = _current(request)
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {
            key: request.POST.get(key, "")
            for key in (
                "city_name",
                "number",
                "machine_type",
                "district",
                "maker",
                "machine_model",
                "factory_serial",
                "notes",
            )
        }
        try:
            actions.record_external(acting_user=user, **values)
        except ActionError as exc:
            errors = _errors(exc)
            status = exc.status
        else:
            messages.success(request, _("已记录，该机械在本市免于申报登记"))
            return redirect("changes:external")
    page = Paginator(queries.external_records(user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "records": list(page),
        "values": values,
        "errors": errors,
        "districts": city().districts,
        "machine_types": [t.name for t in city().machine_types],
        "district_names": {d.code: d.name for d in city().districts},
    }
    return render(request, "changes/external.html", context, status=status)


# --- the district ---------------------------------------------------------------------------


@require_GET
def district_queue(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    filters = queries.QueueFilters.from_query(user, request.GET)
    page = Paginator(queries.district_queue(user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    rows = [
        {
            "c": c,
            "overdue": c.review_overdue(today),
            "sign_not_fixed": c.sign_not_fixed,
        }
        for c in page
    ]
    context = {
        "me": user,
        "page": page,
        "rows": rows,
        "filters": filters,
        "kinds": [(k.value, k.label) for k in FORM_KINDS if k != ChangeKind.LOCATION],
        "statuses": ChangeStatus.choices,
        "counts": queries.open_counts(user),
        "districts": city().districts if user.role == Role.CITY_ADMIN else (),
        "title": _district_name(user.district) if user.district else _("全市"),
    }
    return render(request, "changes/district_queue.html", context)


def _review_page(
    request: HttpRequest,
    pk: int,
    *,
    form: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _current(request)
    change = get_request_for_user(user, pk)
    registration = change.registration
    in_district = user.role in DISTRICT_ROLES and user.district == change.district
    submitted = change.status == ChangeStatus.SUBMITTED
    history = queries.for_registration(registration)
    owner = registration.owner
    errors = errors or {}
    context = {
        "me": user,
        "c": change,
        "reg": registration,
        "facts": machine_facts(registration),
        "owner_name": owner.name,
        "owner_phone": owner.masked_phone,
        "owner_id": owner.masked_identifier,
        "new_owner": change.new_owner,
        "photos": list(change.photos.all()),
        "data_rows": data_rows(change),
        "rows": queries.changes_of(change),
        "can_decide": user.role == Role.REVIEWER and in_district and submitted,
        "can_site_check": in_district and submitted and change.kind == ChangeKind.RETROFIT,
        "overdue": change.review_overdue(timezone.localdate()),
        "stages": sorted(STAGE_LABELS.items()),
        "form": form,
        "errors": errors,
        "values": values or {},
        "alert": next(iter(errors.values()), "") if errors else "",
        **history,
    }
    return render(request, "changes/district_request.html", context, status=status)


@require_GET
def district_request(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, pk)


@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    change = get_request_for_user(user, pk)
    values = {
        "override": request.POST.get("override", ""),
        "override_reason": request.POST.get("override_reason", ""),
    }
    raw = values["override"].strip()
    try:
        if raw and not raw.isdigit():
            raise FieldErrors({"override": _("请选择排放阶段")})
        change = actions.approve(
            acting_user=user,
            request=change,
            override=int(raw) if raw else None,
            override_reason=values["override_reason"],
            sign_and_card_recovered=request.POST.get("sign_and_card_recovered") == "1",
        )
    except ActionError as exc:
        return _review_page(
            request, pk, form="approve", errors=_errors(exc), values=values, status=exc.status
        )
    if change.new_registration is not None:
        messages.success(
            request,
            _("已审核通过，换发新号码%(number)s，新标志和信息卡已进入制作")
            % {"number": change.new_registration.number},
        )
    else:
        messages.success(request, _("已审核通过，变更已生效，并已短信通知机主"))
    return redirect("changes:district_request", pk)


@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    change = get_request_for_user(user, pk)
    values = {"reason": request.POST.get("reason", "")}
    try:
        actions.reject(acting_user=user, request=change, reason=values["reason"])
    except ActionError as exc:
        return _review_page(
            request, pk, form="reject", errors=_errors(exc), values=values, status=exc.status
        )
    messages.success(request, _("已退回申请，并已短信通知机主"))
    return redirect("changes:district_request", pk)


@require_POST
def site_check(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    change = get_request_for_user(user, pk)
    values = {"notes": request.POST.get("notes", "")}
    try:
        actions.record_site_check(acting_user=user, request=change, notes=values["notes"])
    except ActionError as exc:
        return _review_page(
            request, pk, form="site_check", errors=_errors(exc), values=values, status=exc.status
        )
    messages.success(request, _("已记录现场核查情况"))
    return redirect("changes:district_request", pk)


@require_GET
def district_external(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    page = Paginator(queries.external_records(user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "me": user,
        "page": page,
        "records": list(page),
        "district_names": {d.code: d.name for d in city().districts},
    }
    return render(request, "changes/district_external.html", context)
