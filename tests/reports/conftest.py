"""Fixtures of the reports tests: a fixed moment, the district staff of 浦东 (L) who handle
reports seen there, and no random housekeeping in the rate limiter."""

from types import SimpleNamespace

import pytest
import time_machine

from accounts.constants import Role
from core import ratelimit
from tests.conftest import make_user
from tests.reports.helpers import NOW


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def no_housekeeping(monkeypatch):
    # core.ratelimit drops old windows on 1% of hits: an extra query now and then.
    monkeypatch.setattr(ratelimit, "random", SimpleNamespace(random=lambda: 0.5))


@pytest.fixture
def clerk_l(db):
    return make_user("13900000021", "浦东窗口", role=Role.CLERK, district="L")
