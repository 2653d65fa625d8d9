"""The one way to write an audit row, so every action writes it the same way: chained to
the row before it (core/chain.py) under a lock on the chain's head."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
    entry = AuditEntry(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=json.loads(json.dumps(data or {})),
    )
    pending = _pending.get()
    if pending is not None:
        pending.append(entry)  # chained and saved when the written_last block ends
    else:
        _chain_and_save([entry])
    return entry


# The entries recorded inside a written_last block, not yet chained.
_pending: ContextVar[list[AuditEntry] | None] = ContextVar("audit_pending", default=None)


@contextmanager
def written_last() -> Iterator[None]:
    """The entries recorded inside the block are chained and saved together when it ends
    (not if it raises), under one lock of the chain's head. Every audited transaction
    queues on that lock until it commits, so an action holding another hot lock (the
    number counter) records in such a block, at the end of its transaction, to hold the
    head for the shortest time. Must run inside the action's transaction; nested blocks
    write with the outermost. An entry recorded in a savepoint that is rolled back while the
    block goes on would still be written: use it only where a failure fails the action."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.written_last must run inside the action's transaction")
    if _pending.get() is not None:
        yield
        return
    entries: list[AuditEntry] = []
    token = _pending.set(entries)
    try:
        yield
    finally:
        _pending.reset(token)
    if entries:
        _chain_and_save(entries)


def _chain_and_save(entries: list[AuditEntry]) -> None:
    # No savepoint inside an action's transaction (two round trips while the head is
    # locked): an entry that cannot be written fails the whole action, as it must.
    with transaction.atomic(savepoint=False):
        head = _locked_head()
        # The time is taken under the lock, so times follow the chain's order.
        at = _to_the_millisecond(timezone.now())
        seq, prev_hash = head.seq, head.hash
        for entry in entries:
            seq += 1
            entry.at, entry.seq, entry.prev_hash = at, seq, prev_hash
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
            prev_hash = entry.entry_hash
        if len(entries) == 1:
            entries[0].save(force_insert=True)
        else:
            AuditEntry.objects.bulk_create(entries)
        head.seq, head.hash = seq, prev_hash
        head.save(update_fields=["seq", "hash"])


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
