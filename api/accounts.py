from datetime import datetime
from typing import Literal

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from accounts import actions, throttle
from accounts.access import DISTRICT_AND_CITY
from accounts.models import AgentConsent, ApiToken, User
from accounts.queries import (
    consents_as_agent,
    consents_as_owner,
    get_owner_for_staff,
    search_owners,
)
from core.errors import ActionError

router = Router(tags=["accounts"])


class Message(Schema):
    message: str


class SmsCodeIn(Schema):
    phone: str
    purpose: Literal["register", "reset_password"]


class PersonIn(Schema):
    name: str
    id_number: str
    phone: str
    password: str
    password_confirm: str
    code: str


class OrganisationIn(Schema):
    name: str
    credit_code: str
    legal_representative: str
    contact_name: str
    phone: str
    password: str
    password_confirm: str
    code: str


class TokenIn(Schema):
    identifier: str
    password: str
    name: str = ""
    totp: str = ""  # staff with a second factor: the authenticator app's current code


class TokenOut(Schema):
    token: str
    user_id: int
    expires_at: datetime


class PasswordResetIn(Schema):
    phone: str
    code: str
    password: str
    password_confirm: str


class MeOut(Schema):
    id: int
    kind: str
    role: str
    name: str
    phone: str
    identifier: str
    district: str
    department: str


class ConsentRequestIn(Schema):
    owner_phone: str
    owner_name: str


class ConsentConfirmIn(Schema):
    owner_phone: str
    code: str


class PartyOut(Schema):
    id: int
    name: str
    phone: str
    kind: str


class ConsentOut(Schema):
    id: int
    agent: PartyOut
    owner: PartyOut
    granted_at: datetime
    withdrawn_at: datetime | None


class OwnerOut(Schema):
    id: int
    kind: str
    name: str
    phone: str
    identifier: str


class IdNumberOut(Schema):
    id: int  # the owner
    name: str
    id_number: str


def _party(user: User) -> dict[str, object]:
    return {"id": user.pk, "name": user.name, "phone": user.masked_phone, "kind": user.kind}


def _consent(consent: AgentConsent) -> dict[str, object]:
    return {
        "id": consent.pk,
        "agent": _party(consent.agent),
        "owner": _party(consent.owner),
        "granted_at": consent.granted_at,
        "withdrawn_at": consent.withdrawn_at,
    }


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the access middleware let only signed-in users through
    return user


# --- public: codes, registration, tokens, password reset -------------------------------------


@router.post("auth/sms-codes", response={202: Message}, url_name="sms_codes", auth=None)
def send_code(request: HttpRequest, payload: SmsCodeIn) -> Status[dict[str, str]]:
    """Send a 6-digit code (valid 5 minutes; one a minute, ten a day per phone)."""
    if payload.purpose == "register":
        actions.send_registration_code(payload.phone)
        return Status(202, {"message": _("验证码已发送")})
    actions.send_password_reset_code(payload.phone)
    return Status(202, {"message": _("如该手机号已注册，验证码已发送")})


@router.post("auth/register/person", response={201: MeOut}, url_name="register_person", auth=None)
def register_person(request: HttpRequest, payload: PersonIn) -> Status[dict[str, object]]:
    user = actions.register_person(actions.PersonForm(**payload.dict()))
    return Status(201, me_dict(user))


@router.post(
    "auth/register/organisation",
    response={201: MeOut},
    url_name="register_organisation",
    auth=None,
)
def register_organisation(
    request: HttpRequest, payload: OrganisationIn
) -> Status[dict[str, object]]:
    user = actions.register_organisation(actions.OrganisationForm(**payload.dict()))
    return Status(201, me_dict(user))


@router.post("auth/token", response={201: TokenOut}, url_name="token", auth=None)
def token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, object]]:
    """Log in with phone, ID number or credit code and password; returns a bearer token."""
    user = authenticate(request, username=payload.identifier, password=payload.password)
    if not isinstance(user, User):
        locked = getattr(request, "login_locked_for", 0)
        if locked:
            message = throttle.locked_message(locked)
            raise ActionError("login_locked", message, status=429, retry_after=locked)
        raise ActionError("bad_credentials", _("账号或密码不正确"), status=401)
    if user.totp_enabled_at is not None:
        # Staff with a second factor send the authenticator's current code too.
        account = f"user:{user.pk}"
        if not payload.totp:
            raise ActionError(
                "totp_required", _("请同时提交动态口令（totp）"), field="totp", status=401
            )
        try:
            actions.check_totp(user=user, code=payload.totp)
        except ActionError:
            throttle.failed(request, account)
            raise
    key = actions.issue_api_token(acting_user=user, name=payload.name)
    expires_at = ApiToken.objects.get(digest=actions.token_digest(key)).expires_at
    return Status(201, {"token": key, "user_id": user.pk, "expires_at": expires_at})


@router.post("auth/password-reset", response=Message, url_name="password_reset", auth=None)
def password_reset(request: HttpRequest, payload: PasswordResetIn) -> dict[str, str]:
    actions.reset_password(**payload.dict())
    return {"message": _("密码已重置，请用新密码登录")}


