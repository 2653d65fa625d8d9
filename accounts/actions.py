"""Every state change on accounts, one named function each (Zulip's zerver/actions).

Each runs in transaction.atomic(), refuses what is not allowed with an ActionError that
carries a Chinese message, writes an audit row and saves with update_fields.
Views and API endpoints only call these.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import totp
from accounts.constants import DISTRICT_ROLES, AccountKind, Department, Role, SmsPurpose
from accounts.models import AgentConsent, ApiToken, User
from accounts.queries import owners_for_staff
from accounts.sms import issue_code, take_code
from core import audit
from core.errors import ActionError, FieldErrors
from core.reference import city
from rules.identifiers import check_credit_code, check_id_number, check_mobile, mask_phone

NAME_MAX = 50
ORG_NAME_MAX = 100


@dataclass(frozen=True)
class PersonForm:
    name: str
    id_number: str
    phone: str
    password: str
    password_confirm: str
    code: str


@dataclass(frozen=True)
class OrganisationForm:
    name: str
    credit_code: str
    legal_representative: str
    contact_name: str
    phone: str
    password: str
    password_confirm: str
    code: str


# --- field checks shared by the pages and the API -------------------------------------------


def _clean_name(value: str, errors: dict[str, str], *, field: str, label: str, limit: int) -> str:
    value = " ".join((value or "").split())
    if not value:
        errors[field] = _("请填写%(label)s") % {"label": label}
    elif len(value) > limit:
        errors[field] = _("%(label)s不能超过%(n)s个字") % {"label": label, "n": limit}
    return value


def _clean_phone(value: str, errors: dict[str, str]) -> str:
    check = check_mobile(value)
    if check.error:
        errors["phone"] = check.error
    return check.value


def _clean_password(password: str, confirm: str, errors: dict[str, str]) -> None:
    if not password:
        errors["password"] = _("请设置密码")
        return
    try:
        validate_password(password)
    except ValidationError as exc:
        errors["password"] = " ".join(exc.messages)
        return
    if password != confirm:
        errors["password_confirm"] = _("两次输入的密码不一致")


def _refuse_taken(phone: str, errors: dict[str, str], **identifier: str) -> None:
    ((field, value),) = identifier.items()
    if "phone" not in errors and User.objects.filter(phone=phone).exists():
        errors["phone"] = _("该手机号已注册，请直接登录；忘记密码可通过短信重置")
    taken = (
        User.objects.by_id_number(value)
        if field == "id_number"
        else User.objects.filter(**{field: value})
    )
    if field not in errors and taken.exists():
        label = _("身份证号码") if field == "id_number" else _("统一社会信用代码")
        errors[field] = _("该%(label)s已注册，请直接登录；忘记密码可通过短信重置") % {
            "label": label
        }


def _finish_registration(user: User, password: str, code: str) -> User:
    """Check the SMS code and save the account in one transaction; count a wrong code."""
    with transaction.atomic():
        error = take_code(user.phone, SmsPurpose.REGISTER, code)
        if error is None:
            user.set_password(password)
            try:
                with transaction.atomic():
                    user.save()
            except IntegrityError:
                # Someone registered the same phone or identifier a moment ago.
                error = ActionError(
                    "already_registered", _("该账户已注册，请直接登录"), field="phone"
                )
                transaction.set_rollback(True)
            else:
                audit.record(
                    "account.registered", actor=user, target=user, data={"kind": user.kind}
                )
    if error is not None:
        raise error
    return user


# --- registration ---------------------------------------------------------------------------


def register_person(form: PersonForm) -> User:
    errors: dict[str, str] = {}
    name = _clean_name(form.name, errors, field="name", label=_("姓名"), limit=NAME_MAX)
    id_check = check_id_number(form.id_number, today=timezone.localdate())
    if id_check.error:
        errors["id_number"] = id_check.error
    phone = _clean_phone(form.phone, errors)
    _clean_password(form.password, form.password_confirm, errors)
    _refuse_taken(phone, errors, id_number=id_check.value)
    if errors:
        raise FieldErrors(errors)
    user = User(kind=AccountKind.PERSON, role=Role.OWNER, name=name, phone=phone)
    user.id_number = id_check.value  # sealed and hashed by the property
    return _finish_registration(user, form.password, form.code)


def register_organisation(form: OrganisationForm) -> User:
    errors: dict[str, str] = {}
    name = _clean_name(form.name, errors, field="name", label=_("单位名称"), limit=ORG_NAME_MAX)
    code_check = check_credit_code(form.credit_code)
    if code_check.error:
        errors["credit_code"] = code_check.error
    legal = _clean_name(
        form.legal_representative,
        errors,
        field="legal_representative",
        label=_("法人代表"),
        limit=NAME_MAX,
    )
    contact = _clean_name(
        form.contact_name, errors, field="contact_name", label=_("联系人"), limit=NAME_MAX
    )
    phone = _clean_phone(form.phone, errors)
    _clean_password(form.password, form.password_confirm, errors)
    _refuse_taken(phone, errors, credit_code=code_check.value)
    if errors:
        raise FieldErrors(errors)
    user = User(
        kind=AccountKind.ORGANISATION,
        role=Role.OWNER,
        name=name,
        phone=phone,
        credit_code=code_check.value,
        legal_representative=legal,
        contact_name=contact,
    )
    return _finish_registration(user, form.password, form.code)


# --- SMS codes ------------------------------------------------------------------------------


def send_registration_code(phone: str) -> None:
    errors: dict[str, str] = {}
    phone = _clean_phone(phone, errors)
    if not errors and User.objects.filter(phone=phone).exists():
        errors["phone"] = _("该手机号已注册，请直接登录；忘记密码可通过短信重置")
    if errors:
        raise FieldErrors(errors)
    issue_code(
        phone,
        SmsPurpose.REGISTER,
        _("您的注册验证码为{code}，5分钟内有效。如非本人操作，请忽略本短信。"),
    )


def send_password_reset_code(phone: str) -> None:
    """Sends only to a registered phone, but answers the same either way, so the form
    cannot be used to find out who is registered."""
    errors: dict[str, str] = {}
    phone = _clean_phone(phone, errors)
    if errors:
        raise FieldErrors(errors)
    if User.objects.filter(phone=phone, is_active=True).exists():
        issue_code(
            phone,
            SmsPurpose.RESET_PASSWORD,
            _("您正在重置密码，验证码为{code}，5分钟内有效。如非本人操作，请忽略本短信。"),
        )


def reset_password(*, phone: str, code: str, password: str, password_confirm: str) -> User:
    errors: dict[str, str] = {}
    phone = _clean_phone(phone, errors)
    _clean_password(password, password_confirm, errors)
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        error = take_code(phone, SmsPurpose.RESET_PASSWORD, code)
        user = User.objects.select_for_update().filter(phone=phone, is_active=True).first()
        if error is None and user is not None:
            user.set_password(password)
            user.save(update_fields=["password"])
            # A reset means the old password may be known to someone else: end API sessions.
            ApiToken.objects.filter(user=user).delete()
            audit.record("account.password_reset", actor=user, target=user)
    if error is not None:
        raise error
    if user is None:
        # No code can have been sent to an unregistered phone, so take_code already failed;
        # this only guards a user deactivated between send and reset.
        raise ActionError("sms_code_missing", _("请先获取验证码"), field="code")
    return user


# --- agents ---------------------------------------------------------------------------------


def _find_owner(phone: str, name: str) -> User | None:
    check = check_mobile(phone)
    if check.error:
        return None
    return (
        User.objects.filter(
            phone=check.value, name=" ".join((name or "").split()), role=Role.OWNER, is_active=True
        )
        .exclude(kind=AccountKind.ORG_STAFF)
        .first()
    )


def request_agent_consent(*, acting_user: User, owner_phone: str, owner_name: str) -> None:
    """The agent asks; the owner receives a code that they tell the agent if they agree."""
    if not (acting_user.role == Role.OWNER and acting_user.kind == AccountKind.PERSON):
        raise ActionError("not_allowed", _("只有个人账户可以作为被委托人"), status=403)
    owner = _find_owner(owner_phone, owner_name)
    if owner is None:
        raise ActionError(
            "owner_not_found",
            _("未找到该机主：手机号和姓名（单位名称）须与机主注册时填写的一致"),
            field="owner_phone",
        )
    if owner.pk == acting_user.pk:
        raise ActionError("self_consent", _("不能委托自己"), field="owner_phone")
    if AgentConsent.objects.filter(agent=acting_user, owner=owner, withdrawn_at=None).exists():
        raise ActionError("already_agent", _("您已获得该机主的委托"), field="owner_phone")
    id_hint = acting_user.masked_identifier
    issue_code(
        owner.phone,
        SmsPurpose.AGENT_CONSENT,
        _(
            "%(agent)s（身份证%(id)s）申请代您办理非道路移动机械环保登记，验证码{code}，"
            "5分钟内有效。同意请将验证码告知对方，不同意请勿告知。"
        )
        % {"agent": acting_user.name, "id": id_hint},
        requested_by=acting_user,
    )


def confirm_agent_consent(*, acting_user: User, owner_phone: str, code: str) -> AgentConsent:
    check = check_mobile(owner_phone)
    if check.error:
        raise ActionError("invalid_phone", check.error, field="owner_phone")
    with transaction.atomic():
        error = take_code(check.value, SmsPurpose.AGENT_CONSENT, code, requested_by=acting_user)
        consent = None
        if error is None:
            owner = User.objects.get(phone=check.value)
            consent = AgentConsent.objects.create(agent=acting_user, owner=owner)
            audit.record(
                "agent.consent_granted",
                actor=acting_user,
                target=consent,
                data={"agent": acting_user.pk, "owner": owner.pk},
            )
    if error is not None:
        raise error
    assert consent is not None
    return consent


def withdraw_agent_consent(*, acting_user: User, consent: AgentConsent) -> AgentConsent:
    """Either side may end a consent; machines already declared stay the owner's."""
    with transaction.atomic():
        consent = AgentConsent.objects.select_for_update().get(pk=consent.pk)
        if acting_user.pk not in (consent.agent_id, consent.owner_id):
            raise ActionError("not_found", _("未找到该委托"), status=404)
        if consent.withdrawn_at is not None:
            raise ActionError("already_withdrawn", _("该委托已撤销"))
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_by = acting_user
        consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit.record("agent.consent_withdrawn", actor=acting_user, target=consent)
    return consent


