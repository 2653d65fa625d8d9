"""The vendored fonts (SIL OFL, see fonts/OFL.txt): paths, PDF names and registration.

Only these two files are ever used; nothing is looked up on the system.

* 黑体 → Noto Sans SC Bold (titles, the card's number, the sign's characters)
* 宋体 → Noto Serif SC Regular (body text of the card's back and of the forms)

reportlab embeds a subset of each font used in a PDF (``/FontFile2``). Registering a font
is cheap (reportlab reads the tables it needs on first use) but happens once per process;
the fontTools outline reader used for the sign's glyph paths is cached the same way.

Cutting a subset out of a 10-15 MB CJK font and compressing it took a third of a card's
build time, and every card of a city needs the very same subsets (the title, the notice and
the issuer do not change; ASCII always sits in the first subset). ``_SubsetCache`` keeps
each subset's font file, compressed, and hands it to later documents: the bytes written are
exactly those reportlab would have written.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont as OutlineFont
from reportlab import rl_config
from reportlab.pdfbase import pdfdoc, pdfmetrics
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


SUBSET_CACHE_SIZE = 64  # subsets kept per font (a card needs one per font)


class _Precompressed:
    """A Flate "filter" whose output was computed once: the stream's content is the same."""

    pdfname = "FlateDecode"

    def __init__(self, data: bytes) -> None:
        self.data = data

    def encode(self, text: bytes) -> bytes:
        return self.data


class _SubsetCache:
    """Wraps one font's ``makeSubset`` / ``addSubsetObjects`` (reportlab's TTFontFace) and
    ``addObjects`` (TTFont): each distinct subset is cut and compressed once per process,
    its widths formatted and its ToUnicode map compressed once, least recently used
    subsets dropped past SUBSET_CACHE_SIZE."""

    def __init__(self, font: Any) -> None:
        face = font.face
        self.face = face
        self.make_subset = face.makeSubset
        self.add_subset_objects = face.addSubsetObjects
        self.files: OrderedDict[tuple[int, ...], tuple[bytes, bytes]] = OrderedDict()
        # The face reads the font file through one shared position: one subset at a time.
        self.lock = threading.Lock()
        face.makeSubset = self.make
        face.addSubsetObjects = self.add_objects
        self.add_font_objects = font.addObjects
        self.formatted: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        font.addObjects = self.add_font

    def _file(self, subset: list[int]) -> tuple[bytes, bytes]:
        key = tuple(subset)
        with self.lock:
            cached = self.files.get(key)
            if cached is not None:
                self.files.move_to_end(key)
                return cached
            content = self.make_subset(subset)
            cached = (content, zlib.compress(content))
            self.files[key] = cached
            if len(self.files) > SUBSET_CACHE_SIZE:
                self.files.popitem(last=False)
            return cached

    def make(self, subset: list[int]) -> bytes:
        return self._file(subset)[0]

    def add_objects(self, doc: Any, fontname: str, subset: list[int]) -> Any:
        reference = self.add_subset_objects(doc, fontname, subset)
        stream = doc.idToObject.get(f"fontFile:{self.face.filename}({fontname})")
        if stream is not None and stream.filters == [pdfdoc.PDFZCompress]:
            stream.filters = [_Precompressed(self._file(subset)[1])]
        return reference

    def _once(self, key: tuple[Any, ...], make: Any) -> bytes:
        with self.lock:
            cached = self.formatted.get(key)
            if cached is None:
                cached = make()
                self.formatted[key] = cached
                if len(self.formatted) > 4 * SUBSET_CACHE_SIZE:
                    self.formatted.popitem(last=False)
            else:
                self.formatted.move_to_end(key)
            return cached

    def add_font(self, doc: Any) -> None:
        """TTFont.addObjects, then each subset's widths array and ToUnicode stream swapped
        for the bytes they format and compress to (the same bytes, made once)."""
        fonts = doc.idToObject["BasicFonts"].dict
        before = set(fonts)
        self.add_font_objects(doc)
        for name in set(fonts) - before:
            pdf_font = fonts[name]
            widths = pdf_font.Widths
            if isinstance(widths, pdfdoc.PDFArray):
                numbers = tuple(widths.sequence)
                pdf_font.Widths = self._once(("widths", numbers), partial(widths.format, doc))
            cmap = doc.idToObject.get(f"toUnicodeCMap:{pdf_font.BaseFont}")
            if cmap is not None and cmap.filters == [pdfdoc.PDFZCompress]:
                content = cmap.content
                data = self._once(("cmap", content), partial(zlib.compress, content.encode()))
                cmap.filters = [_Precompressed(data)]


def register_fonts() -> None:
    """Register both vendored fonts with reportlab (idempotent, thread-safe)."""
    global _registered
    if _registered:
        return
    with _lock:
        if not _registered:
            for name, path in FONT_FILES.items():
                font = TTFont(name, str(path))
                _SubsetCache(font)
                pdfmetrics.registerFont(font)
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
