"""The declaration wizard (manual 第四步 to 第六步): start, the four steps, the summary and
submit, and the progress page 编码登记进展. Thin views: they read the form, call
registry.actions and show its Chinese messages next to the fields.

Object access goes through registry.access (404 alike for missing and not yours); role
access is enforced by accounts.middleware.AccessMiddleware."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.constants import Role
from accounts.models import User
from accounts.queries import declarable_owners
from catalogue.lookup import lookup
from core import formonce
from core.errors import ActionError, FieldErrors
from core.http import jpeg_response
from core.reference import in_plant_standards
from owners import wizard
from owners.views import _current, _errors
from photos.processing import MAX_UPLOAD_BYTES
from registry import actions
from registry.access import get_declaration_for_filer, get_photo_for_user
from registry.constants import (
    EDITABLE,
    MAX_OTHER_PHOTOS,
    Decision,
    DeclarationStatus,
    RegistrationType,
)
from registry.models import Declaration, DeclarationRound
from registry.queries import progress_list, review_deadline, with_latest_round
from registry.steps import ID_GROUPS, PHOTOS, START, STEP_FIELDS, STEP_TITLES, check_group
from rules.emission import determine_stage, stage_label

SUMMARY = wizard.SUMMARY_STEP

PROGRESS_PAGE_SIZE = 50


# --- small helpers --------------------------------------------------------------------------


def _step_url(declaration: Declaration, step: int) -> str:
    if step >= SUMMARY:
        return reverse("owners:declaration_summary", args=[declaration.pk])
    return reverse("owners:declaration_step", args=[declaration.pk, step])


def _next_step(declaration: Declaration) -> int:
    return min(declaration.step + 1, SUMMARY)


def _latest_round(declaration: Declaration) -> DeclarationRound | None:
    if declaration.rounds == 0:
        return None
    return declaration.round_history.filter(number=declaration.rounds).first()


def _return_reasons(declaration: Declaration) -> tuple[DeclarationRound | None, dict[str, str]]:
    """The reviewer's latest return (reason and per-field reasons), while it is still open."""
    if declaration.status != DeclarationStatus.RETURNED:
        return None, {}
    latest = _latest_round(declaration)
    if latest is None or latest.decision != Decision.RETURNED:
        return None, {}
    return latest, dict(latest.field_reasons)


def _reason_rows(declaration: Declaration, field_reasons: dict[str, str]) -> list[dict[str, Any]]:
    """The reviewer's per-field reasons with the field's label and the step that fixes it."""
    return [
        {
            "label": wizard.label_of(name),
            "reason": text,
            "url": _step_url(declaration, wizard.step_of(name)),
        }
        for name, text in field_reasons.items()
    ]


def _indicator(declaration: Declaration, current: int) -> list[dict[str, Any]]:
    """The step indicator: 1 基本信息 … 5 完成, with the current and the completed steps;
    a step can be opened once the ones before it are done."""
    return [
        {
            "number": step,
            "title": STEP_TITLES[step],
            "current": step == current,
            "done": step <= declaration.step and step < SUMMARY,
            "url": _step_url(declaration, step) if step <= _next_step(declaration) else "",
        }
        for step in (*wizard.WIZARD_STEPS, SUMMARY)
    ]


def _base_context(declaration: Declaration, current: int) -> dict[str, Any]:
    latest, field_reasons = _return_reasons(declaration)
    return {
        "d": declaration,
        "steps": _indicator(declaration, current),
        "current": current,
        "returned": latest,
        "field_reasons": field_reasons,
        "reason_rows": _reason_rows(declaration, field_reasons),
        "in_plant": declaration.registration_type == RegistrationType.IN_PLANT,
    }


def _editable_or_redirect(declaration: Declaration) -> HttpResponse | None:
    if declaration.status not in EDITABLE:
        return redirect("owners:declaration", declaration.pk)
    return None


# --- 编码登记进展 -----------------------------------------------------------------------------


