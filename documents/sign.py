"""The stamped metal sign of 附件3 图1: a true-size SVG for one sign, a PDF for a batch.

The layout is computed once (``sign_layout``: boxes in mm, origin top-left, y down) and
emitted either as SVG (``sign_svg``) or onto a reportlab canvas (``draw_sign``, used by
``sign_pdf`` and by the installation guide's scaled drawing). Characters are the Noto Sans
SC Bold outlines (黑体, GA 36-style plate lettering is not available as a font), drawn as
filled paths: the files need no font, and each glyph's ink bounding box is scaled
(non-uniformly) to fill its box exactly.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from fontTools.pens.basePen import BasePen
from fontTools.pens.boundsPen import BoundsPen
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .data import SignData
from .fonts import HEITI, binary_streams, heiti_outlines, outline_lock, register_fonts

# --- Geometry (mm). Stated by 附件3 ---------------------------------------------------------
SIGN_WIDTH = 440.0
SIGN_HEIGHT = 220.0
ROW1_CHAR_WIDTH = 60.0  # "每个字宽60mm"
ROW1_CHAR_HEIGHT = 60.0  # "字样高60mm"
ROW1_GAP = 10.0  # "相邻字符间隔10mm"
ROW2_CHAR_HEIGHT = 80.0  # "汉字、字母、数字高80mm"
ROW2_GAP = 8.0  # "其余字符间隔8mm"
DASH_WIDTH = 20.0  # "横杠分隔符 ... 长20mm"
DASH_HEIGHT = 5.0  # "横杠分隔符高5mm"
DASH_GAP = 6.0  # "横杠与相邻字符间隔6mm"
RIB_MIN_RAISE = 1.0  # "凸起值不小于1mm的加强筋" (a stamping depth, not drawn)

# --- Geometry (mm). Inferred (see docs/documents.md) --------------------------------------
# Row-2 character width: GA 36's plate characters are 45 × 90 (1:2); scaled to 80 high
# that is 40 wide. 8 × 40 + 6 × 8 + 2 × 6 + 20 = 400 mm, leaving 20 mm either side.
ROW2_CHAR_WIDTH = 40.0
ROW1_TOP = 25.0  # top margin 25, row 1 from 25 to 85
ROW2_TOP = 115.0  # 30 mm between the rows, row 2 from 115 to 195, bottom margin 25
PLATE_CORNER_RADIUS = 10.0  # the plate's outline (the cut line) has rounded corners
RIB_INSET = 4.0  # the reinforcing rib's centre line, 4 mm inside the outline
RIB_WIDTH = 2.0  # drawn as a 2 mm stroke
RIB_CORNER_RADIUS = PLATE_CORNER_RADIUS - RIB_INSET  # concentric with the outline
# A glyph whose ink is narrower (or flatter) than this fraction of its reference glyph
# ("0" for letters and digits, a full ideograph for Chinese) is not stretched to fill its
# box: it keeps the scale of the reference and is centred (a stretched "I" would be a
# 40 mm slab). No other glyph in 0-9, A-Z or the category names is affected.
NARROW_GLYPH_RATIO = 0.5
CJK_REFERENCE_SIZE = 900.0  # font units: a typical ideograph's ink extent (1000-unit em)

# --- Colours ------------------------------------------------------------------------------
# GB/T 3181-2008 defines PB09 天（酞）蓝 and YR06 棕黄 by physical swatches and gives no sRGB
# values: these are screen approximations. The SVG carries data-gbt3181 attributes so the
# stamping contractor matches the physical swatches, not these numbers.
PB09_RGB = (0x1F, 0x6E, 0xB5)  # background, sky blue
YR06_RGB = (0xC8, 0x93, 0x3F)  # characters, rib and dash, brown-yellow

CATEGORY_RE = re.compile(r"^[\u4e00-\u9fff]{2,6}$")
NUMBER_RE = re.compile(r"^[\u4e00-\u9fff][A-Z][0-9]-[0-9A-Z]{5}$")
MAX_CATEGORY_CHARS = 6


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def unit_colour(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    return (rgb[0] / 255, rgb[1] / 255, rgb[2] / 255)


@dataclass(frozen=True)
class Box:
    """A rectangle in mm, origin at the sign's top-left corner, y pointing down."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def centre_x(self) -> float:
        return self.x + self.width / 2

    @property
    def centre_y(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class GlyphPlacement:
    char: str
    row: int  # 1 = category, 2 = number
    box: Box  # the character's box per 附件3
    ink: Box  # where the glyph's ink bounding box is drawn (== box unless narrow)


@dataclass(frozen=True)
class SignLayout:
    data: SignData
    plate: Box
    rib: Box  # the rib's centre line
    glyphs: tuple[GlyphPlacement, ...]
    dash: Box


# --- Glyph outlines -----------------------------------------------------------------------

Op = tuple[str, tuple[float, ...]]


@dataclass(frozen=True)
class GlyphOutline:
    """One character's outline in font units (y up), quadratic as in the font."""

    char: str
    ops: tuple[Op, ...]  # ("M", (x, y)), ("L", (x, y)), ("Q", (cx, cy, x, y)), ("Z", ())
    x_min: float
    y_min: float
    x_max: float
    y_max: float
    pdf_path: str  # PDF path construction operators (cubic), font units

    @property
    def width(self) -> float:
        return self.x_max - self.x_min

    @property
    def height(self) -> float:
        return self.y_max - self.y_min


class _OutlinePen(BasePen):
    """Records a glyph as M/L/Q/C/Z operations (BasePen splits TrueType's implied points)."""

    def __init__(self, glyph_set: Any) -> None:
        super().__init__(glyph_set)
        self.ops: list[Op] = []

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(("M", tuple(pt)))

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(("L", tuple(pt)))

    def _qCurveToOne(self, pt1: tuple[float, float], pt2: tuple[float, float]) -> None:
        self.ops.append(("Q", (*pt1, *pt2)))

    def _curveToOne(
        self, pt1: tuple[float, float], pt2: tuple[float, float], pt3: tuple[float, float]
    ) -> None:
        self.ops.append(("C", (*pt1, *pt2, *pt3)))

    def _closePath(self) -> None:
        self.ops.append(("Z", ()))

    def _endPath(self) -> None:
        self.ops.append(("Z", ()))


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _pdf_path(ops: Sequence[Op]) -> str:
    """PDF path operators for the outline; quadratic segments become exact cubics."""
    out: list[str] = []
    cx = cy = sx = sy = 0.0
    for op, p in ops:
        if op == "M":
            cx, cy = sx, sy = p
            out.append(f"{_num(cx)} {_num(cy)} m")
        elif op == "L":
            cx, cy = p
            out.append(f"{_num(cx)} {_num(cy)} l")
        elif op == "Q":
            qx, qy, x, y = p
            c1x, c1y = cx + 2 / 3 * (qx - cx), cy + 2 / 3 * (qy - cy)
            c2x, c2y = x + 2 / 3 * (qx - x), y + 2 / 3 * (qy - y)
            out.append(f"{_num(c1x)} {_num(c1y)} {_num(c2x)} {_num(c2y)} {_num(x)} {_num(y)} c")
            cx, cy = x, y
        elif op == "C":
            out.append(" ".join(_num(v) for v in p) + " c")
            cx, cy = p[4], p[5]
        else:
            out.append("h")
            cx, cy = sx, sy
    return "\n".join(out)


_glyph_cache: dict[str, GlyphOutline] = {}
_glyph_cache_lock = threading.Lock()


def glyph_outline(char: str) -> GlyphOutline:
    """The 黑体 outline of `char`, read once per process and cached."""
    cached = _glyph_cache.get(char)
    if cached is not None:
        return cached
    with outline_lock:
        font = heiti_outlines()
        name = font.getBestCmap().get(ord(char)) if len(char) == 1 else None
        if name is None:
            raise ValueError(f"the sign font ({HEITI}) has no glyph for {char!r}")
        glyph_set = font.getGlyphSet()
        pen = _OutlinePen(glyph_set)
        glyph_set[name].draw(pen)
        bounds_pen = BoundsPen(glyph_set)
        glyph_set[name].draw(bounds_pen)
    if bounds_pen.bounds is None:
        raise ValueError(f"the sign font ({HEITI}) has no outline for {char!r}")
    x_min, y_min, x_max, y_max = bounds_pen.bounds
    outline = GlyphOutline(
        char=char,
        ops=tuple(pen.ops),
        x_min=x_min,
        y_min=y_min,
        x_max=x_max,
        y_max=y_max,
        pdf_path=_pdf_path(pen.ops),
    )
    with _glyph_cache_lock:
        _glyph_cache[char] = outline
    return outline


# --- Layout -------------------------------------------------------------------------------


def validate_sign(data: SignData) -> None:
    """Raise ValueError, saying what is wrong, unless `data` can be drawn."""
    category, number = data.category, data.number
    if not category:
        raise ValueError("sign category (row 1) is empty")
    if len(category) > MAX_CATEGORY_CHARS:
        raise ValueError(
            f"sign category {category!r} has {len(category)} characters;"
            f" at most {MAX_CATEGORY_CHARS} fit on row 1"
        )
    if not CATEGORY_RE.match(category):
        raise ValueError(f"sign category {category!r} must be 2 to 6 Chinese characters")
    if not number:
        raise ValueError("sign number (row 2) is empty")
    if not NUMBER_RE.match(number):
        raise ValueError(
            f"sign number {number!r} is not like 沪A2-00001: one Chinese character, the"
            " district letter, the stage digit, '-', five serial characters (0-9, A-Z)"
        )


def _reference(char: str) -> tuple[float, float]:
    """(width, height) in font units that a glyph of this kind fills its box with."""
    if char.isascii():
        zero = glyph_outline("0")
        return zero.width, zero.height
    return CJK_REFERENCE_SIZE, CJK_REFERENCE_SIZE


def _ink_box(char: str, box: Box) -> Box:
    outline = glyph_outline(char)
    ref_width, ref_height = _reference(char)
    width, height = box.width, box.height
    if outline.width < NARROW_GLYPH_RATIO * ref_width:
        width = box.width * outline.width / ref_width
    if outline.height < NARROW_GLYPH_RATIO * ref_height:
        height = box.height * outline.height / ref_height
    return Box(box.centre_x - width / 2, box.centre_y - height / 2, width, height)


def _centred_start(total_width: float) -> float:
    return (SIGN_WIDTH - total_width) / 2


def sign_layout(data: SignData) -> SignLayout:
    """Every box of the sign in mm (top-left origin). Raises ValueError on bad input."""
    validate_sign(data)
    glyphs: list[GlyphPlacement] = []

    count = len(data.category)
    x = _centred_start(count * ROW1_CHAR_WIDTH + (count - 1) * ROW1_GAP)
    for char in data.category:
        box = Box(x, ROW1_TOP, ROW1_CHAR_WIDTH, ROW1_CHAR_HEIGHT)
        glyphs.append(GlyphPlacement(char, 1, box, _ink_box(char, box)))
        x += ROW1_CHAR_WIDTH + ROW1_GAP

    before, after = data.number.split("-")
    row2_width = (
        (len(before) + len(after)) * ROW2_CHAR_WIDTH
        + (len(before) - 1 + len(after) - 1) * ROW2_GAP
        + 2 * DASH_GAP
        + DASH_WIDTH
    )
    x = _centred_start(row2_width)
    dash: Box | None = None
    for index, char in enumerate(data.number):
        if char == "-":
            x += DASH_GAP - ROW2_GAP  # the previous step added a normal gap
            dash = Box(x, ROW2_TOP + (ROW2_CHAR_HEIGHT - DASH_HEIGHT) / 2, DASH_WIDTH, DASH_HEIGHT)
            x += DASH_WIDTH + DASH_GAP
            continue
        box = Box(x, ROW2_TOP, ROW2_CHAR_WIDTH, ROW2_CHAR_HEIGHT)
        glyphs.append(GlyphPlacement(char, 2, box, _ink_box(char, box)))
        x += ROW2_CHAR_WIDTH + (ROW2_GAP if index + 1 < len(data.number) else 0)
    assert dash is not None  # NUMBER_RE guarantees exactly one dash

    return SignLayout(
        data=data,
        plate=Box(0, 0, SIGN_WIDTH, SIGN_HEIGHT),
        rib=Box(RIB_INSET, RIB_INSET, SIGN_WIDTH - 2 * RIB_INSET, SIGN_HEIGHT - 2 * RIB_INSET),
        glyphs=tuple(glyphs),
        dash=dash,
    )


# --- SVG ----------------------------------------------------------------------------------


def _svg_path(outline: GlyphOutline, ink: Box) -> str:
    scale_x = ink.width / outline.width
    scale_y = ink.height / outline.height

    def point(x: float, y: float) -> str:
        px = ink.x + (x - outline.x_min) * scale_x
        py = ink.y + (outline.y_max - y) * scale_y
        return f"{_num(px)} {_num(py)}"

    parts: list[str] = []
    for op, p in outline.ops:
        if op in ("M", "L"):
            parts.append(f"{op}{point(p[0], p[1])}")
        elif op == "Q":
            parts.append(f"Q{point(p[0], p[1])} {point(p[2], p[3])}")
        elif op == "C":
            parts.append(f"C{point(p[0], p[1])} {point(p[2], p[3])} {point(p[4], p[5])}")
        else:
            parts.append("Z")
    return "".join(parts)


def _box_attr(box: Box) -> str:
    return " ".join(_num(v) for v in (box.x, box.y, box.width, box.height))


def sign_svg(data: SignData) -> str:
    """One sign as a standalone true-size SVG (440 × 220 mm), characters as outline paths."""
    layout = sign_layout(data)
    pb09, yr06 = hex_colour(PB09_RGB), hex_colour(YR06_RGB)
    rib = layout.rib
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1"'
        f' width="{_num(SIGN_WIDTH)}mm" height="{_num(SIGN_HEIGHT)}mm"'
        f' viewBox="0 0 {_num(SIGN_WIDTH)} {_num(SIGN_HEIGHT)}"'
        f" data-category={quoteattr(data.category)} data-number={quoteattr(data.number)}>",
        f"<title>{escape(data.category)} {escape(data.number)}</title>",
        "<desc>非道路移动机械环保登记号码标志（附件3 图1），单位 mm。颜色以 GB/T 3181-2008"
        " 色卡为准（data-gbt3181），屏幕色值仅供参考。</desc>",
        f'<rect id="plate" x="0" y="0" width="{_num(SIGN_WIDTH)}" height="{_num(SIGN_HEIGHT)}"'
        f' rx="{_num(PLATE_CORNER_RADIUS)}" ry="{_num(PLATE_CORNER_RADIUS)}"'
        f' fill="{pb09}" data-gbt3181="PB09"/>',
        f'<rect id="rib" x="{_num(rib.x)}" y="{_num(rib.y)}" width="{_num(rib.width)}"'
        f' height="{_num(rib.height)}" rx="{_num(RIB_CORNER_RADIUS)}"'
        f' ry="{_num(RIB_CORNER_RADIUS)}" fill="none" stroke="{yr06}"'
        f' stroke-width="{_num(RIB_WIDTH)}" data-gbt3181="YR06"/>',
        f'<g id="characters" fill="{yr06}" data-gbt3181="YR06">',
    ]
    for glyph in layout.glyphs:
        path = _svg_path(glyph_outline(glyph.char), glyph.ink)
        lines.append(
            f'<g class="char" data-row="{glyph.row}" data-char={quoteattr(glyph.char)}'
            f' data-box="{_box_attr(glyph.box)}" data-gbt3181="YR06"><path d="{path}"/></g>'
        )
    dash = layout.dash
    lines.append(
        f'<g class="separator" data-row="2" data-box="{_box_attr(dash)}" data-gbt3181="YR06">'
        f'<path d="M{_num(dash.x)} {_num(dash.y)}L{_num(dash.right)} {_num(dash.y)}'
        f'L{_num(dash.right)} {_num(dash.bottom)}L{_num(dash.x)} {_num(dash.bottom)}Z"/></g>'
    )
    lines += ["</g>", "</svg>", ""]
    return "\n".join(lines)


