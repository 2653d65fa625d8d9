"""Builds declarations through the real actions, step by step, as the wizard does."""

import io
from functools import cache
from typing import Any

from PIL import Image

from accounts.models import User
from registry import actions
from registry.models import Declaration
from registry.steps import BASIC, MACHINE, OTHER, PHOTOS
from tests.conftest import last_code

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


@cache
def jpeg(color: str = "orange", size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real JPEG, as a phone would send (the server re-encodes it)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def photos_for(registration_type: str, has_nameplates: bool) -> list[str]:
    kinds = ["front", "rear", "front_45"]
    kinds.append("machine_nameplate" if has_nameplates else "certificate")
    if registration_type == "in_plant":
        kinds += ["list_front", "list_back"]
    return kinds


def declare(
    acting_user: User,
    owner: User | None = None,
    *,
    submit: bool = True,
    start: dict[str, Any] | None = None,
    basic: dict[str, Any] | None = None,
    machine: dict[str, Any] | None = None,
    has_nameplates: bool = True,
) -> Declaration:
    owner = owner or acting_user
    if acting_user.role == "clerk":
        # At the counter the owner's SMS code confirms the intake first (Art. 5).
        actions.request_counter_intake(acting_user=acting_user, owner=owner)
        declaration = actions.start_counter_declaration(
            acting_user=acting_user,
            owner=owner,
            code=last_code(owner.phone),
            data={**START_DATA, **(start or {})},
        )
    else:
        declaration = actions.start_declaration(
            acting_user=acting_user, owner=owner, data={**START_DATA, **(start or {})}
        )
    start_data = {**START_DATA, **(start or {})}
    for kind in photos_for(start_data["registration_type"], has_nameplates):
        actions.upload_photo(
            acting_user=acting_user, declaration=declaration, kind=kind, data=jpeg()
        )
    for step, data in (
        (BASIC, {**BASIC_DATA, **(basic or {})}),
        (PHOTOS, {"has_nameplates": "true" if has_nameplates else "false"}),
        (MACHINE, {**MACHINE_DATA, **(machine or {})}),
        (OTHER, {}),
    ):
        declaration = actions.save_step(
            acting_user=acting_user, declaration=declaration, step=step, data=data
        )
    if submit:
        declaration = actions.submit(acting_user=acting_user, declaration=declaration)
    return declaration