def can_act_for(agent: User, owner: User) -> bool:
    """May `agent` declare machines for `owner`? Themselves, or with an active consent; an
    organisation's staff member acts for that organisation only (and owns nothing)."""
    if agent.kind == AccountKind.ORG_STAFF:
        return agent.is_active and owner.is_active and agent.organisation_id == owner.pk
    if agent.pk == owner.pk:
        return True
    if not owner.is_active:
        return False
    return AgentConsent.objects.filter(agent=agent, owner=owner, withdrawn_at=None).exists()


# --- personal data -------------------------------------------------------------------------


def reveal_id_number(*, acting_user: User, owner: User, via: str) -> str:
    """The full ID number, for its owner or for staff whose work needs it (owners_for_staff:
    the owner's district and the city). Every view is an audit row, written before the
    number is handed out; anyone else is refused like a missing owner (404)."""
    allowed = acting_user.pk == owner.pk or (
        acting_user.is_platform_staff and owners_for_staff(acting_user).filter(pk=owner.pk).exists()
    )
    if not (acting_user.is_active and allowed and owner.id_number_enc):
        raise ActionError("not_found", _("未找到该证件号码"), status=404)
    with transaction.atomic():
        audit.record("account.id_number_viewed", actor=acting_user, target=owner, data={"via": via})
    number = owner.id_number
    assert number is not None
    return number


