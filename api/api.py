"""The JSON API under /api/v1/. Authentication (bearer token) and the role table are
enforced by accounts.middleware before these functions run; the endpoints only call
actions and shape answers. Errors are {"error": {"code", "message", "field"?}}."""

import logging
from typing import Any

from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from api import accounts as accounts_api
from api import changes as changes_api
from api import declarations as declarations_api
from api import inspections as inspections_api
from api import reference as reference_api
from api import registrations as registrations_api
from api import reports as reports_api
from core.errors import ActionError
from core.unavailable import db_unavailable_response
from fleets import api as fleets_api

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    """Describes the bearer scheme in the OpenAPI schema. The middleware has already
    authenticated the token; this only confirms a user is there."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return request.user if request.user.is_authenticated else None


api = NinjaAPI(
    title="NRMM 非道路移动机械环保登记 API",
    version="1",
    description=(
        "Owners, agents and staff use the same API as the pages. Obtain a token with "
        "POST /api/v1/auth/token and send it as `Authorization: Bearer <token>`."
    ),
    urls_namespace="api",
    docs_url="/docs",
)


@api.exception_handler(ActionError)
def action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    response = api.create_response(request, {"error": exc.as_dict()}, status=exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A value the database cannot hold (a number past its integer range, PostgreSQL's
    "value too long") that a schema let through: bad input, never a server error."""
    body = {"error": {"code": "out_of_range", "message": _("提交的数值超出允许范围")}}
    return api.create_response(request, body, status=400)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database went away mid-request (a restart, a cut connection): 503 and
    Retry-After, so the client retries (with its Idempotency-Key where it has one)."""
    logger.warning("database unavailable on %s: %s", request.path, exc)
    return db_unavailable_response(request)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    """Missing and not yours answer alike, in the API's error shape."""
    body = {"error": {"code": "not_found", "message": _("未找到该记录")}}
    return api.create_response(request, body, status=404)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = {}
    for item in exc.errors:
        loc = [str(part) for part in item.get("loc", []) if part not in ("body", "payload")]
        fields[".".join(loc) or "body"] = item.get("msg", "")
    body = {
        "error": {
            "code": "invalid_request",
            "message": _("请求格式不正确，请检查各字段"),
            "fields": fields,
        }
    }
    return api.create_response(request, body, status=422)


api.add_router("/reference", reference_api.router)
api.add_router("/", accounts_api.router)
# Before declarations: "declarations/submit-many" must not be read as "declarations/{pk}".
api.add_router("/", fleets_api.router)
api.add_router("/", declarations_api.router)
api.add_router("/", registrations_api.router)
api.add_router("/", inspections_api.router)
api.add_router("/", changes_api.router)
api.add_router("/", reports_api.router)
