"""Approved machines, spot checks and rectification orders, built through the real actions."""

from datetime import date
from typing import Any

from accounts.models import User
from inspections import actions
from inspections.models import Rectification, SpotCheck
from registry import actions as registry_actions
from registry.models import Registration
from tests.conftest import make_user
from tests.registry.helpers import declare, jpeg

# A Monday inside the holiday table (declarations need review deadlines).
TODAY = "2026-11-23 10:00 +0800"
DUE = date(2026, 12, 7)

GOOD = {
    "location": "浦东新区张江路1号工地",
    "sign_present": True,
    "sign_matches": True,
    "card_present": True,
    "card_check": "genuine",
    "smoke_visible": False,
    "notes": "",
}


def approved(owner: User, reviewer: User, **declare_kwargs: Any) -> Registration:
    """An approved machine of `owner` in the reviewer's district (浦东 L, 国4)."""
    declaration = declare(owner, **declare_kwargs)
    return registry_actions.approve(acting_user=reviewer, declaration=declaration)


def record(
    user: User, registration: Registration | None, *, photos: int = 0, **overrides: Any
) -> SpotCheck:
    values: dict[str, Any] = {**GOOD, **overrides}
    number = values.pop("number", registration.short_number if registration else "")
    return actions.record_spot_check(
        acting_user=user,
        number=number,
        photos=[jpeg(color) for color in ("red", "green", "blue", "white")[:photos]],
        **values,
    )


def failed_check(user: User, registration: Registration) -> SpotCheck:
    """A check that failed for visible smoke only (the machine is registered and valid)."""
    return record(user, registration, smoke_visible=True)


def order(reviewer: User, check: SpotCheck, **overrides: Any) -> Rectification:
    values: dict[str, Any] = {"requirement": "加装颗粒捕集器并复检", "due_date": DUE, **overrides}
    return actions.order_rectification(acting_user=reviewer, spot_check=check, **values)


def pudong_clerk() -> User:
    """A counter clerk of the machine's district (the clerk fixture is of 黄浦 A)."""
    return make_user("13900000021", "浦东窗口", role="clerk", district="L")


def other_inspector() -> User:
    return make_user("13900000024", "交通检查员", role="inspector", department="transport")
