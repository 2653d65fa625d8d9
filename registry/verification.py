"""What the public and inspectors see when they check a number or scan a card.

Only public facts: the number, the machine's type and category, emission stage, district,
status and photos of the machine. Never the owner, ID numbers or phones.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

from django.conf import settings
from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.reference import city
from registry.constants import BODY_PHOTOS, CredentialStatus, RegistrationStatus, SignPhotoDecision
from registry.models import Credential, Declaration, DeclarationPhoto, Registration, SignPhoto
from rules import cardsig
from rules.emission import stage_label
from rules.regno import NumberFormatError, parse_number


class CardOutcome(StrEnum):
    VALID = "valid"  # signed by the platform, the current card of the number
    REVOKED = "revoked"  # signed by the platform, but replaced by a later card
    NOT_GENUINE = "not_genuine"  # not signed by the platform: forged or altered
    UNKNOWN_NUMBER = "unknown_number"  # signed, but the platform has no such number


CARD_MESSAGES = {
    CardOutcome.VALID: _lazy("真实的信息采集卡，为该号码当前有效的卡证"),
    CardOutcome.REVOKED: _lazy("此信息采集卡已作废（该号码已补办或换发新卡），请以新卡为准"),
    CardOutcome.NOT_GENUINE: _lazy(
        "不是本平台签发的信息采集卡：二维码签名无效，可能系伪造或被篡改"
    ),
    CardOutcome.UNKNOWN_NUMBER: _lazy("二维码签名有效，但平台中没有该号码，请联系属地管理部门"),
}


@dataclass(frozen=True)
class PublicPhoto:
    label: str
    key: str  # the first 16 hex digits of the photo's SHA-256: not guessable, stable


@dataclass(frozen=True)
class PublicFacts:
    registration_id: int
    number: str
    short_number: str
    category: str
    machine_type: str
    stage: str
    district: str
    status: RegistrationStatus
    status_label: str
    issued_on: str
    photos: tuple[PublicPhoto, ...]

    @property
    def valid(self) -> bool:
        return self.status == RegistrationStatus.VALID


@dataclass(frozen=True)
class CardCheck:
    outcome: CardOutcome
    message: str
    issue: int | None


STATUS_MESSAGES = {
    RegistrationStatus.VALID: _lazy("登记有效"),
    RegistrationStatus.SUSPENDED: _lazy("登记已暂停，机械暂不得使用"),
    RegistrationStatus.TRANSFERRED_OUT: _lazy("机械已转出本市，本市登记已终止"),
    RegistrationStatus.DEREGISTERED: _lazy("机械已报废注销，号码作废"),
    RegistrationStatus.REPLACED: _lazy("号码已因发动机改装等原因换发新号，原号码作废"),
}


def parse_typed(text: str) -> str:
    """The short number for a typed full or short number; raises NumberFormatError."""
    return parse_number(text, city()).short


def facts_for(short_number: str) -> PublicFacts | None:
    """One query: the registration with its declaration, its confirmed sign photo and its
    public body photos."""
    registration = _registration(short_number, issue=None)
    return None if registration is None else _facts(registration)


def card_and_facts(short_number: str, proof_text: str) -> tuple[CardCheck, PublicFacts | None]:
    """A scanned card's verdict and, unless it is not genuine, the number's public facts.
    The signature is checked first, with no query; then one query reads the registration
    with the card issue's record, the sign photo and the body photos."""
    payload = _genuine_payload(short_number, proof_text)
    if payload is None:
        return _card(CardOutcome.NOT_GENUINE, None), None
    issue = payload.claim.issue
    registration = _registration(short_number, issue=issue)
    if registration is None:
        return _card(CardOutcome.UNKNOWN_NUMBER, issue), None
    status, signature = registration.card_status, registration.card_signature
    if status is None:
        # The number exists, but not this card issue: its facts are shown, as for a typed
        # number, beside the warning.
        return _card(CardOutcome.UNKNOWN_NUMBER, issue), _facts(registration)
    if signature != payload.signature:
        # Signed by us but not the signature we recorded: a key was misused.
        return _card(CardOutcome.NOT_GENUINE, None), None
    if status == CredentialStatus.REVOKED:
        return _card(CardOutcome.REVOKED, issue), _facts(registration)
    return _card(CardOutcome.VALID, issue), _facts(registration)


