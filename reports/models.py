"""Public reports of machines (Art. 17: 任何单位和个人可以举报). Anyone files one without an
account; the district of the place handles it. Rows are written by reports.actions only."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Registration
from reports import codes
from reports.constants import (
    CONTACT_NAME_MAX_LENGTH,
    NUMBER_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    ReportOutcome,
    ReportStatus,
)
from rules.identifiers import mask_phone

USER = settings.AUTH_USER_MODEL


class PublicReport(models.Model):
    code = models.CharField(_("查询码"), max_length=codes.LENGTH, unique=True)
    number_typed = models.CharField(_("举报人填写的号码"), max_length=NUMBER_MAX_LENGTH, blank=True)
    # The registration the typed number matches, if any (a forged or foreign number does not).
    registration = models.ForeignKey(
        Registration,
        verbose_name=_("环保登记"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="public_reports",
    )
    district = models.CharField(_("发现地所在区"), max_length=1)
    place = models.CharField(_("发现地点"), max_length=PLACE_MAX_LENGTH)
    observed_at = models.DateTimeField(_("发现时间"))
    description = models.TextField(_("举报内容"))
    contact_name = models.CharField(_("联系人"), max_length=CONTACT_NAME_MAX_LENGTH, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=11, blank=True)
    filed_at = models.DateTimeField(_("举报时间"), default=timezone.now)
    status = models.CharField(
        _("状态"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.RECEIVED
    )
    assigned_to = models.ForeignKey(
        USER,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)
    outcome = models.CharField(
        _("办理结果"), max_length=16, choices=ReportOutcome.choices, blank=True
    )
    # Shown to the reporter on the follow page and in the SMS: no personal data here.
    outcome_text = models.TextField(_("答复举报人"), blank=True)
    closed_by = models.ForeignKey(
        USER,
        verbose_name=_("办结人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公众举报")
        verbose_name_plural = _("公众举报")
        ordering = ["filed_at", "pk"]
        indexes = [models.Index(fields=["district", "status", "filed_at"])]

    def __str__(self) -> str:
        return f"{codes.display(self.code)} {self.get_status_display()}"

    @property
    def display_code(self) -> str:
        return codes.display(self.code)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone) if self.contact_phone else ""


class ReportNote(models.Model):
    """A note of the district's staff on a report: kept for good, never edited."""

    report = models.ForeignKey(PublicReport, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("举报处理记录")
        verbose_name_plural = _("举报处理记录")
        ordering = ["report", "created_at", "pk"]

    def __str__(self) -> str:
        return f"#{self.report_id} {self.created_at:%Y-%m-%d %H:%M}"


def _report_photo_path(instance: "ReportPhoto", filename: str) -> str:
    # Named by content hash: never guessable from the report, never overwritten.
    return f"reports/{instance.sha256[:2]}/{instance.sha256}.jpg"


class ReportPhoto(models.Model):
    """A photo the reporter sent, re-encoded to JPEG without metadata (no GPS, no device)."""

    report = models.ForeignKey(PublicReport, on_delete=models.PROTECT, related_name="photos")
    file = models.FileField(_("文件"), upload_to=_report_photo_path)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("举报照片")
        verbose_name_plural = _("举报照片")
        ordering = ["report", "pk"]

    def __str__(self) -> str:
        return f"#{self.report_id} {self.sha256[:8]}"
