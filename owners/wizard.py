"""How the declaration wizard's steps look: which inputs, labels and choices each step
shows. The rules for the values live in registry.steps; this module only presents them,
so a field name here is always one of registry.steps.STEP_FIELDS."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.reference import city
from registry.constants import (
    BODY_PHOTOS,
    IN_PLANT_LIST_PHOTOS,
    MAX_OTHER_PHOTOS,
    NAMEPLATE_PHOTOS,
    AcquisitionKind,
    PhotoKind,
    RegistrationType,
)
from registry.models import Declaration
from registry.steps import (
    BASIC,
    MACHINE,
    OTHER,
    PHOTOS,
    START,
    STEP_FIELDS,
    STEP_TITLES,
    check_group,
)
from rules.emission import STAGE_LABELS

Choices = list[tuple[str, str]]

# The numbered steps the owner sees (manual 第四步: 基本信息/图片上传/机械信息/其它信息/完成).
WIZARD_STEPS = (BASIC, PHOTOS, MACHINE, OTHER)
SUMMARY_STEP = OTHER + 1


def nameplate_choices() -> Choices:
    return [("true", str(_("有铭牌"))), ("false", str(_("无铭牌")))]


def _machine_types() -> Choices:
    return [(t.name, t.name) for t in city().machine_types]


def _fuel_types() -> Choices:
    return [(f, f) for f in city().fuel_types]


def _stages() -> Choices:
    return [(str(n), label) for n, label in STAGE_LABELS.items()]


def district_choices() -> Choices:
    return [(d.code, d.name) for d in city().districts]


def site_type_choices() -> Choices:
    return [(s, s) for s in city().site_types]


@dataclass(frozen=True)
class Spec:
    name: str
    label: str | Promise
    widget: str = "text"  # text, date, decimal, select
    choices: Callable[[], Choices] | None = None
    required: bool = False
    hint: str | Promise = ""
    maxlength: int | None = None
    check: bool = False  # step 3's identification groups, checked on leaving the field


def _engine(prefix: str, who: str | Promise) -> tuple[Spec, ...]:
    return (
        Spec(f"{prefix}_maker", format_lazy(_("{who}制造商"), who=who), maxlength=100),
        Spec(f"{prefix}_production_date", format_lazy(_("{who}出厂日期"), who=who), "date"),
        Spec(f"{prefix}_model", format_lazy(_("{who}型号"), who=who), maxlength=100),
        Spec(f"{prefix}_serial", format_lazy(_("{who}编号"), who=who), maxlength=50),
        Spec(
            f"{prefix}_power_kw",
            format_lazy(_("{who}功率（千瓦）"), who=who),
            "decimal",
            hint=_("见发动机铭牌，例如110"),
        ),
        Spec(f"{prefix}_stage", format_lazy(_("{who}排放阶段"), who=who), "select", _stages),
    )


MAIN_ENGINE = _engine("engine", _("主机"))
AUX_ENGINE = _engine("aux_engine", _("辅机"))
AUX_NAMES = tuple(s.name for s in AUX_ENGINE)

SPECS: dict[int, tuple[Spec, ...]] = {
    BASIC: (
        Spec("machine_type", _("机械类型"), "select", _machine_types, required=True),
        Spec("machine_name", _("机械名称"), maxlength=100, hint=_("例如：履带式挖掘机")),
        Spec("machine_model", _("规格型号"), maxlength=100),
        Spec("maker", _("生产厂家"), maxlength=100),
        Spec("production_date", _("出厂日期"), "date"),
        Spec("factory_serial", _("出厂编号/PIN码"), maxlength=40, hint=_("见机械铭牌")),
        Spec(
            "acquisition_kind",
            _("取得方式"),
            "select",
            lambda: [(str(v), str(label)) for v, label in AcquisitionKind.choices],
            required=True,
        ),
        Spec(
            "acquisition_date",
            _("购置发票日期/转入日期"),
            "date",
            required=True,
            hint=_("新购置的填发票日期，外省市转入的填转入日期；应在此日期起30日内申报"),
        ),
        Spec("in_plant_plate", _("场内车辆号牌"), maxlength=20, required=True),
    ),
    MACHINE: (
        Spec(
            "machine_disclosure_number",
            _("第一组：机械环保信息公开编号"),
            maxlength=24,
            hint=_("24位，见机械环保信息标签或环保信息随车清单"),
            check=True,
        ),
        Spec(
            "machine_env_code",
            _("第二组：机械环保代码"),
            maxlength=21,
            hint=_("17位，机身上两端带*或＜＞的编码，分隔符不用填"),
            check=True,
        ),
        Spec(
            "engine_number",
            _("第三组：发动机型式核准号/信息公开编号"),
            maxlength=24,
            hint=_("16位型式核准号或24位信息公开编号，见发动机铭牌"),
            check=True,
        ),
        Spec(
            "pin",
            _("第四组：产品识别码PIN"),
            maxlength=17,
            hint=_("17位，见机械铭牌"),
            check=True,
        ),
        Spec("fuel_type", _("燃料种类"), "select", _fuel_types, required=True),
        *MAIN_ENGINE,
        *AUX_ENGINE,
    ),
    OTHER: (
        Spec("terminal_maker", _("远程监控终端厂家"), maxlength=100),
        Spec("terminal_model", _("远程监控终端型号"), maxlength=100),
        Spec("terminal_serial", _("远程监控终端编号"), maxlength=50),
        Spec("dpf_maker", _("DPF厂家"), maxlength=100),
        Spec("dpf_model", _("DPF型号"), maxlength=100),
        Spec("dpf_serial", _("DPF编号"), maxlength=50),
        Spec("dpf_installed_on", _("DPF安装日期"), "date"),
    ),
}
ID_GROUP_NAMES = tuple(s.name for s in SPECS[MACHINE] if s.check)

# How each step's fields are grouped on the page: (heading, hint, field names).
SECTIONS: dict[int, tuple[tuple[str | Promise, str | Promise, tuple[str, ...]], ...]] = {
    BASIC: (("", "", tuple(s.name for s in SPECS[BASIC])),),
    MACHINE: (
        (
            _("四组编码"),
            _(
                "按铭牌依次填写，离开输入框时自动核验。没有的编码或核验不通过又无法更正的，"
                "清空即可跳过该组。"
            ),
            ID_GROUP_NAMES,
        ),
        (_("机械信息"), "", ("fuel_type",)),
        (_("主机（发动机）"), _("均为选填，见发动机铭牌"), tuple(s.name for s in MAIN_ENGINE)),
        (_("辅机"), _("有辅助发动机的填写，均为选填"), AUX_NAMES),
    ),
    OTHER: (
        (
            _("远程在线监控终端"),
            _("已安装远程在线监控终端的填写，均为选填"),
            ("terminal_maker", "terminal_model", "terminal_serial"),
        ),
        (
            _("DPF（颗粒捕集器）"),
            _("已安装DPF的填写，均为选填"),
            ("dpf_maker", "dpf_model", "dpf_serial", "dpf_installed_on"),
        ),
    ),
}

# Labels of every field a reviewer may give a reason for, and of the summary's rows.
LABELS: dict[str, str | Promise] = {
    "district": _("登记区县"),
    "site_type": _("使用场所"),
    "site_address": _("场所地址"),
    "registration_type": _("登记类型"),
    "has_nameplates": _("有无铭牌"),
    "photos": _("照片"),
    "nameplates": _("铭牌照片"),
    "step": _("填报步骤"),
    "owner": _("机械所有者"),
    **{s.name: s.label for specs in SPECS.values() for s in specs},
    **{str(k): label for k, label in PhotoKind.choices},
}
# Step 3 labels carry their group number on the form; elsewhere the plain name reads better.
LABELS.update(
    machine_disclosure_number=_("机械环保信息公开编号"),
    machine_env_code=_("机械环保代码"),
    engine_number=_("发动机型式核准号/信息公开编号"),
    pin=_("产品识别码PIN"),
)


def label_of(name: str) -> str:
    return str(LABELS.get(name, name))


def step_of(name: str) -> int:
    """Which wizard step fixes a problem with `name` (a field or a photo kind)."""
    for step, fields in STEP_FIELDS.items():
        if name in fields:
            return max(step, BASIC)
    return PHOTOS  # photo kinds and "nameplates"


def form_value(value: Any) -> str:
    """A stored value as an input's value attribute holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def stored_values(declaration: Declaration, step: int) -> dict[str, str]:
    return {name: form_value(getattr(declaration, name)) for name in STEP_FIELDS[step]}


