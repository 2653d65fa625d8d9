"""Server-side SVG charts for the statistics pages: plain data in, an SVG string out.

No Django and no database here (tested on their own); the pages put the same numbers in a
table beside every chart, so the charts need no interactivity and no JavaScript. Text is
escaped; sizes are in SVG user units and the SVG scales to its container (viewBox).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

FONT = "-apple-system, 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Zen Hei', sans-serif"
BAR_COLOUR = "#1f5fa8"
SERIES_COLOURS = ("#1f5fa8", "#e67e22", "#1e7e34", "#c0392b")
GRID_COLOUR = "#d9dee5"
TEXT_COLOUR = "#1f2933"
MUTED_COLOUR = "#6b7280"
# The map's scale, from few machines (light) to many (dark blue), and "none at all".
MAP_SCALE = ("#dbe8f6", "#b0cdea", "#7eaedb", "#4a8bc9", "#1f5fa8", "#123d6e")
MAP_EMPTY = "#f1f3f5"


def _attr(value: object) -> str:
    return escape(str(value), {'"': "&quot;"})


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
        f'role="img" aria-label="{_attr(title)}" class="chart" '
        f'font-family="{_attr(FONT)}" font-size="12" fill="{TEXT_COLOUR}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _text_width(text: str, size: float = 12) -> float:
    """A rough width for layout: CJK characters are square, others about half as wide."""
    return sum(size if ord(c) > 0x2E80 else size * 0.6 for c in text)


def nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ at least `value` (an axis end that reads well)."""
    if value <= 0:
        return 1
    magnitude: float = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


# Names too long for a tile or a bar's label, as people say them.
SHORT_NAMES = {
    "上海市化工区管委会": "化工区",
    "上海自贸区管委会保税区管理局": "保税区",
    "临港新片区管委会": "临港新片区",
}


def short_name(name: str) -> str:
    return SHORT_NAMES.get(name, name)


def _fit(text: str, room: float, size: float = 12) -> str:
    """`text`, cut with an ellipsis if it would be wider than `room`."""
    if _text_width(text, size) <= room:
        return text
    while text and _text_width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def nice_step(value: float) -> float:
    """A grid step of at least `value` that reads well: 1, 2, 2.5 or 5 × 10ⁿ, never
    below 1 (counts are whole numbers)."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value and (step != 2.5 or magnitude >= 10):
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(rows: Sequence[tuple[str, float]], *, title: str, width: float = 480) -> str:
    """Horizontal bars, one per (label, value), the value written at the bar's end."""
    row_height, gap, top = 22, 6, 8
    label_width = min(max((_text_width(label) for label, _v in rows), default=0) + 8, width / 3)
    value_room = 64
    plot = width - label_width - value_room
    highest = max((value for _label, value in rows), default=0)
    scale = plot / highest if highest > 0 else 0
    height = top * 2 + max(len(rows), 1) * (row_height + gap)
    body: list[str] = []
    if not rows:
        body.append(f'<text x="{width / 2:g}" y="{height / 2 + 4:g}" text-anchor="middle" ')
        body[-1] += f'fill="{MUTED_COLOUR}">无数据</text>'
    for i, (label, value) in enumerate(rows):
        y = top + i * (row_height + gap)
        bar = max(value * scale, 0)
        body.append(
            f'<text x="{label_width - 6:g}" y="{y + row_height / 2 + 4:g}" '
            f'text-anchor="end">{escape(_fit(short_name(label), label_width - 8))}</text>'
            f'<rect x="{label_width:g}" y="{y:g}" width="{bar:.1f}" height="{row_height}" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}：{_number(value)}</title></rect>'
            f'<text x="{label_width + bar + 4:.1f}" y="{y + row_height / 2 + 4:g}">'
            f"{_number(value)}</text>"
        )
    return _svg(width, height, body, title)


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]  # one per category, in the categories' order


