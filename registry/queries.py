"""Read-side helpers for declarations: lists with their deadlines, built in few queries."""

from dataclasses import dataclass
from datetime import date

from django.db.models import F, Prefetch, QuerySet

from accounts.models import User
from core.reference import holiday_calendar
from registry.access import owner_side_declarations, staff_declarations
from registry.constants import CredentialStatus, DeclarationStatus
from registry.models import Credential, Declaration, DeclarationRound
from rules.workdays import HolidayCalendar, MissingYearError


def progress_list(user: User) -> QuerySet[Declaration]:
    """编码登记进展: every declaration the user may follow, newest first."""
    live = Credential.objects.exclude(status=CredentialStatus.REVOKED)
    return (
        owner_side_declarations(user)
        .select_related("owner", "registration")
        .prefetch_related(
            Prefetch("registration__credentials", queryset=live, to_attr="live_credentials")
        )
        .order_by("-created_at", "-pk")
    )


def with_latest_round(declarations: QuerySet[Declaration]) -> QuerySet[Declaration]:
    """Attach each declaration's current round as `latest_rounds` (a list of at most one),
    in one query for the whole list instead of one per declaration."""
    latest = DeclarationRound.objects.filter(number=F("declaration__rounds"))
    return declarations.prefetch_related(
        Prefetch("round_history", queryset=latest, to_attr="latest_rounds")
    )


def review_queue(user: User, *, status: str = DeclarationStatus.SUBMITTED) -> QuerySet[Declaration]:
    """The reviewer's queue: their district, oldest submission first."""
    return (
        staff_declarations(user)
        .filter(status=status)
        .select_related("owner")
        .order_by("submitted_at", "pk")
    )


@dataclass(frozen=True)
class Deadline:
    due: date | None
    working_days_left: int | None
    overdue: bool


def review_deadline(
    declaration: Declaration, today: date, calendar: HolidayCalendar | None = None
) -> Deadline:
    due = declaration.review_due
    if due is None:
        return Deadline(None, None, False)
    calendar = calendar or holiday_calendar()
    try:
        if due >= today:
            left = calendar.working_days_between(today, due)
        else:
            left = -calendar.working_days_between(due, today)
    except MissingYearError:
        left = None
    return Deadline(due, left, due < today)
