from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.constants import (
    DISTRICT_ROLES,
    STAFF_ROLES,
    AccountKind,
    Department,
    Role,
    SmsPurpose,
)
from core import fieldcrypt
from rules.identifiers import mask_id_number, mask_phone

# The purpose sealed into every ID number's ciphertext and hash (core/fieldcrypt.py).
ID_NUMBER_PURPOSE = "accounts.User.id_number"


def seal_id_number(value: str) -> tuple[str, str]:
    """(ciphertext, keyed hash) of an ID number: what User.id_number_enc and
    User.id_number_hash hold. For code that writes rows without the model (bulk loads)."""
    ring = fieldcrypt.ring()
    return (
        ring.seal(value, purpose=ID_NUMBER_PURPOSE),
        ring.digest(value, purpose=ID_NUMBER_PURPOSE),
    )


def id_number_hash(value: str) -> str:
    """The keyed hash an ID number is looked up by (normalised: case and spaces ignored)."""
    return fieldcrypt.ring().digest(value, purpose=ID_NUMBER_PURPOSE)


def open_id_number(token: str) -> str:
    """The ID number in a ciphertext read with values()/values_list()."""
    return fieldcrypt.ring().open(token, purpose=ID_NUMBER_PURPOSE)


def masked_id_number_of(token: str | None) -> str:
    """The masked ID number of a ciphertext (lists and exports), "" for none."""
    return mask_id_number(open_id_number(token)) if token else ""


class UserManager(BaseUserManager["User"]):
    def by_id_number(self, value: str) -> "models.QuerySet[User]":
        """Users whose ID number is `value` (normalised), found through the keyed hash."""
        if not value or not value.strip():
            return self.none()
        return self.filter(id_number_hash=id_number_hash(value))

    def create_user(self, phone: str, password: str | None = None, **fields: Any) -> "User":
        user = self.model(phone=phone, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **fields: Any) -> "User":
        fields.setdefault("name", "超级管理员")
        fields.update(role=Role.CITY_ADMIN, is_superuser=True)
        return self.create_user(phone, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Owners (people and organisations) and staff in one table: all log in the same way,
    and an owner's machines, an agent's consents and staff's decisions all point here."""

    kind = models.CharField(
        _("账户类型"), max_length=16, choices=AccountKind.choices, default=AccountKind.PERSON
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.OWNER)
    name = models.CharField(_("姓名/单位名称"), max_length=100)
    phone = models.CharField(_("手机号"), max_length=11, unique=True)
    # NULL, not "", for absent identifiers: unique constraints ignore NULLs.
    # The ID number is never stored in the clear: AES-GCM ciphertext (core/fieldcrypt.py) and
    # the keyed hash that lookups and uniqueness use. Read and write it through the
    # `id_number` property; find users with User.objects.by_id_number().
    id_number_enc = models.CharField(
        _("身份证号码（密文）"), max_length=160, null=True, blank=True, editable=False
    )
    id_number_hash = models.CharField(
        _("身份证号码（检索摘要）"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
    )
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True
    )
    legal_representative = models.CharField(_("法人代表"), max_length=50, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    district = models.CharField(_("所属区"), max_length=1, blank=True)
    department = models.CharField(
        _("所属部门"), max_length=16, choices=Department.choices, blank=True
    )
    # Set for org staff only (kind ORG_STAFF): the organisation they act for.
    organisation = models.ForeignKey(
        "self",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff_members",
    )
    is_active = models.BooleanField(_("有效"), default=True)
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)
    # Raised by "log out everywhere": it is part of the session hash, so every session
    # signed in before it no longer matches (as after a password change).
    session_generation = models.PositiveIntegerField(_("会话代次"), default=0)
    # Staff's second factor (accounts/totp.py): the secret an authenticator app holds,
    # when it was confirmed (until then it is only being enrolled), and the last time step
    # whose code was used (each code works once).
    totp_secret = models.CharField(_("动态口令密钥"), max_length=64, blank=True)
    totp_enabled_at = models.DateTimeField(_("动态口令启用时间"), null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=-1)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="person_owner_has_id_number",
                condition=~Q(role=Role.OWNER, kind=AccountKind.PERSON, id_number_hash__isnull=True),
            ),
            # The ciphertext and its hash come and go together (the property sets both).
            models.CheckConstraint(
                name="id_number_sealed_with_its_hash",
                condition=Q(id_number_enc__isnull=True, id_number_hash__isnull=True)
                | Q(id_number_enc__isnull=False, id_number_hash__isnull=False),
            ),
            models.CheckConstraint(
                name="organisation_has_credit_code",
                condition=~Q(kind=AccountKind.ORGANISATION, credit_code__isnull=True),
            ),
            models.CheckConstraint(
                name="district_staff_have_district",
                condition=~Q(role__in=sorted(DISTRICT_ROLES), district=""),
            ),
            models.CheckConstraint(
                name="organisations_are_owners",
                condition=~Q(kind=AccountKind.ORGANISATION) | Q(role=Role.OWNER),
            ),
            # Org staff are owner-side logins of exactly one organisation; nobody else
            # belongs to an organisation.
            models.CheckConstraint(
                name="org_staff_belong_to_an_organisation",
                condition=(
                    Q(kind=AccountKind.ORG_STAFF, role=Role.OWNER, organisation__isnull=False)
                    | (~Q(kind=AccountKind.ORG_STAFF) & Q(organisation__isnull=True))
                ),
            ),
        ]

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's hash of the password, with the session generation mixed in once it has
        been raised (generation 0 keeps the hash of sessions signed in before it existed)."""
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        value = self.password
        if self.session_generation:
            value = f"{value}:{self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    def __str__(self) -> str:
        return f"{self.name}（{self.masked_phone}）"

    @property
    def id_number(self) -> str | None:
        """The ID number in the clear (decrypted on use, never stored). Showing it in full
        to anyone but its owner goes through accounts.actions.reveal_id_number (audited)."""
        # Not cached on the instance: the clear text lives only as long as the caller's use.
        return open_id_number(self.id_number_enc) if self.id_number_enc else None

    @id_number.setter
    def id_number(self, value: str | None) -> None:
        if value is None or not value.strip():
            self.id_number_enc = self.id_number_hash = None
            return
        self.id_number_enc, self.id_number_hash = seal_id_number(value)

    # Django admin asks is_staff; only city administrators use the admin.
    @property
    def is_staff(self) -> bool:
        return self.is_active and (self.role == Role.CITY_ADMIN or self.is_superuser)

    @property
    def is_platform_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def is_organisation(self) -> bool:
        return self.kind == AccountKind.ORGANISATION

    @property
    def is_org_staff(self) -> bool:
        return self.kind == AccountKind.ORG_STAFF

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_identifier(self) -> str:
        """The owner's ID number or credit code, masked: enough to recognise, not to copy."""
        if self.id_number_enc:
            return masked_id_number_of(self.id_number_enc)
        return self.credit_code or ""

    def has_perm(self, perm: str, obj: models.Model | None = None) -> bool:
        # City administrators manage reference data, users, holidays and the outbox in the
        # admin; which models are editable there is decided by each ModelAdmin.
        return self.is_staff or super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff or super().has_module_perms(app_label)


