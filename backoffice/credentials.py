"""Signs and cards in the back office (Art. 9-10): production, collection notices, the
counter, and the photos of fixed signs; and the machine's page. Thin views over
registry.credentials; "only your district" through registry.access (404 alike)."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.constants import Role
from accounts.models import User
from core.errors import ActionError
from core.http import current_user as _current
from core.http import jpeg_response
from core.http import pdf_response as _pdf
from core.models import AuditEntry, DistrictOffice
from core.reference import city
from documents.card import card_pdf, card_sheet_pdf
from documents.forms import information_form_pdf
from documents.sign import sign_pdf, sign_svg
from registry import credentials as actions
from registry.access import (
    get_credential_for_staff,
    get_registration_for_staff,
    get_sign_photo_for_user,
    staff_credentials,
    staff_registrations,
)
from registry.constants import CredentialStatus, SignPhotoDecision
from registry.documents import card_data, information_form, sign_data
from registry.models import Credential, Registration, SignPhoto
from rules.emission import stage_label
from rules.identifiers import mask_phone
from rules.regno import normalise_number

PAGE_SIZE = 50
# The tabs of the signs-and-cards page: a status, or an overdue list.
TABS = (
    ("pending", _("待制作")),
    ("produced", _("待通知领取")),
    ("ready", _("待领取")),
    ("collected", _("待上传固定照片")),
    ("photo_submitted", _("固定照片待确认")),
    ("fixed", _("已固定")),
    ("overdue_notice", _("通知逾期")),
    ("overdue_photo", _("照片逾期")),
)
TAB_KEYS = {key for key, _label in TABS}


def _ids(request: HttpRequest) -> list[int]:
    raw = request.POST.getlist("ids") if request.method == "POST" else request.GET.getlist("ids")
    ids = []
    for value in raw:
        for part in value.split(","):
            if part.strip().isdigit():
                ids.append(int(part))
    return ids


def _tab_queryset(user: User, tab: str) -> QuerySet[Credential]:
    rows = staff_credentials(user).select_related(
        "registration__owner", "registration__declaration"
    )
    today = timezone.localdate()
    if tab == "overdue_notice":
        return rows.filter(status=CredentialStatus.PRODUCED, notice_due__lt=today).order_by(
            "notice_due", "pk"
        )
    if tab == "overdue_photo":
        return rows.filter(status=CredentialStatus.COLLECTED, photo_due__lt=today).order_by(
            "photo_due", "pk"
        )
    return rows.filter(status=tab).order_by("created_at", "pk")


@dataclass(frozen=True)
class CredentialRow:
    credential: Credential
    owner_name: str
    owner_phone: str
    machine_type: str
    district_name: str
    overdue: bool
    pending_photo: SignPhoto | None


@require_GET
def credentials(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    tab = request.GET.get("tab", "pending")
    if tab not in TAB_KEYS:
        tab = "pending"
    page = Paginator(_tab_queryset(user, tab), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    district_names = {d.code: d.name for d in city().districts}
    photos: dict[int, SignPhoto] = {}
    if tab == "photo_submitted":
        for photo in SignPhoto.objects.filter(
            credential__in=[c.pk for c in page], decision=SignPhotoDecision.PENDING
        ):
            photos[photo.credential_id] = photo
    rows = [
        CredentialRow(
            credential=c,
            owner_name=c.registration.owner.name,
            owner_phone=mask_phone(c.registration.owner.phone),
            machine_type=c.registration.declaration.machine_type,
            district_name=district_names.get(c.district, c.district),
            overdue=_overdue(c, today),
            pending_photo=photos.get(c.pk),
        )
        for c in page
    ]
    counts = _tab_counts(user, today)
    office = DistrictOffice.objects.filter(district=user.district).first()
    context = {
        "tab": tab,
        "tabs": [(key, label, counts.get(key, 0)) for key, label in TABS],
        "rows": rows,
        "page": page,
        "can_act": user.role in actions.DISTRICT_STAFF,
        "default_place": office.place() if office else "",
        "today": today,
    }
    return render(request, "backoffice/credentials.html", context)


def _overdue(c: Credential, today: date) -> bool:
    if c.status == CredentialStatus.PRODUCED and c.notice_due:
        return c.notice_due < today
    if c.status == CredentialStatus.COLLECTED and c.photo_due:
        return c.photo_due < today
    return False


def _tab_counts(user: User, today: date) -> dict[str, int]:
    """Two queries for every tab's count."""
    from django.db.models import Count

    base = staff_credentials(user)
    counts = {
        row["status"]: row["n"] for row in base.values("status").annotate(n=Count("pk")).order_by()
    }
    overdue = base.filter(
        Q(status=CredentialStatus.PRODUCED, notice_due__lt=today)
        | Q(status=CredentialStatus.COLLECTED, photo_due__lt=today)
    )
    for row in overdue.values("status").annotate(n=Count("pk")).order_by():
        key = "overdue_notice" if row["status"] == CredentialStatus.PRODUCED else "overdue_photo"
        counts[key] = row["n"]
    return counts


