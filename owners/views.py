"""Owners' pages: thin views that read the form, call an action and render the outcome.
Access by role is enforced by accounts.middleware.AccessMiddleware."""

import time

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import actions, throttle
from accounts.constants import SmsPurpose
from accounts.models import AgentConsent, User
from accounts.queries import consents_as_agent, consents_as_owner
from core.errors import ActionError
from core.http import current_user as _current
from core.http import form_errors as _errors
from core.http import id_number_response

PERSON_FIELDS = ("name", "id_number", "phone", "password", "password_confirm", "code")
ORG_FIELDS = (
    "name",
    "credit_code",
    "legal_representative",
    "contact_name",
    "phone",
    "password",
    "password_confirm",
    "code",
)
# Never echo passwords or codes back into a re-rendered form.
SECRET_FIELDS = {"password", "password_confirm", "code"}


def _values(request: HttpRequest, fields: tuple[str, ...]) -> dict[str, str]:
    return {f: request.POST.get(f, "") for f in fields}


def _echo(values: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if k not in SECRET_FIELDS}


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "owners/home.html")


def register(request: HttpRequest) -> HttpResponse:
    return render(request, "owners/register.html")


def _register(
    request: HttpRequest, template: str, fields: tuple[str, ...], action: object, form_cls: type
) -> HttpResponse:
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _values(request, fields)
        try:
            user = action(form_cls(**values))  # type: ignore[operator]
        except ActionError as exc:
            errors = _errors(exc)
        else:
            login(request, user, backend="accounts.backends.IdentifierBackend")
            messages.success(request, _("注册成功，欢迎使用！"))
            return redirect("owners:account")
    return render(
        request,
        template,
        {"values": _echo(values), "errors": errors},
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
def register_person(request: HttpRequest) -> HttpResponse:
    return _register(
        request,
        "owners/register_person.html",
        PERSON_FIELDS,
        actions.register_person,
        actions.PersonForm,
    )


@require_http_methods(["GET", "POST"])
def register_organisation(request: HttpRequest) -> HttpResponse:
    return _register(
        request,
        "owners/register_organisation.html",
        ORG_FIELDS,
        actions.register_organisation,
        actions.OrganisationForm,
    )


@require_POST
def send_code(request: HttpRequest) -> HttpResponse:
    """htmx: sends a registration or password-reset code; answers a small status fragment."""
    purpose = request.POST.get("purpose", "")
    phone = request.POST.get("phone", "") or request.POST.get("owner_phone", "")
    try:
        if purpose == SmsPurpose.REGISTER:
            actions.send_registration_code(phone)
            text = _("验证码已发送，5分钟内有效")
        elif purpose == SmsPurpose.RESET_PASSWORD:
            actions.send_password_reset_code(phone)
            text = _("如该手机号已注册，验证码已发送，5分钟内有效")
        else:
            raise ActionError("bad_purpose", _("无法识别的验证码用途"))
    except ActionError as exc:
        return HttpResponse(format_html('<p class="error">{}</p>', exc.message))
    response = HttpResponse(format_html('<p class="ok">{}</p>', text))
    response["X-Sms-Sent"] = "1"
    return response


# The second step of a staff login (backoffice.totp.login_code) finds the user here.
TOTP_PENDING = "nrmm_totp_pending"
TOTP_PENDING_SECONDS = 300


def start_code_step(request: HttpRequest, user: User) -> None:
    request.session[TOTP_PENDING] = {
        "user": user.pk,
        "at": int(time.time()),
        "next": request.POST.get("next") or request.GET.get("next") or "",
    }


def _after_login(request: HttpRequest, user: User, target: str | None = None) -> HttpResponse:
    if target is None:
        target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("backoffice:home" if user.is_platform_staff else "owners:account")


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest, *, template: str = "owners/login.html") -> HttpResponse:
    error = ""
    identifier = ""
    status = 400
    if request.method == "POST":
        identifier = request.POST.get("identifier", "").strip()
        password = request.POST.get("password", "")
        if not identifier or not password:
            error = _("请输入账号和密码")
        else:
            user = authenticate(request, username=identifier, password=password)
            if isinstance(user, User) and user.totp_enabled_at is not None:
                # Staff with a second factor: the password is right, the code comes next.
                start_code_step(request, user)
                return redirect("backoffice:login_code")
            if isinstance(user, User):
                login(request, user)
                return _after_login(request, user)
            locked = getattr(request, "login_locked_for", 0)
            error = throttle.locked_message(locked) if locked else _("账号或密码不正确")
            status = 429 if locked else 400
    return render(
        request,
        template,
        {"error": error, "identifier": identifier, "next": request.GET.get("next", "")},
        status=status if error else 200,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    staff = _current(request).is_platform_staff
    logout(request)
    return redirect("backoffice:login" if staff else "owners:home")


@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """End every other session and every API token of the account; this browser stays
    signed in."""
    user = _current(request)
    ended = actions.log_out_everywhere(acting_user=user)
    update_session_auth_hash(request, user)
    messages.success(
        request, _("已退出其他所有设备上的登录（另结束%(n)s个接口令牌）") % {"n": ended}
    )
    return redirect("backoffice:home" if user.is_platform_staff else "owners:account")


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    phone = ""
    if request.method == "POST":
        phone = request.POST.get("phone", "")
        try:
            actions.reset_password(
                phone=phone,
                code=request.POST.get("code", ""),
                password=request.POST.get("password", ""),
                password_confirm=request.POST.get("password_confirm", ""),
            )
        except ActionError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("密码已重置，请用新密码登录"))
            return redirect("owners:login")
    return render(
        request,
        "owners/password_reset.html",
        {"errors": errors, "phone": phone},
        status=400 if errors else 200,
    )


