"""GET /healthz, the load balancer's health check."""

import pytest
from django.db import DatabaseError
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthy_over_plain_http_even_when_https_is_required(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    # Every other page is still sent to HTTPS.
    assert Client().get("/check/").status_code == 301


def test_unhealthy_without_the_database(monkeypatch):
    from core import health

    class Broken:
        def cursor(self):
            raise DatabaseError("connection refused")

    monkeypatch.setattr(health, "connections", {"default": Broken()})
    response = Client().get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "unreachable"