def specs_for(step: int, declaration: Declaration) -> tuple[Spec, ...]:
    specs = SPECS[step]
    if step == BASIC and declaration.registration_type != RegistrationType.IN_PLANT:
        # Only in-plant vehicles have an in-plant plate (manual 第四步 1)).
        specs = tuple(s for s in specs if s.name != "in_plant_plate")
    return specs


def _bound(
    s: Spec, values: Mapping[str, str], errors: Mapping[str, str], reasons: Mapping[str, str]
) -> dict[str, Any]:
    value = values.get(s.name, "")
    error = errors.get(s.name, "")
    return {
        # A group already filled in shows its check again (its warnings, or ✓).
        "checked": check_group(s.name, value) if s.check and value and not error else None,
        "name": s.name,
        "label": s.label,
        "widget": s.widget,
        "choices": s.choices() if s.choices else [],
        "required": s.required,
        "hint": s.hint,
        "maxlength": s.maxlength,
        "check": s.check,
        "value": value,
        "error": error,
        "reason": reasons.get(s.name, ""),
    }


def step_sections(
    step: int,
    declaration: Declaration,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    reasons: Mapping[str, str],
) -> list[dict[str, Any]]:
    """What the step template needs: sections of fields, each field with its value, its
    error and the reviewer's reason for it."""
    specs = {s.name: s for s in specs_for(step, declaration)}
    sections = []
    for title, hint, names in SECTIONS[step]:
        fields = [_bound(specs[n], values, errors, reasons) for n in names if n in specs]
        # Few machines have an auxiliary engine: its section stays folded until used.
        collapsible = names == AUX_NAMES
        used = any(f["value"] or f["error"] or f["reason"] for f in fields)
        sections.append(
            {
                "title": title,
                "hint": hint,
                "fields": fields,
                "collapsible": collapsible,
                "open": used or not collapsible,
            }
        )
    return sections


