"""Number allocation under concurrent approvals in separate processes (PostgreSQL):
serials in order per prefix, no duplicates, no gaps."""

import multiprocessing
import os

import pytest
from django.db import connection, connections

from core import audit, chain
from core.models import AuditEntry
from registry import actions
from registry.models import Declaration, NumberCounter, Registration
from tests.registry.helpers import declare

WORKERS = 8
PER_WORKER = 6


def _approve_slice(reviewer_id: int, ids: list[int]) -> None:
    # A forked child must not use the parent's database socket.
    connections.close_all()
    from accounts.models import User

    reviewer = User.objects.get(pk=reviewer_id)
    for pk in ids:
        actions.approve(acting_user=reviewer, declaration=Declaration.objects.get(pk=pk))
    connections.close_all()
    os._exit(0)


@pytest.mark.django_db(transaction=True)
def test_parallel_approvals_get_consecutive_unique_serials(owner, reviewer):
    if connection.vendor != "postgresql":
        pytest.skip("several processes need a database server (run with DATABASE_URL)")
    ids = [declare(owner).pk for _ in range(WORKERS * PER_WORKER)]
    # Half stage 4, half stage 3 would also work; one prefix is the hardest case.
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    processes = [
        ctx.Process(target=_approve_slice, args=(reviewer.pk, ids[i::WORKERS]))
        for i in range(WORKERS)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * WORKERS

    serials = sorted(Registration.objects.filter(prefix="沪L4").values_list("serial", flat=True))
    assert serials == list(range(1, len(ids) + 1))  # no duplicates, no gaps
    assert NumberCounter.objects.get(prefix="沪L4").last_serial == len(ids)
    assert Registration.objects.values("number").distinct().count() == len(ids)
    # Every approval wrote audit rows from its own process: still one unbroken chain.
    verdict = chain.verify(audit.links())
    assert verdict.ok, verdict.problem
    assert verdict.count == AuditEntry.objects.count() > len(ids)