def column_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    width: float = 640,
    height: float = 260,
) -> str:
    """Grouped columns per category (e.g. month), a legend, and a y axis with four steps."""
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(categories)}")
    left, right, top, bottom = 48, 8, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    # Four grid steps of a round size, so that the axis reads 0, 10, 20, 30, 40.
    highest = 4 * nice_step(max((v for s in series for v in s.values), default=0) / 4)
    body: list[str] = []
    for step in range(5):
        value = highest * step / 4
        y = top + plot_h - plot_h * step / 4
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOUR}"/><text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{MUTED_COLOUR}" font-size="10">{_number(value)}</text>'
        )
    x_legend: float = left
    for k, s in enumerate(series):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        body.append(
            f'<rect x="{x_legend}" y="6" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x_legend + 16}" y="16">{escape(s.name)}</text>'
        )
        x_legend += 16 + _text_width(s.name) + 16
    if categories:
        band = plot_w / len(categories)
        bar = max(band * 0.8 / max(len(series), 1), 1)
        # Label every n-th category so that labels never overlap.
        every = max(1, math.ceil(46 / band))
        for i, category in enumerate(categories):
            x0 = left + i * band + band * 0.1
            for k, s in enumerate(series):
                value = s.values[i]
                h = plot_h * value / highest if highest else 0
                colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
                body.append(
                    f'<rect x="{x0 + k * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                    f'height="{h:.1f}" fill="{colour}"><title>{escape(category)} '
                    f"{escape(s.name)}：{_number(value)}</title></rect>"
                )
            if i % every == 0:
                body.append(
                    f'<text x="{left + i * band + band / 2:.1f}" y="{height - bottom + 16}" '
                    f'text-anchor="middle" font-size="10">{escape(category)}</text>'
                )
    else:
        body.append(
            f'<text x="{width / 2:g}" y="{height / 2:g}" text-anchor="middle" '
            f'fill="{MUTED_COLOUR}">无数据</text>'
        )
    return _svg(width, height, body, title)


# --- the district map ------------------------------------------------------------------------

# A schematic map of Shanghai: one tile per district code of the measures' table, placed
# roughly where the district lies (north up: 崇明 on its island, the city centre in the
# middle, 浦东 east of the river, 金山 and 奉贤 on the southern coast). Tiles are
# (column, row, columns wide, rows high) on a 6 × 7 grid. Codes without a place of their
# own (U 流动机械, machines that move between districts) are drawn beside the map.
TILES: dict[str, tuple[int, int, int, int]] = {
    "S": (3, 0, 3, 1),  # 崇明区
    "M": (1, 1, 1, 1),  # 嘉定区
    "J": (2, 1, 2, 1),  # 宝山区
    "V": (5, 1, 1, 2),  # 自贸区保税区 (外高桥)
    "R": (0, 2, 1, 2),  # 青浦区
    "F": (1, 2, 1, 1),  # 普陀区
    "B": (2, 2, 1, 1),  # 静安区
    "G": (3, 2, 1, 1),  # 虹口区
    "H": (4, 2, 1, 1),  # 杨浦区
    "E": (1, 3, 1, 1),  # 长宁区
    "A": (2, 3, 1, 1),  # 黄浦区
    "L": (3, 3, 2, 3),  # 浦东新区
    "D": (2, 4, 1, 1),  # 徐汇区
    "P": (0, 4, 2, 1),  # 松江区
    "K": (1, 5, 2, 1),  # 闵行区 (drawn south of the centre, reaching the river)
    "W": (5, 3, 1, 3),  # 临港新片区
    "N": (0, 5, 1, 2),  # 金山区
    "T": (1, 6, 1, 1),  # 化工区
    "Q": (2, 6, 3, 1),  # 奉贤区
}
TILE = 74  # user units per grid cell
GRID_COLUMNS, GRID_ROWS = 6, 7
TILE_GAP = 4


def map_colour(value: int, highest: int) -> str:
    """The tile's fill: MAP_EMPTY for none, otherwise one of MAP_SCALE's steps."""
    if value <= 0 or highest <= 0:
        return MAP_EMPTY
    step = min(int(value * len(MAP_SCALE) / highest), len(MAP_SCALE) - 1)
    if value == highest:
        step = len(MAP_SCALE) - 1
    return MAP_SCALE[step]


