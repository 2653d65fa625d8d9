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


# Which declarations an owner may still edit.
EDITABLE = frozenset({DeclarationStatus.DRAFT, DeclarationStatus.RETURNED})