class _Row(NamedTuple):
    """What _registration reads: the registration's public columns, its declaration's
    machine type, the hash of its last confirmed sign photo and, given a card issue, that
    issue's status and signature (None when there is no such issue)."""

    pk: int
    number: str
    short_number: str
    category: str
    stage: int
    district: str
    status: str
    issued_at: datetime
    declaration_id: int
    machine_type: str
    body_photos: str | None  # "kind:sha256,kind:sha256" of the public body photos
    sign_sha: str | None
    card_status: str | None
    card_signature: str | None


def _registration(short_number: str, *, issue: int | None) -> _Row | None:
    """One hand-written query, photos included (the public look-up is the platform's
    busiest path, and the ORM spent longer compiling its queries than the database running
    them), on the database the router chose for a read of registrations (a replica inside
    @replica_ok)."""
    params = [*_BODY_KINDS, SignPhotoDecision.CONFIRMED.value, issue, issue, short_number]
    connection = connections[router.db_for_read(Registration)]
    with connection.cursor() as cursor:
        cursor.execute(_REGISTRATION_SQL[connection.vendor], params)
        row = cursor.fetchone()
    if row is None:
        return None
    found = _Row(*row)
    if timezone.is_naive(found.issued_at):  # SQLite: stored in UTC, read without a zone
        return found._replace(issued_at=found.issued_at.replace(tzinfo=UTC))
    return found


_REGISTRATION_TEMPLATE = """
SELECT r.id, r.number, r.short_number, r.category, r.stage, r.district, r.status,
       r.issued_at, r.declaration_id, d.machine_type,
       (SELECT {aggregate} FROM {photo} p
         WHERE p.declaration_id = r.declaration_id AND p.kind IN ({kinds})),
       (SELECT s.sha256 FROM {sign} s JOIN {credential} c ON c.id = s.credential_id
         WHERE c.registration_id = r.id AND s.decision = %s
         ORDER BY s.decided_at DESC LIMIT 1),
       (SELECT c.status FROM {credential} c WHERE c.registration_id = r.id AND c.issue = %s),
       (SELECT c.signature FROM {credential} c WHERE c.registration_id = r.id AND c.issue = %s)
  FROM {registration} r JOIN {declaration} d ON d.id = r.declaration_id
 WHERE r.short_number = %s
 LIMIT 1
"""
_BODY_KINDS = [str(kind) for kind in BODY_PHOTOS]
# The body photos as one text column: kinds are identifiers and hashes hex, so neither
# holds the separators.
_AGGREGATES = {
    "postgresql": "string_agg(p.kind || ':' || p.sha256, ',')",
    "sqlite": "group_concat(p.kind || ':' || p.sha256, ',')",
}
_REGISTRATION_SQL = {
    vendor: _REGISTRATION_TEMPLATE.format(
        aggregate=aggregate,
        photo=DeclarationPhoto._meta.db_table,
        kinds=", ".join(["%s"] * len(_BODY_KINDS)),
        registration=Registration._meta.db_table,
        declaration=Declaration._meta.db_table,
        credential=Credential._meta.db_table,
        sign=SignPhoto._meta.db_table,
    )
    for vendor, aggregate in _AGGREGATES.items()
}


def _facts(registration: _Row) -> PublicFacts:
    status = RegistrationStatus(registration.status)
    return PublicFacts(
        registration_id=registration.pk,
        number=registration.number,
        short_number=registration.short_number,
        category=registration.category,
        machine_type=registration.machine_type,
        stage=stage_label(registration.stage),
        district=_district_name(registration.district),
        status=status,
        status_label=str(STATUS_MESSAGES[status]),
        # The day in Shanghai, not in UTC: a machine registered at 07:30 was registered
        # that day, not the one before.
        issued_on=f"{timezone.localtime(registration.issued_at):%Y-%m-%d}",
        photos=_photo_list(
            [item.split(":", 1) for item in (registration.body_photos or "").split(",") if item],
            registration.sign_sha,
        ),
    )