def _label_colour(fill: str) -> str:
    dark = MAP_SCALE.index(fill) >= 3 if fill in MAP_SCALE else False
    return "#fff" if dark else TEXT_COLOUR


def district_map(
    districts: Sequence[tuple[str, str]],
    counts: Mapping[str, int],
    *,
    title: str,
    highlight: str = "",
) -> str:
    """The districts as tiles coloured by their count, each with its name and count, and a
    legend. `districts` is (code, name) in the city table's order; codes the schematic does
    not place (another city's, or 流动机械) are listed as tiles in a column on the right."""
    known = [(c, n) for c, n in districts if c in TILES]
    extra = [(c, n) for c, n in districts if c not in TILES]
    highest = max((counts.get(c, 0) for c, _n in districts), default=0)
    grid_w = GRID_COLUMNS * TILE
    width = grid_w + (TILE * 2 + 16 if extra else 0)
    legend_top = GRID_ROWS * TILE + 16
    height: float = legend_top + 40
    body: list[str] = []
    for code, name in known:
        col, row, w, h = TILES[code]
        x, y = col * TILE + TILE_GAP / 2, row * TILE + TILE_GAP / 2
        body.append(_tile(code, name, counts.get(code, 0), highest, x, y, w, h, code == highlight))
    for i, (code, name) in enumerate(extra):
        body.append(
            _tile(
                code,
                name,
                counts.get(code, 0),
                highest,
                grid_w + 16,
                i * TILE * 0.75,
                2,
                0.75,
                False,
            )
        )
    height = max(height, len(extra) * TILE * 0.75 + 8)
    # Legend: the scale's steps with the counts they start at.
    legend_x = 0.0
    for k, colour in enumerate((MAP_EMPTY, *MAP_SCALE)):
        low = 0 if k == 0 else max(1, -(-(k - 1) * highest // len(MAP_SCALE)))
        label = "0" if k == 0 else f"≥{low:,}"
        body.append(
            f'<rect x="{legend_x:g}" y="{legend_top}" width="16" height="16" fill="{colour}" '
            f'stroke="{GRID_COLOUR}"/><text x="{legend_x + 20:g}" y="{legend_top + 13}" '
            f'font-size="11">{escape(label)}</text>'
        )
        legend_x += 28 + _text_width(label, 11)
    body.append(
        f'<text x="0" y="{legend_top + 34}" font-size="10" fill="{MUTED_COLOUR}">'
        "示意图：各区位置为近似示意，非精确边界</text>"
    )
    return _svg(width, height, body, title)


def _tile(
    code: str,
    name: str,
    value: int,
    highest: int,
    x: float,
    y: float,
    w: float,
    h: float,
    highlight: bool,
) -> str:
    fill = map_colour(value, highest)
    tw, th = w * TILE - TILE_GAP, h * TILE - TILE_GAP
    short = short_name(name)
    size = 12 if _text_width(short) <= tw - 8 else max(7.0, (tw - 8) / max(len(short), 1))
    stroke = ' stroke="#c0392b" stroke-width="3"' if highlight else f' stroke="{GRID_COLOUR}"'
    colour = _label_colour(fill)
    return (
        f'<g class="district" data-code="{_attr(code)}" data-count="{value}">'
        f'<rect x="{x:g}" y="{y:g}" width="{tw:g}" height="{th:g}" rx="6" fill="{fill}"{stroke}>'
        f"<title>{escape(name)}（{escape(code)}）：{value:,}</title></rect>"
        f'<text x="{x + tw / 2:g}" y="{y + th / 2 - 2:g}" text-anchor="middle" '
        f'font-size="{size:.1f}" fill="{colour}">{escape(short)}</text>'
        f'<text x="{x + tw / 2:g}" y="{y + th / 2 + 13:g}" text-anchor="middle" '
        f'font-size="11" font-weight="600" fill="{colour}">{value:,}</text></g>'
    )
