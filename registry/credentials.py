"""Signs and cards after approval (Art. 9-10, manual step 7), one named action each.

pending ──record_produced──▶ produced ──notify_collection──▶ ready ──record_collection──▶
collected ──upload_sign_photo──▶ photo_submitted ──confirm──▶ fixed
                                        └──reject──▶ collected (the owner uploads again)

Production, notice and the photo decision are district work (the clerk and the reviewer of
the machine's district); collection happens at the district's counter against the pickup
password the owner sees in the platform. Batch actions are all-or-nothing.
"""

import hmac
import secrets
from collections.abc import Sequence
from datetime import date, datetime
from urllib.parse import quote

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import can_act_for
from accounts.constants import Role
from accounts.models import User
from accounts.sms import send_sms
from core import audit
from core.errors import ActionError
from core.reference import holiday_calendar
from photos.processing import PhotoError, process_photo
from registry.constants import CredentialReason, CredentialStatus, SignPhotoDecision
from registry.models import Credential, Registration, SignPhoto
from rules.cardsig import Claim, card_url, sign
from rules.deadlines import notice_due, sign_photo_due
from rules.workdays import MissingYearError

DISTRICT_STAFF = (Role.CLERK, Role.REVIEWER)
MAX_BATCH = 500
PICKUP_CODE_DIGITS = 8


# --- issuing --------------------------------------------------------------------------------


def issue_credential(
    *,
    acting_user: User,
    registration: Registration,
    reason: CredentialReason,
    note: str = "",
    new_registration: bool = False,
) -> Credential:
    """A new sign-and-card issue for the registration, its QR code signed now. Any earlier
    live issue is revoked (its QR code then checks as revoked). Runs inside the caller's
    transaction (approval, reissue, new number) or its own. new_registration: the
    registration was created in the caller's transaction, so it has no issue yet and no
    one else can see it: no lock and no look-up (the approval holds the number counter)."""
    # No savepoint: a failure here fails the caller's whole action anyway.
    with transaction.atomic(savepoint=False):
        last = None
        if not new_registration:
            # Serialise issues of one registration: the registration row is the lock.
            Registration.objects.select_for_update().filter(pk=registration.pk).first()
            last = Credential.objects.filter(registration=registration).order_by("-issue").first()
        now = timezone.now()
        if last is not None and last.status != CredentialStatus.REVOKED:
            last.status = CredentialStatus.REVOKED
            last.revoked_at = now
            last.revoked_reason = note or str(CredentialReason(reason).label)
            last.save(update_fields=["status", "revoked_at", "revoked_reason"])
            audit.record(
                "credential.revoked",
                actor=acting_user,
                target=last,
                data={"number": registration.number, "issue": last.issue},
            )
        keys = settings.NRMM_CARD_KEYS
        claim = Claim(registration.short_number, (last.issue + 1) if last else 1, keys.active_kid)
        credential = Credential.objects.create(
            registration=registration,
            issue=claim.issue,
            reason=reason,
            district=registration.district,
            kid=claim.kid,
            signature=sign(claim, keys.active),
            created_at=now,
        )
        audit.record(
            "credential.issued",
            actor=acting_user,
            target=credential,
            data={"number": registration.number, "issue": claim.issue, "reason": str(reason)},
        )
    return credential


def qr_url(credential: Credential, short_number: str) -> str:
    """The URL in the card's QR code (rules.cardsig)."""
    claim = Claim(short_number, credential.issue, credential.kid)
    return card_url(settings.NRMM_PUBLIC_BASE_URL, claim, credential.signature)


def lookup_url(short_number: str) -> str:
    return f"{settings.NRMM_PUBLIC_BASE_URL}/v/{quote(short_number, safe='')}/"


# --- who may act ------------------------------------------------------------------------------


def _require_district_staff(user: User, district: str) -> None:
    if not (user.role in DISTRICT_STAFF and user.district == district):
        raise ActionError("not_found", _("未找到该标志和信息卡"), status=404)


def _locked_batch(user: User, ids: Sequence[int]) -> list[Credential]:
    unique = sorted(set(ids))
    if not unique:
        raise ActionError("nothing_selected", _("请至少选择一项"), field="ids")
    if len(unique) > MAX_BATCH:
        raise ActionError("batch_too_large", _("一次最多处理%(n)s项") % {"n": MAX_BATCH})
    # Locked in id order so two batches that overlap cannot deadlock.
    rows = list(
        Credential.objects.select_for_update()
        .filter(pk__in=unique)
        .select_related("registration__owner")
        .order_by("pk")
    )
    if len(rows) != len(unique) or any(c.district != user.district for c in rows):
        raise ActionError("not_found", _("所选项目中有不存在或不属于本区的记录"), status=404)
    return rows


def _require_status(rows: Sequence[Credential], status: CredentialStatus, message: str) -> None:
    wrong = [c.registration.short_number for c in rows if c.status != status]
    if wrong:
        raise ActionError("wrong_state", message % {"numbers": "、".join(wrong[:10])}, status=409)


