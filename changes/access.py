"""Who may see which change request, photo or external record: one helper per object
type, 404 alike for "missing" and "not yours" (as registry.access).

- A change request: the owner side (the owner and agents with an active consent) of the
  owner who filed it, of the machine's present owner, and for an owner change of the new
  owner; district staff (clerks, reviewers) of the machine's registration district; the city
  administrator (read-only).
- A machine recorded as registered in another city: its owner side, district staff of the
  district where it works, the city administrator.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts import queries
from accounts.constants import DISTRICT_ROLES, Role
from accounts.models import User
from changes.models import ChangePhoto, ChangeRequest, ExternalRegistration


def acting_for_ids(user: User) -> list[int]:
    """The owners the user acts for: themselves and the owners who consented, or an
    organisation's staff member's organisation (accounts.queries, one query)."""
    return queries.acting_for_ids(user)


def visible_requests(user: User) -> QuerySet[ChangeRequest]:
    requests = ChangeRequest.objects.all()
    if user.role == Role.OWNER:
        ids = acting_for_ids(user)
        return requests.filter(
            Q(owner_id__in=ids) | Q(new_owner_id__in=ids) | Q(registration__owner_id__in=ids)
        )
    if user.role in DISTRICT_ROLES:
        return requests.filter(district=user.district)
    if user.role == Role.CITY_ADMIN:
        return requests
    return requests.none()


def get_request_for_user(user: User, pk: int) -> ChangeRequest:
    request = (
        visible_requests(user)
        .filter(pk=pk)
        .select_related(
            "registration__declaration",
            "registration__owner",
            "owner",
            "new_owner",
            "requested_by",
            "decided_by",
            "site_check_by",
            "new_registration",
        )
        .first()
    )
    if request is None:
        raise Http404
    return request


def get_change_photo_for_user(user: User, pk: int) -> ChangePhoto:
    photo = ChangePhoto.objects.filter(pk=pk, request__in=visible_requests(user)).first()
    if photo is None:
        raise Http404
    return photo


def visible_external(user: User) -> QuerySet[ExternalRegistration]:
    records = ExternalRegistration.objects.all()
    if user.role == Role.OWNER:
        return records.filter(owner_id__in=acting_for_ids(user))
    if user.role in DISTRICT_ROLES:
        return records.filter(district=user.district)
    if user.role == Role.CITY_ADMIN:
        return records
    return records.none()


__all__ = [
    "acting_for_ids",
    "get_change_photo_for_user",
    "get_request_for_user",
    "visible_external",
    "visible_requests",
]
