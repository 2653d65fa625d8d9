"""The vendored fonts (SIL OFL, see fonts/OFL.txt): paths, PDF names and registration.

Only these two files are ever used; nothing is looked up on the system.

* 黑体 → Noto Sans SC Bold (titles, the card's number, the sign's characters)
* 宋体 → Noto Serif SC Regular (body text of the card's back and of the forms)

reportlab embeds a subset of each font used in a PDF (``/FontFile2``). Registering a font
is cheap (reportlab reads the tables it needs on first use) but happens once per process;
the fontTools outline reader used for the sign's glyph paths is cached the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fontTools.ttLib import TTFont as OutlineFont
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
HEITI_PATH = FONT_DIR / "NotoSansSC-Bold.ttf"
SONGTI_PATH = FONT_DIR / "NotoSerifSC-Regular.ttf"
LICENCE_PATH = FONT_DIR / "OFL.txt"

HEITI = "NotoSansSC-Bold"  # the reportlab font name used wherever the spec says 黑体
SONGTI = "NotoSerifSC-Regular"  # ... and wherever it says 宋体
FONT_FILES: dict[str, Path] = {HEITI: HEITI_PATH, SONGTI: SONGTI_PATH}

# Vertical metrics shared by both Noto CJK fonts (font units per em = 1000): the ideographic
# em box runs from -120 to 880, so a line of CJK text is visually centred on a point
# 0.38 em above its baseline.
EM_BOX_TOP = 0.88  # em above the baseline
EM_BOX_BOTTOM = 0.12  # em below the baseline
EM_BOX_CENTRE = (EM_BOX_TOP - EM_BOX_BOTTOM) / 2

_lock = threading.Lock()
_registered = False
_outline_font: OutlineFont | None = None


def register_fonts() -> None:
    """Register both vendored fonts with reportlab (idempotent, thread-safe)."""
    global _registered
    if _registered:
        return
    with _lock:
        if not _registered:
            for name, path in FONT_FILES.items():
                pdfmetrics.registerFont(TTFont(name, str(path)))
            _registered = True


def heiti_outlines() -> OutlineFont:
    """The 黑体 font opened with fontTools (lazily, once) for reading glyph outlines.

    fontTools' lazy tables are not thread-safe: hold ``outline_lock`` while drawing glyphs.
    """
    global _outline_font
    if _outline_font is None:
        with _lock:
            if _outline_font is None:
                _outline_font = OutlineFont(str(HEITI_PATH), lazy=True)
    return _outline_font


outline_lock = threading.Lock()


@contextmanager
def binary_streams() -> Iterator[None]:
    """Write the PDF's streams Flate-compressed only, without reportlab's default extra
    ASCII85 layer: a quarter smaller, and its pure-Python encoder took half the build time.

    reportlab reads this setting (a process-wide default) when it writes each stream, so
    wrap ``canvas.save()`` / ``doc.build()``. A concurrent build that happens to write while
    it is off gets valid binary streams too.
    """
    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = previous
