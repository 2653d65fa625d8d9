"""The sign (附件3 图1): true-size SVG and PDF, geometry checked against the spec's numbers."""

import itertools
import re
import xml.etree.ElementTree as ET

import pypdfium2 as pdfium
import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.svgLib.path import parse_path
from PIL import Image, ImageChops

from documents.data import SignData
from documents.sign import (
    PB09_RGB,
    YR06_RGB,
    glyph_outline,
    sign_layout,
    sign_pdf,
    sign_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
MM = 72 / 25.4
SAMPLE = SignData("工程机械", "沪A2-00040")

# Row 2 straight from 附件3 plus the inferred 40 mm width: 沪 A 2 - 0 0 0 4 0, centred.
ROW2_BOXES = [(20, 60), (68, 108), (116, 156), (188, 228), (236, 276), (284, 324), (332, 372)]
ROW2_BOXES.append((380, 420))
DASH = (162.0, 152.5, 20.0, 5.0)  # x, y, width, height: 6 mm either side, centred in row 2


def svg_chars(svg: str) -> tuple[ET.Element, list[ET.Element], list[ET.Element]]:
    root = ET.fromstring(svg)
    groups = root.iter(f"{SVG}g")
    chars, separators = [], []
    for group in groups:
        if group.get("class") == "char":
            chars.append(group)
        elif group.get("class") == "separator":
            separators.append(group)
    return root, chars, separators


def path_bounds(group: ET.Element) -> tuple[float, float, float, float]:
    """Exact bounds of the group's path (curves included), from its coordinates."""
    paths = group.findall(f"{SVG}path")
    assert len(paths) == 1
    pen = BoundsPen(None)
    parse_path(paths[0].get("d"), pen)
    assert pen.bounds is not None
    return pen.bounds


def render(pdf: bytes, index: int, px_per_mm: float) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    image = document[index].render(scale=px_per_mm / MM).to_pil().convert("RGB")
    document.close()
    return image


def close(colour: object, expected: tuple[int, int, int], tolerance: int = 2) -> bool:
    assert isinstance(colour, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(colour[:3], expected, strict=True))


# --- SVG ---------------------------------------------------------------------------------


def test_svg_is_true_size_with_outline_paths_only():
    root, chars, separators = svg_chars(sign_svg(SAMPLE))
    assert root.tag == f"{SVG}svg"
    assert root.get("width") == "440mm"
    assert root.get("height") == "220mm"
    assert root.get("viewBox") == "0 0 440 220"
    assert not list(root.iter(f"{SVG}text"))
    assert not list(root.iter(f"{SVG}tspan"))
    assert len(chars) == 4 + 8
    assert len(separators) == 1
    assert [c.get("data-char") for c in chars] == list("工程机械沪A200040")


def test_svg_colours_carry_the_gbt3181_codes():
    root, chars, separators = svg_chars(sign_svg(SAMPLE))
    plate = root.find(f"{SVG}rect[@id='plate']")
    rib = root.find(f"{SVG}rect[@id='rib']")
    assert plate is not None and rib is not None
    assert plate.get("data-gbt3181") == "PB09"
    assert plate.get("fill") == "#{:02X}{:02X}{:02X}".format(*PB09_RGB)
    assert rib.get("data-gbt3181") == "YR06"
    assert rib.get("stroke") == "#{:02X}{:02X}{:02X}".format(*YR06_RGB)
    assert rib.get("stroke-width") == "2"
    assert (rib.get("x"), rib.get("y"), rib.get("width"), rib.get("height")) == (
        "4",
        "4",
        "432",
        "212",
    )
    assert all(g.get("data-gbt3181") == "YR06" for g in chars + separators)


@pytest.mark.parametrize(
    ("category", "starts"),
    [
        ("工程机械", [85, 155, 225, 295]),
        ("材料装卸机械", [15, 85, 155, 225, 295, 365]),
        ("农机", [155, 225]),
    ],
)
def test_svg_row1_boxes_are_60_square_10_apart_centred(category, starts):
    _, chars, _ = svg_chars(sign_svg(SignData(category, "沪A2-00040")))
    row1 = [c for c in chars if c.get("data-row") == "1"]
    assert len(row1) == len(category)
    for group, x in zip(row1, starts, strict=True):
        assert group.get("data-box") == f"{x} 25 60 60"
        x_min, y_min, x_max, y_max = path_bounds(group)
        assert x_min == pytest.approx(x, abs=0.02)
        assert x_max == pytest.approx(x + 60, abs=0.02)
        assert y_min == pytest.approx(25, abs=0.02)
        assert y_max == pytest.approx(85, abs=0.02)
    # centred: equal margins
    assert starts[0] == pytest.approx(440 - (starts[-1] + 60))


def test_svg_row2_boxes_80_high_8_apart_dash_20_by_5_with_6_either_side():
    _, chars, separators = svg_chars(sign_svg(SAMPLE))
    row2 = [c for c in chars if c.get("data-row") == "2"]
    assert len(row2) == 8
    for group, (left, right) in zip(row2, ROW2_BOXES, strict=True):
        x_min, y_min, x_max, y_max = path_bounds(group)
        assert (x_min, x_max) == (pytest.approx(left, abs=0.02), pytest.approx(right, abs=0.02))
        assert (y_min, y_max) == (pytest.approx(115, abs=0.02), pytest.approx(195, abs=0.02))
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(ROW2_BOXES)]
    assert gaps == [8, 8, 32, 8, 8, 8, 8]  # 32 = 6 + 20 (the dash) + 6

    (separator,) = separators
    x_min, y_min, x_max, y_max = path_bounds(separator)
    x, y, width, height = DASH
    assert (x_min, y_min) == (pytest.approx(x), pytest.approx(y))
    assert (x_max - x_min, y_max - y_min) == (pytest.approx(width), pytest.approx(height))
    assert x_min - ROW2_BOXES[2][1] == pytest.approx(6)
    assert ROW2_BOXES[3][0] - x_max == pytest.approx(6)
    assert (y_min + y_max) / 2 == pytest.approx(155)  # centred on row 2
    assert ROW2_BOXES[0][0] == pytest.approx(440 - ROW2_BOXES[-1][1])  # centred


