"""Read-side helpers: what a user may see, in one place per object type."""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.constants import AccountKind, Role
from accounts.models import AgentConsent, User, id_number_hash

SEARCH_LIMIT = 50


def consents_as_agent(user: User) -> QuerySet[AgentConsent]:
    return AgentConsent.objects.filter(agent=user, withdrawn_at=None).select_related(
        "agent", "owner"
    )


def acting_for_q(user: User, field: str = "owner") -> Q:
    """Rows whose `field` (a user FK) is the user, an owner who consented to the user acting
    for them (while the consent is active), or, for an organisation's staff member, that
    organisation. The one definition of "acting for" on the read side; accounts.actions.
    can_act_for answers the same question for one owner.

    The owners are resolved first (acting_for_ids, one small query) and the rows filtered
    by a list of ids: `owner = X OR owner IN (subquery)` cannot use the owner index, and
    PostgreSQL then scans the whole table for every owner's page."""
    return Q(**{f"{field}_id__in": acting_for_ids(user)})


def acting_for_ids(user: User) -> list[int]:
    """The owners the user acts for, as ids (one query): see acting_for_q."""
    if user.kind == AccountKind.ORG_STAFF:
        if not (user.is_active and user.organisation_id):
            return []
        return list(
            User.objects.filter(pk=user.organisation_id, is_active=True).values_list(
                "pk", flat=True
            )
        )
    principals = AgentConsent.objects.filter(agent=user, withdrawn_at=None, owner__is_active=True)
    return [user.pk, *principals.values_list("owner_id", flat=True)]


def declarable_owners(user: User) -> list[User]:
    """Whom the user may declare machines for: an organisation's staff member for the
    organisation only; anyone else for themselves and the owners who consented."""
    if user.kind == AccountKind.ORG_STAFF:
        organisation = user.organisation
        active = organisation is not None and organisation.is_active and user.is_active
        return [organisation] if active and organisation is not None else []
    return [user, *(c.owner for c in consents_as_agent(user))]


def fleet_owner(user: User) -> User:
    """Whose machines the fleet pages show: the organisation for its staff, else the user."""
    if user.kind == AccountKind.ORG_STAFF and user.organisation is not None:
        return user.organisation
    return user


def org_staff(organisation: User) -> QuerySet[User]:
    return User.objects.filter(kind=AccountKind.ORG_STAFF, organisation=organisation).order_by(
        "-is_active", "name", "pk"
    )


def consents_as_owner(user: User) -> QuerySet[AgentConsent]:
    return AgentConsent.objects.filter(owner=user, withdrawn_at=None).select_related(
        "agent", "owner"
    )


def search_owners(query: str) -> QuerySet[User]:
    """Staff search: exact phone, ID number (through its keyed hash) or credit code, or part
    of a name."""
    query = "".join(query.split()).upper()
    if not query:
        return User.objects.none()
    match = (
        Q(phone=query)
        | Q(id_number_hash=id_number_hash(query))
        | Q(credit_code=query)
        | Q(name__icontains=query)
    )
    # An organisation's staff logins own nothing: the organisation is the owner to find.
    owners = User.objects.filter(role=Role.OWNER).exclude(kind=AccountKind.ORG_STAFF)
    return owners.filter(match).order_by("name", "pk")[:SEARCH_LIMIT]


def owners_for_staff(user: User) -> QuerySet[User]:
    """The owners whose full personal data a staff member's work may need: for the city
    administrator every owner; for a district's clerks and reviewers the owners with a
    declaration, a registered machine (registered or now located there) or an owner
    change (as the new owner) in their district. Nobody else's."""
    owners = User.objects.filter(role=Role.OWNER).exclude(kind=AccountKind.ORG_STAFF)
    if user.role == Role.CITY_ADMIN:
        return owners
    if user.role not in (Role.CLERK, Role.REVIEWER) or not user.district:
        return owners.none()
    # Imported here: registry and changes build on accounts, not the other way round.
    from changes.models import ChangeRequest
    from registry.models import Declaration, Registration

    district = user.district
    declared = Declaration.objects.filter(district=district).values("owner_id")
    registered = Registration.objects.filter(
        Q(district=district) | Q(location_district=district)
    ).values("owner_id")
    buying = ChangeRequest.objects.filter(district=district, new_owner__isnull=False).values(
        "new_owner_id"
    )
    return owners.filter(Q(pk__in=declared) | Q(pk__in=registered) | Q(pk__in=buying))


def get_owner_for_staff(user: User, pk: int) -> User:
    """An owner within the staff member's reach (owners_for_staff), else 404 alike for
    missing and not yours."""
    owner = owners_for_staff(user).filter(pk=pk).first()
    if owner is None:
        raise Http404
    return owner
