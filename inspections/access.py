"""Who may see which spot check, rectification order or photo: one helper per object type,
404 alike for "missing" and "not yours" (as registry.access).

- A spot check: the person who recorded it, district staff (clerk, reviewer) of the district
  where it took place or where the machine is registered, and the city administrator.
- A rectification order: the owner side of the registration (the owner and agents with an
  active consent), the same staff as its spot check, and the checker who found the fault.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.constants import DISTRICT_ROLES, Role
from accounts.models import User
from accounts.queries import acting_for_q
from inspections.models import (
    Rectification,
    RectificationPhoto,
    SpotCheck,
    SpotCheckPhoto,
)


def visible_spot_checks(user: User) -> QuerySet[SpotCheck]:
    checks = SpotCheck.objects.all()
    if user.role == Role.CITY_ADMIN:
        return checks
    if user.role in DISTRICT_ROLES:
        return checks.filter(
            Q(inspector=user) | Q(district=user.district) | Q(registration__district=user.district)
        )
    if user.role == Role.INSPECTOR:
        return checks.filter(inspector=user)
    return checks.none()


def visible_rectifications(user: User) -> QuerySet[Rectification]:
    rectifications = Rectification.objects.all()
    if user.role == Role.OWNER:
        # The user's own machines and those of owners who consented to the user acting for
        # them, or an organisation's staff member's organisation (accounts.queries).
        return rectifications.filter(acting_for_q(user, "registration__owner"))
    if user.role == Role.CITY_ADMIN:
        return rectifications
    if user.role in DISTRICT_ROLES:
        return rectifications.filter(
            Q(district=user.district)
            | Q(spot_check__district=user.district)
            | Q(spot_check__inspector=user)
        )
    if user.role == Role.INSPECTOR:
        return rectifications.filter(spot_check__inspector=user)
    return rectifications.none()


def get_spot_check_for_user(user: User, pk: int) -> SpotCheck:
    check = (
        visible_spot_checks(user)
        .filter(pk=pk)
        .select_related("registration__declaration", "inspector")
        .first()
    )
    if check is None:
        raise Http404
    return check


def get_rectification_for_user(user: User, pk: int) -> Rectification:
    rectification = (
        visible_rectifications(user)
        .filter(pk=pk)
        .select_related("registration__declaration", "registration__owner", "spot_check")
        .first()
    )
    if rectification is None:
        raise Http404
    return rectification


def get_spot_check_photo_for_user(user: User, pk: int) -> SpotCheckPhoto:
    photo = SpotCheckPhoto.objects.filter(pk=pk, spot_check__in=visible_spot_checks(user)).first()
    if photo is None:
        raise Http404
    return photo


def get_rectification_photo_for_user(user: User, pk: int) -> RectificationPhoto:
    photo = RectificationPhoto.objects.filter(
        pk=pk, answer__rectification__in=visible_rectifications(user)
    ).first()
    if photo is None:
        raise Http404
    return photo
