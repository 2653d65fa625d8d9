"""A new registration starts where it is registered (Registration.location_district)."""

from typing import Any

from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone

from registry.models import Registration


@receiver(pre_save, sender=Registration, dispatch_uid="changes.default_location")
def default_location(sender: type[Registration], instance: Registration, **kwargs: Any) -> None:
    """registry.actions.approve creates registrations without a location: the machine
    works in its registration district from its issue date until the owner says otherwise
    (changes.actions.change_location)."""
    if instance._state.adding and not instance.location_district:
        instance.location_district = instance.district
        if instance.location_since is None:
            instance.location_since = timezone.localdate(instance.issued_at)