@require_POST
def produce(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    try:
        rows = actions.record_produced(acting_user=user, ids=_ids(request))
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect(f"{_url('backoffice:credentials')}?tab=pending")
    messages.success(
        request, _("已记录%(n)s套标志和信息卡制作完成，请在5个工作日内通知领取") % {"n": len(rows)}
    )
    return redirect(f"{_url('backoffice:credentials')}?tab=produced")


@require_POST
def notify(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    try:
        rows = actions.notify_collection(
            acting_user=user, ids=_ids(request), place=request.POST.get("place", "")
        )
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect(f"{_url('backoffice:credentials')}?tab=produced")
    messages.success(request, _("已短信通知%(n)s位机主领取") % {"n": len(rows)})
    return redirect(f"{_url('backoffice:credentials')}?tab=ready")


def _selected(request: HttpRequest) -> list[Credential]:
    """The ticked rows, or with ?all=pending every sign and card awaiting production in the
    district (up to a batch), for the contractor's run."""
    user = _current(request)
    if request.GET.get("all") == "pending" and not _ids(request):
        pending = list(
            staff_credentials(user)
            .filter(status=CredentialStatus.PENDING)
            .select_related("registration")
            .order_by("pk")[: actions.MAX_BATCH]
        )
        if not pending:
            raise Http404
        return pending
    ids = _ids(request)
    if not ids or len(ids) > actions.MAX_BATCH:
        raise Http404
    rows = list(
        staff_credentials(user)
        .filter(pk__in=ids)
        .exclude(status=CredentialStatus.REVOKED)
        .select_related("registration")
        .order_by("pk")
    )
    if len(rows) != len(set(ids)):
        raise Http404
    return rows


@require_GET
def signs_pdf(request: HttpRequest) -> HttpResponse:
    """The signs awaiting production, one 440 × 220 mm page each, for the contractor."""
    rows = _selected(request)
    return _pdf(sign_pdf([sign_data(c.registration) for c in rows]), "signs.pdf")


@require_GET
def cards_pdf(request: HttpRequest) -> HttpResponse:
    """A4 sheets with cutting marks, fronts and mirrored backs for duplex printing."""
    rows = _selected(request)
    return _pdf(card_sheet_pdf([card_data(c) for c in rows]), "cards.pdf")


@require_GET
def credential_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    credential = get_credential_for_staff(_current(request), pk)
    if credential.status == CredentialStatus.REVOKED:
        raise Http404
    registration = credential.registration
    name = registration.short_number.encode("ascii", "ignore").decode() or str(registration.pk)
    if kind == "sign.svg":
        response = HttpResponse(sign_svg(sign_data(registration)), content_type="image/svg+xml")
        response["Content-Disposition"] = f'attachment; filename="sign-{name}.svg"'
        return response
    if kind == "sign.pdf":
        return _pdf(sign_pdf([sign_data(registration)]), f"sign-{name}.pdf")
    if kind == "card.pdf":
        return _pdf(card_pdf([card_data(credential)]), f"card-{name}.pdf")
    raise Http404


# --- the counter ----------------------------------------------------------------------------


@require_GET
def collection(request: HttpRequest) -> HttpResponse:
    """Find what an owner comes to collect: by number, owner (name, phone) or password."""
    user = _current(request)
    q = request.GET.get("q", "").strip()
    rows: list[Credential] = []
    if q:
        rows = list(_collection_search(user, q)[:20])
    return render(
        request,
        "backoffice/collection.html",
        {"q": q, "rows": rows, "searched": bool(q), "can_act": user.role in actions.DISTRICT_STAFF},
    )


def _collection_search(user: User, q: str) -> QuerySet[Credential]:
    ready = staff_credentials(user).filter(status=CredentialStatus.READY)
    number = normalise_number(q)
    condition = Q(registration__short_number=number) | Q(registration__number=number)
    if q.isdigit() and len(q) == actions.PICKUP_CODE_DIGITS:
        condition |= Q(pickup_code=q)
    if q.isdigit() and len(q) == 11:
        condition |= Q(registration__owner__phone=q)
    if len(q) >= 2 and not q.isdigit():
        condition |= Q(registration__owner__name__contains=q)
    return ready.filter(condition).select_related("registration__owner").order_by("pk")


@require_POST
def collect(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    credential = get_credential_for_staff(user, pk)
    try:
        actions.record_collection(
            acting_user=user,
            credential=credential,
            pickup_code=request.POST.get("pickup_code", ""),
            collector_name=request.POST.get("collector_name", ""),
        )
    except ActionError as exc:
        q = credential.registration.short_number
        rows = list(_collection_search(user, q)[:20])
        return render(
            request,
            "backoffice/collection.html",
            {
                "q": q,
                "rows": rows,
                "searched": True,
                "can_act": True,
                "error": exc.message,
                "error_for": credential.pk,
                # Not listed (no longer ready, e.g. already collected): shown above instead.
                "error_listed": any(c.pk == credential.pk for c in rows),
            },
            status=exc.status,
        )
    messages.success(
        request,
        _("已办理%(number)s的领取；机主须在10日内上传标志固定照片")
        % {"number": credential.registration.number},
    )
    return redirect("backoffice:collection")


# --- photos of fixed signs ------------------------------------------------------------------


@require_POST
def photo_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    photo = get_sign_photo_for_user(user, pk)
    try:
        actions.confirm_sign_photo(acting_user=user, photo=photo)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认标志固定照片"))
    return redirect(f"{_url('backoffice:credentials')}?tab=photo_submitted")


@require_POST
def photo_reject(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    photo = get_sign_photo_for_user(user, pk)
    try:
        actions.reject_sign_photo(
            acting_user=user, photo=photo, reason=request.POST.get("reason", "")
        )
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已退回照片，机主将收到短信提醒"))
    return redirect(f"{_url('backoffice:credentials')}?tab=photo_submitted")


@require_GET
def sign_photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = get_sign_photo_for_user(_current(request), pk)
    return jpeg_response(photo.file)


# --- registrations: the machine's page ------------------------------------------------------


def registration_search(user: User, q: str) -> QuerySet[Registration]:
    """The machines list, newest first, narrowed by a number, owner name or factory serial
    (also what its xlsx export lists)."""
    rows = (
        staff_registrations(user)
        .select_related("owner", "declaration")
        .order_by("-issued_at", "-pk")
    )
    if q:
        number = normalise_number(q)
        rows = rows.filter(
            Q(short_number=number)
            | Q(number=number)
            | Q(owner__name__contains=q)
            | Q(declaration__factory_serial=q)
        )
    return rows


@require_GET
def registrations(request: HttpRequest) -> HttpResponse:
    user = _current(request)
    q = request.GET.get("q", "").strip()
    rows = registration_search(user, q)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # 附件1 for the owners of the machines on this page (stats.exports.declaration_forms).
    owner_ids = ",".join(str(pk) for pk in dict.fromkeys(r.owner_id for r in page))
    return render(
        request,
        "backoffice/registrations.html",
        {
            "q": q,
            "page": page,
            "rows": [(r, mask_phone(r.owner.phone)) for r in page],
            "owner_ids": owner_ids,
        },
    )


@require_GET
def registration(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    reg = get_registration_for_staff(user, pk)
    creds = list(
        Credential.objects.filter(registration=reg).prefetch_related("photos").order_by("-issue")
    )
    from changes.queries import as_of_context
    from changes.queries import for_registration as changes_for
    from inspections.queries import for_registration

    inspections = for_registration(reg)
    changes = changes_for(reg)
    # The whole history with who and when (issue #5): the declaration's rounds and
    # decisions, the registration itself, its signs and cards, spot checks and
    # rectifications, and its change requests. One query, whatever their number.
    where = Q(target_type="registry.declaration", target_id=str(reg.declaration_id))
    others = {
        "registry.registration": [reg.pk],
        "registry.credential": [c.pk for c in creds],
        "registry.signphoto": [p.pk for c in creds for p in c.photos.all()],
        "inspections.spotcheck": [c.pk for c in inspections["spot_checks"]],
        "inspections.rectification": [r.pk for r in inspections["rectifications"]],
        "changes.changerequest": [c.pk for c in changes["changes"]],
    }
    for target_type, ids in others.items():
        if ids:
            where |= Q(target_type=target_type, target_id__in=[str(i) for i in ids])
    audit_rows = list(AuditEntry.objects.filter(where).select_related("actor").order_by("at", "id"))
    context: dict[str, Any] = {
        "reg": reg,
        "owner_phone": mask_phone(reg.owner.phone),
        "stage": stage_label(reg.stage),
        "district_name": city().district(reg.district).name,
        "credentials": creds,
        "audit": audit_rows,
        "can_act": user.role in actions.DISTRICT_STAFF,
        "role_is_admin": user.role == Role.CITY_ADMIN,
    }
    context.update(inspections)
    context.update(changes)
    context.update(as_of_context(reg, request.GET.get("as_of")))
    return render(request, "backoffice/registration.html", context)


@require_GET
def registration_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    reg = get_registration_for_staff(_current(request), pk)
    return _pdf(information_form_pdf(information_form(reg)), f"form-{reg.pk}.pdf")


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)
