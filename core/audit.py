"""The one way to write an audit row, so every action writes it the same way."""

from typing import TYPE_CHECKING, Any

from django.db import models

from core.models import AuditEntry

if TYPE_CHECKING:
    from accounts.models import User


def record(
    action: str,
    *,
    actor: "User | None",
    target: models.Model,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data or {},
    )
