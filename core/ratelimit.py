"""Fixed-window rate limits kept in the database, so every app process (and every machine
behind the load balancer) counts the same hits; no per-process memory.

One UPDATE ... SET hits = hits + 1 per hit; the row is created on the window's first hit.
"""

import random
import time

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest

from core.models import RateCounter


def hit(key: str, *, limit: int, window_seconds: int = 60) -> bool:
    """Count one hit; True while the key is within its limit for the current window."""
    now = int(time.time())
    window = now - now % window_seconds
    key = key[:120]
    updated = RateCounter.objects.filter(key=key, window=window).update(hits=F("hits") + 1)
    if not updated:
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key, window=window, hits=1)
        except IntegrityError:  # another process created it first
            RateCounter.objects.filter(key=key, window=window).update(hits=F("hits") + 1)
    hits = RateCounter.objects.filter(key=key, window=window).values_list("hits", flat=True)
    if random.random() < 0.01:  # housekeeping: drop windows older than a day
        RateCounter.objects.filter(window__lt=now - 86400).delete()
    return (hits.first() or 0) <= limit


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
    """The client's address as the server saw it (deployments behind a proxy set
    REMOTE_ADDR from the proxy's header in the proxy itself or in gunicorn's
    --forwarded-allow-ips, not here, so that clients cannot forge it)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")
