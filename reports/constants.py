"""Choices and limits of public reports (Art. 17 of the measures)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("待处理")
    ASSIGNED = "assigned", _("处理中")
    CLOSED = "closed", _("已办结")


class ReportOutcome(models.TextChoices):
    """How the district closed a report; the reporter sees the label."""

    CONFIRMED = "confirmed", _("查实并处理")
    NOT_CONFIRMED = "not_confirmed", _("未查实")
    REFERRED = "referred", _("已移交相关部门处理")
    OUT_OF_SCOPE = "out_of_scope", _("不属于本办法管理范围")
    DUPLICATE = "duplicate", _("重复举报")


OPEN_STATUSES = (ReportStatus.RECEIVED, ReportStatus.ASSIGNED)

# Abuse guard: what one report may hold. The rate per address is a setting
# (NRMM_PUBLIC_REPORTS_PER_HOUR); photo size and pixel limits are photos.processing's.
MAX_PHOTOS = 6
NUMBER_MAX_LENGTH = 40
PLACE_MAX_LENGTH = 200
DESCRIPTION_MIN_LENGTH = 5
DESCRIPTION_MAX_LENGTH = 2000
CONTACT_NAME_MAX_LENGTH = 50
NOTE_MAX_LENGTH = 2000
OUTCOME_TEXT_MAX_LENGTH = 1000
# Reports of what was seen more than this long ago are refused: the district can no
# longer check them in the field [inferred; the measures set no period].
MAX_AGE_DAYS = 365
# A phone's clock may run a little ahead of the server's.
FUTURE_TOLERANCE_MINUTES = 10
