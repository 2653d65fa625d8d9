"""Login throttling (OWASP ASVS 2.2.1): wrong passwords are counted per account and per
address over the last NRMM_LOGIN_WINDOW_SECONDS (core.ratelimit's sliding estimate, in the
database); past the limit, logins are refused until the estimate falls below it, even with
the right password. Called by the one authentication backend, so the owners' and staff
login pages, the API's token endpoint and the Django admin are throttled alike. A
locked-out owner can still reset the password by SMS code."""

from django.conf import settings
from django.http import HttpRequest

from core.ratelimit import client_address, hit, minutes, seconds_blocked


def _keys(request: HttpRequest, account: str) -> list[tuple[str, int]]:
    return [
        (f"login:{account}", settings.NRMM_LOGIN_FAILURES_PER_ACCOUNT),
        (f"login:address:{client_address(request)}", settings.NRMM_LOGIN_FAILURES_PER_ADDRESS),
    ]


def locked_for(request: HttpRequest, account: str) -> int:
    """Seconds until this account may be tried again from this address (0: now)."""
    window = settings.NRMM_LOGIN_WINDOW_SECONDS
    return max(
        seconds_blocked(key, limit=limit, window_seconds=window)
        for key, limit in _keys(request, account)
    )


def failed(request: HttpRequest, account: str) -> None:
    for key, limit in _keys(request, account):
        hit(key, limit=limit, window_seconds=settings.NRMM_LOGIN_WINDOW_SECONDS)


def locked_message(seconds: int) -> str:
    from django.utils.translation import gettext as _

    return _("密码错误次数过多，请%(m)s分钟后再试，或通过短信验证码重置密码") % {
        "m": minutes(seconds)
    }