def _account_page(
    request: HttpRequest, errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> HttpResponse:
    user = _current(request)
    context = {
        "me": user,
        "principals": consents_as_agent(user),
        "agents": consents_as_owner(user),
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "owners/account.html", context, status=400 if errors else 200)


def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@require_POST
def account_id_number(request: HttpRequest) -> HttpResponse:
    """The owner's own ID number in full (masked on the account page); audited like
    every full view. An account without one (organisations) has nothing to show: 404."""
    user = _current(request)
    try:
        number = actions.reveal_id_number(acting_user=user, owner=user, via="page")
    except ActionError:
        raise Http404 from None
    return id_number_response(
        request,
        person=user,
        number=number,
        base_template="base.html",
        fallback=reverse("owners:account"),
    )


@require_POST
def agent_request(request: HttpRequest) -> HttpResponse:
    values = _values(request, ("owner_phone", "owner_name"))
    try:
        actions.request_agent_consent(acting_user=_current(request), **values)
    except ActionError as exc:
        return _account_page(request, _errors(exc), values)
    messages.success(request, _("验证码已发送至机主手机，请向机主索取验证码后确认"))
    return _account_page(request, values={**values, "awaiting_code": "1"})


@require_POST
def agent_confirm(request: HttpRequest) -> HttpResponse:
    values = _values(request, ("owner_phone", "code"))
    try:
        consent = actions.confirm_agent_consent(acting_user=_current(request), **values)
    except ActionError as exc:
        return _account_page(request, _errors(exc), {**_echo(values), "awaiting_code": "1"})
    messages.success(request, _("已确认：您可以代%(name)s办理登记") % {"name": consent.owner.name})
    return redirect("owners:account")


@require_POST
def consent_withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    user = _current(request)
    # 404 alike for a consent that does not exist and one that is not the user's.
    consent = get_object_or_404(
        AgentConsent.objects.filter(Q(agent=user) | Q(owner=user), withdrawn_at=None),
        pk=consent_id,
    )
    try:
        actions.withdraw_agent_consent(acting_user=user, consent=consent)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("委托已撤销"))
    return redirect("owners:account")
