"""SMS reminders before the owners' deadlines (issue #5: "Owners get an SMS reminder before
a deadline"). One sweep, run daily as a background task (registry/tasks.py); each reminder
is keyed by object, deadline and due date, so a second run the same day sends nothing.

Owners' deadlines reminded here:
- the first declaration, 30 days after the invoice or transfer-in date (a draft not yet
  submitted, Art. 4);
- the photo of the fixed sign, 10 days after collection (Art. 10);
- a rectification order's due date (Art. 16);
- an owner change the new owner has not yet confirmed, 10 days after the transfer
  (Art. 11): both owners are reminded, since either can chase the other.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.sms import send_sms
from core.models import Reminder
from registry.constants import CredentialStatus, DeclarationStatus
from registry.models import Credential, Declaration
from rules.deadlines import CHANGE_DAYS, DECLARATION_DAYS, Kind, declaration_due, due_date


@dataclass(frozen=True)
class Due:
    key: str
    phone: str
    body: str


def _when(due: date) -> str:
    return f"{due.year}年{due.month}月{due.day}日"


def due_reminders(today: date, days: int) -> list[Due]:
    """What falls due between today and `days` days from now (overdue items are the
    district's business, in its overdue lists)."""
    horizon = today + timedelta(days=days)
    found: list[Due] = []

    # A draft whose 30 days run out: acquired between horizon-30 and today-30.
    drafts = Declaration.objects.filter(
        status__in=(DeclarationStatus.DRAFT, DeclarationStatus.RETURNED),
        acquisition_date__gte=today - timedelta(days=DECLARATION_DAYS),
        acquisition_date__lte=horizon - timedelta(days=DECLARATION_DAYS),
    ).select_related("owner")
    for d in drafts:
        assert d.acquisition_date is not None
        due = declaration_due(d.acquisition_date)
        found.append(
            Due(
                f"declaration:{d.pk}:{due.isoformat()}",
                d.owner.phone,
                _(
                    "您的%(machine)s申报（申报号%(id)s）须在%(due)s前提交（第四条），请尽快完成并提交。"
                )
                % {
                    "machine": d.machine_name or d.machine_type or _("机械"),
                    "id": d.pk,
                    "due": _when(due),
                },
            )
        )

    photos = Credential.objects.filter(
        status=CredentialStatus.COLLECTED, photo_due__gte=today, photo_due__lte=horizon
    ).select_related("registration__owner")
    for c in photos:
        assert c.photo_due is not None
        found.append(
            Due(
                f"sign_photo:{c.pk}:{c.photo_due.isoformat()}",
                c.registration.owner.phone,
                _("请在%(due)s前将%(number)s的识别标志固定于机械显著位置并上传照片（第十条）。")
                % {"due": _when(c.photo_due), "number": c.registration.number},
            )
        )

    from inspections.constants import RectificationStatus
    from inspections.models import Rectification

    orders = Rectification.objects.filter(
        status=RectificationStatus.ORDERED, due_date__gte=today, due_date__lte=horizon
    ).select_related("registration__owner")
    for r in orders:
        found.append(
            Due(
                f"rectification:{r.pk}:{r.due_date.isoformat()}",
                r.registration.owner.phone,
                _("%(number)s的整改期限为%(due)s，请按要求整改并在平台上回复（第十六条）。")
                % {"number": r.registration.number, "due": _when(r.due_date)},
            )
        )

    from changes.constants import ChangeKind, ChangeStatus
    from changes.models import ChangeRequest

    owner_changes = ChangeRequest.objects.filter(
        kind=ChangeKind.OWNER,
        status=ChangeStatus.AWAITING_NEW_OWNER,
        event_date__gte=today - timedelta(days=CHANGE_DAYS),
        event_date__lte=horizon - timedelta(days=CHANGE_DAYS),
    ).select_related("registration", "owner", "new_owner")
    for change in owner_changes:
        assert change.event_date is not None and change.new_owner is not None
        due = due_date(Kind.OWNER_CHANGE, change.event_date)
        body = _(
            "%(number)s的机主变更须在%(due)s前由新机主%(new)s输入验证码确认并提交审核"
            "（第十一条），请尽快办理。"
        ) % {"number": change.registration.number, "due": _when(due), "new": change.new_owner.name}
        for who, phone in (("old", change.owner.phone), ("new", change.new_owner.phone)):
            found.append(Due(f"owner_change:{change.pk}:{who}:{due.isoformat()}", phone, body))
    return found


def send_due_reminders(today: date | None = None) -> int:
    """Send each reminder once; returns how many went out now."""
    today = today or timezone.localdate()
    sent = 0
    for item in due_reminders(today, settings.NRMM_REMINDER_DAYS):
        try:
            with transaction.atomic():
                Reminder.objects.create(key=item.key, phone=item.phone, body=item.body)
                send_sms(item.phone, item.body, purpose="reminder")
        except IntegrityError:
            continue  # already reminded
        sent += 1
    return sent