# --- PDF ----------------------------------------------------------------------------------


def _glyph_form(canvas: Canvas, outline: GlyphOutline) -> str:
    """Name of a form XObject holding the glyph's path (defined once per document)."""
    name = f"nrmmGlyph{ord(outline.char):X}"
    if not canvas.hasForm(name):
        canvas.beginForm(
            name, outline.x_min - 2, outline.y_min - 2, outline.x_max + 2, outline.y_max + 2
        )
        canvas.addLiteral(outline.pdf_path + "\nf")
        canvas.endForm()
    return name


def draw_sign(canvas: Canvas, layout: SignLayout, x: float, y: float, scale: float) -> None:
    """Draw the sign with its bottom-left corner at (x, y) points, `scale` points per mm."""

    def bottom(box: Box) -> float:  # PDF y of a box's lower edge
        return y + (SIGN_HEIGHT - box.bottom) * scale

    canvas.saveState()
    canvas.setFillColorRGB(*unit_colour(PB09_RGB))
    canvas.roundRect(
        x, y, SIGN_WIDTH * scale, SIGN_HEIGHT * scale, PLATE_CORNER_RADIUS * scale, 0, 1
    )
    rib = layout.rib
    canvas.setStrokeColorRGB(*unit_colour(YR06_RGB))
    canvas.setLineWidth(RIB_WIDTH * scale)
    canvas.roundRect(
        x + rib.x * scale,
        bottom(rib),
        rib.width * scale,
        rib.height * scale,
        RIB_CORNER_RADIUS * scale,
        1,
        0,
    )
    canvas.setFillColorRGB(*unit_colour(YR06_RGB))
    for glyph in layout.glyphs:
        outline = glyph_outline(glyph.char)
        name = _glyph_form(canvas, outline)
        a = glyph.ink.width * scale / outline.width
        d = glyph.ink.height * scale / outline.height
        canvas.saveState()
        e = x + glyph.ink.x * scale - outline.x_min * a
        f = bottom(glyph.ink) - outline.y_min * d
        canvas.transform(a, 0, 0, d, e, f)
        canvas.doForm(name)
        canvas.restoreState()
    dash = layout.dash
    canvas.rect(x + dash.x * scale, bottom(dash), dash.width * scale, dash.height * scale, 0, 1)
    canvas.restoreState()


def sign_pdf(signs: Sequence[SignData]) -> bytes:
    """One 440 × 220 mm page per sign, same geometry as ``sign_svg``."""
    if not signs:
        raise ValueError("no signs to draw")
    layouts = [sign_layout(sign) for sign in signs]  # validate everything before drawing
    register_fonts()
    buffer = BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(SIGN_WIDTH * mm, SIGN_HEIGHT * mm),
        initialFontName=HEITI,
        invariant=True,
    )
    canvas.setTitle("非道路移动机械环保登记号码标志")
    canvas.setCreator("nrmm documents")
    for layout in layouts:
        draw_sign(canvas, layout, 0, 0, mm)
        canvas.showPage()
    with binary_streams():
        canvas.save()
    return buffer.getvalue()
