"""The load balancer's health check: GET /healthz answers 200 while this app server can
reach the primary database, 503 otherwise (the balancer then stops sending it requests).
It reads nothing else: object storage and the replicas are checked by their own
monitoring, so that one slow dependency does not take every app server out at once."""

from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})
