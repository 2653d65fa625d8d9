"""Registered machines, their signs and cards, and public verification over the API.

Owners: their machines, the pickup password, the photo of the fixed sign, the papers.
District staff: production, notices, collection at the counter, the photo decisions, the
sign and card files. Anyone: verification of a number or a scanned card, and the public keys
that verify cards offline (docs/verification.md)."""

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from pydantic import Field

from core.dbrouter import replica_ok
from core.errors import ActionError
from core.http import api_page
from core.http import current_user as _user
from core.http import pdf_response as _pdf
from core.ratelimit import client_address, hit, retry_after, too_often
from documents.card import card_pdf
from documents.forms import information_form_pdf, installation_guide_pdf
from documents.sign import sign_pdf, sign_svg
from photos.processing import MAX_UPLOAD_BYTES
from registry import credentials as actions
from registry.access import (
    get_credential_for_staff,
    get_registration_for_owner_side,
    get_sign_photo_for_user,
    owner_side_registrations,
    staff_credentials,
)
from registry.constants import CredentialStatus
from registry.documents import card_data, information_form, installation_guide, sign_data
from registry.models import Credential, Registration, SignPhoto
from registry.verification import (
    NumberFormatError,
    PublicFacts,
    card_and_facts,
    facts_for,
    parse_typed,
)
from rules import cardsig
from rules.emission import stage_label

router = Router(tags=["registrations"])
MAX_LIST = 500


class SignPhotoOut(Schema):
    id: int
    uploaded_at: datetime
    decision: str
    decision_label: str
    reason: str


class CredentialOut(Schema):
    id: int
    issue: int
    reason: str
    status: str
    status_label: str
    notice_due: date | None
    notified_at: datetime | None
    collection_place: str
    collected_at: datetime | None
    photo_due: date | None
    fixed_at: datetime | None


class OwnerCredentialOut(CredentialOut):
    pickup_code: str | None
    photos: list[SignPhotoOut]


class RegistrationOut(Schema):
    id: int
    number: str
    short_number: str
    category: str
    machine_type: str
    stage: int
    stage_label: str
    district: str
    status: str
    status_label: str
    issued_at: datetime
    credential: OwnerCredentialOut | None


class StaffCredentialOut(CredentialOut):
    registration_id: int
    number: str
    short_number: str
    owner_name: str


# A database id: what a bigint primary key can hold (larger numbers are refused by the
# schema, not passed to the database).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class IdsIn(Schema):
    ids: list[Id]


class NotifyIn(IdsIn):
    place: str


class CollectIn(Schema):
    pickup_code: str
    collector_name: str = ""


class RejectIn(Schema):
    reason: str


class PublicPhotoOut(Schema):
    label: str
    url: str


class PublicFactsOut(Schema):
    number: str
    short_number: str
    category: str
    machine_type: str
    stage: str
    district: str
    status: str
    status_label: str
    issued_on: str
    photos: list[PublicPhotoOut]


class CardCheckOut(Schema):
    outcome: str
    message: str
    issue: int | None


class VerifyOut(Schema):
    found: bool
    card: CardCheckOut | None
    registration: PublicFactsOut | None


class KeyOut(Schema):
    kid: str
    public_key: str
    fingerprint: str
    active: bool


class KeysOut(Schema):
    scheme: str
    message_format: str
    keys: list[KeyOut]


# --- shaping --------------------------------------------------------------------------------


def _credential_dict(c: Credential) -> dict[str, Any]:
    return {
        "id": c.pk,
        "issue": c.issue,
        "reason": c.reason,
        "status": c.status,
        "status_label": c.get_status_display(),
        "notice_due": c.notice_due,
        "notified_at": c.notified_at,
        "collection_place": c.collection_place,
        "collected_at": c.collected_at,
        "photo_due": c.photo_due,
        "fixed_at": c.fixed_at,
    }


def _photo_dict(p: SignPhoto) -> dict[str, Any]:
    return {
        "id": p.pk,
        "uploaded_at": p.uploaded_at,
        "decision": p.decision,
        "decision_label": p.get_decision_display(),
        "reason": p.reason,
    }


def _registration_dict(r: Registration, credential: Credential | None) -> dict[str, Any]:
    owner_credential = None
    if credential is not None:
        owner_credential = _credential_dict(credential) | {
            # The password matters only while the sign waits at the counter.
            "pickup_code": (
                credential.pickup_code if credential.status == CredentialStatus.READY else None
            ),
            "photos": [_photo_dict(p) for p in credential.photos.all()],
        }
    return {
        "id": r.pk,
        "number": r.number,
        "short_number": r.short_number,
        "category": r.category,
        "machine_type": r.declaration.machine_type,
        "stage": r.stage,
        "stage_label": stage_label(r.stage),
        "district": r.district,
        "status": r.status,
        "status_label": r.get_status_display(),
        "issued_at": r.issued_at,
        "credential": owner_credential,
    }


