"""Small response and request helpers shared by the pages and the API."""

from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse

from accounts.models import User
from core.errors import ActionError, FieldErrors


def current_user(request: HttpRequest) -> User:
    """The signed-in user (AccessMiddleware has already refused anyone else)."""
    user = request.user
    assert isinstance(user, User)
    return user


def form_errors(exc: ActionError) -> dict[str, str]:
    """An action's refusal as {field: message} for a form."""
    if isinstance(exc, FieldErrors):
        return exc.errors
    return {exc.field or "form": exc.message}


def jpeg_response(file: Any, *, public: bool = False) -> FileResponse:
    """A stored photo (always re-encoded JPEG), never sniffed as anything else; private to
    the viewer's browser unless it is one of the public verification photos."""
    response = FileResponse(file.open("rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = f"{'public' if public else 'private'}, max-age=3600"
    return response


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
