"""The routes of the URLconf, with the HTTP methods and body kind of each django-ninja
operation: what tests that must cover every route (the object-level access matrix, the
Idempotency-Key classification) walk, so that a new route without a rule fails them."""

from collections.abc import Container
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Found:
    name: str
    params: frozenset[str]
    api_methods: tuple[str, ...]  # empty for Django views
    api_body: str  # "", "json" or "multipart"


def _ninja_operations(callback: Any) -> list[Any]:
    """The operations behind a django-ninja URL pattern (its PathView, held by the view's
    closure), or [] for a plain Django view."""
    for cell in getattr(callback, "__closure__", None) or ():
        path_view = cell.cell_contents
        if hasattr(path_view, "operations"):
            return list(path_view.operations)
    return []


def walk_urlconf(*, exempt_namespaces: Container[str] = ()) -> dict[str, Found]:
    found: dict[str, Found] = {}

    def walk(patterns: list[Any], namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(filter(None, [namespace, p.namespace])) if p.namespace else namespace
                walk(p.url_patterns, ns)
                continue
            assert isinstance(p, URLPattern)
            name = f"{namespace}:{p.name}" if namespace else str(p.name)
            params = frozenset(p.pattern.regex.groupindex)
            operations = _ninja_operations(p.callback)
            methods: list[str] = []
            body = ""
            for op in operations:
                methods += [m.lower() for m in op.methods]
                sources = {model.__ninja_param_source__ for model in op.models}
                if sources & {"form", "file"}:
                    body = "multipart"
                elif "body" in sources and not body:
                    body = "json"
            previous = found.get(name)
            if previous is not None:
                methods = list(previous.api_methods) + methods
            found[name] = Found(name, params, tuple(methods), body)

    walk(get_resolver().url_patterns, "")
    return {name: f for name, f in found.items() if name.split(":")[0] not in exempt_namespaces}
