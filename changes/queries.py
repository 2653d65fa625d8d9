"""Read-side helpers for change requests: a machine's history, the district's queue, the
owner's list, all in a constant number of queries; and "as it stood on a date"."""

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.constants import Role
from accounts.models import User
from changes import history
from changes.access import acting_for_ids, visible_external, visible_requests
from changes.constants import OPEN_STATUSES, SIGN_NOT_FIXED_KINDS, ChangeKind, ChangeStatus
from changes.history import TRACKED
from changes.models import ChangeRequest, ExternalRegistration
from core.reference import city
from registry.models import Registration
from rules.deadlines import Kind, overdue_if_started_before


def for_registration(registration: Registration) -> dict[str, Any]:
    """A machine's changes, newest first, for its history page
    (templates/changes/_registration_section.html): its own requests and the retrofit that
    made it, if any. Two queries, however many. Access is the caller's business."""
    changes = list(
        ChangeRequest.objects.filter(
            Q(registration=registration) | Q(new_registration=registration)
        )
        .select_related("registration", "new_registration", "requested_by", "decided_by")
        .prefetch_related("photos")
        .order_by("-requested_at", "-pk")
    )
    return {"changes": changes}


def changes_of(request: ChangeRequest) -> list[tuple[str, object, object]]:
    """(label, before, after) for each field the change touched, for display."""
    return request.diff


def as_of(registration: Registration, when: datetime | date) -> dict[str, Any]:
    """The tracked fields as they stood at `when` (a date means its end): today's values,
    with every change applied after it undone, newest first. One query for the changes."""
    if isinstance(when, date) and not isinstance(when, datetime):
        when = timezone.make_aware(datetime.combine(when, time.max))
    declaration = registration.declaration
    state: dict[str, Any] = {
        "owner_name": registration.owner.name,
        "location_district": registration.location_district or registration.district,
        "location_since": _iso(registration.location_since),
        "status": registration.status,
        "number": registration.number,
        "stage": registration.stage,
        "category": registration.category,
        "machine_type": declaration.machine_type,
    }
    for name in TRACKED:
        if name.startswith(("dpf_", "engine_")):
            state[name] = _iso(getattr(declaration, name))
    later = ChangeRequest.objects.filter(registration=registration, applied_at__gt=when).order_by(
        "-applied_at", "-pk"
    )
    for change in later:
        for key, value in (change.before or {}).items():
            if key in state:
                state[key] = value
    if registration.issued_at > when:
        state["status"] = None  # not registered yet
    return state


def as_of_context(registration: Registration, raw: str | None) -> dict[str, Any]:
    """The history page's "as it stood on" panel: `raw` is the ?as_of= date the user typed
    (YYYY-MM-DD). Blank shows only the form; a bad or future date gets a message."""
    panel: dict[str, Any] = {"value": (raw or "").strip()[:10], "rows": [], "error": ""}
    if not panel["value"]:
        return {"as_of": panel}
    try:
        day = date.fromisoformat(panel["value"])
    except ValueError:
        panel["error"] = _("日期格式应为YYYY-MM-DD，例如2026-11-23")
        return {"as_of": panel}
    if day > timezone.localdate():
        panel["error"] = _("日期不能晚于今天")
        return {"as_of": panel}
    state = as_of(registration, day)
    panel["day"] = day
    if state["status"] is None:
        panel["error"] = _("该日期尚未登记（登记于%(d)s）") % {
            "d": timezone.localtime(registration.issued_at).date().isoformat()
        }
        return {"as_of": panel}
    panel["rows"] = [
        (str(label), history.shown(key, state.get(key)))
        for key, label in TRACKED.items()
        if key in state
    ]
    return {"as_of": panel}


