"""Read side of the fleet pages and API: the owner's machines with filters, in a constant
number of queries however many there are."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from accounts.queries import acting_for_q, fleet_owner
from fleets.models import ImportJob
from registry.access import owner_side_declarations
from registry.constants import DeclarationStatus
from registry.models import Declaration

PAGE_SIZE = 50


@dataclass(frozen=True)
class FleetFilters:
    status: str = ""
    machine_type: str = ""
    district: str = ""
    q: str = ""
    import_id: int | None = None


def fleet_declarations(user: User, filters: FleetFilters) -> QuerySet[Declaration]:
    """Every machine of the user's fleet (the organisation's, for its staff): declarations
    in any state and, once approved, their registrations."""
    owner = fleet_owner(user)
    qs = owner_side_declarations(user).filter(owner=owner)
    if filters.status in DeclarationStatus.values:
        qs = qs.filter(status=filters.status)
    if filters.machine_type:
        qs = qs.filter(machine_type=filters.machine_type)
    if filters.district:
        qs = qs.filter(district=filters.district)
    if filters.import_id is not None:
        qs = qs.filter(imported_from__job_id=filters.import_id)
    text = "".join(filters.q.split())
    if text:
        upper = text.upper()
        qs = qs.filter(
            Q(factory_serial__icontains=upper)
            | Q(pin__icontains=upper)
            | Q(machine_env_code__icontains=upper)
            | Q(registration__number__icontains=text)
            | Q(registration__short_number__icontains=upper)
            | Q(machine_name__icontains=text)
        )
    return qs.select_related("registration", "declared_by").order_by("-created_at", "-pk")


def visible_import_jobs(user: User) -> QuerySet[ImportJob]:
    """Imports of the user's fleet, by the owner or anyone acting for it (404 alike)."""
    return ImportJob.objects.filter(acting_for_q(user)).filter(owner=fleet_owner(user))


def get_import_job(user: User, pk: int) -> ImportJob:
    job = visible_import_jobs(user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job
