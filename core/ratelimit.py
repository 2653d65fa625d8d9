"""Rate limits kept in the database, so every app process (and every machine behind the
load balancer) counts the same hits; no per-process memory.

Hits are counted per key in fixed windows, and a limit is checked against a sliding
estimate: this window's hits plus the previous window's in the share of it that is still
inside the last `window_seconds` (rounded up). A fixed window alone forgets everything at
its boundary, so five wrong passwords typed across 10:15:00 would lock nothing and twice
the limit could be spent in two seconds; the estimate closes that without a row per hit.

One statement per hit: INSERT ... ON CONFLICT (key, window) DO UPDATE SET hits = hits + 1
RETURNING hits and, by a subquery, the previous window's hits (PostgreSQL, and SQLite from
3.35). The conflict arbiter takes the row lock, so concurrent hits on one key are counted
exactly, without a separate transaction or read.
"""

import ipaddress
import random
import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from core.models import RateCounter


def weighted_hits(current: int, previous: int, elapsed: int, window: int) -> int:
    """The hits of the last `window` seconds, estimated `elapsed` seconds into the current
    window: all of its `current` hits plus the `previous` window's in proportion to the
    part of it still inside the last `window` seconds, rounded up (never forgiving)."""
    return current + -(-previous * (window - elapsed) // window)


def seconds_until_below(current: int, previous: int, elapsed: int, window: int, limit: int) -> int:
    """With no further hits, seconds until weighted_hits is below `limit` (0: it is now)."""
    if weighted_hits(current, previous, elapsed, window) < limit:
        return 0
    if current >= limit:
        # Not in this window; in the next one, this window's hits are the previous ones:
        # ceil(current * (window - e) / window) <= limit - 1 from e = window - floor(...).
        return window - elapsed + window - (limit - 1) * window // current
    # In this window, once the previous window's share is down to what is left.
    return window - (limit - 1 - current) * window // previous - elapsed


def hit(key: str, *, limit: int, window_seconds: int = 60) -> bool:
    """Count one hit; True while the key's sliding estimate is within its limit."""
    now = int(time.time())
    elapsed = now % window_seconds
    window = now - elapsed
    key = key[:120]
    with connection.cursor() as cursor:
        # Autocommit (outside a transaction): the count is committed at once, as the old
        # UPDATE was; inside one (tests, a caller's atomic block) it joins it.
        cursor.execute(
            'INSERT INTO "core_ratecounter" ("key", "window", "hits") VALUES (%s, %s, 1) '
            'ON CONFLICT ("key", "window") DO UPDATE '
            'SET "hits" = "core_ratecounter"."hits" + 1 RETURNING "hits", '
            '(SELECT "p"."hits" FROM "core_ratecounter" "p" '
            'WHERE "p"."key" = %s AND "p"."window" = %s)',
            [key, window, key, window - window_seconds],
        )
        hits, previous = cursor.fetchone()
    if random.random() < 0.01:  # housekeeping: drop windows older than a day
        RateCounter.objects.filter(window__lt=now - 86400).delete()
    return weighted_hits(int(hits), int(previous or 0), elapsed, window_seconds) <= limit


def seconds_blocked(key: str, *, limit: int, window_seconds: int) -> int:
    """Without counting a hit: how long until the key may go on, 0 while its sliding
    estimate is below `limit`."""
    now = int(time.time())
    elapsed = now % window_seconds
    window = now - elapsed
    counts = dict(
        RateCounter.objects.filter(
            key=key[:120], window__in=(window, window - window_seconds)
        ).values_list("window", "hits")
    )
    return seconds_until_below(
        counts.get(window, 0),
        counts.get(window - window_seconds, 0),
        elapsed,
        window_seconds,
        limit,
    )


def retry_after(key: str, *, limit: int, window_seconds: int = 60) -> int:
    """For a refused hit's answer (Retry-After, "try again in N minutes"): the seconds until
    the next hit on `key` will be within `limit`, at least 1."""
    return max(1, seconds_blocked(key, limit=limit, window_seconds=window_seconds))


def minutes(seconds: int) -> int:
    """A wait in whole minutes for people to read, rounded up, at least 1."""
    return max(1, -(-seconds // 60))


def too_often(seconds: int) -> str:
    """The look-up pages' and API's message for a refused hit."""
    from django.utils.translation import gettext as _

    return _("查询过于频繁，请%(m)s分钟后再试") % {"m": minutes(seconds)}


def client_address(request: HttpRequest) -> str:
    """The client the rate limits count: the connection's peer, unless that is one of
    settings.NRMM_TRUSTED_PROXIES (the load balancer), then the right-most address of
    X-Forwarded-For that is not a trusted proxy (what a client writes further left is not
    believed). IPv6 clients are counted by their /64, which one subscriber holds whole."""
    peer = str(request.META.get("REMOTE_ADDR") or "")
    if _trusted(peer):
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
        for candidate in reversed([p.strip() for p in forwarded.split(",") if p.strip()]):
            if not _trusted(candidate):
                peer = candidate
                break
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return peer or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.NRMM_TRUSTED_PROXIES)
