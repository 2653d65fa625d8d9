"""Security headers Django 5.2 does not set itself, and retries that are safe to send twice."""

import hashlib
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
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


# The API operations a client may safely retry with an Idempotency-Key header (issue #8):
# the first successful answer is kept and replayed; nothing is done twice.
IDEMPOTENT_VIEWS = frozenset({"api:declaration_submit", "api:review_approve", "api:change_approve"})
KEY_MAX_LENGTH = 100
KEPT_FOR = timedelta(days=1)


class _Failed(Exception):
    def __init__(self, response: HttpResponse):
        self.response = response


class IdempotencyMiddleware:
    """For the operations above, sent by a signed-in client with an Idempotency-Key: the
    key is reserved, the operation runs and its 2xx answer is stored in one transaction, so
    an answer that was given is never lost and never given for a second run. A retry that
    arrives while the first is still running waits for it (the key's unique row is locked),
    then gets the same answer. A failed first try (4xx, 5xx) keeps nothing: the retry runs.
    The same key with another request is refused (422)."""

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
        fingerprint = hashlib.sha256(
            request.method.encode() + b" " + request.path.encode() + b"\n" + request.body
        ).hexdigest()
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
                if not 200 <= response.status_code < 300 or response.streaming:
                    raise _Failed(response)
                IdempotentRequest.objects.filter(user=user, key=key).update(
                    status=response.status_code,
                    content_type=response.get("Content-Type", ""),
                    body=response.content,
                )
        except _Failed as failed:
            return failed.response
        if random.random() < 0.01:  # housekeeping, as core.ratelimit
            IdempotentRequest.objects.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
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


def _error(status: int, code: str, message: str) -> HttpResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)
