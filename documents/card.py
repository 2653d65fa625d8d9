"""The information card of 附件3 图2 (88 × 60 mm), one card per page pair or on A4 sheets.

Coordinates are mm from the card's bottom-left corner (PDF's y up). Text is real PDF text
in the embedded vendored fonts; the QR code is vector rectangles; the guilloche background
(``documents.guilloche``) is clipped to the card.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO

import segno
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from . import qr
from .data import CardData
from .fonts import (
    EM_BOX_BOTTOM,
    EM_BOX_CENTRE,
    EM_BOX_TOP,
    HEITI,
    SONGTI,
    binary_streams,
    register_fonts,
)
from .guilloche import Guilloche, guilloche
from .sign import NUMBER_RE, PB09_RGB, unit_colour

PT = 25.4 / 72  # mm per point

# --- The card (附件3 图2) --------------------------------------------------------------------
CARD_WIDTH = 88.0  # "长8.8cm"
CARD_HEIGHT = 60.0  # "宽6cm"
QR_SIZE = 25.0  # "二维码尺寸：25mm×25mm" (the symbol's dark modules, quiet zone outside)
TITLE_FONT_SIZE = 12.0  # pt, 黑体, white, centred
NUMBER_FONT_SIZE = 30.0  # pt, 黑体, black, centred
HEADING_FONT_SIZE = 16.0  # pt, 黑体, black ("说明")
NOTICE_FONT_SIZE = 12.0  # pt, 宋体, black
ISSUER_FONT_SIZE = 12.0  # pt, 黑体, black, centred

# --- Inferred layout (mm; see docs/documents.md) ------------------------------------------
TITLE_BAND_HEIGHT = 9.0  # the coloured band across the top carrying the white title
TITLE_BAND_RGB = PB09_RGB  # the sign's blue, so card and sign belong together
QR_ERROR = "m"
QR_QUIET_MODULES = 4  # white quiet zone around the symbol, painted over the guilloche
QR_BOTTOM = 23.0  # the symbol spans y 23..48, 3 mm under the band
NUMBER_BASELINE = 6.5  # centres the 30 pt number between the card's edge and the quiet zone
SIDE_MARGIN = 5.0  # no text closer to the left/right edges than this
BACK_MARGIN = 5.0  # the back's text block: left/right/top margin
HEADING_TOP = CARD_HEIGHT - BACK_MARGIN  # top of "说明"'s em box
NOTICE_TOP = 46.0  # top of the notice's first line (em box)
NOTICE_LEADING = 1.5  # line height, times the font size
NOTICE_INDENT = 2  # first-line indent, in characters (Chinese paragraph convention)
ISSUER_BASELINE = 6.0
NOTICE_MIN_GAP = 2.0  # between the notice's last line and the issuer line

# CJK line breaking (禁则): never start a line with these, never end one with those.
NO_BREAK_BEFORE = frozenset("，。、；：？！）》」』】〕〉”’…—·～%,.;:?!)]}")
NO_BREAK_AFTER = frozenset("（《「『【〔〈“‘([{")

# --- A4 sheets for printing ---------------------------------------------------------------
SHEET_WIDTH = 210.0
SHEET_HEIGHT = 297.0
SHEET_MIN_MARGIN = 10.0  # least margin around the block of cards
PRINTER_MARGIN = 5.0  # nothing (crop marks, footer) closer to the paper's edge than this
SHEET_GAP = 10.0  # between cards: room for the crop marks of both neighbours
SHEET_COLUMNS = int((SHEET_WIDTH - 2 * SHEET_MIN_MARGIN + SHEET_GAP) // (CARD_WIDTH + SHEET_GAP))
SHEET_ROWS = int((SHEET_HEIGHT - 2 * SHEET_MIN_MARGIN + SHEET_GAP) // (CARD_HEIGHT + SHEET_GAP))
CARDS_PER_SHEET = SHEET_COLUMNS * SHEET_ROWS
SHEET_MARGIN_X = (SHEET_WIDTH - SHEET_COLUMNS * CARD_WIDTH - (SHEET_COLUMNS - 1) * SHEET_GAP) / 2
SHEET_MARGIN_Y = (SHEET_HEIGHT - SHEET_ROWS * CARD_HEIGHT - (SHEET_ROWS - 1) * SHEET_GAP) / 2
CROP_MARK_OFFSET = 1.0  # marks start this far from the corner, outside the card
CROP_MARK_LENGTH = 3.0
CROP_MARK_WIDTH = 0.15
FOOTER_BASELINE = 6.0
FOOTER_FONT_SIZE = 8.0


# --- Validation ---------------------------------------------------------------------------


def validate_card(card: CardData) -> None:
    """Raise ValueError, saying what is wrong, unless the card can be drawn."""
    if not card.short_number:
        raise ValueError("card short number is empty")
    if not NUMBER_RE.match(card.short_number):
        raise ValueError(
            f"card short number {card.short_number!r} is not like 沪A2-00001: one Chinese"
            " character, the district letter, the stage digit, '-', five serial characters"
        )
    if not card.qr_payload:
        raise ValueError(f"card {card.short_number}: the QR payload is empty")
    for field, value in (
        ("title", card.title),
        ("notice heading", card.notice_heading),
        ("notice text", card.notice_text),
        ("issuer", card.issuer),
    ):
        if not value.strip():
            raise ValueError(f"card {card.short_number}: the {field} is empty")
    register_fonts()
    checks = (
        ("title", card.title, HEITI, TITLE_FONT_SIZE),
        ("short number", card.short_number, HEITI, NUMBER_FONT_SIZE),
        ("notice heading", card.notice_heading, HEITI, HEADING_FONT_SIZE),
        ("issuer", card.issuer, HEITI, ISSUER_FONT_SIZE),
    )
    for field, text, font, size in checks:
        if stringWidth(text, font, size) * PT > CARD_WIDTH - 2 * SIDE_MARGIN:
            raise ValueError(f"card {card.short_number}: the {field} {text!r} is too wide")
    lines = notice_lines(card.notice_text)
    if len(lines) > max_notice_lines():
        raise ValueError(
            f"card {card.short_number}: the notice text needs {len(lines)} lines,"
            f" at most {max_notice_lines()} fit on the back"
        )


# --- QR code ------------------------------------------------------------------------------


def qr_matrix(payload: str) -> tuple[tuple[bool, ...], ...]:
    """segno's module matrix for `payload` (error correction M), True = dark, no border
    (made by documents.qr, which reproduces segno four to five times faster)."""
    try:
        return qr.qr_matrix(payload, QR_ERROR)
    except segno.DataOverflowError as error:
        raise ValueError(f"QR payload too long for a QR code: {error}") from error


def qr_box() -> tuple[float, float, float, float]:
    """(x, y, width, height) of the QR symbol in mm from the card's bottom-left corner."""
    return ((CARD_WIDTH - QR_SIZE) / 2, QR_BOTTOM, QR_SIZE, QR_SIZE)


