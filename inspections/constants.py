"""Choices and limits of spot checks (Art. 15) and rectification orders (Art. 16)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SpotCheckResult(models.TextChoices):
    PASSED = "passed", _("合格")
    FAILED = "failed", _("不合格")


class CardCheck(models.TextChoices):
    """What the public verification page showed for the information card's QR code."""

    NOT_CHECKED = "not_checked", _("在场，未核验")
    GENUINE = "genuine", _("核验为真")
    NOT_GENUINE = "not_genuine", _("核验不符")
    ABSENT = "absent", _("未见信息采集卡")


class FailureReason(models.TextChoices):
    """Why a spot check failed; a check keeps every reason that applied."""

    NOT_REGISTERED = "not_registered", _("未查到环保登记")
    NOT_VALID = "not_valid", _("环保登记非有效状态")
    SIGN_ABSENT = "sign_absent", _("未悬挂环保标志")
    SIGN_MISMATCH = "sign_mismatch", _("标志号码与登记不符")
    CARD_ABSENT = "card_absent", _("未见信息采集卡")
    CARD_NOT_GENUINE = "card_not_genuine", _("信息采集卡核验不符")
    SMOKE_VISIBLE = "smoke_visible", _("排气可见黑烟")


class RectificationStatus(models.TextChoices):
    ORDERED = "ordered", _("待整改")
    ANSWERED = "answered", _("已回复，待审核")
    CLOSED = "closed", _("已办结")


class RectificationOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("整改合格")
    REJECTED = "rejected", _("整改不合格，退回")


# Open orders: at most one per spot check at a time.
OPEN_RECTIFICATION = (RectificationStatus.ORDERED, RectificationStatus.ANSWERED)

# The public verification page links here with ?card=...: the card's QR code checked out,
# or did not; "unsigned" means the number was looked up without a card's signature, which
# says nothing about the card, so the checker chooses (nothing is preselected).
CARD_PARAMETER: dict[str, CardCheck | None] = {
    "genuine": CardCheck.GENUINE,
    "not_genuine": CardCheck.NOT_GENUINE,
    "unsigned": None,
}

MAX_CHECK_PHOTOS = 10
MAX_ANSWER_PHOTOS = 10
LOCATION_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 2000