# --- an organisation's staff logins ---------------------------------------------------------


@dataclass(frozen=True)
class OrgStaffForm:
    name: str
    phone: str
    password: str
    password_confirm: str
    code: str = ""  # the SMS code sent to the staff member's phone


def _free_staff_phone(phone: str) -> str:
    errors: dict[str, str] = {}
    phone = _clean_phone(phone, errors)
    if "phone" not in errors and User.objects.filter(phone=phone).exists():
        errors["phone"] = _("该手机号已被其他账户使用")
    if errors:
        raise FieldErrors(errors)
    return phone


def request_org_staff_code(*, acting_user: User, phone: str) -> None:
    """A staff login is only created for a phone whose holder agrees: the code goes to
    that phone and the staff member reads it out to the organisation's main account."""
    _require_organisation(acting_user)
    phone = _free_staff_phone(phone)
    with transaction.atomic():
        issue_code(
            phone,
            SmsPurpose.ORG_STAFF,
            # {code} is filled by issue_code; the organisation here.
            _(
                "%(organisation)s正在为您开通非道路移动机械平台的单位员工账户，"
                "验证码{code}，5分钟内有效。如非本人同意，请勿告知他人。"
            )
            % {"organisation": acting_user.name},
            requested_by=acting_user,
        )
        audit.record(
            "org_staff.code_requested",
            actor=acting_user,
            target=acting_user,
            data={"phone": mask_phone(phone)},
        )