def _draw_qr(canvas: Canvas, matrix: tuple[tuple[bool, ...], ...]) -> None:
    x0, y0, size, _ = qr_box()
    count = len(matrix)
    module = size / count
    quiet = min(
        QR_QUIET_MODULES * module,
        CARD_HEIGHT - TITLE_BAND_HEIGHT - (y0 + size),
        y0 - (NUMBER_BASELINE + NUMBER_FONT_SIZE * PT * EM_BOX_TOP),
    )
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(
        (x0 - quiet) * mm, (y0 - quiet) * mm, (size + 2 * quiet) * mm, (size + 2 * quiet) * mm, 0, 1
    )
    # One path of horizontal runs of dark modules (nonzero fill: no seams between rows),
    # in module units: row r, columns c..c+n-1 is "c r n 1 re" under a matrix that scales
    # a module to its size and turns y downwards from the symbol's top-left corner.
    unit = module * mm
    rects = [
        f"{run.start()} {r} {run.end() - run.start()} 1 re"
        for r, row in enumerate(matrix)
        for run in _DARK_RUNS.finditer(bytes(row))
    ]
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral(
        f"q {unit:.5f} 0 0 {-unit:.5f} {x0 * mm:.3f} {(y0 + size) * mm:.3f} cm\n"
        + "\n".join(rects)
        + "\nf Q"
    )


_DARK_RUNS = re.compile(rb"\x01+")


# --- Text ---------------------------------------------------------------------------------

_UNITS = re.compile(r"[A-Za-z0-9]+|.", re.DOTALL)


