"""Spot checks of machines in use (Art. 15) and the rectification orders that follow
(Art. 16). Rows are written by inspections.actions only."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.constants import Department, Role
from inspections.constants import (
    LOCATION_MAX_LENGTH,
    CardCheck,
    FailureReason,
    RectificationOutcome,
    RectificationStatus,
    SpotCheckResult,
)
from registry.models import Registration

USER = settings.AUTH_USER_MODEL


class SpotCheck(models.Model):
    """One machine checked in the field. A number that is not found, or a forged card, is
    recorded all the same (registration is then empty)."""

    registration = models.ForeignKey(
        Registration,
        verbose_name=_("环保登记"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spot_checks",
    )
    number_typed = models.CharField(_("检查时输入的号码"), max_length=40, blank=True)
    district = models.CharField(_("检查地所在区"), max_length=1)
    inspector = models.ForeignKey(
        USER, verbose_name=_("检查人"), on_delete=models.PROTECT, related_name="spot_checks"
    )
    # The inspector's department code (accounts.constants.Department) or, for district
    # staff, their role (accounts.constants.Role), copied when the check is recorded.
    department = models.CharField(_("检查部门"), max_length=16)
    checked_at = models.DateTimeField(_("检查时间"), default=timezone.now)
    location = models.CharField(_("检查地点"), max_length=LOCATION_MAX_LENGTH)
    sign_present = models.BooleanField(_("悬挂环保标志"))
    sign_matches = models.BooleanField(_("标志号码与登记一致"), null=True, blank=True)
    card_present = models.BooleanField(_("出示信息采集卡"))
    card_check = models.CharField(
        _("信息采集卡核验"),
        max_length=16,
        choices=CardCheck.choices,
        default=CardCheck.NOT_CHECKED,
    )
    smoke_visible = models.BooleanField(_("可见黑烟"))
    notes = models.TextField(_("备注"), blank=True)
    result = models.CharField(_("检查结果"), max_length=8, choices=SpotCheckResult.choices)
    reasons = models.JSONField(_("不合格原因"), default=list, blank=True)
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("监督检查")
        verbose_name_plural = _("监督检查")
        ordering = ["-checked_at", "-pk"]
        indexes = [
            models.Index(fields=["district", "checked_at"]),
            models.Index(fields=["registration", "checked_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.number_typed or '—'} {self.get_result_display()}"

    @property
    def department_label(self) -> str:
        if self.department in Department.values:
            return str(Department(self.department).label)
        if self.department in Role.values:
            return str(Role(self.department).label)
        return self.department

    @property
    def reason_labels(self) -> list[str]:
        return [
            str(FailureReason(code).label) if code in FailureReason.values else code
            for code in self.reasons
        ]

    @property
    def passed(self) -> bool:
        return self.result == SpotCheckResult.PASSED


def _spot_check_photo_path(instance: "SpotCheckPhoto", filename: str) -> str:
    # Named by content hash: never guessable from the check's id, never overwritten.
    return f"spotchecks/{instance.sha256[:2]}/{instance.sha256}.jpg"


class SpotCheckPhoto(models.Model):
    """A photo taken at the check, re-encoded to JPEG without metadata."""

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("文件"), upload_to=_spot_check_photo_path)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("检查照片")
        verbose_name_plural = _("检查照片")
        ordering = ["spot_check", "pk"]

    def __str__(self) -> str:
        return f"#{self.spot_check_id} {self.sha256[:8]}"


class Rectification(models.Model):
    """责令整改 (Art. 16) after a failed check: the district orders, the owner answers (with
    photos), the district accepts the answer or sends it back. Every answer is kept in
    RectificationAnswer; the fields here show the latest one."""

    spot_check = models.ForeignKey(
        SpotCheck,
        verbose_name=_("监督检查"),
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    registration = models.ForeignKey(
        Registration,
        verbose_name=_("环保登记"),
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    district = models.CharField(_("责令区"), max_length=1, db_index=True)
    ordered_by = models.ForeignKey(
        USER, verbose_name=_("责令人"), on_delete=models.PROTECT, related_name="+"
    )
    ordered_at = models.DateTimeField(_("责令时间"), default=timezone.now)
    requirement = models.TextField(_("整改要求"))
    due_date = models.DateField(_("整改期限"))
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=RectificationStatus.choices,
        default=RectificationStatus.ORDERED,
        db_index=True,
    )
    answer = models.TextField(_("最近一次整改回复"), blank=True)
    answered_by = models.ForeignKey(
        USER,
        verbose_name=_("回复人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        USER,
        verbose_name=_("办结人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    outcome = models.CharField(
        _("结论"), max_length=16, choices=RectificationOutcome.choices, blank=True
    )
    closing_note = models.TextField(_("办结意见"), blank=True)

    class Meta:
        verbose_name = _("责令整改")
        verbose_name_plural = _("责令整改")
        ordering = ["-ordered_at", "-pk"]
        indexes = [models.Index(fields=["district", "status", "ordered_at"])]
        constraints = [
            # One open order per check: a second one would only confuse the owner.
            models.UniqueConstraint(
                fields=["spot_check"],
                condition=~Q(status=RectificationStatus.CLOSED),
                name="one_open_rectification_per_check",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    def overdue(self, today: date) -> bool:
        """Past the due date with no answer yet (an answer under review is not late)."""
        return self.status == RectificationStatus.ORDERED and self.due_date < today


class RectificationAnswer(models.Model):
    """One answer of the owner side and what the district decided about it."""

    rectification = models.ForeignKey(
        Rectification, on_delete=models.CASCADE, related_name="answers"
    )
    number = models.PositiveSmallIntegerField(_("第几次回复"))
    text = models.TextField(_("整改情况"))
    answered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("回复时间"), default=timezone.now)
    outcome = models.CharField(
        _("审核结论"), max_length=16, choices=RectificationOutcome.choices, blank=True
    )
    reviewed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("整改回复")
        verbose_name_plural = _("整改回复")
        ordering = ["rectification", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["rectification", "number"], name="one_rectification_answer_number"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.rectification_id} 第{self.number}次回复"


def _rectification_photo_path(instance: "RectificationPhoto", filename: str) -> str:
    return f"rectifications/{instance.sha256[:2]}/{instance.sha256}.jpg"


class RectificationPhoto(models.Model):
    """A photo with an answer (the machine after rectification)."""

    answer = models.ForeignKey(RectificationAnswer, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("文件"), upload_to=_rectification_photo_path)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("整改照片")
        verbose_name_plural = _("整改照片")
        ordering = ["answer", "pk"]

    def __str__(self) -> str:
        return f"#{self.answer_id} {self.sha256[:8]}"
