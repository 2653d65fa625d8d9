"""The import template's columns: one per wizard field (registry.steps.STEP_FIELDS), with the
wizard's labels (owners.wizard) and the city's allowed values as drop-downs.

Cells are only *translated* here into what the wizard's form would post (a district's name
to its code, 是/否 labels to values, an Excel date to ISO text); whether a value is allowed
is decided by registry.steps, the same checks as the wizard, never here.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.reference import city
from fleets.xlsx import TemplateColumn, TemplateSpec
from owners.wizard import SPECS, label_of
from registry.constants import AcquisitionKind, RegistrationType
from registry.steps import STEP_FIELDS
from rules.emission import STAGE_LABELS

KEY_FIELDS = ("factory_serial", "pin", "machine_env_code")
DATE_FIELDS = frozenset(
    name for specs in SPECS.values() for s in specs if s.widget == "date" for name in [s.name]
)
# Required as the wizard requires them (in_plant_plate only for in-plant vehicles).
REQUIRED = frozenset(
    {
        "district",
        "site_type",
        "registration_type",
        "machine_type",
        "acquisition_kind",
        "acquisition_date",
        "has_nameplates",
        "fuel_type",
    }
)
HINTS = {
    "registration_type": gettext_lazy("机械：非道路移动机械；场内：场内车辆（须填场内车辆号牌）"),
    "acquisition_date": gettext_lazy(
        "年-月-日，例如2024-05-01；新购置填发票日期，外省市转入填转入日期"
    ),
    "factory_serial": gettext_lazy("出厂编号、PIN、机械环保代码至少填一项，用于识别重复导入"),
    "machine_env_code": gettext_lazy("17位，分隔符*或＜＞不用填"),
    "pin": gettext_lazy("17位，见机械铭牌"),
    "machine_disclosure_number": gettext_lazy("24位，见环保信息标签"),
    "engine_number": gettext_lazy("16位型式核准号或24位信息公开编号"),
    "has_nameplates": gettext_lazy("有：机械或发动机有铭牌；无：均无铭牌"),
}


@dataclass(frozen=True)
class ImportColumn:
    name: str  # the wizard's field name
    header: str
    required: bool
    labels: Mapping[str, str] = field(default_factory=dict)  # cell text -> form value
    options: tuple[str, ...] = ()
    hint: str = ""

    def form_value(self, cell: Any) -> str:
        """What the wizard's form would post for this cell."""
        if cell is None:
            return ""
        if isinstance(cell, datetime):
            return cell.date().isoformat()
        if isinstance(cell, date):
            return cell.isoformat()
        if isinstance(cell, bool):
            return "true" if cell else "false"
        if isinstance(cell, float):
            text = str(int(cell)) if cell.is_integer() else str(Decimal(str(cell)))
        else:
            text = str(cell).strip()
        return self.labels.get(text, text)


def _choice_column(name: str, pairs: list[tuple[str, str]], **extra: Any) -> ImportColumn:
    """pairs: (form value, label shown in the drop-down); both are accepted in a cell."""
    labels = {label: value for value, label in pairs}
    labels.update({value: value for value, _label in pairs})
    return ImportColumn(
        name=name,
        header=label_of(name),
        required=name in REQUIRED,
        labels=labels,
        options=tuple(label for _value, label in pairs),
        **extra,
    )


def columns() -> tuple[ImportColumn, ...]:
    cfg = city()
    stages = [(str(n), label) for n, label in STAGE_LABELS.items()]
    choices: dict[str, list[tuple[str, str]]] = {
        "district": [(d.code, d.name) for d in cfg.districts],
        "site_type": [(s, s) for s in cfg.site_types],
        "registration_type": [(str(v), str(label)) for v, label in RegistrationType.choices],
        "machine_type": [(t.name, t.name) for t in cfg.machine_types],
        "acquisition_kind": [(str(v), str(label)) for v, label in AcquisitionKind.choices],
        "has_nameplates": [("true", _("有")), ("false", _("无"))],
        "fuel_type": [(f, f) for f in cfg.fuel_types],
        "engine_stage": stages,
        "aux_engine_stage": stages,
    }
    result = []
    for step in sorted(STEP_FIELDS):
        for name in STEP_FIELDS[step]:
            hint = str(HINTS.get(name, ""))
            if name in choices:
                result.append(_choice_column(name, choices[name], hint=hint))
            else:
                if name in DATE_FIELDS and not hint:
                    hint = _("年-月-日，例如2024-05-01")
                result.append(
                    ImportColumn(name, label_of(name), required=name in REQUIRED, hint=hint)
                )
    return tuple(result)


def template_spec() -> TemplateSpec:
    cols = columns()
    notes = (
        _("在“机械清单”表中每台机械填一行，第1行为表头，请勿修改表头；带*的列为必填。"),
        _("有下拉列表的列请从列表中选择；日期填写为年-月-日（例如2024-05-01）或Excel日期。"),
        _("每行按与网上申报相同的规则核验：有错误的行不会导入，结果页按行号和列列出错误。"),
        _("核验通过的行保存为草稿，请随后在“申报”中为每台机械上传照片，再批量提交审核。"),
        _(
            "出厂编号、产品识别码PIN、机械环保代码至少填一项：同一单位已有相同编号的机械不会重复导入。"
        ),
    )
    return TemplateSpec(
        title=str(_("非道路移动机械批量导入模板")),
        columns=tuple(
            TemplateColumn(
                header=c.header,
                required=c.required,
                options=c.options,
                hint=c.hint,
            )
            for c in cols
        ),
        notes=tuple(str(n) for n in notes),
    )
