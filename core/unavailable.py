"""A lost database (PostgreSQL restarting, a connection cut) answers 503 with Retry-After,
never a bare 500: the client knows to try again, and the API says so in its error shape.

Two places catch it: the API's exception handler (api/api.py) for errors inside an
endpoint, and `server_error` (the project's handler500) for errors anywhere else, in the
middleware too (token look-up, sessions, the idempotency record). The next request opens a
fresh connection (CONN_HEALTH_CHECKS in nrmm/env.py), so nothing needs restarting."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

# OperationalError: the server went away, refused the connection, or cut the transaction
# (a restart, a deadlock victim); InterfaceError: the connection was already closed.
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def db_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 for the API (JSON) or a page (a plain Chinese page that needs no database). An
    idempotent operation retried with the same Idempotency-Key gets the first answer if the
    first try did commit before the connection was lost."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        message = _("系统暂时无法访问数据库，请稍后重试")
        response = JsonResponse(
            {"error": {"code": "db_unavailable", "message": message}}, status=503
        )
    else:
        # No RequestContext: its context processors might query the database.
        page = loader.get_template("503.html").render()
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while handling the exception, so sys.exc_info() is it."""
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return db_unavailable_response(request)
    return defaults.server_error(request)
