"""The city configuration: Shanghai's tables, loading and validating other cities."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.city import (
    DISTRICT_CODE_ALPHABET,
    SHANGHAI,
    CityConfig,
    District,
    MachineType,
    city_from_dict,
    city_to_dict,
    load_city,
)

# 附件2, copied from the measures so a typo in rules/city.py cannot hide.
DISTRICTS = [
    ("A", "黄浦区"),
    ("B", "静安区"),
    ("D", "徐汇区"),
    ("E", "长宁区"),
    ("F", "普陀区"),
    ("G", "虹口区"),
    ("H", "杨浦区"),
    ("J", "宝山区"),
    ("K", "闵行区"),
    ("L", "浦东新区"),
    ("M", "嘉定区"),
    ("N", "金山区"),
    ("P", "松江区"),
    ("Q", "奉贤区"),
    ("R", "青浦区"),
    ("S", "崇明区"),
    ("T", "上海市化工区管委会"),
    ("U", "流动机械"),
    ("V", "上海自贸区管委会保税区管理局"),
    ("W", "临港新片区管委会"),
]

MACHINE_TYPES = [
    ("挖掘机", "工程机械", False),
    ("起重机", "工程机械", False),
    ("推土机", "工程机械", False),
    ("装载机", "工程机械", False),
    ("压路机", "工程机械", False),
    ("摊铺机", "工程机械", False),
    ("平地机", "工程机械", False),
    ("叉车", "工程机械", False),
    ("桩工机械", "工程机械", False),
    ("堆高机", "材料装卸机械", False),
    ("牵引车", "机场地勤设备", False),
    ("摆渡车", "机场地勤设备", False),
    ("场内车辆", "场内车辆", True),
]


def test_alphabet_is_24_letters_without_i_and_o() -> None:
    assert len(DISTRICT_CODE_ALPHABET) == 24
    assert set(DISTRICT_CODE_ALPHABET) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ") - {"I", "O"}


@pytest.mark.parametrize(("code", "name"), DISTRICTS)
def test_each_district_of_annex_2(code: str, name: str) -> None:
    assert SHANGHAI.district(code) == District(code, name)


def test_districts_are_exactly_annex_2_in_order() -> None:
    assert [(d.code, d.name) for d in SHANGHAI.districts] == DISTRICTS
    assert SHANGHAI.district_codes() == frozenset(code for code, _ in DISTRICTS)
    assert set(DISTRICT_CODE_ALPHABET) - SHANGHAI.district_codes() == {"C", "X", "Y", "Z"}


@pytest.mark.parametrize("code", ["C", "I", "a", "", "AB"])
def test_unknown_district_is_a_chinese_value_error(code: str) -> None:
    with pytest.raises(ValueError, match=f"未知的区代号“{code}”"):
        SHANGHAI.district(code)


@pytest.mark.parametrize(("name", "category", "in_plant"), MACHINE_TYPES)
def test_each_machine_type_of_art_2(name: str, category: str, in_plant: bool) -> None:
    assert SHANGHAI.machine_type(name) == MachineType(name, category, in_plant)
    assert SHANGHAI.category_for(name) == category


def test_machine_types_are_art_2_in_order() -> None:
    assert [(t.name, t.category, t.in_plant) for t in SHANGHAI.machine_types] == MACHINE_TYPES


def test_categories_are_distinct_in_order() -> None:
    assert SHANGHAI.categories() == ("工程机械", "材料装卸机械", "机场地勤设备", "场内车辆")


def test_unknown_machine_type() -> None:
    with pytest.raises(ValueError, match="未知的机械类型“拖拉机”"):
        SHANGHAI.category_for("拖拉机")


def test_shanghai_reference_lists() -> None:
    assert SHANGHAI.name == "上海市"
    assert SHANGHAI.abbreviation == "沪"
    assert SHANGHAI.issuer == "上海市生态环境局"
    assert SHANGHAI.fuel_types == (
        "柴油",
        "汽油",
        "天然气",
        "液化石油气",
        "电动",
        "混合动力",
        "其他",
    )
    assert SHANGHAI.site_types == ("港口", "工地", "机场", "厂区", "物流园区", "码头堆场", "其他")


def test_shanghai_round_trips_through_json(tmp_path: Path) -> None:
    data = city_to_dict(SHANGHAI)
    assert city_from_dict(data) == SHANGHAI
    path = tmp_path / "city.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    assert load_city(path) == SHANGHAI
    assert load_city(str(path)) == SHANGHAI


def _beijing() -> dict[str, Any]:
    return {
        "name": "北京市",
        "abbreviation": "京",
        "districts": [
            {"code": "A", "name": "东城区"},
            {"code": "B", "name": "西城区"},
            {"code": "C", "name": "朝阳区"},
        ],
        "machine_types": [
            {"name": "挖掘机", "category": "工程机械", "in_plant": False},
            {"name": "场内车辆", "category": "场内车辆", "in_plant": True},
        ],
        "fuel_types": ["柴油", "其他"],
        "site_types": ["工地", "其他"],
        "issuer": "北京市生态环境局",
    }


def test_in_plant_defaults_to_false() -> None:
    data = _beijing()
    del data["machine_types"][0]["in_plant"]
    assert city_from_dict(data).machine_type("挖掘机").in_plant is False


def _set(path: tuple[str | int, ...], value: object) -> Any:
    """A Beijing config with the value at `path` replaced (or deleted if value is ...)."""

    def apply(data: dict[str, Any]) -> dict[str, Any]:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        if value is ...:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return data

    return apply


INVALID = [
    pytest.param(_set(("districts",), []), "至少需要一个区", id="no-district"),
    pytest.param(_set(("districts", 0, "code"), "I"), "区代号“I”无效", id="code-I"),
    pytest.param(_set(("districts", 0, "code"), "O"), "区代号“O”无效", id="code-O"),
    pytest.param(_set(("districts", 0, "code"), "a"), "区代号“a”无效", id="code-lower"),
    pytest.param(_set(("districts", 0, "code"), "AB"), "区代号“AB”无效", id="code-two"),
    pytest.param(_set(("districts", 0, "code"), "1"), "区代号“1”无效", id="code-digit"),
    pytest.param(_set(("districts", 1, "code"), "A"), "区代号“A”重复", id="code-dup"),
    pytest.param(_set(("districts", 1, "name"), "东城区"), "区名称“东城区”重复", id="name-dup"),
    pytest.param(_set(("districts", 1, "name"), " "), "区名称不能为空", id="name-blank"),
    pytest.param(_set(("abbreviation",), "京京"), "城市简称应为1个汉字", id="abbr-two"),
    pytest.param(_set(("abbreviation",), ""), "城市简称应为1个汉字", id="abbr-empty"),
    pytest.param(_set(("abbreviation",), "J"), "城市简称应为1个汉字", id="abbr-latin"),
    pytest.param(
        _set(("machine_types", 1, "name"), "挖掘机"), "机械类型“挖掘机”重复", id="type-dup"
    ),
    pytest.param(_set(("machine_types", 0, "category"), ""), "机械种类不能为空", id="cat-empty"),
    pytest.param(
        _set(("machine_types", 0, "category"), "工程-机械"), "只能由汉字组成", id="cat-dash"
    ),
    pytest.param(_set(("machine_types",), []), "至少需要一种机械类型", id="no-type"),
    pytest.param(_set(("machine_types", 0, "in_plant"), "yes"), "in_plant", id="in-plant-str"),
    pytest.param(_set(("site_types",), ["工地"]), "必须包含“其他”", id="no-other-site"),
    pytest.param(_set(("fuel_types",), ["柴油", "柴油"]), "燃料类型“柴油”重复", id="fuel-dup"),
    pytest.param(_set(("name",), 3), "字段“name”应为字符串", id="name-type"),
    pytest.param(_set(("issuer",), ...), "缺少字段“issuer”", id="issuer-missing"),
    pytest.param(_set(("districts",), "A"), "字段“districts”应为列表", id="districts-type"),
    pytest.param(_set(("districts", 0), "A"), "第1项应为对象", id="district-type"),
    pytest.param(_set(("districts", 0, "label"), "x"), "未知字段：label", id="district-extra"),
    pytest.param(_set(("colour",), "blue"), "未知字段：colour", id="city-extra"),
]


@pytest.mark.parametrize(("change", "message"), INVALID)
def test_invalid_config_is_refused_naming_the_problem(change: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        city_from_dict(change(_beijing()))


def test_custom_city_loads(tmp_path: Path) -> None:
    path = tmp_path / "beijing.json"
    path.write_text(json.dumps(_beijing(), ensure_ascii=False), encoding="utf-8")
    city = load_city(path)
    assert city.abbreviation == "京"
    assert city.district("C").name == "朝阳区"
    assert city.categories() == ("工程机械", "场内车辆")


def test_load_city_reports_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"name": ', encoding="utf-8")
    with pytest.raises(ValueError, match="不是有效的 JSON"):
        load_city(path)
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(ValueError, match="应为 JSON 对象"):
        load_city(path)


_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_WORDS = st.text(_HAN, min_size=1, max_size=6)


@st.composite
def cities(draw: st.DrawFn) -> CityConfig:
    codes = draw(st.lists(st.sampled_from(DISTRICT_CODE_ALPHABET), min_size=1, unique=True))
    names = draw(st.lists(_WORDS, min_size=len(codes), max_size=len(codes), unique=True))
    type_names = draw(st.lists(_WORDS, min_size=1, max_size=8, unique=True))
    machine_types = tuple(
        MachineType(name, draw(_WORDS), draw(st.booleans())) for name in type_names
    )
    sites = draw(st.lists(_WORDS.filter(lambda s: s != "其他"), max_size=5, unique=True))
    return CityConfig(
        name=draw(_WORDS),
        abbreviation=draw(_HAN),
        districts=tuple(District(c, n) for c, n in zip(codes, names, strict=True)),
        machine_types=machine_types,
        fuel_types=tuple(draw(st.lists(_WORDS, min_size=1, max_size=5, unique=True))),
        site_types=(*sites, "其他"),
        issuer=draw(_WORDS),
    )


@given(cities())
def test_city_dict_round_trip(city: CityConfig) -> None:
    data = city_to_dict(city)
    assert city_from_dict(data) == city
    assert city_from_dict(json.loads(json.dumps(data))) == city
