"""Choices and limits of the changes after registration (Art. 4, 11-14; manual 二)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.constants import SmsPurpose
from rules.deadlines import DEADLINES, Kind


class ChangeKind(models.TextChoices):
    OWNER = "owner", _("机主变更")  # Art. 11, manual 二(1)
    LOCATION = "location", _("使用区域变更")  # manual 二(3)
    DPF = "dpf", _("加装DPF")  # manual 二(2)
    RETROFIT = "retrofit", _("发动机改装")  # Art. 12
    ALTERATION = "alteration", _("类型、功能或外观变更")  # Art. 13
    REISSUE = "reissue", _("标志或信息采集卡补办")  # Art. 13
    TRANSFER_OUT = "transfer_out", _("转出本市")  # Art. 14
    DEREGISTRATION = "deregistration", _("报废注销")  # Art. 14


class ChangeStatus(models.TextChoices):
    AWAITING_NEW_OWNER = "awaiting_new_owner", _("待新机主确认")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")
    DONE = "done", _("已生效")


# Requests still waiting for someone: at most one of each kind per registration.
OPEN_STATUSES = (ChangeStatus.AWAITING_NEW_OWNER, ChangeStatus.SUBMITTED)


class ChangePhotoKind(models.TextChoices):
    BEFORE = "before", _("变更前照片")
    AFTER = "after", _("变更后照片")
    AGREEMENT = "agreement", _("转让协议")
    TEST_REPORT = "test_report", _("排放检测报告")
    DPF = "dpf", _("DPF照片")
    OTHER = "other", _("其他资料")


class ReissueReason(models.TextChoices):
    LOST = "lost", _("遗失")
    DAMAGED = "damaged", _("损毁")
    UNREADABLE = "unreadable", _("无法辨识")


class DeregistrationReason(models.TextChoices):
    SCRAPPED = "scrapped", _("报废")
    OUT_OF_USE = "out_of_use", _("停止使用")


# Art. 11 and 13: the kinds with a 10-day deadline from the event, and its rule.
DEADLINE_KINDS: dict[str, Kind] = {
    ChangeKind.OWNER: Kind.OWNER_CHANGE,
    ChangeKind.ALTERATION: Kind.TYPE_CHANGE,
    ChangeKind.REISSUE: Kind.REISSUE,
}

# Art. 13: the kinds whose late filing counts as "sign not fixed as required".
SIGN_NOT_FIXED_KINDS: tuple[str, ...] = tuple(
    kind for kind, rule in DEADLINE_KINDS.items() if DEADLINES[rule].counts_as_sign_not_fixed
)

# The SMS code both owners read for an owner change (manual 二(1)).
OWNER_CHANGE_SMS = SmsPurpose.OWNER_CHANGE

MAX_PHOTOS = 10
TEXT_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 500
EXTERNAL_NUMBER_MAX_LENGTH = 30
