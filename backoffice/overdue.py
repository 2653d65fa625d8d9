"""逾期事项: everything overdue in the district (or the city), one page, one count per kind,
each linking to its list. Per Art. 13 an overdue change or reissue counts as "sign not fixed
as required"; changes add their row when they exist."""

from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import User
from registry.access import staff_credentials, staff_declarations
from registry.constants import CredentialStatus, DeclarationStatus


@dataclass(frozen=True)
class OverdueRow:
    label: str
    article: str
    count: int
    url: str


@require_GET
def overdue(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    today = timezone.localdate()
    credentials = staff_credentials(user)
    rows = [
        OverdueRow(
            _("审核超过10个工作日"),
            _("第八条"),
            staff_declarations(user)
            .filter(status=DeclarationStatus.SUBMITTED, review_due__lt=today)
            .count(),
            reverse("backoffice:review_queue"),
        ),
        OverdueRow(
            _("制作完成后超过5个工作日未通知领取"),
            _("第十条"),
            credentials.filter(status=CredentialStatus.PRODUCED, notice_due__lt=today).count(),
            reverse("backoffice:credentials") + "?tab=overdue_notice",
        ),
        OverdueRow(
            _("领取后超过10日未上传标志固定照片"),
            _("第十条"),
            credentials.filter(status=CredentialStatus.COLLECTED, photo_due__lt=today).count(),
            reverse("backoffice:credentials") + "?tab=overdue_photo",
        ),
        _rectifications(user, today),
    ]
    return render(request, "backoffice/overdue.html", {"rows": rows, "today": today})


def _rectifications(user: User, today: date) -> OverdueRow:
    from inspections.access import visible_rectifications
    from inspections.constants import RectificationStatus

    count = (
        visible_rectifications(user)
        .filter(status=RectificationStatus.ORDERED, due_date__lt=today)
        .count()
    )
    return OverdueRow(
        _("整改逾期未回复"),
        _("第十六条"),
        count,
        reverse("inspections:district_checks"),
    )
