"""The SVG charts: plain data in, well-formed SVG out, every number written on it."""

import xml.etree.ElementTree as ET

import pytest

from rules.city import SHANGHAI
from stats import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in parse(svg).iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 1), (1, 1), (3, 5), (7, 10), (12, 20), (55, 100), (100, 100), (2400, 5000), (0.3, 0.5)],
)
def test_nice_max(value, expected):
    assert charts.nice_max(value) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 1), (0.5, 1), (1.2, 2), (3, 5), (5.5, 10), (12, 20), (22.5, 25), (40, 50), (101, 200)],
)
def test_nice_step(value, expected):
    assert charts.nice_step(value) == expected


def test_bar_chart_writes_labels_and_values_and_escapes():
    svg = charts.bar_chart([("挖掘机", 1200), ("<叉车&>", 3)], title="机械类型")
    words = texts(svg)
    assert "挖掘机" in words and "1,200" in words and "<叉车&>" in words and "3" in words
    bars = [r for r in parse(svg).iter(f"{SVG}rect")]
    widths = [float(r.get("width") or 0) for r in bars]
    assert widths[0] > widths[1] > 0  # proportional to the values


def test_bar_chart_shortens_long_names_and_handles_no_data():
    svg = charts.bar_chart([("上海自贸区管委会保税区管理局", 5)], title="区")
    assert "保税区" in texts(svg)
    assert "无数据" in texts(charts.bar_chart([], title="空"))


def test_column_chart_series_and_axis():
    svg = charts.column_chart(
        ["2026-01", "2026-02"],
        [charts.Series("申报", (3, 22)), charts.Series("登记", (1, 0))],
        title="每月",
    )
    words = texts(svg)
    assert {"申报", "登记", "2026-01", "2026-02"} <= set(words)
    assert words[:5] == ["0", "10", "20", "30", "40"]  # four round steps up to 40
    titles = [t.text for t in parse(svg).iter(f"{SVG}title")]
    assert "2026-02 申报：22" in titles


def test_column_chart_refuses_series_of_the_wrong_length():
    with pytest.raises(ValueError, match="has 1 values for 2"):
        charts.column_chart(["a", "b"], [charts.Series("x", (1,))], title="t")


def test_every_shanghai_district_has_a_tile_and_tiles_do_not_overlap():
    codes = {d.code for d in SHANGHAI.districts}
    assert codes - set(charts.TILES) == {"U"}  # 流动机械 has no place: drawn beside the map
    cells: set[tuple[int, int]] = set()
    for col, row, w, h in charts.TILES.values():
        mine = {(c, r) for c in range(col, col + w) for r in range(row, row + h)}
        assert not mine & cells
        assert all(c < charts.GRID_COLUMNS and r < charts.GRID_ROWS for c, r in mine)
        cells |= mine


def test_district_map_colours_by_count_and_writes_the_counts():
    districts = [(d.code, d.name) for d in SHANGHAI.districts]
    counts = {"L": 600, "A": 100, "U": 7}
    svg = charts.district_map(districts, counts, title="分布", highlight="A")
    groups = {g.get("data-code"): g for g in parse(svg).iter(f"{SVG}g")}
    assert set(groups) == {d.code for d in SHANGHAI.districts}
    rects = {code: g.find(f"{SVG}rect") for code, g in groups.items()}
    fill = {code: rect.get("fill") for code, rect in rects.items() if rect is not None}
    assert fill["L"] == charts.MAP_SCALE[-1]  # the most
    assert fill["B"] == charts.MAP_EMPTY  # none
    assert fill["A"] == charts.MAP_SCALE[1]
    assert groups["L"].get("data-count") == "600" and "600" in texts(svg)
    chosen = rects["A"]
    assert chosen is not None and chosen.get("stroke") == "#c0392b"  # the chosen district
    assert "流动机械" in texts(svg) and "化工区" in texts(svg)


@pytest.mark.parametrize(
    ("value", "highest", "expected"),
    [(0, 10, charts.MAP_EMPTY), (1, 600, charts.MAP_SCALE[0]), (600, 600, charts.MAP_SCALE[-1])],
)
def test_map_colour(value, highest, expected):
    assert charts.map_colour(value, highest) == expected
