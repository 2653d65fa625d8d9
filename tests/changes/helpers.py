"""Registrations and change requests built through the real actions."""

from datetime import date, timedelta
from typing import Any

from accounts.models import User
from changes import actions
from changes.models import ChangeRequest
from registry import actions as registry_actions
from registry.models import Registration
from tests.conftest import last_code
from tests.registry.helpers import declare, jpeg

# A Monday inside the holiday table (review deadlines need it).
TODAY = "2026-11-23 10:00 +0800"
DAY = date(2026, 11, 23)
YESTERDAY = DAY - timedelta(days=1)

ENGINE = {
    "engine_maker": "潍柴动力",
    "engine_model": "WP7",
    "engine_serial": "WP7-2026-0001",
    # A 24-character engine disclosure number whose 6th character is 4: 国4.
    "engine_number": "CNFJG4000L53000006000009",
    "engine_production_date": "2026-06-01",
    "engine_power_kw": "150",
    "engine_stage": "4",
    "test_lab": "上海市机动车检测中心",
    "test_report_number": "SH-2026-1234",
}


def approved(owner: User, reviewer: User, **declare_kwargs: Any) -> Registration:
    """An approved machine of `owner` in the reviewer's district (浦东 L, 国4)."""
    declaration = declare(owner, **declare_kwargs)
    return registry_actions.approve(acting_user=reviewer, declaration=declaration)


def reload(obj):
    return type(obj).objects.get(pk=obj.pk)


def owner_change(
    registration: Registration, acting_user: User, new_owner: User, **overrides: Any
) -> ChangeRequest:
    """Filed with the current owner's code (sent and read from the outbox)."""
    actions.send_owner_change_code(acting_user=acting_user, registration=registration)
    values: dict[str, Any] = {
        "new_owner_phone": new_owner.phone,
        "event_date": YESTERDAY,
        "agreement_photo": jpeg("white"),
        "old_owner_code": last_code(registration.owner.phone),
        **overrides,
    }
    return actions.request_owner_change(
        acting_user=acting_user, registration=registration, **values
    )


def confirmed_owner_change(
    registration: Registration, acting_user: User, new_owner: User
) -> ChangeRequest:
    request = owner_change(registration, acting_user, new_owner)
    return actions.confirm_owner_change(
        acting_user=new_owner, request=request, code=last_code(new_owner.phone)
    )


def retrofit(registration: Registration, acting_user: User, **engine: Any) -> ChangeRequest:
    return actions.request_retrofit(
        acting_user=acting_user,
        registration=registration,
        engine={**ENGINE, **engine},
        event_date=YESTERDAY,
        before_photos=[jpeg("red")],
        after_photos=[jpeg("green")],
        test_report_photos=[jpeg("blue")],
    )


def reissue(registration: Registration, acting_user: User, **overrides: Any) -> ChangeRequest:
    values: dict[str, Any] = {"reason": "lost", "event_date": YESTERDAY, **overrides}
    return actions.request_reissue(acting_user=acting_user, registration=registration, **values)


def dpf(registration: Registration, acting_user: User, **overrides: Any) -> ChangeRequest:
    values: dict[str, Any] = {
        "dpf_maker": "无锡威孚",
        "dpf_model": "DPF-200",
        "dpf_serial": "WF2026001",
        "installed_on": YESTERDAY,
        "photos": [jpeg("gray")],
        **overrides,
    }
    return actions.request_dpf(acting_user=acting_user, registration=registration, **values)


def alteration(registration: Registration, acting_user: User, **overrides: Any) -> ChangeRequest:
    values: dict[str, Any] = {
        "description": "加装破碎锤，改为破碎作业",
        "event_date": YESTERDAY,
        "before_photos": [jpeg("red")],
        "after_photos": [jpeg("green")],
        **overrides,
    }
    return actions.request_alteration(acting_user=acting_user, registration=registration, **values)


def transfer_out(registration: Registration, acting_user: User) -> ChangeRequest:
    return actions.request_transfer_out(
        acting_user=acting_user,
        registration=registration,
        destination="江苏省苏州市",
        event_date=YESTERDAY,
    )


def deregistration(registration: Registration, acting_user: User) -> ChangeRequest:
    return actions.request_deregistration(
        acting_user=acting_user, registration=registration, reason="scrapped", event_date=YESTERDAY
    )
