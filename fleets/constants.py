from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class IssueKind(models.TextChoices):
    ERROR = "error", _("错误")
    DUPLICATE = "duplicate", _("已存在")


FINISHED = frozenset({ImportStatus.DONE, ImportStatus.FAILED})
