"""Back office for district and city staff: thin views that read the form, call an action
and render the outcome. Role access is enforced by AccessMiddleware (accounts.access);
"only your district" by registry.access, which answers 404 alike for missing and not yours.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import actions as account_actions
from accounts.constants import Role
from accounts.models import User
from accounts.queries import get_owner_for_staff, search_owners
from core import formonce
from core.errors import ActionError
from core.http import current_user as _current
from core.http import form_errors as _errors
from core.http import id_number_response, jpeg_response
from core.reference import city, holiday_calendar
from owners.views import login_view
from registry import actions
from registry.access import get_declaration_for_staff, get_photo_for_user
from registry.constants import DeclarationStatus, RegistrationType
from registry.models import Declaration, DeclarationPhoto
from registry.queries import Deadline, review_deadline, review_queue
from registry.steps import PHOTOS, STEP_FIELDS, STEP_TITLES
from rules.emission import STAGE_LABELS, Rule

QUEUE_PAGE_SIZE = 50
# The statuses a reviewer looks back at; drafts are the owner's business until submitted.
QUEUE_STATUSES = (
    DeclarationStatus.SUBMITTED,
    DeclarationStatus.RETURNED,
    DeclarationStatus.APPROVED,
    DeclarationStatus.REFUSED,
)
# What return_for_correction accepts as keys of field_reasons.
PHOTOS_REASON = "photos"
FIELD_REASON_PREFIX = "field_reason_"
INTAKE_FIELDS = ("site_type", "site_address", "registration_type")


def login(request: HttpRequest) -> HttpResponse:
    return login_view(request, template="backoffice/login.html")


def home(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    district = city().district(user.district) if user.district else None
    return render(request, "backoffice/home.html", {"me": user, "district": district})


def owners(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    results = list(search_owners(query)) if query else []
    return render(request, "backoffice/owners.html", {"query": query, "results": results})


@require_POST
def owner_id_number(request: HttpRequest, pk: int) -> HttpResponse:
    """显示完整证件号: the owner's full ID number for staff of a district the owner has
    business in, or the city (accounts.queries.owners_for_staff); audited. Everyone else,
    and owners without an ID number, get the same 404 as a missing owner."""
    user = _current(request)
    owner = get_owner_for_staff(user, pk)
    try:
        number = account_actions.reveal_id_number(acting_user=user, owner=owner, via="page")
    except ActionError:
        raise Http404 from None
    return id_number_response(
        request,
        person=owner,
        number=number,
        base_template="backoffice/base.html",
        fallback=reverse("backoffice:home"),
    )


# --- the review queue -----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    status: str
    machine_type: str
    stage: int | None
    late: bool
    warnings: bool
    district: str


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue with every text worked out here: the template only prints
    them. Fifty rows of template lookups, date filters and translation blocks cost several
    times the query (bench/pages.py)."""

    pk: int
    district_name: str
    owner_name: str
    machine_type: str
    machine_name: str
    stage_label: str
    submitted_on: str
    decided_on: str
    due_on: str  # "" when there is no due date to show
    overdue: bool
    days_text: str  # working days left or past the due date, or why unknown
    late: bool
    warnings_text: str


def _day(moment: datetime | None) -> str:
    """What the template's date:"Y-m-d" showed: the local date."""
    return f"{timezone.localtime(moment):%Y-%m-%d}" if moment is not None else ""


def _days_text(deadline: Deadline) -> str:
    left = deadline.working_days_left
    if left is None:
        return _("节假日表缺少该年份")
    if deadline.overdue:
        return _("已超%(n)s个工作日") % {"n": -left} if left else ""
    return _("剩%(n)s个工作日") % {"n": left}


