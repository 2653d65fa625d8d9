"""Small response and request helpers shared by the pages and the API."""

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import User
from core.errors import ActionError, FieldErrors
from core.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE
from core.xlsx import Cell, stream_xlsx


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


def id_number_response(
    request: HttpRequest, *, person: User, number: str, base_template: str, fallback: str
) -> HttpResponse:
    """A revealed ID number (accounts.actions.reveal_id_number): the fragment htmx swaps in
    for the masked one, or, without JavaScript, a page of its own with a way back. Never
    cached, by the browser or anything between."""
    context: dict[str, Any] = {"person": person, "number": number}
    if request.headers.get("HX-Request"):
        response = render(request, "includes/id_number_full.html", context)
    else:
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = fallback
        context |= {"base_template": base_template, "back": back}
        response = render(request, "id_number.html", context)
    add_never_cache_headers(response)
    return response


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


def xlsx_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    title: str = "Sheet1",
) -> StreamingHttpResponse:
    """A streamed xlsx download (core.xlsx): rows are read as the file is sent, so a list of
    any length leaves memory flat. `filename` may be Chinese (RFC 6266 filename*)."""
    response = StreamingHttpResponse(
        stream_xlsx(header, rows, title=title), content_type=XLSX_CONTENT_TYPE
    )
    ascii_name = filename.encode("ascii", "ignore").decode().strip() or "export.xlsx"
    if not ascii_name.endswith(".xlsx") or ascii_name.startswith("."):
        ascii_name = "export.xlsx"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


API_PAGE_SIZE = 50
API_MAX_LIMIT = 500


def api_page(rows: Any, page: int | None, limit: int | None, *, cap: int | None = None) -> Any:
    """One page of an API list: `?page=` (from 1) and `?limit=` (1 to API_MAX_LIMIT,
    API_PAGE_SIZE when only the page is given), in the list's own order. Without either the
    list is answered as before (the first `cap` rows, or all), so older clients keep
    working; a page shorter than the limit is the last."""
    if page is None and limit is None:
        return rows if cap is None else rows[:cap]
    from django.utils.translation import gettext as _

    size = API_PAGE_SIZE if limit is None else limit
    if not 1 <= size <= API_MAX_LIMIT:
        raise ActionError(
            "bad_limit", _("每页条数须在1到%(n)s之间") % {"n": API_MAX_LIMIT}, field="limit"
        )
    number = 1 if page is None else page
    if number < 1:
        raise ActionError("bad_page", _("页码须为正整数"), field="page")
    start = (number - 1) * size
    return rows[start : start + size]
