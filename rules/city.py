"""City configuration: districts, machine types and the reference lists.

Shanghai's measures are the default; another city runs the platform with its own
JSON file (same keys as `CityConfig`), loaded by `load_city`.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

# 附件2: the 26 capital letters without I and O (they read as 1 and 0).
DISTRICT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"

# Every deployment needs a catch-all site type for sites the list does not name.
OTHER_SITE_TYPE = "其他"


@dataclass(frozen=True)
class District:
    code: str
    name: str


@dataclass(frozen=True)
class MachineType:
    name: str
    category: str
    in_plant: bool = False


@dataclass(frozen=True)
class CityConfig:
    name: str
    abbreviation: str
    districts: tuple[District, ...]
    machine_types: tuple[MachineType, ...]
    fuel_types: tuple[str, ...]
    site_types: tuple[str, ...]
    issuer: str

    def __post_init__(self) -> None:
        # Validating here, not only in city_from_dict, means no invalid city can exist.
        _validate(self)

    def district(self, code: str) -> District:
        for district in self.districts:
            if district.code == code:
                return district
        raise ValueError(f"未知的区代号“{code}”，{self.name}的区代号为：{self._codes_text()}")

    def district_codes(self) -> frozenset[str]:
        return frozenset(d.code for d in self.districts)

    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.category for t in self.machine_types))

    def machine_type(self, name: str) -> MachineType:
        for machine_type in self.machine_types:
            if machine_type.name == name:
                return machine_type
        names = "、".join(t.name for t in self.machine_types)
        raise ValueError(f"未知的机械类型“{name}”，{self.name}的机械类型为：{names}")

    def category_for(self, machine_type_name: str) -> str:
        return self.machine_type(machine_type_name).category

    def _codes_text(self) -> str:
        return "、".join(d.code for d in self.districts)


def _is_chinese_text(text: str) -> bool:
    # Number parts must survive parse_number's normalisation (strip spaces, full-width
    # to ASCII, upper case) unchanged; "other letter" characters (汉字) always do.
    return bool(text) and all(unicodedata.category(c) == "Lo" for c in text)


def _first_duplicate(values: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def _check_list(values: tuple[str, ...], what: str) -> None:
    if not values:
        raise ValueError(f"城市配置的{what}不能为空")
    for value in values:
        if not value.strip():
            raise ValueError(f"城市配置的{what}中有空白项")
    duplicate = _first_duplicate(values)
    if duplicate is not None:
        raise ValueError(f"城市配置的{what}“{duplicate}”重复")


def _validate(city: CityConfig) -> None:
    if not city.name.strip():
        raise ValueError("城市名称不能为空")
    if not city.issuer.strip():
        raise ValueError("监制单位（issuer）不能为空")
    if len(city.abbreviation) != 1 or not _is_chinese_text(city.abbreviation):
        raise ValueError(f"城市简称应为1个汉字，实际为“{city.abbreviation}”")
    if not city.districts:
        raise ValueError("城市配置至少需要一个区")
    for district in city.districts:
        if len(district.code) != 1 or district.code not in DISTRICT_CODE_ALPHABET:
            raise ValueError(
                f"区代号“{district.code}”无效：应为除I、O以外的1个大写英文字母（{district.name}）"
            )
        if not district.name.strip():
            raise ValueError(f"区代号“{district.code}”的区名称不能为空")
    duplicate = _first_duplicate(d.code for d in city.districts)
    if duplicate is not None:
        raise ValueError(f"区代号“{duplicate}”重复")
    duplicate = _first_duplicate(d.name for d in city.districts)
    if duplicate is not None:
        raise ValueError(f"区名称“{duplicate}”重复")
    if not city.machine_types:
        raise ValueError("城市配置至少需要一种机械类型")
    for machine_type in city.machine_types:
        if not machine_type.name.strip():
            raise ValueError("机械类型名称不能为空")
        if not machine_type.category:
            raise ValueError(f"机械类型“{machine_type.name}”的机械种类不能为空")
        if not _is_chinese_text(machine_type.category):
            raise ValueError(
                f"机械类型“{machine_type.name}”的机械种类“{machine_type.category}”"
                "只能由汉字组成（它是环保登记号码的一部分）"
            )
    duplicate = _first_duplicate(t.name for t in city.machine_types)
    if duplicate is not None:
        raise ValueError(f"机械类型“{duplicate}”重复")
    _check_list(city.fuel_types, "燃料类型")
    _check_list(city.site_types, "使用场所类型")
    if OTHER_SITE_TYPE not in city.site_types:
        raise ValueError(f"使用场所类型必须包含“{OTHER_SITE_TYPE}”")


_ENGINEERING = "工程机械"
_AIRPORT = "机场地勤设备"

SHANGHAI = CityConfig(
    name="上海市",
    abbreviation="沪",
    # 附件2, in the order of its table.
    districts=(
        District("A", "黄浦区"),
        District("B", "静安区"),
        District("D", "徐汇区"),
        District("E", "长宁区"),
        District("F", "普陀区"),
        District("G", "虹口区"),
        District("H", "杨浦区"),
        District("J", "宝山区"),
        District("K", "闵行区"),
        District("L", "浦东新区"),
        District("M", "嘉定区"),
        District("N", "金山区"),
        District("P", "松江区"),
        District("Q", "奉贤区"),
        District("R", "青浦区"),
        District("S", "崇明区"),
        District("T", "上海市化工区管委会"),
        District("U", "流动机械"),
        District("V", "上海自贸区管委会保税区管理局"),
        District("W", "临港新片区管委会"),
    ),
    # Art. 2, in its order. The GB 20891-2014 category of each is an inferred mapping
    # (DOMAIN.md), which is why it is data a deployment can edit.
    machine_types=(
        MachineType("挖掘机", _ENGINEERING),
        MachineType("起重机", _ENGINEERING),
        MachineType("推土机", _ENGINEERING),
        MachineType("装载机", _ENGINEERING),
        MachineType("压路机", _ENGINEERING),
        MachineType("摊铺机", _ENGINEERING),
        MachineType("平地机", _ENGINEERING),
        MachineType("叉车", _ENGINEERING),
        MachineType("桩工机械", _ENGINEERING),
        MachineType("堆高机", "材料装卸机械"),
        MachineType("牵引车", _AIRPORT),
        MachineType("摆渡车", _AIRPORT),
        MachineType("场内车辆", "场内车辆", in_plant=True),
    ),
    fuel_types=("柴油", "汽油", "天然气", "液化石油气", "电动", "混合动力", "其他"),
    site_types=("港口", "工地", "机场", "厂区", "物流园区", "码头堆场", OTHER_SITE_TYPE),
    issuer="上海市生态环境局",
)


_KEYS = frozenset(
    {"name", "abbreviation", "districts", "machine_types", "fuel_types", "site_types", "issuer"}
)


def _text(data: Mapping[str, object], key: str, where: str) -> str:
    if key not in data:
        raise ValueError(f"{where}缺少字段“{key}”")
    value = data[key]
    if not isinstance(value, str):
        raise ValueError(f"{where}的字段“{key}”应为字符串")
    return value


def _items(data: Mapping[str, object], key: str) -> list[object]:
    if key not in data:
        raise ValueError(f"城市配置缺少字段“{key}”")
    value = data[key]
    if not isinstance(value, list | tuple):
        raise ValueError(f"城市配置的字段“{key}”应为列表")
    return list(value)


def _records(
    data: Mapping[str, object], key: str, keys: frozenset[str]
) -> list[Mapping[str, object]]:
    records: list[Mapping[str, object]] = []
    for index, item in enumerate(_items(data, key), start=1):
        if not isinstance(item, Mapping):
            raise ValueError(f"城市配置“{key}”的第{index}项应为对象")
        unknown = sorted(set(item) - keys)
        if unknown:
            raise ValueError(f"城市配置“{key}”的第{index}项含有未知字段：{'、'.join(unknown)}")
        records.append(item)
    return records


def _strings(data: Mapping[str, object], key: str) -> tuple[str, ...]:
    values = _items(data, key)
    for index, value in enumerate(values, start=1):
        if not isinstance(value, str):
            raise ValueError(f"城市配置“{key}”的第{index}项应为字符串")
    return tuple(str(v) for v in values)


def city_from_dict(data: Mapping[str, object]) -> CityConfig:
    """Build a city from the JSON shape of `city_to_dict`, rejecting anything doubtful."""
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ValueError(f"城市配置含有未知字段：{'、'.join(unknown)}")
    where = "城市配置"
    districts = []
    for index, item in enumerate(_records(data, "districts", frozenset({"code", "name"})), 1):
        label = f"城市配置“districts”的第{index}项"
        districts.append(District(_text(item, "code", label), _text(item, "name", label)))
    machine_types = []
    type_keys = frozenset({"name", "category", "in_plant"})
    for index, item in enumerate(_records(data, "machine_types", type_keys), 1):
        label = f"城市配置“machine_types”的第{index}项"
        in_plant = item.get("in_plant", False)
        if not isinstance(in_plant, bool):
            raise ValueError(f"{label}的字段“in_plant”应为 true 或 false")
        machine_types.append(
            MachineType(_text(item, "name", label), _text(item, "category", label), in_plant)
        )
    return CityConfig(
        name=_text(data, "name", where),
        abbreviation=_text(data, "abbreviation", where),
        districts=tuple(districts),
        machine_types=tuple(machine_types),
        fuel_types=_strings(data, "fuel_types"),
        site_types=_strings(data, "site_types"),
        issuer=_text(data, "issuer", where),
    )


def city_to_dict(city: CityConfig) -> dict[str, object]:
    """The JSON shape of a city, so a deployment can dump the default and edit it."""
    return {
        "name": city.name,
        "abbreviation": city.abbreviation,
        "districts": [{"code": d.code, "name": d.name} for d in city.districts],
        "machine_types": [
            {"name": t.name, "category": t.category, "in_plant": t.in_plant}
            for t in city.machine_types
        ],
        "fuel_types": list(city.fuel_types),
        "site_types": list(city.site_types),
        "issuer": city.issuer,
    }


def load_city(path: str | Path) -> CityConfig:
    """Read a city configuration from a UTF-8 JSON file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"城市配置文件 {path} 不是有效的 JSON：第{error.lineno}行第{error.colno}列，{error.msg}"
        ) from error
    if not isinstance(data, dict):
        raise ValueError(f"城市配置文件 {path} 的内容应为 JSON 对象")
    return city_from_dict(data)
