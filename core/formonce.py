"""One-time form keys for the pages that create something (a declaration started, a counter
intake, a spot check, a public report): a double tap, or a phone resending the form after
its answer was lost, lands on what the first submission made instead of making it twice.

The form carries a random key (hidden input `form_key`, from `key_for`). The first
successful POST records the key and the address it led to, in the same transaction as the
work (core.models.IdempotentRequest, as the API's Idempotency-Key does); another POST with
that key is sent to the same address. A POST that fails (bad input) records nothing, so the
form shown again with its errors keeps its key and can be sent again. Without a key (an old
page, a script) the work is simply done.
"""

import hashlib
import re
import secrets
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.models import User
from core.errors import ActionError
from core.models import IdempotentRequest

FIELD = "form_key"
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _submitted(request: HttpRequest) -> str:
    value = request.POST.get(FIELD, "") if request.method == "POST" else ""
    return value if _KEY.fullmatch(value) else ""


def key_for(request: HttpRequest) -> str:
    """The key to put in the form: the one it was sent with (shown again with errors), or
    a new one."""
    return _submitted(request) or secrets.token_urlsafe(16)


class _Taken(Exception):
    """Another copy of the form committed its key first."""


def run_once(request: HttpRequest, user: User | None, make: Callable[[], str]) -> tuple[str, bool]:
    """`make` does the work and returns what the page needs to answer (the address to go
    to, a report's code). Returns that and False, or, for a key already used on this page
    (by this user; None: the public, whose random keys are theirs alone), the first
    submission's and True (nothing done). An ActionError from `make` records no key and is
    raised again.

    The key is written after the work, in its transaction: on PostgreSQL the work (photos
    re-encoded, say) takes no lock before its own writes, and of two copies racing, the
    second to write the key waits for the first, fails on its unique row and is rolled back
    whole. (SQLite takes its one write lock when the transaction begins: copies queue.)"""
    key = _submitted(request)
    if not key:
        return make(), False
    record = f"form:{key}"
    page = hashlib.sha256(request.path.encode()).hexdigest()
    stored = _stored(user, record, page)
    if stored is not None:
        return stored, True
    url, refused = "", None
    try:
        with transaction.atomic():
            try:
                url = make()
            except ActionError as error:
                # Refused: the action undid its work; what it counted on purpose (a wrong
                # SMS code) is committed, as it would be without a key. No key is kept.
                refused = error
            else:
                try:
                    with transaction.atomic():
                        IdempotentRequest.objects.create(
                            user=user,
                            key=record,
                            fingerprint=page,
                            status=303,
                            content_type="text/uri-list",
                            body=url.encode(),
                        )
                except IntegrityError:
                    raise _Taken from None
    except _Taken:
        stored = _stored(user, record, page)
        if stored is None:  # the key of another page: this form's work is done plainly
            return make(), False
        return stored, True
    if refused is not None:
        raise refused
    IdempotentRequest.sweep_now_and_then()
    return url, False


def _stored(user: User | None, record: str, page: str) -> str | None:
    row = IdempotentRequest.objects.filter(user=user, key=record, fingerprint=page).first()
    return bytes(row.body).decode() if row is not None and row.body else None
