"""A4 forms: the filled 附件1 information form and the number installation guide.

Both use reportlab platypus, so long content flows onto more pages; CJK text wraps per
character (``wordWrap="CJK"``, which also keeps ，。 off the start of a line).
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from itertools import pairwise
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib import textsplit as _textsplit
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import paragraph as _paragraph

from .data import InformationForm, InstallationGuide
from .fonts import HEITI, SONGTI, binary_streams, register_fonts
from .sign import (
    DASH_GAP,
    DASH_HEIGHT,
    DASH_WIDTH,
    RIB_MIN_RAISE,
    ROW1_CHAR_HEIGHT,
    ROW1_CHAR_WIDTH,
    ROW1_GAP,
    ROW2_CHAR_HEIGHT,
    ROW2_CHAR_WIDTH,
    ROW2_GAP,
    SIGN_HEIGHT,
    SIGN_WIDTH,
    Box,
    SignLayout,
    draw_sign,
    sign_layout,
)

# reportlab's CJK line breakers (textsplit.wordSplit for one-style paragraphs, paragraph.
# cjkFragSplit otherwise) let a line start with full-width ，；：？！: their list of characters
# that cannot start a line has 、。） and ASCII ,;:?! but not these. Add them, process-wide
# and idempotently; it only ever makes CJK wrapping more correct. A mark that does not fit
# then hangs in the margin, as reportlab already does for 。.
_CANNOT_START = "，；：？！％”’》」』】〕〉…～"
for _module in (_textsplit, _paragraph):
    _module.ALL_CANNOT_START += "".join(
        c for c in _CANNOT_START if c not in _module.ALL_CANNOT_START
    )

PAGE_MARGIN = 18 * mm
LABEL_COLUMN = 42 * mm
LABEL_RGB = (0.93, 0.93, 0.93)
HEADING_RGB = (0.84, 0.87, 0.92)
GUIDE_TITLE = "非道路移动机械环保登记号码安装说明"
DIMENSION_FONT_SIZE = 5.5  # pt, the drawing's dimension figures
DIMENSION_LINE = 0.25  # pt
DIMENSION_STEP = 4.5 * mm  # distance between the drawing and a dimension line, and between lines


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle("body", fontName=SONGTI, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle(
            "title", fontName=HEITI, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=6
        ),
        "number": ParagraphStyle(
            "number", fontName=HEITI, fontSize=12, leading=18, alignment=TA_CENTER, spaceAfter=8
        ),
        "section": ParagraphStyle(
            "section",
            fontName=HEITI,
            fontSize=11,
            leading=15,
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=10, leading=14),
        "body": body,
        "caption": ParagraphStyle(
            "caption", parent=body, fontSize=9, leading=13, alignment=TA_CENTER, spaceAfter=6
        ),
    }


def _text(value: str) -> str:
    """Paragraph markup for plain text: escaped, newlines kept."""
    return escape(value).replace("\n", "<br/>")


def _document(buffer: BytesIO, title: str, footer: str = "") -> tuple[SimpleDocTemplate, Any]:
    register_fonts()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=PAGE_MARGIN,
        rightMargin=PAGE_MARGIN,
        topMargin=PAGE_MARGIN,
        bottomMargin=PAGE_MARGIN,
        title=title,
        creator="nrmm documents",
        invariant=1,
        initialFontName=SONGTI,
    )

    def on_page(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(SONGTI, 8)
        canvas.setFillColorRGB(0.3, 0.3, 0.3)
        y = PAGE_MARGIN / 2
        if footer:
            canvas.drawString(PAGE_MARGIN, y, footer)
        canvas.drawRightString(A4[0] - PAGE_MARGIN, y, f"第 {doc.page} 页")
        canvas.restoreState()

    return doc, on_page


def _table(
    rows: Sequence[tuple[str, str]],
    width: float,
    style: ParagraphStyle,
    heading: Paragraph | None = None,
) -> Table:
    """A bordered label | value table; `heading` spans its first row, repeated on each page."""
    data: list[list[Any]] = [
        [Paragraph(_text(label), style), Paragraph(_text(value), style)] for label, value in rows
    ]
    first = 0 if heading is None else 1
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("FONTNAME", (0, 0), (-1, -1), SONGTI),  # plain-string cells (none drawn) too
        ("BACKGROUND", (0, first), (0, -1), colors.Color(*LABEL_RGB)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]
    if not data:
        data = [[Paragraph("（无）", style), ""]]
        commands.append(("SPAN", (0, first), (1, first)))
    if heading is not None:
        data.insert(0, [heading, ""])
        commands += [
            ("SPAN", (0, 0), (1, 0)),
            ("BACKGROUND", (0, 0), (1, 0), colors.Color(*HEADING_RGB)),
        ]
    return Table(
        data,
        colWidths=[LABEL_COLUMN, width - LABEL_COLUMN],
        style=TableStyle(commands),
        repeatRows=first,
        splitByRow=1,
        hAlign="LEFT",
    )


def information_form_pdf(form: InformationForm) -> bytes:
    """附件1 filled in: title, number, then each section as a bordered label | value table."""
    return information_forms_pdf([form])


def information_forms_pdf(forms: Sequence[InformationForm]) -> bytes:
    """Several filled forms in one PDF, each from a new page (the footer is the first's)."""
    if not forms:
        raise ValueError("no information forms to write")
    for form in forms:
        if not form.title.strip():
            raise ValueError("the information form's title is empty")
    styles = _styles()
    buffer = BytesIO()
    doc, on_page = _document(buffer, forms[0].title, forms[0].footer)
    story: list[Flowable] = []
    for index, form in enumerate(forms):
        if index:
            story.append(PageBreak())
        story.append(Paragraph(_text(form.title), styles["title"]))
        if form.number:
            story.append(Paragraph(_text(f"环保登记号码：{form.number}"), styles["number"]))
        for section in form.sections:
            heading = Paragraph(_text(section.title), styles["section"])
            story.append(_table(section.rows, doc.width, styles["cell"], heading))
            story.append(Spacer(0, 4 * mm))
    with binary_streams():
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


# --- The installation guide's drawing --------------------------------------------------------


class SignDrawing(Flowable):
    """The sign scaled to the frame's width, with its dimensions (mm) around it."""

    LEFT = 2 * DIMENSION_STEP  # room for the height 220
    RIGHT = 2 * DIMENSION_STEP  # the vertical chain 25 / 60 / 30 / 80 / 25
    TOP = 3 * DIMENSION_STEP  # row 1's chain and the width 440
    BOTTOM = 2 * DIMENSION_STEP  # row 2's chain

    def __init__(self, layout: SignLayout, width: float) -> None:
        super().__init__()
        self.layout = layout
        self.scale = (width - self.LEFT - self.RIGHT) / SIGN_WIDTH  # points per mm
        self.width = width
        self.height = SIGN_HEIGHT * self.scale + self.TOP + self.BOTTOM

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    # Sign coordinates (mm, top-left, y down) → this flowable's points.
    def _x(self, x: float) -> float:
        return self.LEFT + x * self.scale

    def _y(self, y: float) -> float:
        return self.BOTTOM + (SIGN_HEIGHT - y) * self.scale

    def draw(self) -> None:
        canvas: Canvas = self.canv
        draw_sign(canvas, self.layout, self.LEFT, self.BOTTOM, self.scale)
        canvas.saveState()
        canvas.setLineWidth(DIMENSION_LINE)
        canvas.setStrokeColorRGB(0, 0, 0)
        canvas.setFillColorRGB(0, 0, 0)
        canvas.setFont(SONGTI, DIMENSION_FONT_SIZE)
        top, bottom = self._y(0), self._y(SIGN_HEIGHT)
        left, right = self._x(0), self._x(SIGN_WIDTH)

        row1 = [g.box for g in self.layout.glyphs if g.row == 1]
        row2 = [g.box for g in self.layout.glyphs if g.row == 2] + [self.layout.dash]
        self._chain_x(_edges_x(row1), top, top + DIMENSION_STEP)
        self._chain_x([0.0, SIGN_WIDTH], top, top + 2 * DIMENSION_STEP)
        self._chain_x(_edges_x(row2), bottom, bottom - DIMENSION_STEP)
        edges_y = sorted({0.0, SIGN_HEIGHT, row1[0].y, row1[0].bottom, row2[0].y, row2[0].bottom})
        self._chain_y(edges_y, right, right + DIMENSION_STEP)
        self._chain_y([0.0, SIGN_HEIGHT], left, left - DIMENSION_STEP)
        canvas.restoreState()

    def _tick(self, x: float, y: float) -> None:
        d = 1.2
        self.canv.line(x - d, y - d, x + d, y + d)

    def _chain_x(self, edges: Sequence[float], base: float, line_y: float) -> None:
        """A horizontal chain of dimensions between consecutive `edges` (mm)."""
        canvas = self.canv
        outward = 1 if line_y > base else -1
        xs = [self._x(e) for e in edges]
        canvas.line(xs[0], line_y, xs[-1], line_y)
        for x in xs:
            canvas.line(x, base + outward * 1.5, x, line_y + outward * 1.5)
            self._tick(x, line_y)
        for (a, b), (pa, pb) in zip(pairwise(edges), pairwise(xs), strict=True):
            label = _mm(b - a)
            text_y = line_y + 1.2 if outward > 0 else line_y - DIMENSION_FONT_SIZE + 0.5
            canvas.drawCentredString((pa + pb) / 2, text_y, label)

    def _chain_y(self, edges: Sequence[float], base: float, line_x: float) -> None:
        """A vertical chain of dimensions between consecutive `edges` (mm, y down)."""
        canvas = self.canv
        outward = 1 if line_x > base else -1
        ys = [self._y(e) for e in edges]
        canvas.line(line_x, ys[0], line_x, ys[-1])
        for y in ys:
            canvas.line(base + outward * 1.5, y, line_x + outward * 1.5, y)
            self._tick(line_x, y)
        for (a, b), (pa, pb) in zip(pairwise(edges), pairwise(ys), strict=True):
            canvas.saveState()
            canvas.translate(line_x - 1.2, (pa + pb) / 2)
            canvas.rotate(90)
            canvas.drawCentredString(0, 0, _mm(b - a))
            canvas.restoreState()


def _edges_x(boxes: Sequence[Box]) -> list[float]:
    edges = {0.0, SIGN_WIDTH}
    for box in boxes:
        edges |= {box.x, box.right}
    return sorted(edges)


def _mm(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _dimension_rows() -> list[tuple[str, str]]:
    return [
        ("外廓尺寸", f"{_mm(SIGN_WIDTH)} × {_mm(SIGN_HEIGHT)}"),
        (
            "第一排（机械类别）",
            f"字高 {_mm(ROW1_CHAR_HEIGHT)}，字宽 {_mm(ROW1_CHAR_WIDTH)}，"
            f"字间隔 {_mm(ROW1_GAP)}，水平居中",
        ),
        (
            "第二排（号码）",
            f"字高 {_mm(ROW2_CHAR_HEIGHT)}，字宽 {_mm(ROW2_CHAR_WIDTH)}，"
            f"字间隔 {_mm(ROW2_GAP)}，水平居中",
        ),
        (
            "横杠分隔符",
            f"长 {_mm(DASH_WIDTH)}，高 {_mm(DASH_HEIGHT)}，与相邻字符间隔 {_mm(DASH_GAP)}",
        ),
        ("颜色", "底色 GB/T 3181-2008 PB09 天（酞）蓝；字色 YR06 棕黄（以色卡为准）"),
        ("冲压", f"四周加强筋及字符凸起均不小于 {_mm(RIB_MIN_RAISE)}"),
    ]


def installation_guide_pdf(guide: InstallationGuide) -> bytes:
    """A4: title, number, the sign drawn to scale with its dimensions, the instructions."""
    layout = sign_layout(guide.sign)  # ValueError on a bad sign
    expected = guide.sign.category + guide.sign.number
    if guide.number != expected:
        raise ValueError(
            f"installation guide number {guide.number!r} does not match its sign {expected!r}"
        )
    if not guide.district_name.strip():
        raise ValueError("installation guide district name is empty")
    styles = _styles()
    buffer = BytesIO()
    doc, on_page = _document(buffer, GUIDE_TITLE)
    drawing = SignDrawing(layout, doc.width)
    ratio = mm / drawing.scale
    story: list[Flowable] = [
        Paragraph(GUIDE_TITLE, styles["title"]),
        Paragraph(_text(f"环保登记号码：{guide.number}"), styles["number"]),
        Paragraph(_text(f"登记区：{guide.district_name}"), styles["caption"]),
        Spacer(0, 2 * mm),
        KeepTogether(
            [
                drawing,
                Spacer(0, 2 * mm),
                Paragraph(
                    f"标志样式及尺寸（单位：mm；示意图约按 1:{ratio:.1f} 缩小，以标注尺寸为准）",
                    styles["caption"],
                ),
            ]
        ),
        _table(_dimension_rows(), doc.width, styles["cell"]),
        Spacer(0, 5 * mm),
    ]
    for line in guide.lines:
        story.append(Paragraph(_text(line), styles["body"]))
        story.append(Spacer(0, 2 * mm))
    with binary_streams():
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
