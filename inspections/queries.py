"""Read-side helpers for spot checks and rectification orders: lists in a constant number
of queries, and the lookup of a typed or scanned number."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from accounts.constants import Role
from accounts.models import User
from core.reference import city
from inspections.access import visible_rectifications, visible_spot_checks
from inspections.constants import OPEN_RECTIFICATION, SpotCheckResult
from inspections.models import Rectification, RectificationAnswer, SpotCheck
from registry.models import Registration
from rules.regno import NumberFormatError, normalise_number, parse_number


@dataclass(frozen=True)
class Lookup:
    """What a typed number leads to: the registration, or why there is none."""

    number: str  # normalised, as stored in SpotCheck.number_typed
    registration: Registration | None
    error: str  # the number cannot be read (a typo, or not this city's format)
    category_differs: bool  # a full number whose category is not the registration's


def find_registration(text: str) -> Lookup:
    """Accept the full or the short form, full-width characters, lower case and spaces;
    look up by the short number (unique on its own)."""
    number = normalise_number(text or "")
    if not number:
        return Lookup("", None, "", False)
    try:
        parsed = parse_number(number, city())
    except NumberFormatError as exc:
        return Lookup(number, None, str(exc), False)
    registration = (
        Registration.objects.filter(short_number=parsed.short).select_related("declaration").first()
    )
    differs = bool(
        registration is not None and parsed.category and parsed.category != registration.category
    )
    return Lookup(number, registration, "", differs)


def for_registration(registration: Registration) -> dict[str, Any]:
    """A machine's spot checks and rectification orders, newest first, for its history
    page (templates/inspections/_registration_section.html). Four queries, however many.
    Access is the caller's business: this does not filter by user."""
    spot_checks = list(
        SpotCheck.objects.filter(registration=registration)
        .select_related("inspector")
        .prefetch_related("photos")
        .order_by("-checked_at", "-pk")
    )
    rectifications = list(
        Rectification.objects.filter(registration=registration)
        .select_related("spot_check")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=RectificationAnswer.objects.prefetch_related("photos").order_by("number"),
            )
        )
        .order_by("-ordered_at", "-pk")
    )
    return {"spot_checks": spot_checks, "rectifications": rectifications}


def my_checks(user: User) -> QuerySet[SpotCheck]:
    """The checks the user recorded, newest first."""
    return (
        SpotCheck.objects.filter(inspector=user)
        .select_related("registration")
        .annotate(photo_count=Count("photos", distinct=True))
        .order_by("-checked_at", "-pk")
    )


@dataclass(frozen=True)
class CheckFilters:
    result: str = ""
    date_from: date | None = None
    date_to: date | None = None
    district: str = ""  # the city administrator's choice; district staff see their own

    @classmethod
    def from_query(cls, user: User, query: Any) -> "CheckFilters":
        """Unknown or malformed values are ignored: a stale bookmark still opens."""
        result = query.get("result", "")
        district = query.get("district", "")
        return cls(
            result=result if result in SpotCheckResult.values else "",
            date_from=_parse_date(query.get("date_from", "")),
            date_to=_parse_date(query.get("date_to", "")),
            district=district
            if user.role == Role.CITY_ADMIN and district in city().district_codes()
            else "",
        )


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip()) if raw and raw.strip() else None
    except ValueError:
        return None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def district_checks(user: User, filters: CheckFilters) -> QuerySet[SpotCheck]:
    """The checks district staff (or the city) oversee, newest first, filtered."""
    checks = visible_spot_checks(user)
    if filters.district:
        checks = checks.filter(district=filters.district)
    if filters.result:
        checks = checks.filter(result=filters.result)
    if filters.date_from:
        checks = checks.filter(checked_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        checks = checks.filter(checked_at__lt=_start_of(filters.date_to + timedelta(days=1)))
    return (
        checks.select_related("registration__declaration", "inspector")
        .annotate(
            photo_count=Count("photos", distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "rectifications",
                queryset=Rectification.objects.filter(status__in=OPEN_RECTIFICATION),
                to_attr="open_rectifications",
            )
        )
        .order_by("-checked_at", "-pk")
    )


def owner_rectifications(user: User) -> QuerySet[Rectification]:
    """The rectification orders the user sees (owner side: their own machines and those of
    the owners they act for; staff: as inspections.access), newest first."""
    return (
        visible_rectifications(user)
        .select_related("registration__declaration", "spot_check")
        .order_by("-ordered_at", "-pk")
    )
