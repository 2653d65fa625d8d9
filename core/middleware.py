"""Security headers Django 5.2 does not set itself, and retries that are safe to send twice."""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from core.models import IdempotentRequest


class RequestSizeMiddleware:
    """Refuse a body larger than settings.NRMM_MAX_REQUEST_BYTES from its Content-Length,
    before any of it is read or spooled to disk (anonymous forms take photos)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.limit = settings.NRMM_MAX_REQUEST_BYTES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.limit:
            message = _("提交的内容过大（超过%(mb)sMB），请减少或压缩照片后重试") % {
                "mb": self.limit // (1024 * 1024)
            }
            if request.path.startswith("/api/"):
                return _error(413, "request_too_large", message)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Every response gets settings.NRMM_CSP (scripts, styles, images and fonts from this
    site only, no frames, no plugins), unless a view set its own. The pages carry no inline
    script or style for it to block; browser tests fail on any violation."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.policy = settings.NRMM_CSP

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


# The API operations a client may retry with an Idempotency-Key header (issue #8): every
# POST of a signed-in client that creates or changes something, so that an answer lost on
# a construction site's network never leaves a second draft, photo, change request or
# number behind. The first successful answer is kept and replayed; nothing is done twice.
IDEMPOTENT_VIEWS = frozenset(
    "api:" + name
    for name in (
        "declarations declaration_photos declaration_check_group declaration_submit "
        "declarations_submit_many counter_intake counter_intake_codes imports "
        "external_registration_create registration_sign_photo "
        "review_approve review_refuse review_return "
        "change_alteration change_deregistration change_dpf change_location change_owner "
        "change_owner_code change_reissue change_retrofit change_transfer_out change_confirm "
        "change_resend_code change_site_check change_approve change_reject change_withdraw "
        "spot_checks spot_check_rectification rectification_answer rectification_close "
        "staff_credentials_produce staff_credentials_notify staff_collect "
        "staff_sign_photo_confirm staff_sign_photo_reject staff_report_assign "
        "staff_report_note staff_report_close staff_report_reopen "
        "principal_requests principals org_staff org_staff_codes org_staff_disable "
        "org_staff_enable"
    ).split()
)
# The POST operations a key does nothing for, and why (tests/api/test_idempotency.py fails
# for a POST operation in neither set, so a new one is decided on, not forgotten).
NOT_IDEMPOTENT_VIEWS = {
    "api:token": "its answer is a secret (an API token) that is not to be kept",
    "api:me_id_number": "its answer is a full ID number, kept nowhere in plain",
    "api:staff_owner_id_number": "its answer is a full ID number, kept nowhere in plain",
    "api:logout": "done twice, it changes nothing",
    "api:logout_everywhere": "done twice, it changes nothing",
    "api:sms_codes": "a retry asks for a new code, which replaces the first (limits count)",
    "api:password_reset": "anonymous: no signed-in client for a key to belong to",
    "api:register_person": "anonymous, and a second try is refused as already registered",
    "api:register_organisation": "anonymous, and a second try is refused as already registered",
    "api:report_file": "anonymous: no signed-in client for a key to belong to",
}
KEY_MAX_LENGTH = 100


class _Failed(Exception):
    def __init__(self, response: HttpResponse):
        self.response = response


class IdempotencyMiddleware:
    """For the operations above, sent by a signed-in client with an Idempotency-Key: the
    key is reserved, the operation runs and its 2xx answer is stored in one transaction, so
    an answer that was given is never lost and never given for a second run. A retry that
    arrives while the first is still running waits for it (the key's unique row is locked),
    then gets the same answer. A failed first try (4xx, 5xx) keeps no answer: the retry
    runs. The same key with another request is refused (422)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key", "")
        if not key or request.method != "POST" or not self._applies(request):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        if len(key) > KEY_MAX_LENGTH or not key.isprintable():
            return _error(400, "bad_idempotency_key", _("Idempotency-Key 应为不超过100个字符"))
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        IdempotentRequest.objects.create(
                            user=user, key=key, fingerprint=fingerprint
                        )
                except IntegrityError:
                    return self._replay(user, key, fingerprint)
                response = self.get_response(request)
                if response.status_code >= 500:
                    raise _Failed(response)  # unexpected: roll back all of it
                if not 200 <= response.status_code < 300 or response.streaming:
                    # Nothing to replay: give the key back, but keep what the refused try
                    # wrote on purpose (a wrong SMS code counted, a rate-limit hit), as it
                    # would be kept without a key; the operation's own atomic block has
                    # already undone its work. A broken transaction is rolled back whole.
                    try:
                        with transaction.atomic():
                            IdempotentRequest.objects.filter(user=user, key=key).delete()
                    except DatabaseError:
                        raise _Failed(response) from None
                    return response
                IdempotentRequest.objects.filter(user=user, key=key).update(
                    status=response.status_code,
                    content_type=response.get("Content-Type", ""),
                    body=response.content,
                )
        except _Failed as failed:
            return failed.response
        IdempotentRequest.sweep_now_and_then()
        return response

    @staticmethod
    def _applies(request: HttpRequest) -> bool:
        try:
            return resolve(request.path_info).view_name in IDEMPOTENT_VIEWS
        except Resolver404:
            return False

    @staticmethod
    def _replay(user: Any, key: str, fingerprint: str) -> HttpResponse:
        stored = IdempotentRequest.objects.get(user=user, key=key)
        if stored.fingerprint != fingerprint:
            return _error(422, "idempotency_key_reused", _("该 Idempotency-Key 已用于另一个请求"))
        response = HttpResponse(
            bytes(stored.body), status=stored.status, content_type=stored.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response


def _fingerprint(request: HttpRequest) -> str:
    """What makes two requests the same one: method, path and body. A multipart body (a
    photo, a fleet file) is read through Django's upload handlers, field by field and file
    by file in chunks, because request.body would hold it in memory whole and refuse it
    past DATA_UPLOAD_MAX_MEMORY_SIZE."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.content_type != "multipart/form-data":
        digest.update(request.body)
        return digest.hexdigest()
    for name, values in sorted(request.POST.lists()):
        digest.update(json.dumps(["field", name, values]).encode())
    for name, files in sorted(request.FILES.lists()):
        for upload in files:
            digest.update(json.dumps(["file", name, upload.name, upload.size]).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)  # the operation reads it again
    return digest.hexdigest()


def _error(status: int, code: str, message: str) -> HttpResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)
