"""The audit trail's hash chain, in plain Python (no Django): each entry's digest covers
its own fields and the digest before it, so editing, removing or reordering any entry
breaks every digest after it. `manage.py verify_audit` recomputes the chain; a head
(seq:digest) written down elsewhere ("anchored") also catches a chain rebuilt from scratch.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class Link:
    seq: int
    at: datetime
    actor_id: int | None
    action: str
    target_type: str
    target_id: str
    data: Any
    prev_hash: str
    entry_hash: str


def digest(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    data: Any,
) -> str:
    """SHA-256 over one canonical JSON line: keys sorted, times in UTC to the millisecond
    (what Django's serialisation keeps, so a backup restored verifies too), so the same
    entry read back from SQLite, PostgreSQL or a backup gives the same digest."""
    line = json.dumps(
        [
            prev_hash,
            seq,
            at.astimezone(UTC).isoformat(timespec="milliseconds"),
            actor_id,
            action,
            target_type,
            target_id,
            data,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    count: int
    head_seq: int
    head_hash: str
    problem: str = ""


def verify(links: Iterable[Link], *, anchor: tuple[int, str] | None = None) -> Verdict:
    """Walk the chain in seq order. Seqs must run 1, 2, 3… (a gap is a removed entry), each
    entry must point at the digest before it and match its own digest. An anchor
    (seq, digest) taken earlier must still be in the chain."""
    prev_hash, seq, count = GENESIS, 0, 0
    anchor_seen = anchor is None
    for link in links:
        count += 1
        if link.seq != seq + 1:
            return Verdict(
                False, count, seq, prev_hash, f"#{seq + 1} is missing (next is #{link.seq})"
            )
        if link.prev_hash != prev_hash:
            return Verdict(False, count, seq, prev_hash, f"#{link.seq} does not follow #{seq}")
        expected = digest(
            prev_hash=prev_hash,
            seq=link.seq,
            at=link.at,
            actor_id=link.actor_id,
            action=link.action,
            target_type=link.target_type,
            target_id=link.target_id,
            data=link.data,
        )
        if link.entry_hash != expected:
            return Verdict(False, count, seq, prev_hash, f"#{link.seq} was altered")
        if anchor is not None and link.seq == anchor[0]:
            if link.entry_hash != anchor[1]:
                return Verdict(False, count, seq, prev_hash, f"#{link.seq} differs from the anchor")
            anchor_seen = True
        prev_hash, seq = link.entry_hash, link.seq
    if not anchor_seen:
        assert anchor is not None
        return Verdict(False, count, seq, prev_hash, f"the anchor #{anchor[0]} is past the end")
    return Verdict(True, count, seq, prev_hash)