def _require_organisation(user: User) -> None:
    """Only the organisation's main account manages its staff (not staff, not people)."""
    if not (user.kind == AccountKind.ORGANISATION and user.role == Role.OWNER):
        raise ActionError("not_allowed", _("只有单位主账户可以管理员工账户"), status=403)


def create_org_staff(*, acting_user: User, form: OrgStaffForm) -> User:
    """The organisation's main account creates a staff login with an initial password,
    which it hands to the staff member (who may change it by SMS reset on their phone)."""
    _require_organisation(acting_user)
    errors: dict[str, str] = {}
    name = _clean_name(form.name, errors, field="name", label=_("姓名"), limit=NAME_MAX)
    phone = _clean_phone(form.phone, errors)
    _clean_password(form.password, form.password_confirm, errors)
    if "phone" not in errors and User.objects.filter(phone=phone).exists():
        errors["phone"] = _("该手机号已被其他账户使用")
    if errors:
        raise FieldErrors(errors)
    staff = User(
        kind=AccountKind.ORG_STAFF,
        role=Role.OWNER,
        name=name,
        phone=phone,
        organisation=acting_user,
    )
    staff.set_password(form.password)
    error: ActionError | None = None
    with transaction.atomic():
        error = take_code(phone, SmsPurpose.ORG_STAFF, form.code, requested_by=acting_user)
        if error is None:
            try:
                with transaction.atomic():
                    staff.save()
            except IntegrityError:
                # The same phone registered a moment ago by someone else.
                error = FieldErrors({"phone": _("该手机号已被其他账户使用")})
        if error is None:
            audit.record(
                "org_staff.created",
                actor=acting_user,
                target=staff,
                data={"organisation": acting_user.pk},
            )
    # Raised only now, so that a wrong code counted by take_code is committed.
    if error is not None:
        raise error
    return staff


def set_org_staff_active(*, acting_user: User, staff: User, active: bool) -> User:
    """Disable or re-enable a staff login. Disabling ends its API tokens; its browser
    session ends too, because inactive users are not authenticated any more."""
    _require_organisation(acting_user)
    with transaction.atomic():
        staff = User.objects.select_for_update().get(pk=staff.pk)
        if staff.kind != AccountKind.ORG_STAFF or staff.organisation_id != acting_user.pk:
            raise ActionError("not_found", _("未找到该员工"), status=404)
        if staff.is_active == active:
            raise ActionError(
                "unchanged",
                _("该员工账户已启用") if active else _("该员工账户已停用"),
                status=409,
            )
        staff.is_active = active
        if active:
            staff.save(update_fields=["is_active"])
        else:
            # Its sessions end for good: re-enabling the login must not revive them.
            staff.session_generation += 1
            staff.save(update_fields=["is_active", "session_generation"])
            ApiToken.objects.filter(user=staff).delete()
        audit.record(
            "org_staff.enabled" if active else "org_staff.disabled",
            actor=acting_user,
            target=staff,
            data={"organisation": acting_user.pk},
        )
    return staff


# --- API tokens -----------------------------------------------------------------------------


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_api_token(*, acting_user: User, name: str = "") -> str:
    """Returns the key once; only its digest is kept."""
    key = "nrmm_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=acting_user,
            digest=token_digest(key),
            prefix=key[5:13],
            name=name[:100],
            expires_at=timezone.now() + timedelta(days=settings.NRMM_API_TOKEN_DAYS),
        )
        audit.record("api_token.issued", actor=acting_user, target=token)
    return key


def revoke_api_token(*, acting_user: User, token: ApiToken) -> None:
    if token.user_id != acting_user.pk:
        raise ActionError("not_found", _("未找到该令牌"), status=404)
    with transaction.atomic():
        audit.record("api_token.revoked", actor=acting_user, target=token)
        token.delete()