def wrap_cjk(
    text: str, font: str, size: float, width: float, first_indent: float = 0.0
) -> list[str]:
    """Break one paragraph into lines no wider than `width` points.

    CJK breaks between any two characters, but a line never starts with a closing mark
    such as ，。、 (the character before it moves down with it) nor ends with an opening
    one such as （《; Latin words and numbers stay whole.
    """
    lines: list[str] = []
    units: list[str] = []
    available = width - first_indent
    for unit in _UNITS.findall(text):
        if not units or stringWidth("".join(units) + unit, font, size) <= available:
            units.append(unit)
            continue
        keep = len(units)
        if unit[0] in NO_BREAK_BEFORE:
            keep -= 1  # the character before the mark moves down with it
            while keep > 1 and units[keep][0] in NO_BREAK_BEFORE:
                keep -= 1
        while keep > 1 and units[keep - 1][-1] in NO_BREAK_AFTER:
            keep -= 1
        keep = max(keep, 1)
        lines.append("".join(units[:keep]))
        units = [*units[keep:], unit]
        available = width
    lines.append("".join(units))
    return lines


@dataclass(frozen=True)
class NoticeLine:
    text: str
    indent: float  # points
    justify: bool  # every line but a paragraph's last is spread to the full width


@lru_cache(maxsize=64)
def notice_lines(text: str) -> tuple[NoticeLine, ...]:
    """The notice text as lines on the back: paragraphs (split at newlines) indented."""
    register_fonts()
    width = (CARD_WIDTH - 2 * BACK_MARGIN) / PT
    indent = NOTICE_INDENT * NOTICE_FONT_SIZE
    lines: list[NoticeLine] = []
    for paragraph in text.strip().split("\n"):
        wrapped = wrap_cjk(paragraph.strip(), SONGTI, NOTICE_FONT_SIZE, width, indent)
        for i, line in enumerate(wrapped):
            lines.append(NoticeLine(line, indent if i == 0 else 0.0, i + 1 < len(wrapped)))
    return tuple(lines)


def _notice_baselines() -> list[float]:
    leading = NOTICE_FONT_SIZE * NOTICE_LEADING * PT
    first = NOTICE_TOP - EM_BOX_TOP * NOTICE_FONT_SIZE * PT
    lowest = ISSUER_BASELINE + EM_BOX_TOP * ISSUER_FONT_SIZE * PT + NOTICE_MIN_GAP
    baselines = []
    baseline = first
    while baseline - EM_BOX_BOTTOM * NOTICE_FONT_SIZE * PT >= lowest:
        baselines.append(baseline)
        baseline -= leading
    return baselines


def max_notice_lines() -> int:
    return len(_notice_baselines())


def _centred(canvas: Canvas, text: str, font: str, size: float, baseline: float) -> None:
    canvas.setFont(font, size)
    canvas.drawCentredString(CARD_WIDTH / 2 * mm, baseline * mm, text)


# --- Background ---------------------------------------------------------------------------


def card_pattern(card: CardData) -> Guilloche:
    return guilloche(card.short_number, CARD_WIDTH, CARD_HEIGHT)


def _draw_background(canvas: Canvas, pattern: Guilloche) -> None:
    """The pattern as one form XObject (written once, shown on the front and the back),
    itself drawing each base curve's form through each stroke's transform."""
    name = f"nrmmBackground{pattern.digest[:16]}"
    if not canvas.hasForm(name):
        names = []
        for i, curve in enumerate(pattern.curves):
            curve_name = f"nrmmGuilloche{pattern.digest[:16]}x{i}"
            if not canvas.hasForm(curve_name):
                x_min, y_min, x_max, y_max = curve.bounds()
                canvas.beginForm(curve_name, x_min - 1, y_min - 1, x_max + 1, y_max + 1)
                canvas.addLiteral(curve.pdf_path() + "\nS")
                canvas.endForm()
            names.append(curve_name)
        canvas.beginForm(name, 0, 0, CARD_WIDTH * mm, CARD_HEIGHT * mm)
        clip = canvas.beginPath()
        clip.rect(0, 0, CARD_WIDTH * mm, CARD_HEIGHT * mm)
        canvas.clipPath(clip, stroke=0, fill=0)
        canvas.setFillColorRGB(*pattern.tint)
        canvas.rect(0, 0, CARD_WIDTH * mm, CARD_HEIGHT * mm, 0, 1)
        canvas.addLiteral("1 J 1 j")  # round caps and joins
        for stroke in pattern.strokes:
            a, b, c, d, e, f = stroke.matrix
            r, g, bl = stroke.rgb
            canvas.addLiteral(
                f"q {a * mm:.5f} {b * mm:.5f} {c * mm:.5f} {d * mm:.5f} {e * mm:.3f} {f * mm:.3f}"
                f" cm {stroke.width:.5f} w {r:.3f} {g:.3f} {bl:.3f} RG"
            )
            canvas.doForm(names[stroke.curve])
            canvas.addLiteral("Q")
        canvas.endForm()
    canvas.doForm(name)