# --- the district ---------------------------------------------------------------------------


def record_produced(*, acting_user: User, ids: Sequence[int]) -> list[Credential]:
    """The sign and card are made (Art. 9). Starts the 5-working-day notice deadline."""
    if acting_user.role not in DISTRICT_STAFF:
        raise ActionError("not_found", _("未找到该标志和信息卡"), status=404)
    now = timezone.now()
    try:
        due = notice_due(timezone.localdate(now), holiday_calendar())
    except MissingYearError as exc:
        raise ActionError("holidays_missing", str(exc), status=409) from None
    with transaction.atomic():
        rows = _locked_batch(acting_user, ids)
        _require_status(rows, CredentialStatus.PENDING, _("以下号码不在待制作状态：%(numbers)s"))
        for credential in rows:
            credential.status = CredentialStatus.PRODUCED
            credential.produced_at = now
            credential.produced_by = acting_user
            credential.notice_due = due
            credential.save(update_fields=["status", "produced_at", "produced_by", "notice_due"])
            audit.record(
                "credential.produced",
                actor=acting_user,
                target=credential,
                data={"number": credential.registration.number, "notice_due": due.isoformat()},
            )
    return rows


def notify_collection(*, acting_user: User, ids: Sequence[int], place: str) -> list[Credential]:
    """Tell the owners where to collect (Art. 10): a pickup password each, an SMS each."""
    if acting_user.role not in DISTRICT_STAFF:
        raise ActionError("not_found", _("未找到该标志和信息卡"), status=404)
    place = (place or "").strip()
    if not place:
        raise ActionError("place_required", _("请填写领取地点"), field="place")
    if len(place) > 200:
        raise ActionError("place_too_long", _("领取地点不超过200字"), field="place")
    now = timezone.now()
    with transaction.atomic():
        rows = _locked_batch(acting_user, ids)
        _require_status(
            rows, CredentialStatus.PRODUCED, _("以下号码尚未记录制作完成或已通知：%(numbers)s")
        )
        for credential in rows:
            credential.status = CredentialStatus.READY
            credential.notified_at = now
            credential.notified_by = acting_user
            credential.collection_place = place
            credential.pickup_code = _new_pickup_code()
            credential.save(
                update_fields=[
                    "status",
                    "notified_at",
                    "notified_by",
                    "collection_place",
                    "pickup_code",
                ]
            )
            audit.record(
                "credential.notified",
                actor=acting_user,
                target=credential,
                data={
                    "number": credential.registration.number,
                    "place": place,
                    "late": bool(
                        credential.notice_due and timezone.localdate(now) > credential.notice_due
                    ),
                },
            )
            _sms_owner(
                credential.registration,
                _(
                    "您的非道路移动机械%(number)s识别标志和信息采集卡已制作完成，请至%(place)s"
                    "领取。领取时请出示平台“我的机械”中的领取密码。"
                )
                % {"number": credential.registration.number, "place": place},
            )
    return rows


def record_collection(
    *, acting_user: User, credential: Credential, pickup_code: str, collector_name: str = ""
) -> Credential:
    """At the counter: the pickup password matches, the sign and card are handed over.
    Starts the 10-day deadline for the photo of the fixed sign."""
    _require_district_staff(acting_user, credential.district)
    code = "".join((pickup_code or "").split())
    collector_name = (collector_name or "").strip()[:50]
    if not code:
        raise ActionError("pickup_code_required", _("请输入领取密码"), field="pickup_code")
    now = timezone.now()
    with transaction.atomic():
        credential = (
            Credential.objects.select_for_update()
            .select_related("registration__owner")
            .get(pk=credential.pk)
        )
        if credential.status != CredentialStatus.READY:
            raise ActionError(
                "wrong_state",
                _("该号码的标志和信息卡当前状态为“%(s)s”，不能办理领取")
                % {"s": credential.get_status_display()},
                status=409,
            )
        matches = hmac.compare_digest(code.encode(), credential.pickup_code.encode())
        if matches:
            _hand_over(acting_user, credential, collector_name, now)
    if not matches:
        # Recorded in its own transaction: the refusal must not roll the record back.
        audit.record(
            "credential.pickup_code_wrong",
            actor=acting_user,
            target=credential,
            data={"number": credential.registration.number},
        )
        raise ActionError("pickup_code_wrong", _("领取密码不正确"), field="pickup_code")
    return credential


