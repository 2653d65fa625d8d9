"""The audit trail's hash chain: pure checks of core/chain.py (any single change to any
entry is caught), and the database side: record() chains entries, the database refuses
to change them, verify_audit catches what gets through."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from core import audit, chain
from core.models import AuditEntry, AuditHead

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def build(n: int) -> list[chain.Link]:
    links, prev = [], chain.GENESIS
    for seq in range(1, n + 1):
        fields: dict[str, Any] = {
            "seq": seq,
            "at": T0 + timedelta(seconds=seq),
            "actor_id": seq % 3 or None,
            "action": "declaration.submitted",
            "target_type": "registry.declaration",
            "target_id": str(seq),
            "data": {"round": seq, "reason": "照片不清晰"},
        }
        digest = chain.digest(prev_hash=prev, **fields)
        links.append(chain.Link(**fields, prev_hash=prev, entry_hash=digest))
        prev = digest
    return links


def test_an_intact_chain():
    links = build(5)
    verdict = chain.verify(links)
    assert verdict.ok and verdict.count == 5
    assert (verdict.head_seq, verdict.head_hash) == (5, links[-1].entry_hash)
    assert chain.verify([]).ok


def test_the_digest_is_the_same_in_any_time_zone():
    link = build(1)[0]
    shanghai = link.at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert chain.verify([replace(link, at=shanghai)]).ok


CHANGES = {
    "at": lambda link: replace(link, at=link.at + timedelta(milliseconds=1)),
    "actor_id": lambda link: replace(link, actor_id=99),
    "action": lambda link: replace(link, action="declaration.approved"),
    "target_type": lambda link: replace(link, target_type="registry.registration"),
    "target_id": lambda link: replace(link, target_id=link.target_id + "0"),
    "data": lambda link: replace(link, data={**link.data, "reason": "已核实"}),
}


@given(
    n=st.integers(min_value=1, max_value=12),
    data=st.data(),
)
def test_any_change_to_any_entry_is_caught(n, data):
    links = build(n)
    at = data.draw(st.integers(min_value=0, max_value=n - 1))
    field = data.draw(st.sampled_from(sorted(CHANGES)))
    links[at] = CHANGES[field](links[at])
    verdict = chain.verify(links)
    assert not verdict.ok and f"#{at + 1} was altered" == verdict.problem


@pytest.mark.parametrize(
    ("mangle", "problem"),
    [
        (lambda links: links[:2] + links[3:], "#3 is missing (next is #4)"),
        (lambda links: [links[1], links[0], *links[2:]], "#1 is missing (next is #2)"),
        (lambda links: links[1:], "#1 is missing (next is #2)"),
    ],
)
def test_removed_and_reordered_entries_are_caught(mangle, problem):
    verdict = chain.verify(mangle(build(5)))
    assert not verdict.ok and verdict.problem == problem


def test_a_rebuilt_chain_is_caught_by_an_anchor():
    """Someone who can write the database rebuilds the chain after an edit: it verifies on
    its own, but not against the head written down earlier."""
    links = build(5)
    anchor = (3, links[2].entry_hash)
    assert chain.verify(links, anchor=anchor).ok
    forged = build(5)
    forged_3 = replace(forged[2], data={"round": 3, "reason": "改过"})
    rebuilt = build(2)
    prev = rebuilt[-1].entry_hash
    for link in [forged_3, *forged[3:]]:
        fields = {k: getattr(link, k) for k in CHANGE_FIELDS}
        digest = chain.digest(prev_hash=prev, **fields)
        rebuilt.append(chain.Link(**fields, prev_hash=prev, entry_hash=digest))
        prev = digest
    assert chain.verify(rebuilt).ok
    verdict = chain.verify(rebuilt, anchor=anchor)
    assert not verdict.ok and verdict.problem == "#3 differs from the anchor"
    assert chain.verify(links[:2], anchor=anchor).problem == "the anchor #3 is past the end"


CHANGE_FIELDS = ("seq", "at", "actor_id", "action", "target_type", "target_id", "data")


# --- the database -----------------------------------------------------------------------


def write(owner, n: int) -> list[AuditEntry]:
    return [
        audit.record("declaration.submitted", actor=owner, target=owner, data={"n": i, "t": (1, 2)})
        for i in range(n)
    ]


def verify_output(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def test_record_chains_and_the_command_verifies(owner):
    before = AuditEntry.objects.count()
    entries = write(owner, 3)
    assert [e.seq for e in entries] == [before + 1, before + 2, before + 3]
    assert entries[1].prev_hash == entries[0].entry_hash
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (entries[-1].seq, entries[-1].entry_hash)
    out = verify_output()
    assert f"head {head.seq}:{head.hash}" in out and "intact" in out
    assert "intact" in verify_output("--anchor", f"{entries[0].seq}:{entries[0].entry_hash}")
    with pytest.raises(CommandError, match="differs from the anchor"):
        verify_output("--anchor", f"{entries[0].seq}:{'0' * 64}")
    with pytest.raises(CommandError, match="SEQ:DIGEST"):
        verify_output("--anchor", "nonsense")


def test_the_model_refuses_changes(owner):
    (entry,) = write(owner, 1)
    entry.action = "declaration.approved"
    with pytest.raises(ValueError, match="never changed"):
        entry.save()
    with pytest.raises(ValueError, match="never deleted"):
        entry.delete()


def test_the_database_refuses_updates(owner):
    (entry,) = write(owner, 1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="declaration.approved")
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk)._raw_delete(connection.alias)


def test_what_gets_past_the_database_is_caught(owner):
    """An administrator who switches the guard off (PostgreSQL) or deletes rows (SQLite):
    the chain says where."""
    entries = write(owner, 3)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser's way round every trigger, for this transaction only.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "UPDATE core_auditentry SET data = %s WHERE id = %s", ['{"n": 9}', entries[1].pk]
            )
            cursor.execute("SET LOCAL session_replication_role = origin")
            expected = f"#{entries[1].seq} was altered"
        else:
            cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entries[2].pk])
            expected = "the head says"
    with pytest.raises(CommandError, match=expected):
        verify_output()


def test_the_head_is_made_again_if_missing(owner):
    write(owner, 2)
    AuditHead.objects.all().delete()
    write(owner, 1)
    assert "intact" in verify_output()


def test_written_last_chains_the_block_at_its_end(owner):
    before = AuditEntry.objects.count()
    with transaction.atomic(), audit.written_last():
        first = audit.record("declaration.submitted", actor=owner, target=owner, data={"n": 1})
        with audit.written_last():  # nested: written with the outer block
            second = audit.record("declaration.approved", actor=owner, target=owner)
        assert AuditEntry.objects.count() == before  # not yet
    assert AuditEntry.objects.count() == before + 2
    assert (first.seq, second.seq) == (before + 1, before + 2)
    assert second.prev_hash == first.entry_hash
    assert "intact" in verify_output()


def test_written_last_writes_nothing_when_the_block_fails(owner):
    before = AuditEntry.objects.count()
    with pytest.raises(ValueError), transaction.atomic(), audit.written_last():
        audit.record("declaration.submitted", actor=owner, target=owner)
        raise ValueError("refused")
    assert AuditEntry.objects.count() == before
    # And the next entry is chained as usual.
    audit.record("declaration.submitted", actor=owner, target=owner)
    assert "intact" in verify_output()


@pytest.mark.django_db(transaction=True)
def test_written_last_needs_the_actions_transaction():
    with pytest.raises(RuntimeError), audit.written_last():
        pass