@require_GET
def declarations(request: HttpRequest) -> HttpResponse:
    """Every declaration the user follows, with the latest reviewer's decision, newest
    first, PROGRESS_PAGE_SIZE a page. A page costs the same few queries however long the
    list is (latest rounds in one prefetch)."""
    user = _current(request)
    # A fleet may follow thousands of machines: a page at a time, the same queries each.
    page = _progress_page(with_latest_round(progress_list(user)), request.GET.get("page"))
    if not page.rows and page.has_previous:
        return redirect("owners:declarations")  # past the end (a stale link): the first page
    rows = []
    for d in page.rows:
        latest = d.latest_rounds[0] if d.latest_rounds else None  # type: ignore[attr-defined]
        decided = latest is not None and latest.decision in (Decision.RETURNED, Decision.REFUSED)
        registration = getattr(d, "registration", None)
        live = getattr(registration, "live_credentials", None) or [None]
        rows.append(
            {
                "d": d,
                "credential": live[0],
                "title": d.machine_name or d.machine_type or _("（尚未填写机械信息）"),
                "registration": registration,
                "round": latest if decided else None,
                "reason_rows": (
                    _reason_rows(d, latest.field_reasons) if decided and latest else []
                ),
                "editable": d.status in EDITABLE,
            }
        )
    return render(request, "owners/declarations.html", {"rows": rows, "page": page})


@dataclass(frozen=True)
class ProgressPage:
    """A page of the progress list without a total: one row more than fits is read to tell
    whether a next page exists, so every page costs the same queries as a one-machine list
    (no COUNT over a fleet's thousands of declarations)."""

    rows: list[Declaration]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _progress_page(declarations: QuerySet[Declaration], number: str | None) -> ProgressPage:
    page = int(number) if number and number.isdigit() and 0 < int(number) < 100_000 else 1
    start = (page - 1) * PROGRESS_PAGE_SIZE
    rows = list(declarations[start : start + PROGRESS_PAGE_SIZE + 1])
    return ProgressPage(rows[:PROGRESS_PAGE_SIZE], page, len(rows) > PROGRESS_PAGE_SIZE)


# --- start ----------------------------------------------------------------------------------


def _owner_choices(user: User) -> list[User]:
    """Whom the user may declare for: themselves and the owners who consented (an
    organisation's staff member: the organisation)."""
    return declarable_owners(user)