def _hand_over(
    acting_user: User, credential: Credential, collector_name: str, now: datetime
) -> None:
    credential.status = CredentialStatus.COLLECTED
    credential.collected_at = now
    credential.collected_by = acting_user
    credential.collector_name = collector_name
    credential.photo_due = sign_photo_due(timezone.localdate(now))
    credential.save(
        update_fields=["status", "collected_at", "collected_by", "collector_name", "photo_due"]
    )
    audit.record(
        "credential.collected",
        actor=acting_user,
        target=credential,
        data={
            "number": credential.registration.number,
            "collector": collector_name,
            "photo_due": credential.photo_due.isoformat(),
        },
    )
    _sms_owner(
        credential.registration,
        _(
            "您已领取%(number)s的识别标志和信息采集卡。请在%(due)s前将标志固定于机身显著位置"
            "（原则上机身外侧靠近驾驶室），并上传附有标志的机械完整照片。"
        )
        % {
            "number": credential.registration.number,
            "due": credential.photo_due.strftime("%Y年%m月%d日"),
        },
    )


def confirm_sign_photo(*, acting_user: User, photo: SignPhoto) -> SignPhoto:
    return _decide_photo(acting_user, photo, confirmed=True, reason="")


def reject_sign_photo(*, acting_user: User, photo: SignPhoto, reason: str) -> SignPhoto:
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("reason_required", _("请填写未通过的原因"), field="reason")
    return _decide_photo(acting_user, photo, confirmed=False, reason=reason[:200])


def _decide_photo(
    acting_user: User, photo: SignPhoto, *, confirmed: bool, reason: str
) -> SignPhoto:
    _require_district_staff(acting_user, photo.credential.district)
    now = timezone.now()
    with transaction.atomic():
        credential = (
            Credential.objects.select_for_update()
            .select_related("registration__owner")
            .get(pk=photo.credential_id)
        )
        photo = SignPhoto.objects.get(pk=photo.pk)
        if (
            credential.status != CredentialStatus.PHOTO_SUBMITTED
            or photo.decision != SignPhotoDecision.PENDING
        ):
            raise ActionError("wrong_state", _("该照片已处理或不在待确认状态"), status=409)
        photo.decision = SignPhotoDecision.CONFIRMED if confirmed else SignPhotoDecision.REJECTED
        photo.decided_by = acting_user
        photo.decided_at = now
        photo.reason = reason
        photo.save(update_fields=["decision", "decided_by", "decided_at", "reason"])
        if confirmed:
            credential.status = CredentialStatus.FIXED
            credential.fixed_at = now
            credential.save(update_fields=["status", "fixed_at"])
        else:
            credential.status = CredentialStatus.COLLECTED
            credential.save(update_fields=["status"])
        number = credential.registration.number
        audit.record(
            "sign_photo.confirmed" if confirmed else "sign_photo.rejected",
            actor=acting_user,
            target=photo,
            data={"number": number, "reason": reason},
        )
        if not confirmed:
            _sms_owner(
                credential.registration,
                _("您上传的%(number)s标志固定照片未通过确认：%(reason)s。请重新固定并上传照片。")
                % {"number": number, "reason": reason},
            )
    return photo


# --- the owner ------------------------------------------------------------------------------


def upload_sign_photo(*, acting_user: User, credential: Credential, data: bytes) -> SignPhoto:
    """The photo of the whole machine with the sign fixed (Art. 10)."""
    registration = credential.registration
    if not (acting_user.role == Role.OWNER and can_act_for(acting_user, registration.owner)):
        raise ActionError("not_found", _("未找到该机械"), status=404)
    try:
        processed = process_photo(data)
    except PhotoError as exc:
        raise ActionError(f"photo_{exc.code}", str(exc), field="photo") from None
    with transaction.atomic():
        credential = Credential.objects.select_for_update().get(pk=credential.pk)
        if credential.status != CredentialStatus.COLLECTED:
            message = {
                CredentialStatus.PHOTO_SUBMITTED: _("照片已提交，正在等待属地管理部门确认"),
                CredentialStatus.FIXED: _("标志固定照片已确认，无需再上传"),
            }.get(CredentialStatus(credential.status), _("领取识别标志后才能上传固定照片"))
            raise ActionError("wrong_state", message, status=409)
        photo = SignPhoto(
            credential=credential,
            sha256=processed.sha256,
            width=processed.width,
            height=processed.height,
            size=len(processed.data),
            uploaded_by=acting_user,
        )
        photo.file.save(f"{processed.sha256}.jpg", ContentFile(processed.data), save=False)
        photo.save()
        credential.status = CredentialStatus.PHOTO_SUBMITTED
        credential.save(update_fields=["status"])
        audit.record(
            "sign_photo.uploaded",
            actor=acting_user,
            target=photo,
            data={"number": registration.number, "late": _late_photo(credential)},
        )
    return photo


# --- helpers --------------------------------------------------------------------------------


def _late(due: date | None, now: datetime) -> bool:
    return due is not None and timezone.localdate(now) > due


def _late_photo(credential: Credential) -> bool:
    return _late(credential.photo_due, timezone.now())


def _new_pickup_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PICKUP_CODE_DIGITS))


def _sms_owner(registration: Registration, body: str) -> None:
    """After commit, like the decisions: the state change stands if the SMS fails."""
    phone = registration.owner.phone
    transaction.on_commit(lambda: send_sms(phone, body, purpose="credential"))
