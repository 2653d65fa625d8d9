"""Public verification under load: the QR page a card's code opens (/v/<number>/<proof>,
signature checked, then the record) and the API look-up of a typed number, against a bare
Django view returning a constant (/bench/floor/) served by the same gunicorn.

    DATABASE_URL=... .venv/bin/python bench/verify.py
"""

from __future__ import annotations

import random
from urllib.parse import quote

from common import Load, load, main, phone_address, row, server

THREADS = 8
PER_THREAD = 400
LATENCY_REQUESTS = 300
MAX_SECONDS = 15.0
CARDS = 500


def _signed_cards() -> list[str]:
    """The paths of CARDS genuine cards of valid machines, signed here (the generator
    leaves cards unsigned unless asked: Ed25519 per card is slow at a million)."""
    from django.conf import settings

    from registry.constants import CredentialStatus
    from registry.models import Credential
    from rules.cardsig import Claim, proof, sign

    keys = settings.NRMM_CARD_KEYS
    credentials = list(
        Credential.objects.exclude(status=CredentialStatus.REVOKED)
        .select_related("registration")
        .order_by("?")[:CARDS]
    )
    paths = []
    for credential in credentials:
        claim = Claim(credential.registration.short_number, credential.issue, keys.active_kid)
        credential.kid = keys.active_kid
        credential.signature = sign(claim, keys.active)
        credential.save(update_fields=["kid", "signature"])
        short = quote(claim.short_number, safe="")
        paths.append(f"/v/{short}/{proof(claim, credential.signature)}")
    return paths


def _numbers(n: int) -> list[str]:
    from registry.models import Registration

    return list(Registration.objects.order_by("?").values_list("short_number", flat=True)[:n])


def _requests(paths: list[str]):
    def request(t: int, i: int) -> tuple[str, str, None, dict[str, str]]:
        headers = {"X-Forwarded-For": phone_address(t, i)}
        return ("GET", paths[(t * 7919 + i) % len(paths)], None, headers)

    return request


def _run(url: str, paths: list[str]) -> tuple[Load, Load]:
    """Latency with one client at a time (what a person scanning waits), throughput with
    THREADS clients at once (the server saturated)."""
    latency = load(
        url, _requests(paths), threads=1, per_thread=LATENCY_REQUESTS, max_seconds=MAX_SECONDS
    )
    throughput = load(
        url, _requests(paths), threads=THREADS, per_thread=PER_THREAD, max_seconds=MAX_SECONDS
    )
    return latency, throughput


def _summary(latency: Load, throughput: Load) -> str:
    return (
        f"p50 {latency.p(50) * 1000:.1f} ms, p99 {latency.p(99) * 1000:.1f} ms (one client); "
        f"{throughput.rps:,.0f} req/s ({THREADS} clients, their p50 "
        f"{throughput.p(50) * 1000:.0f} ms)"
    )


def measure(machines: int) -> list[dict[str, str]]:
    cards = _signed_cards()
    numbers = _numbers(CARDS)
    random.Random(7).shuffle(cards)
    api_paths = [f"/api/v1/verify?number={quote(n, safe='')}" for n in numbers]
    floor_paths = ["/bench/floor/"]
    with server() as url:
        # Warm every worker (imports, connections) before anything is timed.
        load(url, _requests(floor_paths), threads=THREADS, per_thread=20)
        load(url, _requests(cards), threads=THREADS, per_thread=5)
        load(url, _requests(api_paths), threads=THREADS, per_thread=5)
        floor = _run(url, floor_paths)
        page = _run(url, cards)
        api = _run(url, api_paths)
    rows = []
    for what, (latency, throughput) in (
        ("QR page /v/<number>/<proof>", page),
        ("API GET /api/v1/verify?number=", api),
    ):
        failures = []
        for result in (latency, throughput):
            if not result.ok(200):
                failures.append(f"answers {dict(result.statuses)}")
        if throughput.rps < 0.5 * floor[1].rps:
            failures.append(f"{throughput.rps / floor[1].rps:.0%} of the floor's throughput")
        if latency.p(99) > 0.020:
            failures.append(f"p99 {latency.p(99) * 1000:.0f} ms")
        rows.append(
            row(
                f"public verification: {what}",
                _summary(latency, throughput),
                "bare view: " + _summary(*floor),
                "≥ 50 % of the floor's req/s; p99 ≤ 20 ms",
                failures,
            )
        )
    return rows


if __name__ == "__main__":
    main(measure)
