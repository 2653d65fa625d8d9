"""The one view of core: make bench's floor."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse


def bench_floor(request: HttpRequest) -> HttpResponse:
    """A constant answer through the whole middleware stack, the floor bench/verify.py
    compares public verification with; 404 unless NRMM_BENCH_FLOOR is set."""
    if not settings.NRMM_BENCH_FLOOR:
        raise Http404
    return HttpResponse(b"ok", content_type="text/plain")
