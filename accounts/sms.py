"""SMS: pluggable backends and verification codes.

Every message goes into the outbox table (SmsMessage) whatever the backend, so
administrators can see what was sent; the default backend does nothing more (like Django's
console e-mail backend). A real provider is a subclass of SmsBackend named in
settings.NRMM_SMS_BACKEND.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.constants import SmsPurpose
from accounts.models import SmsCode, SmsMessage, User
from core.errors import ActionError

CODE_DIGITS = 6


class SmsBackend:
    """Delivers one message. Raise an exception to make the send fail (and roll back)."""

    def deliver(self, phone: str, body: str) -> None:
        raise NotImplementedError


class OutboxBackend(SmsBackend):
    """Delivers nothing: the outbox row is the message (read it with `manage.py sms_outbox`)."""

    def deliver(self, phone: str, body: str) -> None:
        return None


@lru_cache(maxsize=4)
def _backend(path: str) -> SmsBackend:
    backend: SmsBackend = import_string(path)()
    return backend


def send_sms(phone: str, body: str, *, purpose: str = "") -> SmsMessage:
    path = settings.NRMM_SMS_BACKEND
    message = SmsMessage.objects.create(
        phone=phone, body=settings.NRMM_SMS_SIGNATURE + body, purpose=purpose, backend=path
    )
    _backend(path).deliver(phone, message.body)
    return message


def _digest(salt: str, phone: str, purpose: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{salt}:{phone}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def _check_send_limits(phone: str) -> None:
    now = timezone.now()
    interval = settings.NRMM_SMS_MIN_INTERVAL_SECONDS
    recent = SmsCode.objects.filter(phone=phone, created_at__gt=now - timedelta(days=1))
    last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None and (now - last).total_seconds() < interval:
        wait = interval - int((now - last).total_seconds())
        raise ActionError(
            "sms_too_frequent",
            _("验证码发送过于频繁，请%(seconds)s秒后再试") % {"seconds": wait},
            field="phone",
            status=429,
            retry_after=wait,
        )
    if recent.count() >= settings.NRMM_SMS_DAILY_LIMIT:
        raise ActionError(
            "sms_daily_limit",
            _("该手机号今日获取验证码已达%(n)s次上限，请明天再试")
            % {"n": settings.NRMM_SMS_DAILY_LIMIT},
            field="phone",
            status=429,
        )


def issue_code(
    phone: str, purpose: SmsPurpose, body_template: str, *, requested_by: User | None = None
) -> SmsCode:
    """Create a code, send it, and return the row. body_template has a {code} slot.

    Earlier unused codes for the same phone and purpose stop working: only the newest
    message a person received is valid, which is what they expect.
    """
    with transaction.atomic():
        _check_send_limits(phone)
        now = timezone.now()
        SmsCode.objects.filter(phone=phone, purpose=purpose, consumed_at__isnull=True).update(
            consumed_at=now
        )
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        salt = secrets.token_hex(8)
        row = SmsCode.objects.create(
            phone=phone,
            purpose=purpose,
            salt=salt,
            code_hash=_digest(salt, phone, purpose, code),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.NRMM_SMS_CODE_TTL_SECONDS),
            requested_by=requested_by,
        )
        send_sms(phone, body_template.format(code=code), purpose=purpose)
    return row


def take_code(
    phone: str, purpose: SmsPurpose, code: str, *, requested_by: User | None = None
) -> ActionError | None:
    """Check a code and consume it. Returns the error instead of raising it, because a
    wrong try must be counted even when the caller's transaction is about to fail: the
    caller raises the error after its atomic block has committed the count.

    Must run inside the caller's transaction.atomic() (the row is locked until the end).
    """
    code = (code or "").strip()
    if not code:
        return ActionError("sms_code_required", _("请输入短信验证码"), field="code")
    row = (
        SmsCode.objects.select_for_update()
        .filter(phone=phone, purpose=purpose, consumed_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if row is None or (requested_by is not None and row.requested_by_id != requested_by.pk):
        return ActionError(
            "sms_code_missing", _("请先获取验证码，或验证码已失效请重新获取"), field="code"
        )
    now = timezone.now()
    if row.expires_at <= now:
        return ActionError("sms_code_expired", _("验证码已过期，请重新获取"), field="code")
    if row.failed_attempts >= settings.NRMM_SMS_CODE_MAX_ATTEMPTS:
        return ActionError("sms_code_locked", _("验证码错误次数过多，请重新获取"), field="code")
    if not hmac.compare_digest(row.code_hash, _digest(row.salt, phone, purpose, code)):
        row.failed_attempts += 1
        row.save(update_fields=["failed_attempts"])
        left = settings.NRMM_SMS_CODE_MAX_ATTEMPTS - row.failed_attempts
        if left <= 0:
            return ActionError("sms_code_locked", _("验证码错误次数过多，请重新获取"), field="code")
        return ActionError(
            "sms_code_wrong",
            _("验证码不正确，还可以再试%(n)s次") % {"n": left},
            field="code",
        )
    row.consumed_at = now
    row.save(update_fields=["consumed_at"])
    return None
