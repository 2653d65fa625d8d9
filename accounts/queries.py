"""Read-side helpers: what a user may see, in one place per object type."""

from django.db.models import Q, QuerySet

from accounts.constants import AccountKind, Role
from accounts.models import AgentConsent, User

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
    """Staff search: exact phone, ID number or credit code, or part of a name."""
    query = "".join(query.split()).upper()
    if not query:
        return User.objects.none()
    match = Q(phone=query) | Q(id_number=query) | Q(credit_code=query) | Q(name__icontains=query)
    # An organisation's staff logins own nothing: the organisation is the owner to find.
    owners = User.objects.filter(role=Role.OWNER).exclude(kind=AccountKind.ORG_STAFF)
    return owners.filter(match).order_by("name", "pk")[:SEARCH_LIMIT]