# --- Faces --------------------------------------------------------------------------------


def draw_front(
    canvas: Canvas,
    card: CardData,
    pattern: Guilloche | None = None,
    matrix: tuple[tuple[bool, ...], ...] | None = None,
) -> None:
    """Draw the front with the card's bottom-left corner at the canvas origin."""
    _draw_background(canvas, pattern or card_pattern(card))
    canvas.saveState()
    canvas.setFillColorRGB(*unit_colour(TITLE_BAND_RGB))
    band_bottom = CARD_HEIGHT - TITLE_BAND_HEIGHT
    canvas.rect(0, band_bottom * mm, CARD_WIDTH * mm, TITLE_BAND_HEIGHT * mm, 0, 1)
    canvas.setFillColorRGB(1, 1, 1)
    title_baseline = band_bottom + TITLE_BAND_HEIGHT / 2 - EM_BOX_CENTRE * TITLE_FONT_SIZE * PT
    _centred(canvas, card.title, HEITI, TITLE_FONT_SIZE, title_baseline)
    _draw_qr(canvas, matrix if matrix is not None else qr_matrix(card.qr_payload))
    canvas.setFillColorRGB(0, 0, 0)
    _centred(canvas, card.short_number, HEITI, NUMBER_FONT_SIZE, NUMBER_BASELINE)
    canvas.restoreState()


def draw_back(canvas: Canvas, card: CardData, pattern: Guilloche | None = None) -> None:
    """Draw the back with the card's bottom-left corner at the canvas origin."""
    _draw_background(canvas, pattern or card_pattern(card))
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(HEITI, HEADING_FONT_SIZE)
    heading_baseline = HEADING_TOP - EM_BOX_TOP * HEADING_FONT_SIZE * PT
    canvas.drawString(BACK_MARGIN * mm, heading_baseline * mm, card.notice_heading)

    width = (CARD_WIDTH - 2 * BACK_MARGIN) * mm
    lines = notice_lines(card.notice_text)
    canvas.saveState()  # character spacing (Tc) outlives BT/ET: keep it to the notice
    for line, baseline in zip(lines, _notice_baselines(), strict=False):
        text = canvas.beginText(BACK_MARGIN * mm + line.indent, baseline * mm)
        text.setFont(SONGTI, NOTICE_FONT_SIZE)
        char_space = 0.0
        if line.justify and len(line.text) > 1:
            natural = stringWidth(line.text, SONGTI, NOTICE_FONT_SIZE)
            char_space = max(0.0, width - line.indent - natural) / (len(line.text) - 1)
        text.setCharSpace(char_space)
        text.textOut(line.text)
        canvas.drawText(text)
    canvas.restoreState()

    _centred(canvas, card.issuer, HEITI, ISSUER_FONT_SIZE, ISSUER_BASELINE)
    canvas.restoreState()


def _new_canvas(buffer: BytesIO, width: float, height: float, title: str) -> Canvas:
    register_fonts()
    canvas = Canvas(buffer, pagesize=(width * mm, height * mm), initialFontName=HEITI, invariant=1)
    canvas.setTitle(title)
    canvas.setCreator("nrmm documents")
    return canvas


Prepared = tuple[CardData, Guilloche, tuple[tuple[bool, ...], ...]]


def _prepare(cards: Sequence[CardData]) -> list[Prepared]:
    """Check the whole batch and compute each card's pattern and QR code before drawing."""
    if not cards:
        raise ValueError("no cards to draw")
    for card in cards:
        validate_card(card)
    prepared = []
    for card in cards:
        try:
            matrix = qr_matrix(card.qr_payload)
        except ValueError as error:
            raise ValueError(f"card {card.short_number}: {error}") from error
        prepared.append((card, card_pattern(card), matrix))
    return prepared


