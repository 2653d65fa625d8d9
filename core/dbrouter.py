"""Read replicas: reads go to a replica only inside an explicit "replica-ok" scope.

A replica lags behind the primary, so only pages that can live with data a moment old opt in
(the public verification pages and API, the statistics pages and exports) with
`@replica_ok`. Everything else reads from the primary, and so does, even inside the scope:

* every write (db_for_write is always the primary);
* any read inside a transaction (an atomic block on the primary): it may have written, and
  must see its own writes and hold its locks;
* the tables of the request machinery, whose rows must be current everywhere: sessions and
  accounts (a disabled login ends at once), rate counters and idempotency records, tasks.

The replicas are settings.NRMM_REPLICA_DATABASES (from NRMM_REPLICA_URLS); with none, the
scope changes nothing. Replicas are never migrated: they copy the primary.

A replica that cannot be reached when a scope opens is passed over, and the scope reads
from another replica or the primary: the public look-up and the statistics keep working
while a replica is down. This process then leaves it alone for DOWN_FOR_SECONDS (what one
process saw, so nothing the app depends on; each process finds out for itself).
"""

import functools
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Model
from django.http import FileResponse, StreamingHttpResponse

DEFAULT = "default"

# The replica chosen for the current scope (one per request, so a page reads one snapshot).
_replica: ContextVar[str | None] = ContextVar("nrmm_replica", default=None)

# Apps and models that are read from the primary whatever the scope.
PRIMARY_ONLY_APPS = frozenset({"sessions", "accounts", "auth", "django_tasks_database"})
PRIMARY_ONLY_MODELS = frozenset({"core.ratecounter", "core.idempotentrequest", "core.audithead"})

F = TypeVar("F", bound=Callable[..., Any])

DOWN_FOR_SECONDS = 30
_down_until: dict[str, float] = {}  # alias -> time.monotonic() until which it is passed over

logger = logging.getLogger(__name__)


def replicas() -> list[str]:
    return list(getattr(settings, "NRMM_REPLICA_DATABASES", []))


def _reachable(alias: str) -> bool:
    """Connect to the replica now (or check a kept connection, as its first query in this
    request would), so that a dead one is found before the view reads, not in the middle."""
    if _down_until.get(alias, 0.0) > time.monotonic():
        return False
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as error:
        _down_until[alias] = time.monotonic() + DOWN_FOR_SECONDS
        logger.warning(
            "read replica %s unreachable, reading from elsewhere for %s s: %s",
            alias,
            DOWN_FOR_SECONDS,
            str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
        )
        return False
    return True


def choose_replica() -> str | None:
    """A reachable replica in random order (spreading the load), or None: the primary."""
    candidates = replicas()
    random.shuffle(candidates)
    return next((alias for alias in candidates if _reachable(alias)), None)


@contextmanager
def replica_scope() -> Iterator[str | None]:
    """Reads in this block may go to one replica (chosen now), if any is reachable."""
    token = _replica.set(choose_replica())
    try:
        yield _replica.get()
    finally:
        _replica.reset(token)


def _streamed_in_scope(chunks: Iterable[Any], alias: str | None) -> Iterator[Any]:
    # A streamed export reads its rows while it is sent, after the view has returned: each
    # step of the iterator runs in the scope again.
    iterator = iter(chunks)
    while True:
        token = _replica.set(alias)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _replica.reset(token)
        yield chunk


def replica_ok(view: F) -> F:
    """Mark a view (or a django-ninja operation, through ninja's decorate_view) as content
    with reads a moment old: its reads may go to a replica."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with replica_scope() as alias:
            response = view(*args, **kwargs)
        if (
            isinstance(response, StreamingHttpResponse)
            and not isinstance(response, FileResponse)  # a file reads no rows as it is sent
            and alias is not None
            and not response.is_async
        ):
            content = response.streaming_content
            assert isinstance(content, Iterator)
            response.streaming_content = _streamed_in_scope(content, alias)
        return response

    return wrapper  # type: ignore[return-value]


def _in_transaction() -> bool:
    # Atomic blocks opened by Django's TestCase around each test are not the app's.
    blocks = connections[DEFAULT].atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def _primary_only(model: type[Model]) -> bool:
    meta = model._meta
    return meta.app_label in PRIMARY_ONLY_APPS or meta.label_lower in PRIMARY_ONLY_MODELS


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: see the module's docstring."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        alias = _replica.get()
        if alias is None or _primary_only(model) or _in_transaction():
            return DEFAULT
        return alias

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # A replica holds the primary's rows: objects read from either may be related.
        same = {DEFAULT, *replicas()}
        if obj1._state.db in same and obj2._state.db in same:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # Only the primary is migrated; every other alias is a replica (or, in tests, a
        # mirror of the test database), which copies the primary.
        return db == DEFAULT
