"""Fixed-window rate limits kept in the database, so every app process (and every machine
behind the load balancer) counts the same hits; no per-process memory.

One statement per hit: INSERT ... ON CONFLICT (key, window) DO UPDATE SET hits = hits + 1
RETURNING hits (PostgreSQL, and SQLite from 3.35). The conflict arbiter takes the row lock, so
concurrent hits on one key are counted exactly, without a separate transaction or read.
"""

import ipaddress
import random
import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from core.models import RateCounter


def hit(key: str, *, limit: int, window_seconds: int = 60) -> bool:
    """Count one hit; True while the key is within its limit for the current window."""
    now = int(time.time())
    window = now - now % window_seconds
    key = key[:120]
    with connection.cursor() as cursor:
        # Autocommit (outside a transaction): the count is committed at once, as the old
        # UPDATE was; inside one (tests, a caller's atomic block) it joins it.
        cursor.execute(
            'INSERT INTO "core_ratecounter" ("key", "window", "hits") VALUES (%s, %s, 1) '
            'ON CONFLICT ("key", "window") DO UPDATE '
            'SET "hits" = "core_ratecounter"."hits" + 1 RETURNING "hits"',
            [key, window],
        )
        hits = cursor.fetchone()[0]
    if random.random() < 0.01:  # housekeeping: drop windows older than a day
        RateCounter.objects.filter(window__lt=now - 86400).delete()
    return int(hits) <= limit


def seconds_blocked(key: str, *, limit: int, window_seconds: int) -> int:
    """Without counting a hit: how long until the key may go on, 0 while it has fewer than
    `limit` hits in the current window."""
    now = int(time.time())
    window = now - now % window_seconds
    hits = (
        RateCounter.objects.filter(key=key[:120], window=window)
        .values_list("hits", flat=True)
        .first()
    )
    return window + window_seconds - now if (hits or 0) >= limit else 0


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