def _live(r: Registration) -> Credential | None:
    live = [c for c in r.credentials.all() if c.status != CredentialStatus.REVOKED]
    return live[0] if live else None


def _staff_dict(c: Credential) -> dict[str, Any]:
    return _credential_dict(c) | {
        "registration_id": c.registration_id,
        "number": c.registration.number,
        "short_number": c.registration.short_number,
        "owner_name": c.registration.owner.name,
    }


# --- owners ---------------------------------------------------------------------------------


@router.get("registrations", response=list[RegistrationOut], url_name="registrations")
def registrations(
    request: HttpRequest, page: int | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """My machines (and those of owners I act for), with the current sign and card, newest
    first: the first MAX_LIST, or with `page` and/or `limit` one page (core.http.api_page)."""
    rows = api_page(
        owner_side_registrations(_user(request))
        .select_related("declaration")
        .prefetch_related("credentials__photos")
        .order_by("-issued_at", "-pk"),
        page,
        limit,
        cap=MAX_LIST,
    )
    return [_registration_dict(r, _live(r)) for r in rows]


@router.get("registrations/{pk}", response=RegistrationOut, url_name="registration")
def registration(request: HttpRequest, pk: int) -> dict[str, Any]:
    r = get_registration_for_owner_side(_user(request), pk)
    return _registration_dict(r, _live(r))


@router.post(
    "registrations/{pk}/sign-photo",
    response={201: SignPhotoOut},
    url_name="registration_sign_photo",
)
def upload_sign_photo(
    request: HttpRequest, pk: int, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """The photo of the whole machine with the sign fixed (multipart: file), within 10 days
    of collection (Art. 10)."""
    user = _user(request)
    r = get_registration_for_owner_side(user, pk)
    credential = _live(r)
    if credential is None:
        raise ActionError("wrong_state", _("领取识别标志后才能上传固定照片"), status=409)
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise ActionError("photo_too_large", _("照片不能超过15MB"), field="file")
    try:
        photo = actions.upload_sign_photo(acting_user=user, credential=credential, data=file.read())
    except ActionError as exc:
        if exc.field == "photo":  # the page's field; here the multipart field is "file"
            exc.field = "file"
        raise
    return Status(201, _photo_dict(photo))


@router.get("registrations/{pk}/guide.pdf", url_name="registration_guide", response={200: None})
def guide(request: HttpRequest, pk: int) -> HttpResponse:
    """号码安装说明 (PDF)."""
    r = get_registration_for_owner_side(_user(request), pk)
    return _pdf(installation_guide_pdf(installation_guide(r)), f"guide-{r.pk}.pdf")


@router.get("registrations/{pk}/form.pdf", url_name="registration_form", response={200: None})
def form(request: HttpRequest, pk: int) -> HttpResponse:
    """信息采集表 (附件1, PDF)."""
    r = get_registration_for_owner_side(_user(request), pk)
    return _pdf(information_form_pdf(information_form(r)), f"form-{r.pk}.pdf")


# --- district staff -------------------------------------------------------------------------


@router.get("staff/credentials", response=list[StaffCredentialOut], url_name="staff_credentials")
def staff_list(request: HttpRequest, status: str = "pending") -> list[dict[str, Any]]:
    """Signs and cards of the district by status (pending, produced, ready, collected,
    photo_submitted, fixed, revoked), oldest first, at most 500."""
    if status not in CredentialStatus.values:
        raise ActionError("bad_status", _("无法识别的状态"), field="status")
    rows = (
        staff_credentials(_user(request))
        .filter(status=status)
        .select_related("registration__owner")
        .order_by("created_at", "pk")[:MAX_LIST]
    )
    return [_staff_dict(c) for c in rows]


@router.post(
    "staff/credentials/produce",
    response=list[StaffCredentialOut],
    url_name="staff_credentials_produce",
)
def produce(request: HttpRequest, payload: IdsIn) -> list[dict[str, Any]]:
    rows = actions.record_produced(acting_user=_user(request), ids=payload.ids)
    return [_staff_dict(c) for c in rows]


@router.post(
    "staff/credentials/notify",
    response=list[StaffCredentialOut],
    url_name="staff_credentials_notify",
)
def notify(request: HttpRequest, payload: NotifyIn) -> list[dict[str, Any]]:
    rows = actions.notify_collection(
        acting_user=_user(request), ids=payload.ids, place=payload.place
    )
    return [_staff_dict(c) for c in rows]


@router.post(
    "staff/credentials/{pk}/collect", response=StaffCredentialOut, url_name="staff_collect"
)
def collect(request: HttpRequest, pk: int, payload: CollectIn) -> dict[str, Any]:
    user = _user(request)
    credential = actions.record_collection(
        acting_user=user,
        credential=get_credential_for_staff(user, pk),
        pickup_code=payload.pickup_code,
        collector_name=payload.collector_name,
    )
    return _staff_dict(credential)


@router.get("staff/credentials/{pk}/{kind}", url_name="staff_credential_file", response={200: None})
def credential_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """sign.svg, sign.pdf (440 × 220 mm) or card.pdf (88 × 60 mm, front and back)."""
    credential = get_credential_for_staff(_user(request), pk)
    if credential.status == CredentialStatus.REVOKED:
        raise ActionError("revoked", _("该套标志和信息卡已作废"), status=409)
    reg = credential.registration
    if kind == "sign.svg":
        return HttpResponse(sign_svg(sign_data(reg)), content_type="image/svg+xml")
    if kind == "sign.pdf":
        return _pdf(sign_pdf([sign_data(reg)]), "sign.pdf")
    if kind == "card.pdf":
        return _pdf(card_pdf([card_data(credential)]), "card.pdf")
    raise ActionError("bad_kind", _("文件类型应为 sign.svg、sign.pdf 或 card.pdf"), status=404)


@router.post(
    "staff/sign-photos/{pk}/confirm", response=SignPhotoOut, url_name="staff_sign_photo_confirm"
)
def confirm(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = _user(request)
    photo = actions.confirm_sign_photo(acting_user=user, photo=get_sign_photo_for_user(user, pk))
    return _photo_dict(photo)


@router.post(
    "staff/sign-photos/{pk}/reject", response=SignPhotoOut, url_name="staff_sign_photo_reject"
)
def reject(request: HttpRequest, pk: int, payload: RejectIn) -> dict[str, Any]:
    user = _user(request)
    photo = actions.reject_sign_photo(
        acting_user=user, photo=get_sign_photo_for_user(user, pk), reason=payload.reason
    )
    return _photo_dict(photo)


# --- the public -----------------------------------------------------------------------------


def _facts(facts: PublicFacts | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    base = settings.NRMM_PUBLIC_BASE_URL
    path = quote(facts.short_number, safe="")  # percent-encoded, as in the card's QR URL
    return {
        "number": facts.number,
        "short_number": facts.short_number,
        "category": facts.category,
        "machine_type": facts.machine_type,
        "stage": facts.stage,
        "district": facts.district,
        "status": facts.status.value,
        "status_label": facts.status_label,
        "issued_on": facts.issued_on,
        "photos": [
            {"label": p.label, "url": f"{base}/v/{path}/photos/{p.key}.jpg"} for p in facts.photos
        ],
    }


def _limit(request: HttpRequest, kind: str, factor: int = 1) -> None:
    limit = settings.NRMM_PUBLIC_LOOKUPS_PER_MINUTE * factor
    key = f"verify:{kind}:{client_address(request)}"
    if not hit(key, limit=limit):
        wait = retry_after(key, limit=limit)
        raise ActionError("rate_limited", too_often(wait), status=429, retry_after=wait)


@router.get("verify", response=VerifyOut, url_name="verify_number")
@decorate_view(replica_ok)
def verify_number(request: HttpRequest, number: str) -> dict[str, Any]:
    """A typed number, full or short form. Rate limited per address."""
    _limit(request, "number")
    try:
        short = parse_typed(number)
    except NumberFormatError as exc:
        raise ActionError("bad_number", str(exc), field="number") from None
    facts = _facts(facts_for(short))
    return {"found": facts is not None, "card": None, "registration": facts}


@router.get("verify/card", response=VerifyOut, url_name="verify_card")
@decorate_view(replica_ok)
def verify_card(request: HttpRequest, url: str) -> dict[str, Any]:
    """What a card's QR code holds (the whole URL): genuine, revoked or forged, and the
    machine's public facts when the card is genuine."""
    _limit(request, "scan", 4)
    try:
        payload = cardsig.parse_url(url)
    except cardsig.PayloadError:
        raise ActionError("not_a_card", _("不是信息采集卡的二维码内容"), field="url") from None
    result, found = card_and_facts(
        payload.claim.short_number, cardsig.proof(payload.claim, payload.signature)
    )
    facts = _facts(found)  # None for a card that is not genuine
    return {
        "found": facts is not None,
        "card": {"outcome": result.outcome.value, "message": result.message, "issue": result.issue},
        "registration": facts,
    }


@router.get("verify/keys", response=KeysOut, url_name="verify_keys")
def verify_keys(request: HttpRequest) -> dict[str, Any]:
    """The public keys that verify cards offline (rules/cardsig.py, docs/verification.md)."""
    ring = settings.NRMM_CARD_KEYS
    return {
        "scheme": cardsig.SCHEME,
        "message_format": "NRMM1|{short_number}|{issue}|{kid}",
        "keys": [
            {
                "kid": kid,
                "public_key": cardsig.public_key_text(key),
                "fingerprint": cardsig.fingerprint(key),
                "active": kid == ring.active_kid,
            }
            for kid, key in ring.public_keys.items()
        ],
    }