@router.post("auth/logout-everywhere", response=Message, url_name="logout_everywhere")
def logout_everywhere(request: HttpRequest) -> dict[str, str]:
    """End every token (this one too) and every browser session of the account."""
    ended = actions.log_out_everywhere(acting_user=_user(request))
    return {"message": _("已在所有设备上退出登录（结束%(n)s个令牌）") % {"n": ended}}


@router.post("auth/logout", response=Message, url_name="logout")
def logout(request: HttpRequest) -> dict[str, str]:
    """Revoke the token this request was made with."""
    key = request.headers["Authorization"].partition(" ")[2].strip()
    token = get_object_or_404(ApiToken, digest=actions.token_digest(key))
    actions.revoke_api_token(acting_user=_user(request), token=token)
    return {"message": _("已退出登录")}


# --- the signed-in user ---------------------------------------------------------------------


def me_dict(user: User) -> dict[str, object]:
    return {
        "id": user.pk,
        "kind": user.kind,
        "role": user.role,
        "name": user.name,
        "phone": user.masked_phone,
        "identifier": user.masked_identifier,
        "district": user.district,
        "department": user.department,
    }


@router.get("me", response=MeOut, url_name="me")
def me(request: HttpRequest) -> dict[str, object]:
    return me_dict(_user(request))


@router.post("me/id-number", response=IdNumberOut, url_name="me_id_number")
def my_id_number(request: HttpRequest, response: HttpResponse) -> dict[str, object]:
    """The signed-in person's own ID number in full (everywhere else it is masked); each
    call is recorded in the audit trail. 404 for an account without one."""
    user = _user(request)
    number = actions.reveal_id_number(acting_user=user, owner=user, via="api")
    add_never_cache_headers(response)
    return {"id": user.pk, "name": user.name, "id_number": number}


@router.get("me/principals", response=list[ConsentOut], url_name="principals")
def principals(request: HttpRequest) -> list[dict[str, object]]:
    """Owners the signed-in person may act for (active consents)."""
    return [_consent(c) for c in consents_as_agent(_user(request))]


@router.post("me/principals/requests", response={202: Message}, url_name="principal_requests")
def request_principal(request: HttpRequest, payload: ConsentRequestIn) -> Status[dict[str, str]]:
    """Ask an owner for consent: the owner receives an SMS code to pass on if they agree."""
    actions.request_agent_consent(acting_user=_user(request), **payload.dict())
    return Status(202, {"message": _("验证码已发送至机主手机")})


@router.post("me/principals", response={201: ConsentOut}, url_name="principals")
def confirm_principal(request: HttpRequest, payload: ConsentConfirmIn) -> Status[dict[str, object]]:
    consent = actions.confirm_agent_consent(acting_user=_user(request), **payload.dict())
    return Status(201, _consent(consent))


@router.delete("me/principals/{consent_id}", response=ConsentOut, url_name="principal_detail")
def end_principal(request: HttpRequest, consent_id: int) -> dict[str, object]:
    user = _user(request)
    consent = get_object_or_404(consents_as_agent(user), pk=consent_id)
    return _consent(actions.withdraw_agent_consent(acting_user=user, consent=consent))


@router.get("me/agents", response=list[ConsentOut], url_name="agents")
def agents(request: HttpRequest) -> list[dict[str, object]]:
    """People who may act for the signed-in owner (active consents)."""
    return [_consent(c) for c in consents_as_owner(_user(request))]


@router.delete("me/agents/{consent_id}", response=ConsentOut, url_name="agent_detail")
def withdraw_agent(request: HttpRequest, consent_id: int) -> dict[str, object]:
    user = _user(request)
    consent = get_object_or_404(consents_as_owner(user), pk=consent_id)
    return _consent(actions.withdraw_agent_consent(acting_user=user, consent=consent))


# --- staff ----------------------------------------------------------------------------------


@router.get("staff/owners", response=list[OwnerOut], url_name="staff_owners")
def staff_owners(request: HttpRequest, q: str) -> list[dict[str, object]]:
    """Find an owner by phone, ID number, credit code or part of the name (at most 50)."""
    assert _user(request).role in DISTRICT_AND_CITY
    return [
        {
            "id": o.pk,
            "kind": o.kind,
            "name": o.name,
            "phone": o.masked_phone,
            "identifier": o.masked_identifier,
        }
        for o in search_owners(q)
    ]


@router.post(
    "staff/owners/{owner_id}/id-number", response=IdNumberOut, url_name="staff_owner_id_number"
)
def staff_owner_id_number(
    request: HttpRequest, response: HttpResponse, owner_id: int
) -> dict[str, object]:
    """An owner's full ID number, for staff of a district the owner has a declaration,
    a machine or an owner change in, and for the city; each call is recorded in the audit
    trail. Anyone else, and owners without an ID number, get the 404 of a missing owner."""
    user = _user(request)
    owner = get_owner_for_staff(user, owner_id)
    number = actions.reveal_id_number(acting_user=user, owner=owner, via="api")
    add_never_cache_headers(response)
    return {"id": owner.pk, "name": owner.name, "id_number": number}
