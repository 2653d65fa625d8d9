"""One wizard step on a phone: each step page of a draft declaration (/declarations/<id>/
step/1..4/) fetched over HTTP as its owner with a phone's User-Agent, plus every stylesheet,
script and image it references (and what the stylesheets reference): bytes as gzip would
send them (each file compressed here at level 6, as a front proxy does), requests, and any
reference to another host. The heaviest step is reported.
"""

from __future__ import annotations

import gzip
import http.client
import re
import urllib.parse

from common import main, row, server, session_cookie

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)
REFERENCE = re.compile(
    r"""<(?:link|script|img|source|iframe)\b[^>]*?\b(?:href|src)=["']([^"']+)["']""", re.I
)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")
BUDGET = 100 * 1024


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def _fetch(url: str, path: str, cookie: str) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie, "User-Agent": PHONE_UA})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def _static_bytes(path: str) -> bytes | None:
    """A /static/ file read where collectstatic would find it (the server that serves
    static files in production is not the app)."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    prefix = "/" + settings.STATIC_URL.lstrip("/")
    if not path.startswith(prefix):
        return None
    found = finders.find(urllib.parse.unquote(path[len(prefix) :]))
    if not found:
        return None
    with open(found if isinstance(found, str) else found[0], "rb") as f:
        return f.read()


def _draft() -> tuple[int, object]:
    from registry.constants import DeclarationStatus
    from registry.models import Declaration
    from registry.steps import OTHER

    draft = (
        Declaration.objects.filter(status=DeclarationStatus.DRAFT, owner__kind="person")
        .select_related("owner")
        .order_by("pk")
        .first()
    )
    if draft is None:
        raise RuntimeError("no draft declaration: run generate_data first")
    # Every step open (steps open in order once the earlier ones are saved).
    Declaration.objects.filter(pk=draft.pk).update(step=OTHER)
    return draft.pk, draft.owner


def _step(url: str, path: str, cookie: str) -> tuple[int, int, list[str], list[str]]:
    """(gzip bytes, requests, other hosts referenced, problems) of one page and its assets."""
    status, html = _fetch(url, path, cookie)
    problems = [] if status == 200 else [f"{path} answered {status}"]
    total, requests, foreign = _gz(html), 1, []
    queue = REFERENCE.findall(html.decode("utf-8", "replace"))
    seen: set[str] = set()
    while queue:
        ref = queue.pop(0)
        if ref.startswith("data:") or ref in seen:
            continue
        seen.add(ref)
        parsed = urllib.parse.urlsplit(ref)
        if parsed.netloc and parsed.netloc not in ("127.0.0.1", "localhost"):
            foreign.append(parsed.netloc)
            continue
        data = _static_bytes(parsed.path)
        if data is None:
            status, data = _fetch(url, parsed.path, cookie)
            if status != 200:
                problems.append(f"{ref} answered {status}")
        requests += 1
        total += _gz(data)
        if parsed.path.endswith(".css"):
            base = parsed.path.rsplit("/", 1)[0] + "/"
            queue += [
                urllib.parse.urljoin(base, u)
                for u in CSS_URL.findall(data.decode("utf-8", "replace"))
            ]
    return total, requests, foreign, problems


def measure(machines: int) -> list[dict[str, str]]:
    from registry.steps import BASIC, OTHER

    pk, owner = _draft()
    cookie = session_cookie(owner)
    results = {}
    with server() as url:
        for step in range(BASIC, OTHER + 1):
            results[step] = _step(url, f"/declarations/{pk}/step/{step}/", cookie)
    heaviest = max(results, key=lambda s: results[s][0])
    size, requests, _foreign, _problems = results[heaviest]
    all_foreign = sorted({h for r in results.values() for h in r[2]})
    all_problems = [p for r in results.values() for p in r[3]]
    failures = list(all_problems)
    if size > BUDGET:
        failures.append(f"{size / 1024:.0f} KB")
    if all_foreign:
        failures.append("third-party hosts: " + ", ".join(all_foreign))
    steps = ", ".join(f"step {s}: {r[0] / 1024:.1f} KB/{r[1]} req" for s, r in results.items())
    return [
        row(
            "one wizard step on a phone (heaviest of steps 1-4)",
            f"{size / 1024:.1f} KB gzip in {requests} requests (step {heaviest}); "
            f"{len(all_foreign)} third-party requests ({steps})",
            "—",
            "≤ 100 KB gzip, no third-party requests",
            failures,
        )
    ]


if __name__ == "__main__":
    main(measure)
