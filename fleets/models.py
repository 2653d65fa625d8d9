import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fleets.constants import FINISHED, ImportStatus, IssueKind
from registry.models import Declaration

USER = settings.AUTH_USER_MODEL


def _import_path(instance: "ImportJob", filename: str) -> str:
    # Never the uploader's file name: it is neither trusted nor unique.
    return f"imports/{uuid.uuid4().hex}.xlsx"


class ImportJob(models.Model):
    """One uploaded xlsx of machines and how its import went (fleets.importer)."""

    owner = models.ForeignKey(
        USER, verbose_name=_("机械所有者"), on_delete=models.PROTECT, related_name="import_jobs"
    )
    created_by = models.ForeignKey(
        USER, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("文件"), upload_to=_import_path)
    file_name = models.CharField(_("文件名"), max_length=200)
    content_hash = models.CharField(_("文件摘要"), max_length=64, db_index=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("已导入草稿"), default=0)
    duplicate_count = models.PositiveIntegerField(_("已存在未重复导入"), default=0)
    error_rows = models.PositiveIntegerField(_("有错误的行"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    message = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批量导入")
        verbose_name_plural = _("批量导入")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "content_hash"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.rows_done * 100 // self.total_rows)


class ImportIssue(models.Model):
    """A problem with one cell of one row (row number as Excel shows it), or a row that
    was skipped because the machine is already there."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveIntegerField(_("行号"))
    kind = models.CharField(_("类型"), max_length=16, choices=IssueKind.choices)
    column = models.CharField(_("列"), max_length=100, blank=True)
    message = models.CharField(_("说明"), max_length=300)

    class Meta:
        verbose_name = _("导入问题")
        verbose_name_plural = _("导入问题")
        ordering = ["job", "row", "pk"]
        indexes = [models.Index(fields=["job", "kind", "row"])]

    def __str__(self) -> str:
        return f"#{self.job_id} 第{self.row}行 {self.column} {self.message}"


class ImportedMachine(models.Model):
    """Which draft came from which row of which import (the result page links to them)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="machines")
    declaration = models.OneToOneField(
        Declaration, on_delete=models.CASCADE, related_name="imported_from"
    )
    row = models.PositiveIntegerField(_("行号"))

    class Meta:
        verbose_name = _("导入的机械")
        verbose_name_plural = _("导入的机械")

    def __str__(self) -> str:
        return f"#{self.job_id} 第{self.row}行 → {self.declaration_id}"