def log_out_everywhere(*, acting_user: User) -> int:
    """End every session and API token of the user (a lost phone, a shared computer): the
    session generation goes up, so no session signed in before matches any more, and the
    tokens are deleted. The caller keeps the current browser session by refreshing its
    hash (django.contrib.auth.update_session_auth_hash). Returns the tokens ended."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=acting_user.pk)
        user.session_generation += 1
        user.save(update_fields=["session_generation"])
        ended, _by_model = ApiToken.objects.filter(user=user).delete()
        audit.record(
            "account.logged_out_everywhere", actor=user, target=user, data={"tokens": ended}
        )
    acting_user.session_generation = user.session_generation
    return ended


# --- staff ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffForm:
    name: str
    phone: str
    role: Role
    district: str = ""
    department: str = ""


def create_staff_user(*, acting_user: User | None, form: StaffForm, password: str) -> User:
    """City administrators create staff accounts (acting_user None: the demo loader)."""
    errors: dict[str, str] = {}
    name = _clean_name(form.name, errors, field="name", label=_("姓名"), limit=NAME_MAX)
    phone = _clean_phone(form.phone, errors)
    if form.role == Role.OWNER:
        errors["role"] = _("请选择工作人员角色")
    if form.role in DISTRICT_ROLES and form.district not in city().district_codes():
        errors["district"] = _("窗口受理员和区审核员须选择所属区")
    if form.role == Role.INSPECTOR and form.department not in Department.values:
        errors["department"] = _("行业检查员须选择所属部门")
    if "phone" not in errors and User.objects.filter(phone=phone).exists():
        errors["phone"] = _("该手机号已被其他账户使用")
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        user = User(
            kind=AccountKind.PERSON,
            role=form.role,
            name=name,
            phone=phone,
            district=form.district if form.role in DISTRICT_ROLES else "",
            department=form.department if form.role == Role.INSPECTOR else "",
        )
        user.set_password(password)
        user.save()
        audit.record(
            "account.staff_created", actor=acting_user, target=user, data={"role": form.role}
        )
    return user


# --- staff's second factor (TOTP) -----------------------------------------------------------


def start_totp_enrolment(*, acting_user: User) -> str:
    """A new secret for the staff member's authenticator app, not in force until a code
    from the app confirms it (confirm_totp). Starting again replaces an unconfirmed one."""
    if not acting_user.is_platform_staff:
        raise ActionError("forbidden", _("动态口令仅用于工作人员账户"), status=403)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=acting_user.pk)
        if user.totp_enabled_at is not None:
            raise ActionError("totp_enabled", _("动态口令已启用"), status=409)
        user.totp_secret = totp.new_secret()
        user.save(update_fields=["totp_secret"])
    acting_user.totp_secret = user.totp_secret
    return user.totp_secret


def confirm_totp(*, acting_user: User, code: str) -> None:
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=acting_user.pk)
        if user.totp_enabled_at is not None:
            raise ActionError("totp_enabled", _("动态口令已启用"), status=409)
        if not user.totp_secret:
            raise ActionError("totp_not_started", _("请先生成二维码"), status=409)
        step = totp.matching_step(user.totp_secret, code, time.time())
        if step is None:
            raise ActionError(
                "totp_wrong", _("动态口令不正确，请输入手机应用上当前的6位数字"), field="code"
            )
        user.totp_enabled_at = timezone.now()
        user.totp_last_step = step
        user.save(update_fields=["totp_enabled_at", "totp_last_step"])
        audit.record("totp.enabled", actor=user, target=user)
    acting_user.totp_enabled_at = user.totp_enabled_at
    acting_user.totp_last_step = user.totp_last_step


def check_totp(*, user: User, code: str) -> None:
    """The second step of a staff login: the code must match a step after the last one
    used (a code works once). Raises ActionError when it does not."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        step = (
            totp.matching_step(
                locked.totp_secret, code, time.time(), after_step=locked.totp_last_step
            )
            if locked.totp_enabled_at
            else None
        )
        if step is None:
            raise ActionError("totp_wrong", _("动态口令不正确或已使用过"), field="code", status=401)
        locked.totp_last_step = step
        locked.save(update_fields=["totp_last_step"])


def reset_totp(*, acting_user: User, user: User) -> None:
    """A city administrator clears a staff member's second factor (a lost phone); the
    staff member enrols again at the next login. Their sessions and tokens end."""
    if acting_user.role != Role.CITY_ADMIN:
        raise ActionError("forbidden", _("只有市级管理员可以重置动态口令"), status=403)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.totp_secret = ""
        locked.totp_enabled_at = None
        locked.totp_last_step = -1
        locked.session_generation += 1
        locked.save(
            update_fields=["totp_secret", "totp_enabled_at", "totp_last_step", "session_generation"]
        )
        ApiToken.objects.filter(user=locked).delete()
        audit.record("totp.reset", actor=acting_user, target=locked)