def _queue_rows(declarations: Iterable[Declaration]) -> list[QueueRow]:
    # One calendar for the whole page: holiday_calendar() reads the table on every call.
    calendar = holiday_calendar()
    today = timezone.localdate()
    district_names = {d.code: d.name for d in city().districts}
    deadlines: dict[date | None, tuple[Deadline, str]] = {}  # rows share due dates
    rows = []
    for d in declarations:
        if d.review_due not in deadlines:
            deadline = review_deadline(d, today, calendar)
            deadlines[d.review_due] = (deadline, _days_text(deadline))
        deadline, days_text = deadlines[d.review_due]
        warnings = len(d.warnings or [])
        rows.append(
            QueueRow(
                pk=d.pk,
                district_name=district_names.get(d.district, d.district),
                owner_name=d.owner.name,
                machine_type=d.machine_type,
                machine_name=d.machine_name,
                stage_label=(STAGE_LABELS.get(d.stage, "") if d.stage else "") or "—",
                submitted_on=_day(d.submitted_at),
                decided_on=_day(d.decided_at) or "—",
                due_on=f"{deadline.due:%Y-%m-%d}" if deadline.due else "",
                overdue=deadline.overdue,
                days_text=days_text,
                late=d.late,
                warnings_text=(
                    ngettext("%(n)s条提示", "%(n)s条提示", warnings) % {"n": warnings}
                    if warnings
                    else ""
                ),
            )
        )
    return rows


def _queue_filters(get: Mapping[str, str], user: User) -> QueueFilters:
    """Unknown values are ignored rather than refused: a stale bookmark still opens."""
    status = get.get("status", "")
    stage = get.get("stage", "")
    machine_type = get.get("machine_type", "")
    district = get.get("district", "")
    return QueueFilters(
        status=status if status in QUEUE_STATUSES else DeclarationStatus.SUBMITTED,
        machine_type=machine_type if machine_type in _machine_type_names() else "",
        stage=int(stage) if stage.isdigit() and int(stage) in STAGE_LABELS else None,
        late=get.get("late") == "1",
        warnings=get.get("warnings") == "1",
        # District staff see their own district anyway; only the city chooses one.
        district=district
        if user.role == Role.CITY_ADMIN and district in city().district_codes()
        else "",
    )


def _machine_type_names() -> list[str]:
    return [t.name for t in city().machine_types]


def filtered_queue(query: Mapping[str, str], user: User) -> QuerySet[Declaration]:
    """The queue as the page's filters narrow it (also what its xlsx export lists)."""
    filters = _queue_filters(query, user)
    declarations = review_queue(user, status=filters.status)
    if filters.district:
        declarations = declarations.filter(district=filters.district)
    if filters.machine_type:
        declarations = declarations.filter(machine_type=filters.machine_type)
    if filters.stage is not None:
        declarations = declarations.filter(stage=filters.stage)
    if filters.late:
        declarations = declarations.filter(late=True)
    if filters.warnings:
        declarations = declarations.exclude(warnings=[])
    return declarations


