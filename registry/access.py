"""Who may see or change a declaration: one helper per side, 404 alike for "missing" and
"not yours" (healthchecks' _get_rw_check_for_user)."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.constants import Role
from accounts.models import User
from accounts.queries import acting_for_q
from registry.models import Credential, Declaration, DeclarationPhoto, Registration, SignPhoto


def owner_side_declarations(user: User) -> QuerySet[Declaration]:
    """The user's own declarations and those of owners who consented to the user acting
    for them (an agent sees only what the consent covers while it is active); for an
    organisation's staff member, the organisation's."""
    return Declaration.objects.filter(acting_for_q(user))


def staff_declarations(user: User) -> QuerySet[Declaration]:
    """District staff see their district; the city administrator sees all, read-only."""
    if user.role in (Role.REVIEWER, Role.CLERK):
        return Declaration.objects.filter(district=user.district)
    if user.role == Role.CITY_ADMIN:
        return Declaration.objects.all()
    return Declaration.objects.none()


def get_declaration_for_owner_side(user: User, pk: int) -> Declaration:
    declaration = owner_side_declarations(user).filter(pk=pk).first()
    if declaration is None:
        raise Http404
    return declaration


def filer_declarations(user: User) -> QuerySet[Declaration]:
    """Who may fill in and submit a declaration: the owner side, and a counter clerk for
    declarations in the clerk's district (the clerk files for the owner at the counter,
    Art. 5). Matches registry.actions._require_owner_side."""
    if user.role == Role.CLERK:
        return Declaration.objects.filter(district=user.district)
    if user.role == Role.OWNER:
        return owner_side_declarations(user)
    return Declaration.objects.none()


def get_declaration_for_filer(user: User, pk: int) -> Declaration:
    declaration = filer_declarations(user).filter(pk=pk).first()
    if declaration is None:
        raise Http404
    return declaration


def get_declaration_for_staff(user: User, pk: int) -> Declaration:
    declaration = staff_declarations(user).filter(pk=pk).first()
    if declaration is None:
        raise Http404
    return declaration


def get_photo_for_user(user: User, pk: int) -> DeclarationPhoto:
    """Only the owner, an agent acting for them, and staff of the declaration's district
    (or the city) may fetch a photo; everyone else gets the same 404 as for a missing one."""
    if user.role == Role.OWNER:
        declarations = owner_side_declarations(user)
    else:
        declarations = staff_declarations(user)
    photo = (
        DeclarationPhoto.objects.filter(pk=pk, declaration__in=declarations)
        .select_related("declaration")
        .first()
    )
    if photo is None:
        raise Http404
    return photo


# --- registrations, their signs and cards ---------------------------------------------------


def owner_side_registrations(user: User) -> QuerySet[Registration]:
    """The owner's machines and those of owners who consented to the user acting for them."""
    if user.role != Role.OWNER:
        return Registration.objects.none()
    return Registration.objects.filter(acting_for_q(user))


def staff_registrations(user: User) -> QuerySet[Registration]:
    """District staff see their district's machines; the city administrator sees all."""
    if user.role in (Role.REVIEWER, Role.CLERK):
        return Registration.objects.filter(district=user.district)
    if user.role == Role.CITY_ADMIN:
        return Registration.objects.all()
    return Registration.objects.none()


def get_registration_for_owner_side(user: User, pk: int) -> Registration:
    registration = owner_side_registrations(user).filter(pk=pk).select_related("owner").first()
    if registration is None:
        raise Http404
    return registration


def get_registration_for_staff(user: User, pk: int) -> Registration:
    registration = (
        staff_registrations(user).filter(pk=pk).select_related("owner", "declaration").first()
    )
    if registration is None:
        raise Http404
    return registration


def staff_credentials(user: User) -> QuerySet[Credential]:
    if user.role in (Role.REVIEWER, Role.CLERK):
        return Credential.objects.filter(district=user.district)
    if user.role == Role.CITY_ADMIN:
        return Credential.objects.all()
    return Credential.objects.none()


def get_credential_for_staff(user: User, pk: int) -> Credential:
    credential = staff_credentials(user).filter(pk=pk).select_related("registration__owner").first()
    if credential is None:
        raise Http404
    return credential


def get_sign_photo_for_user(user: User, pk: int) -> SignPhoto:
    """The owner side of the machine and the district's staff (or the city)."""
    if user.role == Role.OWNER:
        registrations = owner_side_registrations(user)
    else:
        registrations = staff_registrations(user)
    photo = (
        SignPhoto.objects.filter(pk=pk, credential__registration__in=registrations)
        .select_related("credential__registration")
        .first()
    )
    if photo is None:
        raise Http404
    return photo
