"""Staff's second factor: the login's code step and enrolment of an authenticator app."""

import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import actions, throttle, totp
from accounts.models import User
from core.errors import ActionError
from core.http import current_user
from owners.views import TOTP_PENDING, TOTP_PENDING_SECONDS, _after_login


def _pending_user(request: HttpRequest) -> tuple[User | None, str]:
    pending = request.session.get(TOTP_PENDING) or {}
    if not pending or time.time() - pending.get("at", 0) > TOTP_PENDING_SECONDS:
        return None, ""
    user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    return user, pending.get("next", "")


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Password accepted; now the 6-digit code. Wrong codes count against the account like
    wrong passwords (accounts.throttle), so the code cannot be guessed either."""
    user, target = _pending_user(request)
    if user is None:
        context = {"expired": True, "error": _("登录已超时，请重新输入账号和密码")}
        status = 400 if request.method == "POST" else 200
        return render(request, "backoffice/login_code.html", context, status=status)
    error, status = "", 200
    if request.method == "POST":
        account = f"user:{user.pk}"
        wait = throttle.locked_for(request, account)
        if wait:
            error, status = throttle.locked_message(wait), 429
        else:
            try:
                actions.check_totp(user=user, code=request.POST.get("code", ""))
            except ActionError as exc:
                throttle.failed(request, account)
                error, status = exc.message, 400
            else:
                del request.session[TOTP_PENDING]
                login(request, user, backend="accounts.backends.IdentifierBackend")
                return _after_login(request, user, target)
    return render(request, "backoffice/login_code.html", {"error": error}, status=status)


@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), confirm with a code."""
    user = current_user(request)
    error, status = "", 200
    if request.method == "POST" and user.totp_enabled_at is None:
        try:
            actions.confirm_totp(acting_user=user, code=request.POST.get("code", ""))
        except ActionError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, _("动态口令已启用，以后登录时需输入手机应用上的6位数字"))
            return redirect("backoffice:home")
    qr_uri, secret = "", ""
    if user.totp_enabled_at is None:
        secret = user.totp_secret or actions.start_totp_enrolment(acting_user=user)
        uri = totp.provisioning_uri(secret, account=user.phone, issuer=settings.NRMM_PLATFORM_NAME)
        # A data: URI image (the Content-Security-Policy allows data: images).
        qr_uri = segno.make_qr(uri, error="m").svg_data_uri(scale=5)
    context = {
        "me": user,
        "qr_uri": qr_uri,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "required": settings.NRMM_STAFF_TOTP_REQUIRED,
        "error": error,
    }
    return render(request, "backoffice/totp_setup.html", context, status=status)
