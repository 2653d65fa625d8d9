from typing import Any

from django.conf import settings
from django.http import HttpRequest

from core.reference import city


def platform(request: HttpRequest) -> dict[str, Any]:
    return {"platform_name": settings.NRMM_PLATFORM_NAME, "city": city()}