def display(declaration: Declaration, name: str) -> str:
    """A stored value as the summary and the read-only page show it."""
    value = getattr(declaration, name)
    if value is None or value == "":
        return ""
    if name == "district":
        return city().district(value).name
    if name == "has_nameplates":
        return str(_("有铭牌") if value else _("无铭牌"))
    if name.endswith("_stage") and isinstance(value, int):
        return STAGE_LABELS.get(value, str(value))
    if name in ("registration_type", "acquisition_kind"):
        return str(getattr(declaration, f"get_{name}_display")())
    return form_value(value)


def summary_sections(declaration: Declaration) -> list[dict[str, Any]]:
    """Every step's entries as (label, shown value) rows, for the summary and read-only view.
    Only what was entered: on a phone, rows of "—" for unused optional fields would bury the
    rest (what is required and missing is listed separately)."""
    sections = []
    for step in (START, *WIZARD_STEPS):
        rows = []
        for name in STEP_FIELDS[step]:
            value = display(declaration, name)
            if value:
                rows.append({"name": name, "label": label_of(name), "value": value})
        sections.append({"step": step, "title": STEP_TITLES[step], "rows": rows})
    return sections


KIND_ORDER = {str(kind): i for i, kind in enumerate(PhotoKind.values)}


def ordered_photos(photos: list[Any]) -> list[Any]:
    """Photos in the order of the upload page (body first), not alphabetically by kind."""
    return sorted(photos, key=lambda p: (KIND_ORDER.get(p.kind, len(KIND_ORDER)), p.pk))


@dataclass
class Slot:
    """One photo slot of step 2."""

    kind: str
    label: str
    required: bool
    photos: list[Any]
    error: str = ""


@dataclass
class SlotGroup:
    key: str
    title: str | Promise
    hint: str | Promise
    slots: list[Slot]
    hidden: bool = False


def photo_groups(
    declaration: Declaration, photos: list[Any], errors: Mapping[str, str], has_nameplates: str
) -> list[SlotGroup]:
    """The slots of manual 第四步 2): body photos always; nameplates (any one) or the
    certificate, by the owner's choice (`has_nameplates`: "true", "false" or "" for not
    chosen yet, when both are shown); the in-plant list both sides; other papers."""
    by_kind: dict[str, list[Any]] = {}
    for photo in photos:
        by_kind.setdefault(photo.kind, []).append(photo)

    def slots(kinds: tuple[str, ...], required: bool) -> list[Slot]:
        return [
            Slot(
                kind=str(kind),
                label=str(PhotoKind(kind).label),
                required=required,
                photos=by_kind.get(str(kind), []),
                error=errors.get(str(kind), ""),
            )
            for kind in kinds
        ]

    groups = [
        SlotGroup("body", _("机身照片"), _("三个角度都必须上传"), slots(BODY_PHOTOS, True)),
        SlotGroup(
            "nameplates",
            _("铭牌照片"),
            _("有铭牌的机械：以下照片至少上传一张，能拍的都拍"),
            slots(NAMEPLATE_PHOTOS, False),
            hidden=has_nameplates == "false",
        ),
        SlotGroup(
            "certificate",
            _("合格证"),
            _("无铭牌的机械必须上传合格证照片"),
            slots((PhotoKind.CERTIFICATE,), True),
            hidden=has_nameplates == "true",
        ),
    ]
    if declaration.registration_type == RegistrationType.IN_PLANT:
        groups.append(
            SlotGroup(
                "in_plant",
                _("环保信息随车清单"),
                _("场内车辆须上传随车清单正反面，并在机械信息中填写环保信息公开编号"),
                slots(IN_PLANT_LIST_PHOTOS, True),
            )
        )
    groups.append(
        SlotGroup(
            "other",
            _("其他资料"),
            _("选填，最多%(n)s张") % {"n": MAX_OTHER_PHOTOS},
            slots((PhotoKind.OTHER,), False),
        )
    )
    return groups
