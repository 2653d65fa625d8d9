"""Spot checks in the field (Art. 15) and rectification orders (Art. 16): thin views that
read the form, call inspections.actions and show its Chinese messages next to the fields.

Role access is enforced by AccessMiddleware (accounts.access); object access by
inspections.access, which answers 404 alike for missing and not yours. Checkers' and
owners' pages are mobile-first (base.html); the district list is a back-office page."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.constants import DISTRICT_ROLES, Role
from core import formonce
from core.errors import ActionError, FieldErrors
from core.http import current_user as _current
from core.http import form_errors as _errors
from core.http import jpeg_response
from core.reference import city
from inspections import actions, queries
from inspections.access import (
    get_rectification_for_user,
    get_rectification_photo_for_user,
    get_spot_check_for_user,
    get_spot_check_photo_for_user,
)
from inspections.constants import (
    CARD_PARAMETER,
    MAX_ANSWER_PHOTOS,
    MAX_CHECK_PHOTOS,
    OPEN_RECTIFICATION,
    CardCheck,
    RectificationStatus,
    SpotCheckResult,
)
from inspections.models import RectificationAnswer
from inspections.queries import CheckFilters, find_registration, my_checks, owner_rectifications
from inspections.uploads import read_photos
from registry.constants import RegistrationStatus
from registry.models import Registration
from rules.emission import STAGE_LABELS

PAGE_SIZE = 50

# The sign, as one choice on the phone: it sets sign_present and sign_matches.
SIGN_CHOICES = {
    "matches": (True, True),
    "differs": (True, False),
    "present": (True, None),  # no registration found: nothing to compare with
    "absent": (False, None),
}


def _district_name(code: str) -> str:
    names = {d.code: d.name for d in city().districts}
    return f"{names[code]}（{code}）" if code in names else code


def registration_facts(registration: Registration) -> list[tuple[str, str]]:
    """What anyone checking the machine may see: no owner, no personal data."""
    declaration = registration.declaration
    rows = [
        (_("环保登记号码"), registration.number),
        (_("机械类型"), declaration.machine_type),
        (_("机械种类"), registration.category),
        (_("规格型号"), declaration.machine_model),
        (_("生产厂家"), declaration.maker),
        (_("排放阶段"), STAGE_LABELS.get(registration.stage, str(registration.stage))),
        (_("登记区"), _district_name(registration.district)),
        (_("登记状态"), str(registration.get_status_display())),
    ]
    return [(label, value) for label, value in rows if value]


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError:
        return None


# --- Art. 15: checking a machine in the field -----------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Type the number on the sign or card; arriving from the public verification page
    (?number=...&card=genuine|not_genuine|unsigned) goes straight on to the form."""
    number = request.GET.get("number", "").strip()
    if number:
        params = {"number": number}
        card = request.GET.get("card", "")
        if card in CARD_PARAMETER:
            params["card"] = card
        return redirect(f"{reverse('inspections:new')}?{urlencode(params)}")
    user = _current(request)
    return render(request, "inspections/home.html", {"me": user})