def test_layout_boxes_match_the_svg():
    layout = sign_layout(SAMPLE)
    _, chars, separators = svg_chars(sign_svg(SAMPLE))
    for glyph, group in zip(layout.glyphs, chars, strict=True):
        box = glyph.box
        expected = " ".join(f"{v:g}" for v in (box.x, box.y, box.width, box.height))
        assert group.get("data-box") == expected
        assert glyph.ink == glyph.box  # every glyph of the sample fills its box
    assert layout.dash.x == DASH[0] and layout.dash.y == DASH[1]
    assert separators[0].get("data-box") == "162 152.5 20 5"


def test_a_narrow_glyph_keeps_its_proportions_and_is_centred():
    # "I" (not used by the registry, but allowed by the pattern) would become a 40 mm slab.
    layout = sign_layout(SignData("工程机械", "沪I2-00001"))
    narrow = next(g for g in layout.glyphs if g.char == "I")
    assert narrow.ink.height == narrow.box.height
    assert narrow.ink.width < narrow.box.width / 2
    assert narrow.ink.centre_x == pytest.approx(narrow.box.centre_x)
    one = next(g for g in layout.glyphs if g.char == "1")
    assert one.ink == one.box


def test_glyph_outlines_are_cached():
    assert glyph_outline("沪") is glyph_outline("沪")


# --- PDF ---------------------------------------------------------------------------------


def test_pdf_one_page_per_sign_at_true_size():
    pdf = sign_pdf(
        [SAMPLE, SignData("材料装卸机械", "沪Q3-9ZWK1"), SignData("农业机械", "沪B4-00002")]
    )
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 3
    for page in document:
        width, height = page.get_size()
        assert width / MM == pytest.approx(440, abs=0.01)
        assert height / MM == pytest.approx(220, abs=0.01)
    document.close()
    assert b"/BaseFont" not in pdf  # characters are paths: no font at all


def test_pdf_colours_and_geometry():
    px = 2  # per mm
    image = render(sign_pdf([SAMPLE]), 0, px)
    assert image.size == (880, 440)
    # Background between the rows and in the margins: PB09.
    for x_mm, y_mm in [(220, 100), (10, 100), (430, 110), (220, 205), (220, 15)]:
        assert close(image.getpixel((x_mm * px, y_mm * px)), PB09_RGB), (x_mm, y_mm)
    # The dash and the rib: YR06.
    assert close(image.getpixel((172 * px, 155 * px)), YR06_RGB)
    assert close(image.getpixel((220 * px, 4 * px)), YR06_RGB)
    # Each character's YR06 ink spans its box (to within a pixel or two).
    yr06 = Image.new("RGB", image.size, YR06_RGB)
    mask = ImageChops.difference(image, yr06).convert("L").point(lambda v: 255 if v < 12 else 0)
    for glyph in sign_layout(SAMPLE).glyphs:
        box = glyph.box
        region = (
            int((box.x - 2) * px),
            int((box.y - 2) * px),
            int((box.right + 2) * px),
            int((box.bottom + 2) * px),
        )
        bbox = mask.crop(region).getbbox()
        assert bbox is not None, glyph.char
        left, top, right, bottom = (v / px for v in bbox)
        assert left - 2 == pytest.approx(0, abs=1.0), glyph.char
        assert top - 2 == pytest.approx(0, abs=1.0), glyph.char
        assert right - 2 == pytest.approx(box.width, abs=1.0), glyph.char
        assert bottom - 2 == pytest.approx(box.height, abs=1.0), glyph.char


def test_pdf_is_deterministic():
    assert sign_pdf([SAMPLE]) == sign_pdf([SAMPLE])


# --- Bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "number", "message"),
    [
        ("", "沪A2-00001", "category .* is empty"),
        ("工程机械机械机", "沪A2-00001", "7 characters; at most 6"),
        ("工", "沪A2-00001", "2 to 6 Chinese characters"),
        ("ABCD", "沪A2-00001", "2 to 6 Chinese characters"),
        ("工程机械", "", "number .* is empty"),
        ("工程机械", "沪A2-0001", "is not like 沪A2-00001"),
        ("工程机械", "沪a2-00001", "is not like 沪A2-00001"),
        ("工程机械", "AA2-00001", "is not like 沪A2-00001"),
        ("工程机械", "沪A2_00001", "is not like 沪A2-00001"),
        ("工程机械", "沪AA-00001", "is not like 沪A2-00001"),
        ("工程机械", "工程机械沪A2-00001", "is not like 沪A2-00001"),
    ],
)
def test_bad_input_is_refused(category, number, message):
    data = SignData(category, number)
    with pytest.raises(ValueError, match=message):
        sign_svg(data)
    with pytest.raises(ValueError, match=message):
        sign_pdf([SAMPLE, data])


def test_empty_batch_is_refused():
    with pytest.raises(ValueError, match="no signs"):
        sign_pdf([])


def test_svg_escapes_nothing_unexpected():
    svg = sign_svg(SAMPLE)
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert re.search(r'data-number="沪A2-00040"', svg)