@require_http_methods(["GET", "POST"])
@never_cache  # the form carries its one-time key (core.formonce): no shared copies
def declaration_new(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    if user.role == Role.CLERK:
        # At the counter the owner's SMS code comes first (Art. 5): the intake page.
        return redirect("backoffice:intake")
    owners = _owner_choices(user)
    values = {"district": "", "owner": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values.update({name: request.POST.get(name, "") for name in STEP_FIELDS[START]})
        values["owner"] = request.POST.get("owner", str(owners[0].pk) if owners else "")
        owner = next((o for o in owners if str(o.pk) == values["owner"]), None)
        if owner is None:
            errors["owner"] = _("请选择机械所有者")
        else:

            def start() -> str:
                declaration = actions.start_declaration(acting_user=user, owner=owner, data=values)
                return _step_url(declaration, wizard.WIZARD_STEPS[0])

            try:
                url, again = formonce.run_once(request, user, start)
            except ActionError as exc:
                errors = _errors(exc)
            else:
                if again:
                    messages.info(request, _("这份表单已经提交过，已为您打开当时建立的申报"))
                return redirect(url)
    context = {
        "form_key": formonce.key_for(request),
        "owners": owners,
        "values": values,
        "errors": errors,
        "districts": wizard.district_choices(),
        "site_types": wizard.site_type_choices(),
        "registration_types": RegistrationType.choices,
    }
    return render(request, "owners/declaration_new.html", context, status=400 if errors else 200)


# --- resume / read-only view ----------------------------------------------------------------


@require_GET
def declaration(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft or returned declaration resumes at its first unfinished step; any other is
    shown read-only."""
    d = get_declaration_for_filer(_current(request), pk)
    if d.status in EDITABLE:
        return redirect(_step_url(d, _next_step(d)))
    latest = _latest_round(d)
    registration = getattr(d, "registration", None)
    # The approved stage may differ from the one worked out on submission (Art. 7 (五)).
    stage = registration.stage if registration else d.stage
    context = {
        "d": d,
        "sections": wizard.summary_sections(d),
        "photos": wizard.ordered_photos(list(d.photos.all())),
        "registration": registration,
        "refusal": latest if d.status == DeclarationStatus.REFUSED else None,
        "deadline": review_deadline(d, timezone.localdate()),
        "stage_label": stage_label(stage) if stage else "",
        "stage_explanation": (
            registration.stage_explanation if registration else d.stage_explanation
        ),
    }
    return render(request, "owners/declaration_detail.html", context)


# --- steps 1-4 ------------------------------------------------------------------------------


def _photos_page(
    request: HttpRequest,
    d: Declaration,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    values = values or wizard.stored_values(d, PHOTOS)
    # After an upload the page comes back with the owner's (unsaved) nameplate choice.
    chosen = request.GET.get("has_nameplates")
    if not values.get("has_nameplates") and chosen in ("true", "false"):
        values["has_nameplates"] = chosen
    chosen = values.get("has_nameplates", "")
    context = {
        **_base_context(d, PHOTOS),
        "values": values,
        "errors": errors,
        "groups": wizard.photo_groups(d, list(d.photos.all()), errors, chosen),
        "nameplate_choices": wizard.nameplate_choices(),
        "has_nameplates": chosen,
        "max_other": MAX_OTHER_PHOTOS,
    }
    return render(request, "owners/declaration_photos.html", context, status=status)


def _step_page(
    request: HttpRequest,
    d: Declaration,
    step: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HttpResponse:
    errors = errors or {}
    if step == PHOTOS:
        return _photos_page(request, d, values=values, errors=errors, status=400 if errors else 200)
    context = _base_context(d, step)
    values = values if values is not None else wizard.stored_values(d, step)
    context.update(
        sections=wizard.step_sections(step, d, values, errors, context["field_reasons"]),
        errors=errors,
        step_title=STEP_TITLES[step],
        back_url=_step_url(d, step - 1) if step > wizard.WIZARD_STEPS[0] else "",
    )
    return render(request, "owners/declaration_step.html", context, status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
def declaration_step(request: HttpRequest, pk: int, step: int) -> HttpResponse:
    user = _current(request)
    d = get_declaration_for_filer(user, pk)
    if step not in wizard.WIZARD_STEPS:
        return redirect("owners:declaration", d.pk)
    if (response := _editable_or_redirect(d)) is not None:
        return response
    if step > _next_step(d):
        # Steps are filled in order: a later step's page waits for the earlier ones.
        return redirect(_step_url(d, _next_step(d)))
    if request.method == "GET":
        return _step_page(request, d, step)
    values = {name: request.POST.get(name, "") for name in STEP_FIELDS[step]}
    try:
        d = actions.save_step(acting_user=user, declaration=d, step=step, data=values)
    except ActionError as exc:
        return _step_page(request, d, step, values=values, errors=_errors(exc))
    return redirect(_step_url(d, step + 1))


# --- step 2: photos -------------------------------------------------------------------------


def _back_to_photos(d: Declaration, request: HttpRequest, kind: str) -> HttpResponse:
    url = _step_url(d, PHOTOS)
    chosen = request.POST.get("has_nameplates", "")
    if chosen in ("true", "false"):
        url += "?" + urlencode({"has_nameplates": chosen})
    return redirect(f"{url}#slot-{kind}" if kind else url)


@require_POST
def declaration_photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    d = get_declaration_for_filer(user, pk)
    kind = request.POST.get("kind", "")
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ActionError("photo_missing", _("请选择要上传的照片"), field=kind or "form")
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise ActionError("photo_too_large", _("照片不能超过15MB"), field=kind or "form")
        actions.upload_photo(acting_user=user, declaration=d, kind=kind, data=upload.read())
    except ActionError as exc:
        if exc.status == 409:  # no longer editable (submitted meanwhile)
            messages.error(request, exc.message)
            return redirect("owners:declaration", d.pk)
        chosen = request.POST.get("has_nameplates", "")
        values = {"has_nameplates": chosen} if chosen else None
        return _photos_page(request, d, values=values, errors=_errors(exc), status=400)
    return _back_to_photos(d, request, kind)


@require_POST
def declaration_photo_delete(request: HttpRequest, pk: int, photo_id: int) -> HttpResponse:
    user = _current(request)
    d = get_declaration_for_filer(user, pk)
    photo = d.photos.filter(pk=photo_id).first()
    if photo is None:
        messages.error(request, _("未找到该照片，可能已经删除"))
        return _back_to_photos(d, request, "")
    try:
        actions.delete_photo(acting_user=user, photo=photo)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("owners:declaration", d.pk)
    return _back_to_photos(d, request, photo.kind)


@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """The stored JPEG: for the owner, their agent and staff of the district (404 alike)."""
    found = get_photo_for_user(_current(request), pk)
    return jpeg_response(found.file)


# --- step 3: one identification group at a time ---------------------------------------------


@require_POST
def declaration_check_group(request: HttpRequest) -> HttpResponse:
    """htmx: checks one of step 3's four groups when the owner leaves its field. Accepts
    `value`, or the field itself (htmx sends the input under its own name)."""
    group = request.POST.get("group", "")
    if group not in ID_GROUPS:
        return HttpResponse(
            format_html('<p class="error">{}</p>', _("无法识别的编码组")), status=400
        )
    value = request.POST.get("value", request.POST.get(group, ""))
    result = check_group(group, value)
    known = lookup(result.value) if result.value and not result.error else None
    return render(
        request,
        "owners/_check_group.html",
        {"result": result, "skipped": not result.value and not result.error, "known": known},
    )


# --- 完成: summary and submit ----------------------------------------------------------------


def _problems(d: Declaration, errors: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for name, message in errors.items():
        step = _next_step(d) if name == "step" else wizard.step_of(name)
        rows.append({"message": message, "url": _step_url(d, step), "title": STEP_TITLES[step]})
    return rows


def _summary_page(
    request: HttpRequest, d: Declaration, *, submit_errors: dict[str, str] | None = None
) -> HttpResponse:
    decision = determine_stage(actions.stage_inputs(d), in_plant_standards())
    context = {
        **_base_context(d, SUMMARY),
        "sections": wizard.summary_sections(d),
        "photos": wizard.ordered_photos(list(d.photos.all())),
        "decision": decision,
        "stage_label": stage_label(decision.stage),
        "problems": _problems(d, actions.submission_problems(d)),
        "submit_errors": _problems(d, submit_errors or {}),
    }
    return render(
        request, "owners/declaration_summary.html", context, status=400 if submit_errors else 200
    )


@require_GET
def declaration_summary(request: HttpRequest, pk: int) -> HttpResponse:
    d = get_declaration_for_filer(_current(request), pk)
    if (response := _editable_or_redirect(d)) is not None:
        return response
    if d.step < wizard.WIZARD_STEPS[-1]:
        return redirect(_step_url(d, _next_step(d)))
    return _summary_page(request, d)


@require_POST
def declaration_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submitting twice (a double tap, a retry) is one submission: the action returns the
    declaration already submitted, and the page says the same again."""
    user = _current(request)
    d = get_declaration_for_filer(user, pk)
    try:
        d = actions.submit(acting_user=user, declaration=d)
    except FieldErrors as exc:
        return _summary_page(request, d, submit_errors=exc.errors)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("owners:declaration", d.pk)
    if d.review_due:
        text = _("已提交，等待审核（审核期限：%(date)s）") % {"date": d.review_due.isoformat()}
    else:
        text = _("已提交，等待审核")
    messages.success(request, text)
    if user.role == Role.CLERK:
        # A clerk has no progress page of their own: show what was filed.
        return redirect("owners:declaration", d.pk)
    return redirect("owners:declarations")