def public_photos(registration: Registration) -> tuple[PublicPhoto, ...]:
    """The machine's body photos and the confirmed photo of the fixed sign: no nameplates
    or papers (serial numbers are not for the public), nothing about the owner."""
    sign = (
        SignPhoto.objects.filter(
            credential__registration=registration, decision=SignPhotoDecision.CONFIRMED
        )
        .order_by("-decided_at")
        .values_list("sha256", flat=True)
        .first()
    )
    return _photos(registration.declaration_id, sign)


def _photos(declaration_id: int, sign_sha: str | None) -> tuple[PublicPhoto, ...]:
    body = DeclarationPhoto.objects.filter(
        declaration_id=declaration_id, kind__in=BODY_PHOTOS
    ).values_list("kind", "sha256")
    return _photo_list(body, sign_sha)


def _photo_list(body: Iterable[Sequence[str]], sign_sha: str | None) -> tuple[PublicPhoto, ...]:
    photos = [
        PublicPhoto(str(_PHOTO_LABELS.get(kind, kind)), sha[:16])
        for kind, sha in sorted(body, key=lambda row: _PHOTO_ORDER.get(row[0], 99))
    ]
    if sign_sha:
        photos.append(PublicPhoto(_("标志固定照片"), sign_sha[:16]))
    return tuple(photos)


_PHOTO_LABELS = dict(DeclarationPhoto._meta.get_field("kind").flatchoices)
_PHOTO_ORDER = {str(kind): i for i, kind in enumerate(BODY_PHOTOS)}


def public_photo_file(short_number: str, key: str) -> DeclarationPhoto | SignPhoto | None:
    if len(key) != 16 or not all(c in "0123456789abcdef" for c in key):
        return None
    registration = Registration.objects.filter(short_number=short_number).first()
    if registration is None:
        return None
    for photo in public_photos(registration):
        if photo.key == key:
            found = DeclarationPhoto.objects.filter(
                declaration_id=registration.declaration_id,
                kind__in=BODY_PHOTOS,
                sha256__startswith=key,
            ).first()
            return found or (
                SignPhoto.objects.filter(
                    credential__registration=registration, sha256__startswith=key
                ).first()
            )
    return None


def check_card(short_number: str, proof_text: str) -> CardCheck:
    """Verify a scanned card: the signature first (offline-capable), then the platform's
    record of which card issue is current."""
    payload = _genuine_payload(short_number, proof_text)
    if payload is None:
        return _card(CardOutcome.NOT_GENUINE, None)
    issue = payload.claim.issue
    status = (
        Credential.objects.filter(registration__short_number=short_number, issue=issue)
        .values_list("status", "signature")
        .first()
    )
    if status is None:
        return _card(CardOutcome.UNKNOWN_NUMBER, issue)
    if status[1] != payload.signature:
        # Signed by us but not the signature we recorded: a key was misused.
        return _card(CardOutcome.NOT_GENUINE, None)
    if status[0] == CredentialStatus.REVOKED:
        return _card(CardOutcome.REVOKED, issue)
    return _card(CardOutcome.VALID, issue)


def _genuine_payload(short_number: str, proof_text: str) -> cardsig.Payload | None:
    """The card's payload when its signature is one of the platform's keys, else None."""
    try:
        payload = cardsig.parse_proof(short_number, proof_text)
    except cardsig.PayloadError:
        return None
    verdict = cardsig.verify(payload, settings.NRMM_CARD_KEYS.public_keys)
    return payload if verdict.genuine else None


def _card(outcome: CardOutcome, issue: int | None) -> CardCheck:
    return CardCheck(outcome, str(CARD_MESSAGES[outcome]), issue)


def _district_name(code: str) -> str:
    try:
        return city().district(code).name
    except ValueError:
        return code


__all__ = ["NumberFormatError", "card_and_facts", "check_card", "facts_for", "parse_typed"]