def card_pdf(cards: Sequence[CardData]) -> bytes:
    """Two 88 × 60 mm pages per card: the front, then the back."""
    prepared = _prepare(cards)
    buffer = BytesIO()
    canvas = _new_canvas(buffer, CARD_WIDTH, CARD_HEIGHT, "非道路移动机械环保信息采集卡")
    for card, pattern, matrix in prepared:
        draw_front(canvas, card, pattern, matrix)
        canvas.showPage()
        draw_back(canvas, card, pattern)
        canvas.showPage()
    with binary_streams():
        canvas.save()
    return buffer.getvalue()


# --- Sheets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetSlot:
    """Where card `index` goes: (x, y) of its bottom-left corner in mm on its pages."""

    index: int
    sheet: int  # 0-based; the fronts are page 2·sheet, the backs page 2·sheet + 1 (0-based)
    column: int  # on the front page, 0 = left
    row: int  # 0 = top
    front: tuple[float, float]
    back: tuple[float, float]  # mirrored left/right: long-edge duplex lines it up


def sheet_slots(count: int) -> tuple[SheetSlot, ...]:
    slots = []
    for index in range(count):
        sheet, position = divmod(index, CARDS_PER_SHEET)
        row, column = divmod(position, SHEET_COLUMNS)
        x = SHEET_MARGIN_X + column * (CARD_WIDTH + SHEET_GAP)
        y = SHEET_HEIGHT - SHEET_MARGIN_Y - CARD_HEIGHT - row * (CARD_HEIGHT + SHEET_GAP)
        back_x = SHEET_WIDTH - x - CARD_WIDTH
        slots.append(SheetSlot(index, sheet, column, row, (x, y), (back_x, y)))
    return tuple(slots)


def sheet_page_count(count: int) -> int:
    return 2 * math.ceil(count / CARDS_PER_SHEET)


def _crop_marks(canvas: Canvas, x: float, y: float) -> None:
    """Short lines continuing each edge of the card at (x, y), outside the card."""
    path = canvas.beginPath()
    near, far = CROP_MARK_OFFSET, CROP_MARK_OFFSET + CROP_MARK_LENGTH
    for cx, sx in ((x, -1), (x + CARD_WIDTH, 1)):
        for cy, sy in ((y, -1), (y + CARD_HEIGHT, 1)):
            path.moveTo((cx + sx * near) * mm, cy * mm)
            path.lineTo((cx + sx * far) * mm, cy * mm)
            path.moveTo(cx * mm, (cy + sy * near) * mm)
            path.lineTo(cx * mm, (cy + sy * far) * mm)
    canvas.drawPath(path, stroke=1, fill=0)


def card_sheet_pdf(cards: Sequence[CardData]) -> bytes:
    """A4 sheets: a page of fronts, then the matching backs mirrored for long-edge duplex."""
    prepared = _prepare(cards)
    buffer = BytesIO()
    canvas = _new_canvas(buffer, SHEET_WIDTH, SHEET_HEIGHT, "非道路移动机械环保信息采集卡（打印）")
    slots = sheet_slots(len(cards))
    pages = sheet_page_count(len(cards))
    for sheet in range(pages // 2):
        on_sheet = [slot for slot in slots if slot.sheet == sheet]
        first, last = cards[on_sheet[0].index], cards[on_sheet[-1].index]
        for face, label in ((0, "正面"), (1, "背面")):
            canvas.setStrokeColorRGB(0, 0, 0)
            canvas.setLineWidth(CROP_MARK_WIDTH * mm)
            for slot in on_sheet:
                x, y = slot.back if face else slot.front
                _crop_marks(canvas, x, y)
                canvas.saveState()
                canvas.translate(x * mm, y * mm)
                card, pattern, matrix = prepared[slot.index]
                if face:
                    draw_back(canvas, card, pattern)
                else:
                    draw_front(canvas, card, pattern, matrix)
                canvas.restoreState()
            page = 2 * sheet + face + 1
            footer = (
                f"第 {page} 页 / 共 {pages} 页　{label}　"
                f"{first.short_number} – {last.short_number}（{len(on_sheet)} 张）"
            )
            canvas.setFillColorRGB(0, 0, 0)
            canvas.setFont(SONGTI, FOOTER_FONT_SIZE)
            canvas.drawCentredString(SHEET_WIDTH / 2 * mm, FOOTER_BASELINE * mm, footer)
            canvas.showPage()
    with binary_streams():
        canvas.save()
    return buffer.getvalue()