class SmsCode(models.Model):
    """A verification code sent by SMS. Only a keyed hash of the code is stored."""

    phone = models.CharField(_("手机号"), max_length=11, db_index=True)
    purpose = models.CharField(_("用途"), max_length=32, choices=SmsPurpose.choices)
    code_hash = models.CharField(max_length=64)
    salt = models.CharField(max_length=32)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("失效时间"))
    failed_attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    consumed_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    # For agent consent: who asked (the agent), so the code confirms that pair only.
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [models.Index(fields=["phone", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} {self.get_purpose_display()} {self.created_at:%H:%M}"


class SmsMessage(models.Model):
    """The outbox: every SMS the platform sends, whatever the backend."""

    phone = models.CharField(_("手机号"), max_length=11, db_index=True)
    body = models.TextField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=32, blank=True)
    backend = models.CharField(_("发送通道"), max_length=100)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("短信发件箱")
        verbose_name_plural = _("短信发件箱")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} → {self.phone}"


class AgentConsent(models.Model):
    """An owner's consent, confirmed by the owner's SMS code, that an agent acts for them."""

    agent = models.ForeignKey(
        User, verbose_name=_("被委托人"), on_delete=models.PROTECT, related_name="principals"
    )
    owner = models.ForeignKey(
        User, verbose_name=_("委托人（机主）"), on_delete=models.PROTECT, related_name="agents"
    )
    granted_at = models.DateTimeField(_("确认时间"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("委托代办")
        verbose_name_plural = _("委托代办")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "owner"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_active_consent_per_pair",
            ),
            models.CheckConstraint(
                name="agent_is_not_owner", condition=~Q(agent=models.F("owner"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent.name} → {self.owner.name}"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("前缀"), max_length=8)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    # A token ends by itself (settings.NRMM_API_TOKEN_DAYS after it was issued).
    expires_at = models.DateTimeField(_("到期时间"), db_index=True)

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"
