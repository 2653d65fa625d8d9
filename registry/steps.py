"""The wizard's steps (manual 第四步) and the checks of each, shared by pages and API.

Each step names its fields; `clean_step` turns what the owner typed into model values or
raises FieldErrors with a Chinese message per field. Warnings (a check character that does
not match, say) never stop the owner: they are kept for the reviewer.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.errors import FieldErrors
from core.reference import city
from registry.constants import AcquisitionKind, RegistrationType
from rules.emission import MAX_STAGE
from rules.identifiers import (
    Check,
    check_disclosure_number,
    check_engine_number,
    check_factory_serial,
    check_machine_env_code,
    check_pin,
)

EARLIEST_DATE = date(1950, 1, 1)
MAX_POWER_KW = Decimal("10000")

START, BASIC, PHOTOS, MACHINE, OTHER, SUMMARY = 0, 1, 2, 3, 4, 5
STEP_TITLES = {
    START: _("登记信息"),
    BASIC: _("基本信息"),
    PHOTOS: _("图片上传"),
    MACHINE: _("机械信息"),
    OTHER: _("其它信息"),
    SUMMARY: _("完成"),
}

ENGINE_FIELDS = ("maker", "production_date", "model", "serial", "power_kw", "stage")

STEP_FIELDS: dict[int, tuple[str, ...]] = {
    START: ("district", "site_type", "site_address", "registration_type"),
    BASIC: (
        "machine_type",
        "machine_name",
        "machine_model",
        "maker",
        "production_date",
        "factory_serial",
        "acquisition_kind",
        "acquisition_date",
        "in_plant_plate",
    ),
    PHOTOS: ("has_nameplates",),
    MACHINE: (
        "machine_disclosure_number",
        "machine_env_code",
        "engine_number",
        "pin",
        "fuel_type",
        *(f"engine_{f}" for f in ENGINE_FIELDS),
        *(f"aux_engine_{f}" for f in ENGINE_FIELDS),
    ),
    OTHER: (
        "terminal_maker",
        "terminal_model",
        "terminal_serial",
        "dpf_maker",
        "dpf_model",
        "dpf_serial",
        "dpf_installed_on",
    ),
}

# Step 3's four identification groups, checked one at a time (manual 第四步 3)).
ID_GROUPS: dict[str, Callable[[str], Check]] = {
    "machine_disclosure_number": check_disclosure_number,
    "machine_env_code": check_machine_env_code,
    "engine_number": check_engine_number,
    "pin": check_pin,
}


# Field labels are lazy: they are translated only for a message, not on every check (a bulk
# import checks 100,000 rows, and a translation look-up cost more than the check itself).
Label = str | Promise


def _join(*parts: Label) -> Label:
    return format_lazy("{}" * len(parts), *parts)


_REGISTRATION_TYPES = frozenset(RegistrationType.values)
_ACQUISITION_KINDS = frozenset(AcquisitionKind.values)


@dataclass
class Cleaned:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _text_checked(c: Cleaned, data: Mapping[str, Any], name: str, limit: int, label: Label) -> None:
    value = " ".join(str(data.get(name) or "").split())
    if len(value) > limit:
        c.errors[name] = _("%(label)s不能超过%(n)s个字") % {"label": label, "n": limit}
    c.values[name] = value


def _date(c: Cleaned, data: Mapping[str, Any], name: str, label: Label, *, required: bool) -> None:
    raw = str(data.get(name) or "").strip()
    if not raw:
        if required:
            c.errors[name] = _("请填写%(label)s") % {"label": label}
        c.values[name] = None
        return
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        c.errors[name] = _("%(label)s格式应为年-月-日，例如2024-05-01") % {"label": label}
        return
    if value > timezone.localdate():
        c.errors[name] = _("%(label)s不能晚于今天") % {"label": label}
    elif value < EARLIEST_DATE:
        c.errors[name] = _("%(label)s不能早于1950年") % {"label": label}
    c.values[name] = value


def _choice(
    c: Cleaned, data: Mapping[str, Any], name: str, label: Label, allowed: Any, *, required: bool
) -> None:
    value = str(data.get(name) or "").strip()
    if not value:
        if required:
            c.errors[name] = _("请选择%(label)s") % {"label": label}
    elif value not in allowed:
        c.errors[name] = _("%(label)s“%(value)s”不在可选范围内") % {"label": label, "value": value}
    c.values[name] = value


def _power(c: Cleaned, data: Mapping[str, Any], name: str, label: Label) -> None:
    raw = str(data.get(name) or "").strip()
    c.values[name] = None
    if not raw:
        return
    try:
        value = Decimal(raw)
    except InvalidOperation:
        c.errors[name] = _("%(label)s应为数字（千瓦）") % {"label": label}
        return
    if not (Decimal(0) < value <= MAX_POWER_KW):
        c.errors[name] = _("%(label)s应大于0且不超过10000千瓦") % {"label": label}
        return
    c.values[name] = value.quantize(Decimal("0.1"))


def _stage(c: Cleaned, data: Mapping[str, Any], name: str, label: Label) -> None:
    raw = str(data.get(name) or "").strip()
    c.values[name] = None
    if not raw:
        return
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_STAGE:
        c.errors[name] = _("%(label)s应为1至%(max)s（1表示国1及以前）") % {
            "label": label,
            "max": MAX_STAGE,
        }
        return
    c.values[name] = int(raw)


def check_group(name: str, raw: str) -> Check:
    """One identification group of step 3; empty is allowed (the group is skipped)."""
    if not (raw or "").strip():
        return Check(value="")
    return ID_GROUPS[name](raw)


def _clean_start(c: Cleaned, data: Mapping[str, Any], ctx: Mapping[str, Any]) -> None:
    cfg = city()
    _choice(c, data, "district", _lazy("登记区县"), cfg.district_codes(), required=True)
    _choice(c, data, "site_type", _lazy("使用场所"), cfg.site_types, required=True)
    _text_checked(c, data, "site_address", 200, _lazy("场所地址"))
    _choice(c, data, "registration_type", _lazy("登记类型"), _REGISTRATION_TYPES, required=True)


def _clean_basic(c: Cleaned, data: Mapping[str, Any], ctx: Mapping[str, Any]) -> None:
    cfg = city()
    _choice(
        c,
        data,
        "machine_type",
        _lazy("机械类型"),
        [t.name for t in cfg.machine_types],
        required=True,
    )
    _text_checked(c, data, "machine_name", 100, _lazy("机械名称"))
    _text_checked(c, data, "machine_model", 100, _lazy("规格型号"))
    _text_checked(c, data, "maker", 100, _lazy("生产厂家"))
    _date(c, data, "production_date", _lazy("出厂日期"), required=False)
    serial = str(data.get("factory_serial") or "").strip()
    c.values["factory_serial"] = ""
    if serial:
        check = check_factory_serial(serial)
        if check.error:
            c.errors["factory_serial"] = check.error
        c.values["factory_serial"] = check.value
    _choice(c, data, "acquisition_kind", _lazy("取得方式"), _ACQUISITION_KINDS, required=True)
    label = (
        _lazy("转入日期")
        if c.values.get("acquisition_kind") == AcquisitionKind.TRANSFER_IN
        else _lazy("购置发票日期")
    )
    _date(c, data, "acquisition_date", label, required=True)
    production, acquired = c.values.get("production_date"), c.values.get("acquisition_date")
    if production and acquired and acquired < production and "acquisition_date" not in c.errors:
        c.errors["acquisition_date"] = _("%(label)s不能早于出厂日期") % {"label": label}
    _text_checked(c, data, "in_plant_plate", 20, _lazy("场内车辆号牌"))
    if ctx.get("registration_type") == RegistrationType.IN_PLANT and not c.values["in_plant_plate"]:
        c.errors["in_plant_plate"] = _("场内车辆须填写场内车辆号牌")


def _clean_photos(c: Cleaned, data: Mapping[str, Any], ctx: Mapping[str, Any]) -> None:
    raw = data.get("has_nameplates")
    if raw in (True, "true", "1", "yes", "on"):
        c.values["has_nameplates"] = True
    elif raw in (False, "false", "0", "no"):
        c.values["has_nameplates"] = False
    else:
        c.errors["has_nameplates"] = _("请选择有无发动机、机械铭牌")


def _clean_machine(c: Cleaned, data: Mapping[str, Any], ctx: Mapping[str, Any]) -> None:
    for name in ID_GROUPS:
        check = check_group(name, str(data.get(name) or ""))
        c.values[name] = check.value
        if check.error:
            c.errors[name] = check.error
        if check.warnings:
            c.warnings[name] = check.warnings
    _choice(c, data, "fuel_type", _lazy("燃料种类"), city().fuel_types, required=True)
    for prefix, label in (("engine", _lazy("主机")), ("aux_engine", _lazy("辅机"))):
        _text_checked(c, data, f"{prefix}_maker", 100, _join(label, _lazy("制造商")))
        _date(c, data, f"{prefix}_production_date", _join(label, _lazy("出厂日期")), required=False)
        _text_checked(c, data, f"{prefix}_model", 100, _join(label, _lazy("型号")))
        _text_checked(c, data, f"{prefix}_serial", 50, _join(label, _lazy("编号")))
        _power(c, data, f"{prefix}_power_kw", _join(label, _lazy("功率")))
        _stage(c, data, f"{prefix}_stage", _join(label, _lazy("排放阶段")))


def _clean_other(c: Cleaned, data: Mapping[str, Any], ctx: Mapping[str, Any]) -> None:
    for name, limit, label in (
        ("terminal_maker", 100, _lazy("远程监控终端厂家")),
        ("terminal_model", 100, _lazy("远程监控终端型号")),
        ("terminal_serial", 50, _lazy("远程监控终端编号")),
        ("dpf_maker", 100, _lazy("DPF厂家")),
        ("dpf_model", 100, _lazy("DPF型号")),
        ("dpf_serial", 50, _lazy("DPF编号")),
    ):
        _text_checked(c, data, name, limit, label)
    _date(c, data, "dpf_installed_on", _lazy("DPF安装日期"), required=False)


CLEANERS = {
    START: _clean_start,
    BASIC: _clean_basic,
    PHOTOS: _clean_photos,
    MACHINE: _clean_machine,
    OTHER: _clean_other,
}


def clean_step(step: int, data: Mapping[str, Any], ctx: Mapping[str, Any]) -> Cleaned:
    """Check one step. `ctx` carries what earlier steps decided (registration_type)."""
    if step not in CLEANERS:
        raise FieldErrors({"step": _("无效的步骤")})
    cleaned = Cleaned()
    CLEANERS[step](cleaned, data, ctx)
    return cleaned
