from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistrationType(models.TextChoices):
    MACHINE = "machine", _("机械")
    IN_PLANT = "in_plant", _("场内")


class AcquisitionKind(models.TextChoices):
    PURCHASE = "purchase", _("购置")
    TRANSFER_IN = "transfer_in", _("外省市转入")


class DeclarationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("退回重填")
    APPROVED = "approved", _("已通过")
    REFUSED = "refused", _("不予登记")


class Decision(models.TextChoices):
    RETURNED = "returned", _("退回重填")
    APPROVED = "approved", _("通过")
    REFUSED = "refused", _("不予登记")


class RegistrationStatus(models.TextChoices):
    VALID = "valid", _("有效")
    SUSPENDED = "suspended", _("暂停")
    TRANSFERRED_OUT = "transferred_out", _("已转出")
    DEREGISTERED = "deregistered", _("已注销")
    REPLACED = "replaced", _("已换号")


class CredentialStatus(models.TextChoices):
    """The sign and card of one issue, from production to being fixed on the machine
    (Art. 9-10, manual step 7)."""

    PENDING = "pending", _("待制作")
    PRODUCED = "produced", _("已制作，待通知")
    READY = "ready", _("待领取")
    COLLECTED = "collected", _("已领取，待上传固定照片")
    PHOTO_SUBMITTED = "photo_submitted", _("固定照片待确认")
    FIXED = "fixed", _("已固定")
    REVOKED = "revoked", _("已作废")


class CredentialReason(models.TextChoices):
    FIRST = "first", _("首次核发")
    REISSUE = "reissue", _("补办")
    RENUMBER = "renumber", _("换号")


class SignPhotoDecision(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("未通过")


# Which declarations an owner may still edit.
EDITABLE = frozenset({DeclarationStatus.DRAFT, DeclarationStatus.RETURNED})


class PhotoKind(models.TextChoices):
    FRONT = "front", _("机身正面")
    REAR = "rear", _("机身后面")
    FRONT_45 = "front_45", _("机身45度前侧")
    MACHINE_NAMEPLATE = "machine_nameplate", _("机械铭牌")
    ENGINE_NAMEPLATE = "engine_nameplate", _("发动机铭牌")
    ENV_CODE = "env_code", _("机械环保代码")
    ENV_LABEL = "env_label", _("环保信息标签")
    TYPE_APPROVAL = "type_approval", _("发动机型式核准号")
    CERTIFICATE = "certificate", _("合格证")
    LIST_FRONT = "list_front", _("环保信息随车清单正面")
    LIST_BACK = "list_back", _("环保信息随车清单背面")
    OTHER = "other", _("其他资料")


BODY_PHOTOS = (PhotoKind.FRONT, PhotoKind.REAR, PhotoKind.FRONT_45)
NAMEPLATE_PHOTOS = (
    PhotoKind.MACHINE_NAMEPLATE,
    PhotoKind.ENGINE_NAMEPLATE,
    PhotoKind.ENV_CODE,
    PhotoKind.ENV_LABEL,
    PhotoKind.TYPE_APPROVAL,
)
IN_PLANT_LIST_PHOTOS = (PhotoKind.LIST_FRONT, PhotoKind.LIST_BACK)
MAX_OTHER_PHOTOS = 10
