"""The one way to write an audit row, so every action writes it the same way: chained to
the row before it (core/chain.py) under a lock on the chain's head."""

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone

from core import chain
from core.models import AuditEntry, AuditHead

if TYPE_CHECKING:
    from accounts.models import User


def record(
    action: str,
    *,
    actor: "User | None",
    target: models.Model,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    # The data as it will read back from the database (tuples become lists…), so the
    # digest computed now is the one verify_audit recomputes later.
    data = json.loads(json.dumps(data or {}))
    with transaction.atomic():
        head = _locked_head()
        entry = AuditEntry(
            actor=actor if actor is not None and actor.pk else None,
            action=action,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            data=data,
            at=_to_the_millisecond(timezone.now()),
            seq=head.seq + 1,
            prev_hash=head.hash,
        )
        entry.entry_hash = chain.digest(
            prev_hash=entry.prev_hash,
            seq=entry.seq,
            at=entry.at,
            actor_id=entry.actor_id,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            data=entry.data,
        )
        entry.save(force_insert=True)
        head.seq, head.hash = entry.seq, entry.entry_hash
        head.save(update_fields=["seq", "hash"])
    return entry


def _to_the_millisecond(moment: datetime) -> datetime:
    """What the digest covers and a backup keeps: the stored time is exactly that."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _locked_head() -> AuditHead:
    """The head row, locked until the caller's transaction ends. The migration creates it;
    if it is gone (a test database flushed between tests), it is made again from the last
    entry, under the same lock a concurrent writer would wait on."""
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    seq, digest = last if last is not None else (0, chain.GENESIS)
    AuditHead.objects.bulk_create([AuditHead(pk=1, seq=seq, hash=digest)], ignore_conflicts=True)
    return AuditHead.objects.select_for_update().get(pk=1)


def links() -> "Any":
    """The whole chain in order, streamed, for verify_audit."""
    rows = AuditEntry.objects.order_by("seq").values_list(
        "seq",
        "at",
        "actor_id",
        "action",
        "target_type",
        "target_id",
        "data",
        "prev_hash",
        "entry_hash",
    )
    for row in rows.iterator(chunk_size=2000):
        yield chain.Link(*row)
