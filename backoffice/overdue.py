"""逾期事项: everything overdue in the district (or the city), one page, one count per kind,
each linking to its list. Per Art. 13 an overdue change or reissue counts as "sign not fixed
as required", and is shown so."""

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
        *_changes(user, today),
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


def _changes(user: User, today: date) -> list[OverdueRow]:
    """Change requests: reviews past their 10 working days, owner changes the new owner has
    not confirmed within Art. 11's 10 days, and (Art. 13) alterations and reissues filed
    late, which count as "sign not fixed as required". One count query each."""
    from changes.access import visible_requests
    from changes.queries import flagged

    queue = reverse("changes:district_queue")
    requests = visible_requests(user)
    return [
        OverdueRow(
            label,
            article,
            flagged(requests, flag, today).count(),
            f"{queue}?status=all&flag={flag}",
        )
        for flag, label, article in (
            ("overdue", _("变更审核超过10个工作日"), _("第八条")),
            ("unconfirmed", _("机主变更超过10日新机主未确认"), _("第十一条")),
            ("sign_not_fixed", _("逾期申请变更或补办，视作未按照要求固定识别标志"), _("第十三条")),
        )
    ]
