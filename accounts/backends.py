from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest

from accounts import throttle
from accounts.models import User, id_number_hash
from core import fieldcrypt
from rules.identifiers import check_mobile

UNKNOWN_LOGIN_PURPOSE = "accounts.login.unknown_identifier"


def normalise_identifier(identifier: str) -> str:
    """Phone numbers may be typed with +86 or spaces; ID numbers with a lower-case x."""
    phone = check_mobile(identifier)
    if phone.ok:
        return phone.value
    return "".join(identifier.split()).upper()


class IdentifierBackend(ModelBackend):
    """Log in with a phone number, an ID number or a unified social credit code."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        value = normalise_identifier(username)
        candidates = list(
            User.objects.filter(
                Q(phone=value) | Q(id_number_hash=id_number_hash(value)) | Q(credit_code=value)
            )
        )
        # Failures count against the account, whichever of its identifiers was typed; an
        # identifier nobody has is counted by its keyed hash: what was typed may be
        # someone's ID number, and the counters are no place to keep it.
        account = (
            f"user:{candidates[0].pk}"
            if candidates
            else f"unknown:{fieldcrypt.ring().digest(value, purpose=UNKNOWN_LOGIN_PURPOSE)}"
        )
        if request is not None:
            wait = throttle.locked_for(request, account)
            if wait:
                # The login views read this to say how long; PermissionDenied stops
                # Django's authenticate() from asking any other backend.
                request.login_locked_for = wait  # type: ignore[attr-defined]
                raise PermissionDenied
        for user in candidates:
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
        # Spend the time a real check would, so timing does not tell who is registered.
        User().set_password(password)
        if request is not None:
            throttle.failed(request, account)
        return None
