"""Public verification (Art. 15, 17): anyone checks a number or scans a card's QR code.

/v/<number>/<proof>/ is what the card's QR code opens: the signature is checked first, then
the platform's record. /v/<number>/ and /check/ are typed look-ups, rate limited per address
so that the register cannot be harvested by enumerating numbers.
"""

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.constants import Role
from core.dbrouter import replica_ok
from core.http import jpeg_response
from core.ratelimit import client_address, hit, retry_after, too_often
from registry.verification import (
    CardCheck,
    CardOutcome,
    NumberFormatError,
    PublicFacts,
    card_and_facts,
    facts_for,
    parse_typed,
    public_photo_file,
)

# Scans carry an unguessable signature, so they may come faster than typed look-ups.
SCAN_FACTOR = 4
CHECKERS = (Role.INSPECTOR, Role.CLERK, Role.REVIEWER)


def _limited(request: HttpRequest, kind: str, factor: int = 1) -> HttpResponse | None:
    limit = settings.NRMM_PUBLIC_LOOKUPS_PER_MINUTE * factor
    key = f"verify:{kind}:{client_address(request)}"
    if hit(key, limit=limit):
        return None
    wait = retry_after(key, limit=limit)
    response = render(request, "verify/lookup.html", {"error": too_often(wait)}, status=429)
    response["Retry-After"] = str(wait)
    return response


def _bad_number(request: HttpRequest, error: str, text: str) -> HttpResponse:
    return render(request, "verify/lookup.html", {"error": error, "number": text}, status=400)


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """The typed look-up form; a valid number goes to its page."""
    text = request.GET.get("number", "").strip()
    if not text:
        return render(request, "verify/lookup.html", {})
    try:
        short = parse_typed(text)
    except NumberFormatError as exc:
        return render(
            request, "verify/lookup.html", {"error": str(exc), "number": text}, status=400
        )
    return redirect("verify:number", number=short)


@require_GET
@replica_ok
def number(request: HttpRequest, number: str) -> HttpResponse:
    limited = _limited(request, "number")
    if limited:
        return limited
    try:
        short = parse_typed(number)
    except NumberFormatError as exc:
        return render(
            request, "verify/lookup.html", {"error": str(exc), "number": number}, status=400
        )
    if short != number:
        return redirect("verify:number", number=short)
    return _result(request, short, None, facts_for(short))


@require_GET
@replica_ok
def card(request: HttpRequest, number: str, proof: str) -> HttpResponse:
    limited = _limited(request, "scan", SCAN_FACTOR)
    if limited:
        return limited
    return _result(request, number, *card_and_facts(number, proof))


@require_GET
@replica_ok
def photo(request: HttpRequest, number: str, key: str) -> FileResponse:
    found = public_photo_file(number, key)
    if found is None:
        raise Http404
    return jpeg_response(found.file, public=True)


def _result(
    request: HttpRequest, short: str, card_check: CardCheck | None, facts: PublicFacts | None
) -> HttpResponse:
    # A card that is not genuine shows no facts (card_and_facts gives none): the number on
    # a forgery may be real, and showing its machine would lend the forgery credibility.
    user = request.user
    checker = user.is_authenticated and getattr(user, "role", None) in CHECKERS
    card_param = "unsigned"
    if card_check is not None:
        card_param = "genuine" if card_check.outcome == CardOutcome.VALID else "not_genuine"
    status = 404 if facts is None and card_check is None else 200
    return render(
        request,
        "verify/result.html",
        {
            "short": short,
            "facts": facts,
            "card": card_check,
            "checker": checker,
            "card_param": card_param,
        },
        status=status,
    )