def review_queue_view(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    filters = _queue_filters(request.GET, user)
    declarations = filtered_queue(request.GET, user)
    page = Paginator(declarations, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _queue_rows(page)
    context = {
        "me": user,
        "rows": rows,
        "page": page,
        # review/<pk>/ under the queue's own URL: one reverse() for the page, not per row.
        "review_url": reverse("backoffice:review_queue"),
        # The row's fixed words, translated once for the page.
        "overdue_tag": _("逾期"),
        "no_deadline": _("未能计算"),
        "late_tag": _("逾期申报"),
        "filters": filters,
        "statuses": [(s.value, s.label) for s in QUEUE_STATUSES],
        "machine_types": _machine_type_names(),
        "stages": sorted(STAGE_LABELS.items()),
        "districts": city().districts if user.role == Role.CITY_ADMIN else (),
        "pending": filters.status == DeclarationStatus.SUBMITTED,
    }
    return render(request, "backoffice/review_queue.html", context)


# --- the review page ------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    name: str
    label: str
    value: str
    reason: str  # the reviewer's return reason typed for this field, echoed after an error


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[FieldRow]


def _field_label(name: str) -> str:
    if name == PHOTOS_REASON:
        return _("照片")
    labels = {f.name: str(f.verbose_name) for f in Declaration._meta.fields}
    return labels[name]


def _display(declaration: Declaration, name: str) -> str:
    value = getattr(declaration, name)
    if value is None or value == "":
        return ""
    if name == "district":
        return _display_district(value)
    if name in ("registration_type", "acquisition_kind"):
        return str(getattr(declaration, f"get_{name}_display")())
    if name == "has_nameplates":
        return _("有") if value else _("无")
    if name.endswith("_stage"):
        return STAGE_LABELS.get(value, str(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _sections(declaration: Declaration, reasons: dict[str, str]) -> list[Section]:
    """The declared data in the wizard's steps, so reviewer and owner speak of the same
    places ("第三步 机械信息")."""
    in_plant = declaration.registration_type == RegistrationType.IN_PLANT
    sections = []
    for step, names in sorted(STEP_FIELDS.items()):
        rows = [
            FieldRow(name, _field_label(name), _display(declaration, name), reasons.get(name, ""))
            for name in names
            if in_plant or name != "in_plant_plate"  # only in-plant vehicles have this plate
        ]
        sections.append(Section(str(STEP_TITLES[step]), rows))
    return sections


def _stage_info(declaration: Declaration) -> dict[str, str] | None:
    if declaration.stage is None:
        return None
    try:
        rule = Rule(declaration.stage_rule)
    except ValueError:
        rule_label, clause = declaration.stage_rule, ""
    else:
        rule_label, clause = rule.label, rule.clause
    return {
        "label": STAGE_LABELS.get(declaration.stage, str(declaration.stage)),
        "rule": rule_label,
        "clause": clause,
        "explanation": declaration.stage_explanation,
    }


def _review_page(
    request: HttpRequest,
    pk: int,
    *,
    form: str = "",
    error: ActionError | None = None,
    values: dict[str, str] | None = None,
) -> HttpResponse:
    user = _current(request)
    # Read again after a failed decision: someone else may just have decided.
    declaration = get_declaration_for_staff(user, pk)
    values = values or {}
    can_decide = (
        user.role == Role.REVIEWER
        and user.district == declaration.district
        and declaration.status == DeclarationStatus.SUBMITTED
    )
    errors = _errors(error) if error else {}
    # An error no form can show (the declaration was decided meanwhile) goes on top.
    alert = next(iter(errors.values())) if errors and not can_decide else ""
    reasons = {
        k.removeprefix(FIELD_REASON_PREFIX): v
        for k, v in values.items()
        if k.startswith(FIELD_REASON_PREFIX)
    }
    photos: list[DeclarationPhoto] = list(declaration.photos.all())
    rounds = list(declaration.round_history.select_related("submitted_by", "decided_by"))
    round_reasons = {
        r.pk: [(_field_label(k), v) for k, v in r.field_reasons.items()] for r in rounds
    }
    context = {
        "me": user,
        "d": declaration,
        "owner": declaration.owner,
        "registration": getattr(declaration, "registration", None),
        "sections": _sections(declaration, reasons),
        "photos_step": str(STEP_TITLES[PHOTOS]),
        "photos": photos,
        "photos_reason": reasons.get(PHOTOS_REASON, ""),
        "stage": _stage_info(declaration),
        "deadline": review_deadline(declaration, timezone.localdate()),
        "rounds": [(r, round_reasons[r.pk]) for r in rounds],
        "can_decide": can_decide,
        "stage_choices": sorted(STAGE_LABELS.items()),
        "form": form,
        "errors": errors,
        "alert": alert,
        "values": values,
        "district_name": _display_district(declaration.district),
    }
    status = error.status if error else 200
    return render(request, "backoffice/review.html", context, status=status)


def review(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, pk)


def photo(request: HttpRequest, pk: int) -> FileResponse:
    """The full JPEG behind a thumbnail, for staff of the declaration's district (and the
    city); everyone else gets the same 404 as for a photo that does not exist."""
    found = get_photo_for_user(_current(request), pk)
    return jpeg_response(found.file)


def _parse_override(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or int(raw) not in STAGE_LABELS:
        raise ActionError("bad_override", _("请选择排放阶段"), field="override")
    return int(raw)


@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    declaration = get_declaration_for_staff(user, pk)
    values = {
        "override": request.POST.get("override", "").strip(),
        "override_reason": request.POST.get("override_reason", ""),
    }
    try:
        registration = actions.approve(
            acting_user=user,
            declaration=declaration,
            override=_parse_override(values["override"]),
            override_reason=values["override_reason"],
        )
    except ActionError as exc:
        return _review_page(request, pk, form="approve", error=exc, values=values)
    messages.success(request, _("已准予登记，号码：%(number)s") % {"number": registration.number})
    return redirect("backoffice:review_queue")


@require_POST
def return_(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    declaration = get_declaration_for_staff(user, pk)
    known = [name for names in STEP_FIELDS.values() for name in names] + [PHOTOS_REASON]
    field_reasons = {
        name: request.POST[FIELD_REASON_PREFIX + name]
        for name in known
        if request.POST.get(FIELD_REASON_PREFIX + name, "").strip()
    }
    reason = request.POST.get("reason", "")
    try:
        actions.return_for_correction(
            acting_user=user, declaration=declaration, reason=reason, field_reasons=field_reasons
        )
    except ActionError as exc:
        values = {"reason": reason} | {FIELD_REASON_PREFIX + k: v for k, v in field_reasons.items()}
        return _review_page(request, pk, form="return", error=exc, values=values)
    messages.success(request, _("申报%(id)s已退回重填，已短信通知机主") % {"id": declaration.pk})
    return redirect("backoffice:review_queue")


@require_POST
def refuse(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    declaration = get_declaration_for_staff(user, pk)
    reason = request.POST.get("reason", "")
    try:
        actions.refuse(acting_user=user, declaration=declaration, reason=reason)
    except ActionError as exc:
        return _review_page(request, pk, form="refuse", error=exc, values={"reason": reason})
    messages.success(
        request, _("申报%(id)s已决定不予登记，已短信通知机主") % {"id": declaration.pk}
    )
    return redirect("backoffice:review_queue")


# --- counter intake (Art. 5) ----------------------------------------------------------------


def _intake_owner(raw: str) -> User | None:
    if not raw.isdigit():
        return None
    return User.objects.filter(pk=int(raw), role=Role.OWNER, is_active=True).first()


@require_http_methods(["GET", "POST"])
@never_cache  # the form carries its one-time key (core.formonce): no shared copies
def intake(request: HttpRequest) -> HttpResponse:
    """The clerk finds a registered owner, the owner reads out the SMS code, and the clerk
    starts the declaration in the owners' wizard on their behalf."""
    clerk = _current(request)
    query = (request.POST.get("q") or request.GET.get("q") or "").strip()
    context: dict[str, Any] = {
        "form_key": formonce.key_for(request),
        "query": query,
        "results": [],
        "owner": None,
        "errors": {},
        "values": {},
        "district_name": _display_district(clerk.district),
        "site_types": city().site_types,
        "registration_types": RegistrationType.choices,
    }
    if request.method == "GET":
        context["results"] = list(search_owners(query)) if query else []
        return render(request, "backoffice/intake.html", context)

    owner = _intake_owner(request.POST.get("owner", ""))
    if owner is None:
        context["errors"] = {"form": _("请先查找并选择机主")}
        return render(request, "backoffice/intake.html", context, status=400)
    context["owner"] = owner
    if request.POST.get("op") == "start":
        values = {f: request.POST.get(f, "") for f in INTAKE_FIELDS}

        def start() -> str:
            declaration = actions.start_counter_declaration(
                acting_user=clerk, owner=owner, code=request.POST.get("code", ""), data=values
            )
            messages.success(
                request,
                _("已为%(name)s建立申报（申报号%(id)s），请继续填写")
                % {"name": owner.name, "id": declaration.pk},
            )
            # The clerk goes on in the owners' wizard, which lets district clerks act for
            # owners.
            return reverse("owners:declaration_step", args=[declaration.pk, 1])

        try:
            url, again = formonce.run_once(request, clerk, start)
        except ActionError as exc:
            context.update(errors=_errors(exc), values=values, form_key=formonce.key_for(request))
            return render(request, "backoffice/intake.html", context, status=exc.status)
        if again:
            messages.info(request, _("这份表单已经提交过，已为您打开当时建立的申报"))
        return redirect(url)
    try:
        actions.request_counter_intake(acting_user=clerk, owner=owner)
    except ActionError as exc:
        context["errors"] = _errors(exc)
        return render(request, "backoffice/intake.html", context, status=exc.status)
    messages.success(
        request,
        _("验证码已发送至机主手机%(phone)s，请机主告知验证码") % {"phone": owner.masked_phone},
    )
    return render(request, "backoffice/intake.html", context)


def _display_district(code: str) -> str:
    names = {d.code: d.name for d in city().districts}
    return f"{names.get(code, '')}（{code}）"
