"""Fixtures of the changes tests: a Monday inside the holiday table, an approved machine of
张三 in 浦东 (L), and the district's counter clerk."""

import pytest
import time_machine

from accounts.constants import Role
from registry.models import Registration
from tests.changes.helpers import TODAY, approved
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def clerk_l(db):
    return make_user("13900000021", "浦东窗口", role=Role.CLERK, district="L")


@pytest.fixture
def machine(db, owner, reviewer) -> Registration:
    return approved(owner, reviewer)
