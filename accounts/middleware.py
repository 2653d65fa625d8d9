from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.access import ACCESS, DELEGATED_NAMESPACES, allows
from accounts.actions import token_digest
from accounts.constants import Role
from accounts.models import ApiToken

API_PREFIX = "/api/"


def api_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


class ApiTokenMiddleware:
    """The API authenticates by bearer token only. A session cookie is ignored there, so a
    page on another site cannot make a signed-in browser call the API (no CSRF on /api/)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        request.user = AnonymousUser()
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _sep, key = header.partition(" ")
            if scheme.lower() != "bearer" or not key.strip():
                return api_error(
                    401, "bad_token", _("认证信息格式应为 Authorization: Bearer <令牌>")
                )
            token = (
                ApiToken.objects.select_related("user")
                .filter(digest=token_digest(key.strip()))
                .first()
            )
            if token is None or not token.user.is_active:
                return api_error(401, "bad_token", _("令牌无效或已注销，请重新登录获取"))
            now = timezone.now()
            if token.expires_at <= now:
                return api_error(401, "token_expired", _("令牌已过期，请重新登录获取"))
            # Write last use at most once a minute: one write per request would serialise
            # every API call on the token row.
            if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            request.user = token.user
        return self.get_response(request)


# What a staff member without a second factor may still open where one is required.
ENROLMENT_VIEWS: Final = frozenset(
    {"backoffice:totp_setup", "owners:logout", "owners:logout_everywhere", "api:logout"}
)


def _must_enrol(user: Any, view_name: str) -> bool:
    return bool(
        settings.NRMM_STAFF_TOTP_REQUIRED
        and user.is_authenticated
        and user.is_platform_staff
        and user.totp_enabled_at is None
        and view_name not in ENROLMENT_VIEWS
    )


class AccessMiddleware:
    """Enforces accounts.access.ACCESS before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None:
            return None
        if DELEGATED_NAMESPACES.intersection(match.namespaces):
            return None
        is_api = request.path.startswith(API_PREFIX)
        rule = ACCESS.get(match.view_name)
        user = request.user
        authenticated = bool(user.is_authenticated)
        role = getattr(user, "role", None)
        if rule is not None and allows(rule, authenticated=authenticated, role=role):
            if _must_enrol(user, match.view_name):
                if is_api:
                    return api_error(
                        403, "totp_setup_required", _("请先在工作台启用动态口令（双因素认证）")
                    )
                return redirect("backoffice:totp_setup")
            return None
        if is_api:
            if not authenticated:
                return api_error(401, "unauthenticated", _("请先登录（需要 API 令牌）"))
            return api_error(403, "forbidden", _("您的账户无权使用此功能"))
        if not authenticated:
            # A page only staff may open sends to the staff login, wherever it lives.
            staff_only = isinstance(rule, frozenset) and Role.OWNER not in rule
            login = "backoffice:login" if staff_only else "owners:login"
            return redirect(f"{reverse(login)}?{urlencode({'next': request.get_full_path()})}")
        return render(request, "403.html", status=403)