def _iso(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if value is not None and not isinstance(value, (str, int)):
        return str(value)
    return value


def owner_requests(user: User) -> QuerySet[ChangeRequest]:
    """The requests the owner side follows, newest first."""
    return (
        visible_requests(user)
        .select_related("registration", "new_owner", "owner")
        .order_by("-requested_at", "-pk")
    )


def awaiting_confirmation(user: User) -> QuerySet[ChangeRequest]:
    """Owner changes waiting for the user (or an owner the user acts for) as the new owner."""
    return (
        visible_requests(user)
        .filter(status=ChangeStatus.AWAITING_NEW_OWNER, new_owner__isnull=False)
        .exclude(owner_id__in=acting_for_ids(user))
        .select_related("registration__declaration", "owner", "new_owner")
        .order_by("requested_at", "pk")
    )


FLAGS = ("late", "sign_not_fixed", "overdue", "unconfirmed")


def flagged(requests: QuerySet[ChangeRequest], flag: str, today: date) -> QuerySet[ChangeRequest]:
    """The requests carrying one of the queue's flags (the overdue page counts them too)."""
    if flag == "late":
        return requests.filter(late=True)
    if flag == "sign_not_fixed":
        return requests.filter(late=True, kind__in=SIGN_NOT_FIXED_KINDS)
    if flag == "overdue":
        return requests.filter(status=ChangeStatus.SUBMITTED, review_due__lt=today)
    if flag == "unconfirmed":
        return requests.filter(
            status=ChangeStatus.AWAITING_NEW_OWNER,
            event_date__lt=overdue_if_started_before(Kind.OWNER_CHANGE, today),
        )
    raise ValueError(flag)


@dataclass(frozen=True)
class QueueFilters:
    kind: str = ""
    status: str = ChangeStatus.SUBMITTED
    # "late": filed after its 10 days; "sign_not_fixed": late and Art. 13 counts it so;
    # "overdue": review past due; "unconfirmed": an owner change the new owner has not
    # confirmed within the 10 days of Art. 11.
    flag: str = ""
    district: str = ""  # the city administrator's choice; district staff see their own

    @classmethod
    def from_query(cls, user: User, query: Any) -> "QueueFilters":
        """Unknown values are ignored: a stale bookmark still opens."""
        kind = query.get("kind", "")
        status = query.get("status", ChangeStatus.SUBMITTED)
        flag = query.get("flag", "")
        district = query.get("district", "")
        return cls(
            kind=kind if kind in ChangeKind.values else "",
            status=status if status in ChangeStatus.values or status == "all" else "submitted",
            flag=flag if flag in FLAGS else "",
            district=district
            if user.role == Role.CITY_ADMIN and district in city().district_codes()
            else "",
        )


def district_queue(
    user: User, filters: QueueFilters, *, with_location: bool = False
) -> QuerySet[ChangeRequest]:
    """The change requests the user sees (district staff: their district's; the city
    administrator: all), oldest submission first, with their photo counts; location
    switches, which nobody reviews, only when asked for. Three queries per page."""
    requests = visible_requests(user)
    if not with_location:
        requests = requests.exclude(kind=ChangeKind.LOCATION)
    if filters.district:
        requests = requests.filter(district=filters.district)
    if filters.kind:
        requests = requests.filter(kind=filters.kind)
    if filters.status != "all":
        requests = requests.filter(status=filters.status)
    if filters.flag:
        requests = flagged(requests, filters.flag, timezone.localdate())
    return (
        requests.select_related("registration__declaration", "owner", "new_owner")
        .annotate(photo_count=Count("photos"))
        .order_by("submitted_at", "requested_at", "pk")
    )


def open_counts(user: User) -> dict[str, int]:
    """Open requests per kind (one query), for the queue's tabs."""
    rows = (
        visible_requests(user)
        .filter(status__in=OPEN_STATUSES)
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    return {kind: n for kind, n in rows}


def external_records(user: User) -> QuerySet[ExternalRegistration]:
    return visible_external(user).select_related("owner").order_by("-recorded_at", "-pk")