def _form_context(
    request: HttpRequest, number: str, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    user = _current(request)
    lookup = find_registration(number)
    registration = lookup.registration
    sign_choices = (
        [
            ("matches", _("已悬挂，号码与登记一致")),
            ("differs", _("已悬挂，号码与登记不符")),
            ("absent", _("未悬挂")),
        ]
        if registration is not None
        else [("present", _("已悬挂")), ("absent", _("未悬挂"))]
    )
    card_choices = [
        (CardCheck.GENUINE.value, _("已出示，扫码核验为真")),
        (CardCheck.NOT_GENUINE.value, _("已出示，扫码核验不符")),
        (CardCheck.NOT_CHECKED.value, _("已出示，未核验")),
        (CardCheck.ABSENT.value, _("未见信息采集卡")),
    ]
    return {
        "me": user,
        "number": lookup.number or number,
        "lookup": lookup,
        "registration": registration,
        "facts": registration_facts(registration) if registration else [],
        "not_valid": registration is not None and registration.status != RegistrationStatus.VALID,
        "districts": city().districts,
        "sign_choices": sign_choices,
        "card_choices": card_choices,
        "values": values,
        "errors": errors,
        "max_photos": MAX_CHECK_PHOTOS,
        "form_key": formonce.key_for(request),
    }


@require_http_methods(["GET", "POST"])
@never_cache  # the form carries its one-time key (core.formonce): no shared copies
def new(request: HttpRequest) -> HttpResponse:
    """What the number is (public facts only) and the spot-check form."""
    user = _current(request)
    if request.method == "GET":
        number = request.GET.get("number", "")
        card = CARD_PARAMETER.get(request.GET.get("card", ""))
        values: dict[str, Any] = {"card": card.value if card else "", "district": ""}
        return render(request, "inspections/new.html", _form_context(request, number, values, {}))

    post = request.POST
    number = post.get("number", "")
    values = {
        "location": post.get("location", ""),
        "district": post.get("district", ""),
        "sign": post.get("sign", ""),
        "card": post.get("card", ""),
        "smoke_visible": post.get("smoke_visible") == "1",
        "notes": post.get("notes", ""),
    }
    errors: dict[str, str] = {}
    if values["sign"] not in SIGN_CHOICES:
        errors["sign"] = _("请选择环保标志检查情况")
    if values["card"] not in CardCheck.values:
        errors["card"] = _("请选择信息采集卡检查情况")

    def record(photos: list[bytes]) -> str:
        sign_present, sign_matches = SIGN_CHOICES[values["sign"]]
        check = actions.record_spot_check(
            acting_user=user,
            number=number,
            location=values["location"],
            district=values["district"] or None,
            sign_present=sign_present,
            sign_matches=sign_matches,
            card_present=values["card"] != CardCheck.ABSENT,
            card_check=values["card"],
            smoke_visible=values["smoke_visible"],
            notes=values["notes"],
            photos=photos,
        )
        if check.passed:
            messages.success(request, _("检查记录已保存：合格"))
        else:
            messages.success(
                request,
                _("检查记录已保存：不合格（%(reasons)s）")
                % {"reasons": "、".join(check.reason_labels)},
            )
        return reverse("inspections:check", args=[check.pk])

    try:
        if errors:
            raise FieldErrors(errors)
        # Photos are decoded and re-encoded before the transaction, not while it holds locks.
        photos = read_photos(request.FILES.getlist("photos"))
        url, again = formonce.run_once(request, user, lambda: record(photos))
    except ActionError as exc:
        errors = _errors(exc)
        if "sign_matches" in errors:
            errors["sign"] = errors.pop("sign_matches")
        if "card_check" in errors:
            errors["card"] = errors.pop("card_check")
        context = _form_context(request, number, values, errors)
        return render(request, "inspections/new.html", context, status=exc.status)
    if again:
        messages.info(request, _("这份表单已经提交过，已为您打开当时保存的检查记录"))
    return redirect(url)


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    page = Paginator(my_checks(_current(request)), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inspections/mine.html", {"page": page, "checks": list(page)})


def _check_page(
    request: HttpRequest,
    pk: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _current(request)
    errors = errors or {}
    check = get_spot_check_for_user(user, pk)
    registration = check.registration
    rectifications = list(
        check.rectifications.select_related("ordered_by").order_by("-ordered_at", "-pk")
    )
    has_open = any(r.status in OPEN_RECTIFICATION for r in rectifications)
    can_order = (
        registration is not None
        and user.role in DISTRICT_ROLES
        and user.district == registration.district
        and check.result == SpotCheckResult.FAILED
        and not has_open
    )
    context = {
        "me": user,
        "check": check,
        "registration": registration,
        "facts": registration_facts(registration) if registration else [],
        "district_name": _district_name(check.district),
        "photos": list(check.photos.all()),
        "rectifications": rectifications,
        "can_order": can_order,
        "is_staff_viewer": user.role in (Role.CLERK, Role.REVIEWER, Role.CITY_ADMIN),
        "errors": errors,
        "values": values or {},
        "today": timezone.localdate(),
        # An error the form cannot show next to a field (ordered meanwhile, wrong district).
        "alert": next(iter(errors.values())) if errors and not can_order else "",
    }
    return render(request, "inspections/check.html", context, status=status)


@require_GET
def check(request: HttpRequest, pk: int) -> HttpResponse:
    return _check_page(request, pk)


@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    return jpeg_response(get_spot_check_photo_for_user(_current(request), pk).file)


@require_GET
def answer_photo(request: HttpRequest, pk: int) -> FileResponse:
    return jpeg_response(get_rectification_photo_for_user(_current(request), pk).file)


@require_POST
def order(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    spot_check = get_spot_check_for_user(user, pk)
    values = {
        "requirement": request.POST.get("requirement", ""),
        "due_date": request.POST.get("due_date", ""),
    }
    due_date = _parse_date(values["due_date"])
    try:
        if values["due_date"].strip() and due_date is None:
            raise FieldErrors({"due_date": _("请按“年-月-日”填写整改期限")})
        rectification = actions.order_rectification(
            acting_user=user,
            spot_check=spot_check,
            requirement=values["requirement"],
            due_date=due_date,
        )
    except ActionError as exc:
        return _check_page(request, pk, errors=_errors(exc), values=values, status=exc.status)
    messages.success(request, _("已责令整改，并已短信通知机主"))
    return redirect("inspections:rectification", rectification.pk)


# --- the district's overview ----------------------------------------------------------------


@require_GET
def district_checks(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    filters = CheckFilters.from_query(user, request.GET)
    page = Paginator(queries.district_checks(user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [{"check": c, "district_name": _district_name(c.district)} for c in page]
    context = {
        "me": user,
        "page": page,
        "rows": rows,
        "filters": filters,
        "results": SpotCheckResult.choices,
        "districts": city().districts if user.role == Role.CITY_ADMIN else (),
        "title": _district_name(user.district) if user.district else _("全市"),
    }
    return render(request, "inspections/district_checks.html", context)


# --- Art. 16: rectification orders ----------------------------------------------------------


@require_GET
def rectifications(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    page = Paginator(owner_rectifications(user), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [{"r": r, "overdue": r.overdue(today)} for r in page]
    return render(
        request,
        "inspections/rectifications.html",
        {"me": user, "page": page, "rows": rows, "owner_side": user.role == Role.OWNER},
    )


def _rectification_page(
    request: HttpRequest,
    pk: int,
    *,
    form: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _current(request)
    rectification = get_rectification_for_user(user, pk)
    answers = list(
        RectificationAnswer.objects.filter(rectification=rectification)
        .select_related("answered_by")
        .prefetch_related("photos")
        .order_by("number")
    )
    registration = rectification.registration
    owner = registration.owner
    can_answer = user.role == Role.OWNER and rectification.status == RectificationStatus.ORDERED
    can_close = (
        user.role in DISTRICT_ROLES
        and user.district == rectification.district
        and rectification.status == RectificationStatus.ANSWERED
    )
    errors = errors or {}
    context = {
        "me": user,
        "r": rectification,
        "check": rectification.spot_check,
        "registration": registration,
        "facts": registration_facts(registration),
        "owner_name": owner.name,
        "owner_phone": owner.masked_phone,
        "staff_viewer": user.role != Role.OWNER,
        "answers": answers,
        "last_rejected": answers[-1]
        if answers and rectification.status == RectificationStatus.ORDERED
        else None,
        "overdue": rectification.overdue(timezone.localdate()),
        "can_answer": can_answer,
        "can_close": can_close,
        "form": form,
        "errors": errors,
        "values": values or {},
        "max_photos": MAX_ANSWER_PHOTOS,
        "alert": next(iter(errors.values())) if errors and not (can_answer or can_close) else "",
    }
    return render(request, "inspections/rectification.html", context, status=status)


@require_GET
def rectification(request: HttpRequest, pk: int) -> HttpResponse:
    return _rectification_page(request, pk)


@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    found = get_rectification_for_user(user, pk)
    text = request.POST.get("text", "")
    try:
        actions.answer_rectification(
            acting_user=user,
            rectification=found,
            text=text,
            photos=read_photos(request.FILES.getlist("photos")),
        )
    except ActionError as exc:
        return _rectification_page(
            request,
            pk,
            form="answer",
            errors=_errors(exc),
            values={"text": text},
            status=exc.status,
        )
    messages.success(request, _("整改情况已提交，等待属地管理部门审核"))
    return redirect("inspections:rectification", pk)


@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    found = get_rectification_for_user(user, pk)
    decision = request.POST.get("decision", "")
    values = {"note": request.POST.get("note", ""), "due_date": request.POST.get("due_date", "")}
    due_date = _parse_date(values["due_date"])
    try:
        if decision not in ("accept", "reject"):
            raise ActionError("decision_required", _("请选择审核结论"), field="decision")
        if values["due_date"].strip() and due_date is None:
            raise FieldErrors({"due_date": _("请按“年-月-日”填写整改期限")})
        actions.close_rectification(
            acting_user=user,
            rectification=found,
            accepted=decision == "accept",
            note=values["note"],
            due_date=due_date,
        )
    except ActionError as exc:
        return _rectification_page(
            request, pk, form="close", errors=_errors(exc), values=values, status=exc.status
        )
    if decision == "accept":
        messages.success(request, _("整改已审核通过，整改通知已办结，并已短信通知机主"))
    else:
        messages.success(request, _("整改未通过，已退回机主重新整改，并已短信通知机主"))
    return redirect("inspections:rectification", pk)
