"""Builds declarations through the real actions, step by step, as the wizard does."""

from typing import Any

from accounts.models import User
from registry import actions
from registry.models import Declaration
from registry.steps import BASIC, MACHINE, OTHER, PHOTOS

START_DATA = {
    "district": "L",
    "site_type": "工地",
    "site_address": "浦东新区张江路1号",
    "registration_type": "machine",
}
BASIC_DATA = {
    "machine_type": "挖掘机",
    "machine_name": "履带式挖掘机",
    "machine_model": "SY215C",
    "maker": "三一重机有限公司",
    "production_date": "2021-03-01",
    "factory_serial": "SY021CAB12345",
    "acquisition_kind": "purchase",
    "acquisition_date": "2026-11-10",
}
MACHINE_DATA = {
    "machine_disclosure_number": "CNFJG4000L53000006000001",
    "machine_env_code": "",
    "engine_number": "",
    "pin": "",
    "fuel_type": "柴油",
    "engine_maker": "康明斯",
    "engine_power_kw": "110",
    "engine_stage": "4",
}


def declare(
    acting_user: User,
    owner: User | None = None,
    *,
    submit: bool = True,
    start: dict[str, Any] | None = None,
    basic: dict[str, Any] | None = None,
    machine: dict[str, Any] | None = None,
) -> Declaration:
    owner = owner or acting_user
    declaration = actions.start_declaration(
        acting_user=acting_user, owner=owner, data={**START_DATA, **(start or {})}
    )
    for step, data in (
        (BASIC, {**BASIC_DATA, **(basic or {})}),
        (PHOTOS, {"has_nameplates": "true"}),
        (MACHINE, {**MACHINE_DATA, **(machine or {})}),
        (OTHER, {}),
    ):
        declaration = actions.save_step(
            acting_user=acting_user, declaration=declaration, step=step, data=data
        )
    if submit:
        declaration = actions.submit(acting_user=acting_user, declaration=declaration)
    return declaration
