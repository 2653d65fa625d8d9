"""Read-side helpers for public reports: the district's list in a constant number of
queries, what the reporter sees with the reference code, and the statistics."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.constants import Role
from accounts.models import User
from core.reference import city
from reports import codes
from reports.access import visible_reports
from reports.constants import ReportOutcome, ReportStatus
from reports.models import PublicReport


@dataclass(frozen=True)
class ListFilters:
    status: str = "open"  # a ReportStatus, "open" (received or assigned) or "all"
    outcome: str = ""
    district: str = ""  # the city administrator's choice; district staff see their own

    @classmethod
    def from_query(cls, user: User, query: Any) -> "ListFilters":
        """Unknown values are ignored: a stale bookmark still opens."""
        status = query.get("status", "open")
        outcome = query.get("outcome", "")
        district = query.get("district", "")
        return cls(
            status=status if status in ReportStatus.values or status == "all" else "open",
            outcome=outcome if outcome in ReportOutcome.values else "",
            district=district
            if user.role == Role.CITY_ADMIN and district in city().district_codes()
            else "",
        )


def staff_list(user: User, filters: ListFilters) -> QuerySet[PublicReport]:
    """The reports the user sees, oldest first, with their photo and note counts. One
    query per page, plus the count."""
    reports = visible_reports(user)
    if filters.district:
        reports = reports.filter(district=filters.district)
    if filters.status == "open":
        reports = reports.exclude(status=ReportStatus.CLOSED)
    elif filters.status != "all":
        reports = reports.filter(status=filters.status)
    if filters.outcome:
        reports = reports.filter(outcome=filters.outcome)
    return (
        reports.select_related("assigned_to", "registration")
        .annotate(
            photo_count=Count("photos", distinct=True), note_count=Count("notes", distinct=True)
        )
        .order_by("filed_at", "pk")
    )


@dataclass(frozen=True)
class Progress:
    """What the reference code shows: no contents, no personal data, no staff names."""

    code: str
    status: str
    status_label: str
    district: str
    filed_at: datetime
    assigned_at: datetime | None
    closed_at: datetime | None
    outcome: str
    outcome_label: str
    outcome_text: str


def follow(text: str) -> Progress | None:
    code = codes.normalise(text)
    if code is None:
        return None
    report = (
        PublicReport.objects.filter(code=code)
        .only(
            "code",
            "status",
            "district",
            "filed_at",
            "assigned_at",
            "closed_at",
            "outcome",
            "outcome_text",
        )
        .first()
    )
    if report is None:
        return None
    try:
        district = city().district(report.district).name
    except ValueError:
        district = report.district
    return Progress(
        code=report.display_code,
        status=report.status,
        status_label=str(report.get_status_display()),
        district=district,
        filed_at=report.filed_at,
        assigned_at=report.assigned_at,
        closed_at=report.closed_at,
        outcome=report.outcome,
        outcome_label=str(report.get_outcome_display()) if report.outcome else "",
        outcome_text=report.outcome_text,
    )


@dataclass(frozen=True)
class ReportCounts:
    """Reports filed in a period: all of them, by status, by outcome (closed ones) and by
    district. Every status and outcome is present, with 0 when there are none."""

    total: int
    by_status: dict[str, int]
    by_outcome: dict[str, int]
    by_district: dict[str, int] = field(default_factory=dict)
    # district → status → n, and district → outcome → n (the dashboard's table).
    district_status: dict[str, dict[str, int]] = field(default_factory=dict)
    district_outcome: dict[str, dict[str, int]] = field(default_factory=dict)


def report_counts(
    scope: User | str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> ReportCounts:
    """Counts for the statistics, in one query.

    scope: a User (what that user may see: a district's staff their district, the city
    administrator everything, anyone else nothing), a district code, or None (the city).
    date_from, date_to: the days (local time, both included) the reports were filed;
    None leaves that end open."""
    if isinstance(scope, User):
        reports = visible_reports(scope)
    elif scope:
        reports = PublicReport.objects.filter(district=scope)
    else:
        reports = PublicReport.objects.all()
    if date_from is not None:
        reports = reports.filter(filed_at__gte=_start_of(date_from))
    if date_to is not None:
        reports = reports.filter(filed_at__lt=_start_of(date_to + timedelta(days=1)))
    by_status = dict.fromkeys(ReportStatus.values, 0)
    by_outcome = dict.fromkeys(ReportOutcome.values, 0)
    by_district: dict[str, int] = {}
    district_status: dict[str, dict[str, int]] = {}
    district_outcome: dict[str, dict[str, int]] = {}
    total = 0
    rows = reports.order_by().values_list("district", "status", "outcome").annotate(n=Count("pk"))
    for district, status, outcome, n in rows:
        total += n
        by_status[status] = by_status.get(status, 0) + n
        if outcome:
            by_outcome[outcome] = by_outcome.get(outcome, 0) + n
        by_district[district] = by_district.get(district, 0) + n
        statuses = district_status.setdefault(district, {})
        statuses[status] = statuses.get(status, 0) + n
        if outcome:
            outcomes = district_outcome.setdefault(district, {})
            outcomes[outcome] = outcomes.get(outcome, 0) + n
    return ReportCounts(
        total=total,
        by_status=by_status,
        by_outcome=by_outcome,
        by_district=dict(sorted(by_district.items())),
        district_status=district_status,
        district_outcome=district_outcome,
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
