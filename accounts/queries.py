"""Read-side helpers: what a user may see, in one place per object type."""

from django.db.models import Q, QuerySet

from accounts.constants import Role
from accounts.models import AgentConsent, User

SEARCH_LIMIT = 50


def consents_as_agent(user: User) -> QuerySet[AgentConsent]:
    return AgentConsent.objects.filter(agent=user, withdrawn_at=None).select_related(
        "agent", "owner"
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
    return User.objects.filter(Q(role=Role.OWNER) & match).order_by("name", "pk")[:SEARCH_LIMIT]
