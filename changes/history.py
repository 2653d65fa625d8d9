"""The fields a change can touch, their labels, and a change's before → after for display."""

from django.utils.translation import gettext_lazy as _

from core.reference import city
from registry.constants import RegistrationStatus
from rules.emission import STAGE_LABELS

# The fields "as it stood" follows (changes.queries.as_of) and the history shows.
TRACKED = {
    "owner_name": _("机械所有者"),
    "location_district": _("现所在区"),
    "location_since": _("现所在区起始日期"),
    "status": _("登记状态"),
    "number": _("环保登记号码"),
    "stage": _("排放阶段"),
    "category": _("机械种类"),
    "machine_type": _("机械类型"),
    "dpf_maker": _("DPF厂家"),
    "dpf_model": _("DPF型号"),
    "dpf_serial": _("DPF编号"),
    "dpf_installed_on": _("DPF安装日期"),
    "engine_maker": _("主机制造商"),
    "engine_model": _("主机型号"),
    "engine_serial": _("主机编号"),
    "engine_number": _("发动机型式核准号/信息公开编号"),
    "engine_production_date": _("主机出厂日期"),
    "engine_power_kw": _("主机功率(kW)"),
    "engine_stage": _("主机排放阶段"),
    "credential_issue": _("标志和信息卡序次"),
    "destination": _("转入地"),
}


def diff(before: dict[str, object], after: dict[str, object]) -> list[tuple[str, object, object]]:
    """(label, before, after) for each tracked field whose value changed."""
    rows = []
    for key, label in TRACKED.items():
        if key not in before and key not in after:
            continue
        old, new = before.get(key), after.get(key)
        if old != new:
            rows.append((str(label), shown(key, old), shown(key, new)))
    return rows


def shown(key: str, value: object) -> object:
    if value in (None, ""):
        return "—"
    if key == "location_district" and isinstance(value, str):
        names = {d.code: d.name for d in city().districts}
        return names.get(value, value)
    if key == "status" and isinstance(value, str):
        return RegistrationStatus(value).label if value in RegistrationStatus.values else value
    if key in ("stage", "engine_stage") and isinstance(value, int):
        return STAGE_LABELS.get(value, value)
    return value
