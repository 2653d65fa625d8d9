from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.constants import (
    AcquisitionKind,
    CredentialReason,
    CredentialStatus,
    Decision,
    DeclarationStatus,
    PhotoKind,
    RegistrationStatus,
    RegistrationType,
    SignPhotoDecision,
)

USER = settings.AUTH_USER_MODEL


class Declaration(models.Model):
    """One machine's declaration (申报), from the first draft to the decision. Every
    submission round is kept in DeclarationRound; the approved machine is a Registration."""

    owner = models.ForeignKey(
        USER, verbose_name=_("机械所有者"), on_delete=models.PROTECT, related_name="declarations"
    )
    declared_by = models.ForeignKey(
        USER, verbose_name=_("填报人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=DeclarationStatus.choices,
        default=DeclarationStatus.DRAFT,
        db_index=True,
    )
    step = models.PositiveSmallIntegerField(_("已完成步骤"), default=0)

    # Start: where the machine is and what kind of registration.
    district = models.CharField(_("登记区县"), max_length=1, db_index=True)
    site_type = models.CharField(_("使用场所类型"), max_length=20)
    site_address = models.CharField(_("使用场所地址"), max_length=200, blank=True)
    registration_type = models.CharField(
        _("登记类型"), max_length=16, choices=RegistrationType.choices
    )

    # Step 1 基本信息
    machine_type = models.CharField(_("机械类型"), max_length=20, blank=True)
    machine_name = models.CharField(_("机械名称"), max_length=100, blank=True)
    machine_model = models.CharField(_("规格型号"), max_length=100, blank=True)
    maker = models.CharField(_("生产厂家"), max_length=100, blank=True)
    production_date = models.DateField(_("出厂日期"), null=True, blank=True)
    factory_serial = models.CharField(_("出厂编号/PIN码"), max_length=40, blank=True)
    acquisition_kind = models.CharField(
        _("取得方式"), max_length=16, choices=AcquisitionKind.choices, blank=True
    )
    acquisition_date = models.DateField(_("发票日期/转入日期"), null=True, blank=True)
    in_plant_plate = models.CharField(_("场内车辆号牌"), max_length=20, blank=True)

    # Step 2 图片上传
    has_nameplates = models.BooleanField(_("有铭牌"), null=True, blank=True)

    # Step 3 机械信息: the four identification groups, then 附件1's details.
    machine_disclosure_number = models.CharField(
        _("机械环保信息公开编号"), max_length=24, blank=True, db_index=True
    )
    machine_env_code = models.CharField(_("机械环保代码"), max_length=17, blank=True, db_index=True)
    engine_number = models.CharField(_("发动机型式核准号/信息公开编号"), max_length=24, blank=True)
    pin = models.CharField(_("产品识别码PIN"), max_length=17, blank=True, db_index=True)
    fuel_type = models.CharField(_("燃料种类"), max_length=20, blank=True)
    # 附件1 has the same six columns for the main and the auxiliary engine.
    engine_maker = models.CharField(_("主机制造商"), max_length=100, blank=True)
    engine_production_date = models.DateField(_("主机出厂日期"), null=True, blank=True)
    engine_model = models.CharField(_("主机型号"), max_length=100, blank=True)
    engine_serial = models.CharField(_("主机编号"), max_length=50, blank=True)
    engine_power_kw = models.DecimalField(
        _("主机功率(kW)"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    engine_stage = models.PositiveSmallIntegerField(_("主机排放阶段"), null=True, blank=True)
    aux_engine_maker = models.CharField(_("辅机制造商"), max_length=100, blank=True)
    aux_engine_production_date = models.DateField(_("辅机出厂日期"), null=True, blank=True)
    aux_engine_model = models.CharField(_("辅机型号"), max_length=100, blank=True)
    aux_engine_serial = models.CharField(_("辅机编号"), max_length=50, blank=True)
    aux_engine_power_kw = models.DecimalField(
        _("辅机功率(kW)"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    aux_engine_stage = models.PositiveSmallIntegerField(_("辅机排放阶段"), null=True, blank=True)

    # Step 4 其它信息
    terminal_maker = models.CharField(_("远程监控终端厂家"), max_length=100, blank=True)
    terminal_model = models.CharField(_("远程监控终端型号"), max_length=100, blank=True)
    terminal_serial = models.CharField(_("远程监控终端编号"), max_length=50, blank=True)
    dpf_maker = models.CharField(_("DPF厂家"), max_length=100, blank=True)
    dpf_model = models.CharField(_("DPF型号"), max_length=100, blank=True)
    dpf_serial = models.CharField(_("DPF编号"), max_length=50, blank=True)
    dpf_installed_on = models.DateField(_("DPF安装日期"), null=True, blank=True)

    # Worked out on submission, for the reviewer.
    stage = models.PositiveSmallIntegerField(_("排放阶段"), null=True, blank=True)
    stage_rule = models.CharField(_("判定依据"), max_length=32, blank=True)
    stage_explanation = models.TextField(_("判定说明"), blank=True)
    late = models.BooleanField(_("逾期申报"), default=False)
    warnings = models.JSONField(_("提示"), default=list, blank=True)

    rounds = models.PositiveSmallIntegerField(_("提交次数"), default=0)
    submitted_at = models.DateTimeField(_("最近提交时间"), null=True, blank=True, db_index=True)
    review_due = models.DateField(_("审核期限"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("申报")
        verbose_name_plural = _("申报")
        indexes = [
            models.Index(fields=["district", "status", "submitted_at"]),
            # The statistics' review-time table and overdue count, answered from these
            # indexes alone on PostgreSQL (every column a key: SQLite has no INCLUDE).
            models.Index(
                fields=["decided_at", "status", "district", "submitted_at", "review_due"],
                name="declaration_decided_cover",
            ),
            models.Index(
                fields=["review_due", "district"],
                condition=Q(status=DeclarationStatus.SUBMITTED),
                name="declaration_pending_due",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.machine_type} {self.get_status_display()}"


class DeclarationRound(models.Model):
    """One submission and what the reviewer decided about it; never changed afterwards
    except to record that decision."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="round_history"
    )
    number = models.PositiveSmallIntegerField(_("第几次提交"))
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    submitted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    snapshot = models.JSONField(_("提交内容"))
    decision = models.CharField(_("决定"), max_length=16, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    field_reasons = models.JSONField(_("逐项退回理由"), default=dict, blank=True)

    class Meta:
        verbose_name = _("提交记录")
        verbose_name_plural = _("提交记录")
        ordering = ["declaration", "number"]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "number"], name="one_round_number")
        ]
        # The statistics' declarations per month (first submissions).
        indexes = [
            models.Index(
                fields=["submitted_at"], condition=Q(number=1), name="round_first_submitted"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.declaration_id} 第{self.number}次"


class NumberCounter(models.Model):
    """The last serial issued for one prefix (city + district + stage code, e.g. 沪A2).
    Approvals lock this row, so serials are issued in order with no gaps."""

    prefix = models.CharField(_("号段"), max_length=8, unique=True)
    last_serial = models.PositiveIntegerField(_("最后序号"), default=0)

    class Meta:
        verbose_name = _("号段计数器")
        verbose_name_plural = _("号段计数器")

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last_serial}"


class Registration(models.Model):
    """An approved machine and its environmental registration number (附件2)."""

    declaration = models.OneToOneField(
        Declaration, on_delete=models.PROTECT, related_name="registration"
    )
    owner = models.ForeignKey(
        USER, verbose_name=_("机械所有者"), on_delete=models.PROTECT, related_name="registrations"
    )
    number = models.CharField(_("环保登记号码"), max_length=20, unique=True)
    short_number = models.CharField(_("简码"), max_length=12, unique=True)
    category = models.CharField(_("机械种类"), max_length=10)
    prefix = models.CharField(_("号段"), max_length=8)
    serial = models.PositiveIntegerField(_("序号"))
    district = models.CharField(_("区代号"), max_length=1, db_index=True)
    stage = models.PositiveSmallIntegerField(_("排放阶段"))
    stage_rule = models.CharField(_("判定依据"), max_length=32)
    stage_explanation = models.TextField(_("判定说明"), blank=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.VALID,
        db_index=True,
    )
    approved_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    # Changes (manual 二(3)): where the machine works now, switched by the owner without
    # review (changes.actions.change_location). A new registration starts in its own
    # district on its issue date (filled on save by changes.signals when left empty).
    location_district = models.CharField(_("现所在区"), max_length=1, blank=True, db_index=True)
    location_since = models.DateField(_("现所在区起始日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("环保登记")
        verbose_name_plural = _("环保登记")
        constraints = [
            # Backs the counter: even a bug there cannot issue one serial twice.
            models.UniqueConstraint(fields=["prefix", "serial"], name="one_serial_per_prefix"),
            models.CheckConstraint(name="serial_positive", condition=Q(serial__gt=0)),
        ]
        # The statistics' approvals per month, from the index alone on PostgreSQL.
        indexes = [models.Index(fields=["issued_at", "district"], name="registration_issued_cover")]

    def __str__(self) -> str:
        return self.number


def _photo_path(instance: "DeclarationPhoto", filename: str) -> str:
    # Named by content hash: never guessable from the declaration id, never overwritten.
    return f"declarations/{instance.sha256[:2]}/{instance.sha256}.jpg"


class DeclarationPhoto(models.Model):
    """A photo of the machine or its papers, re-encoded to JPEG without metadata."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("照片类型"), max_length=24, choices=PhotoKind.choices)
    file = models.FileField(_("文件"), upload_to=_photo_path)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("申报照片")
        verbose_name_plural = _("申报照片")
        ordering = ["declaration", "kind", "uploaded_at"]

    def __str__(self) -> str:
        return f"#{self.declaration_id} {self.get_kind_display()}"


class Credential(models.Model):
    """One issue of the metal sign and the information card for a registration (附件3).

    The card's QR signature is made when the issue is created and kept, so the card can be
    printed again identically and a key rotation never changes a card already made. A later
    issue (reissue, new number) revokes the earlier one: its QR code then checks as revoked.
    """

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="credentials"
    )
    issue = models.PositiveSmallIntegerField(_("卡证序次"))
    reason = models.CharField(
        _("核发原因"),
        max_length=16,
        choices=CredentialReason.choices,
        default=CredentialReason.FIRST,
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=CredentialStatus.choices,
        default=CredentialStatus.PENDING,
        db_index=True,
    )
    # Denormalised from the registration: the back-office lists filter on it.
    district = models.CharField(_("区代号"), max_length=1, db_index=True)
    kid = models.CharField(_("签名密钥"), max_length=8)
    signature = models.CharField(_("二维码签名"), max_length=86)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    produced_at = models.DateTimeField(_("制作完成时间"), null=True, blank=True)
    produced_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notice_due = models.DateField(_("通知期限"), null=True, blank=True)
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    notified_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    collection_place = models.CharField(_("领取地点"), max_length=200, blank=True)
    pickup_code = models.CharField(_("领取密码"), max_length=8, blank=True, db_index=True)
    collected_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    collected_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    collector_name = models.CharField(_("领取人"), max_length=50, blank=True)
    photo_due = models.DateField(_("固定照片期限"), null=True, blank=True)
    fixed_at = models.DateTimeField(_("确认固定时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("作废原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("识别标志和信息采集卡")
        verbose_name_plural = _("识别标志和信息采集卡")
        ordering = ["registration", "issue"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "issue"], name="one_issue_number"),
            # At most one live (not revoked) issue per registration.
            models.UniqueConstraint(
                fields=["registration"],
                condition=~Q(status="revoked"),
                name="one_live_credential",
            ),
        ]
        indexes = [models.Index(fields=["district", "status"])]

    def __str__(self) -> str:
        return f"{self.registration_id}#{self.issue}"


def _sign_photo_path(instance: "SignPhoto", filename: str) -> str:
    return f"signs/{instance.sha256[:2]}/{instance.sha256}.jpg"


class SignPhoto(models.Model):
    """The owner's photo of the machine with the sign fixed (Art. 10), and the district's
    decision on it. Rejected photos are kept."""

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("文件"), upload_to=_sign_photo_path)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    decision = models.CharField(
        _("审核结果"),
        max_length=16,
        choices=SignPhotoDecision.choices,
        default=SignPhotoDecision.PENDING,
    )
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reason = models.CharField(_("未通过原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("标志固定照片")
        verbose_name_plural = _("标志固定照片")
        ordering = ["credential", "uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.credential} {self.get_decision_display()}"
