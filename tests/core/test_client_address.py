"""Who the rate limits count (found in review): behind a trusted load balancer, the client
from X-Forwarded-For, never what a client writes itself; IPv6 by /64; oversized bodies
refused before they are read."""

import ipaddress

import pytest
from django.test import Client, RequestFactory

from core.ratelimit import client_address

PROXY = [ipaddress.ip_network("10.0.0.0/8")]


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "counted"),
    [
        ("203.0.113.7", "", [], "203.0.113.7"),  # no proxy
        ("203.0.113.7", "198.51.100.1", [], "203.0.113.7"),  # untrusted peer: header ignored
        ("10.0.0.5", "198.51.100.1", PROXY, "198.51.100.1"),  # the balancer's client
        ("10.0.0.5", "1.2.3.4, 198.51.100.1", PROXY, "198.51.100.1"),  # a forged left part
        ("10.0.0.5", "198.51.100.1, 10.0.0.9", PROXY, "198.51.100.1"),  # two balancers
        ("10.0.0.5", "", PROXY, "10.0.0.5"),
        ("2001:db8:1:2:3:4:5:6", "", [], "2001:db8:1:2::/64"),  # one subscriber's /64
        ("", "", [], "unknown"),
    ],
)
def test_client_address(settings, peer, forwarded, trusted, counted):
    settings.NRMM_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == counted


@pytest.mark.django_db
def test_oversized_bodies_are_refused_before_reading(settings):
    settings.NRMM_MAX_REQUEST_BYTES = 2048
    big = "x" * 4096
    page = Client().post("/report/", {"description": big})
    assert page.status_code == 413 and "提交的内容过大" in page.content.decode()
    api = Client().post("/api/v1/reports", {"description": big}, content_type="application/json")
    assert api.status_code == 413 and api.json()["error"]["code"] == "request_too_large"
    small = Client().post("/report/", {"description": "x"})
    assert small.status_code != 413
