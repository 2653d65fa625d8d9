"""The information card (附件3 图2): sizes, text, fonts, the QR code and the background."""

import ctypes
import re
from functools import cache

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
import segno
from PIL import Image

from documents.card import (
    BACK_MARGIN,
    CARD_HEIGHT,
    CARD_WIDTH,
    NO_BREAK_AFTER,
    NO_BREAK_BEFORE,
    QR_SIZE,
    TITLE_BAND_HEIGHT,
    card_pdf,
    notice_lines,
    qr_box,
    qr_matrix,
    wrap_cjk,
)
from documents.data import CardData
from documents.fonts import SONGTI, register_fonts
from documents.guilloche import guilloche

MM = 72 / 25.4
URL = "https://nrmm.example.gov.cn/v/%E6%B2%AAA2-00040/1.s1." + "A" * 86
CARD = CardData(short_number="沪A2-00040", qr_payload=URL)
VENDORED = {b"NotoSansSC-Bold", b"NotoSerifSC-Regular"}


@cache
def sample_pdf() -> bytes:
    return card_pdf([CARD])


@cache
def sample_render(page: int, dpi: int) -> Image.Image:
    document = pdfium.PdfDocument(sample_pdf())
    image = document[page].render(scale=dpi / 72).to_pil().convert("RGB")
    document.close()
    return image


def page_chars(pdf: bytes, index: int) -> list[dict]:
    """Every character on a page with its font, size, fill colour and box (mm)."""
    document = pdfium.PdfDocument(pdf)
    text_page = document[index].get_textpage()
    chars = []
    for i in range(text_page.count_chars()):
        code = pdfium_raw.FPDFText_GetUnicode(text_page.raw, i)
        if chr(code).isspace():
            continue
        name = ctypes.create_string_buffer(128)
        flags = ctypes.c_int()
        pdfium_raw.FPDFText_GetFontInfo(text_page.raw, i, name, 128, ctypes.byref(flags))
        r, g, b, a = (ctypes.c_uint() for _ in range(4))
        pdfium_raw.FPDFText_GetFillColor(text_page.raw, i, r, g, b, a)
        left, bottom, right, top = text_page.get_charbox(i)
        loose = text_page.get_charbox(i, loose=True)
        chars.append(
            {
                "char": chr(code),
                "font": name.value,
                "size": pdfium_raw.FPDFText_GetFontSize(text_page.raw, i),
                "rgb": (r.value, g.value, b.value),
                "box": (left / MM, bottom / MM, right / MM, top / MM),
                "loose": tuple(v / MM for v in loose),
            }
        )
    document.close()
    return chars


def run_of(chars: list[dict], text: str) -> list[dict]:
    joined = "".join(c["char"] for c in chars)
    start = joined.index(text)
    return chars[start : start + len(text)]


def page_text(pdf: bytes, index: int) -> str:
    document = pdfium.PdfDocument(pdf)
    text = document[index].get_textpage().get_text_range()
    document.close()
    return text


def test_two_pages_of_88_by_60_per_card():
    pdf = card_pdf([CARD, CardData("沪B3-0000A", URL)])
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 4
    for page in document:
        width, height = page.get_size()
        assert width / MM == pytest.approx(88, abs=0.01)
        assert height / MM == pytest.approx(60, abs=0.01)
    document.close()


def test_front_text_fonts_sizes_colours_and_centring():
    chars = page_chars(sample_pdf(), 0)
    title = run_of(chars, CARD.title)
    number = run_of(chars, CARD.short_number)
    for run, size, rgb in ((title, 12, (255, 255, 255)), (number, 30, (0, 0, 0))):
        assert {c["font"] for c in run} == {b"NotoSansSC-Bold"}  # 黑体
        assert all(c["size"] == pytest.approx(size, abs=0.01) for c in run)
        assert {c["rgb"] for c in run} == {rgb}
        left = min(c["box"][0] for c in run)
        right = max(c["box"][2] for c in run)
        assert (left + right) / 2 == pytest.approx(CARD_WIDTH / 2, abs=0.6)
    # the title sits in the band, the number under the QR code
    assert min(c["box"][1] for c in title) > CARD_HEIGHT - TITLE_BAND_HEIGHT
    assert max(c["box"][3] for c in number) < qr_box()[1]


def test_back_text_fonts_sizes_colours():
    chars = page_chars(sample_pdf(), 1)
    heading = run_of(chars, "说明")
    notice = [c for c in chars if c not in heading][: len(CARD.notice_text)]
    issuer = run_of(chars, CARD.issuer)
    assert {(c["font"], round(c["size"], 2)) for c in heading} == {(b"NotoSansSC-Bold", 16)}
    assert "".join(c["char"] for c in notice) == CARD.notice_text
    assert {(c["font"], round(c["size"], 2)) for c in notice} == {(b"NotoSerifSC-Regular", 12)}
    assert {(c["font"], round(c["size"], 2)) for c in issuer} == {(b"NotoSansSC-Bold", 12)}
    assert {c["rgb"] for c in chars} == {(0, 0, 0)}
    left = min(c["box"][0] for c in issuer)
    right = max(c["box"][2] for c in issuer)
    assert (left + right) / 2 == pytest.approx(CARD_WIDTH / 2, abs=0.6)
    assert max(c["box"][3] for c in issuer) < min(c["box"][1] for c in notice)  # at the bottom
    # all text inside the card
    for c in chars:
        x0, y0, x1, y1 = c["box"]
        assert 0 < x0 < x1 < CARD_WIDTH and 0 < y0 < y1 < CARD_HEIGHT, c


def test_notice_is_justified_except_its_last_line():
    chars = page_chars(sample_pdf(), 1)
    lines = notice_lines(CARD.notice_text)
    start = len("说明")
    right_edges = []
    for line in lines:
        run = chars[start : start + len(line.text)]
        assert "".join(c["char"] for c in run) == line.text
        right_edges.append(max(c["loose"][2] for c in run))
        start += len(line.text)
    text_right = CARD_WIDTH - BACK_MARGIN
    assert right_edges[0] == pytest.approx(text_right, abs=0.3)
    assert right_edges[1] == pytest.approx(text_right, abs=0.3)
    # the last line is set solid: 17 characters of 12 pt from the margin
    assert right_edges[2] == pytest.approx(BACK_MARGIN + 17 * 12 / MM, abs=0.3)


def test_text_extraction_finds_everything():
    front = page_text(sample_pdf(), 0)
    back = re.sub(r"\s", "", page_text(sample_pdf(), 1))
    assert CARD.title in front
    assert CARD.short_number in front
    assert "说明" in back
    assert CARD.notice_text in back
    assert CARD.issuer in back


def test_notice_lines_never_start_with_closing_punctuation():
    lines = [line for line in page_text(sample_pdf(), 1).splitlines() if line.strip()]
    assert len(lines) >= 4
    assert not any(line.strip()[0] in NO_BREAK_BEFORE for line in lines)


def test_fonts_are_embedded_and_only_the_vendored_ones():
    pdf = sample_pdf()
    assert b"/FontFile2" in pdf
    names = re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", pdf)
    assert names
    assert {re.sub(rb"^[A-Z]{6}\+", b"", name) for name in names} <= VENDORED
    assert all(re.match(rb"^[A-Z]{6}\+", name) for name in names)  # subsets
    assert b"Helvetica" not in pdf


def test_qr_code_is_25_mm_square_centred_and_matches_segno():
    dpi = 600
    px = dpi / 25.4  # per mm
    image = sample_render(0, dpi)
    # Look between the title band and the number for near-black pixels.
    top = int(TITLE_BAND_HEIGHT * px) + 2
    bottom = int((CARD_HEIGHT - 18) * px)
    region = image.crop((0, top, image.width, bottom)).convert("L")
    dark = region.point(lambda v: 255 if v < 80 else 0)
    bbox = dark.getbbox()
    assert bbox is not None
    left, upper, right, lower = bbox
    width_mm, height_mm = (right - left) / px, (lower - upper) / px
    assert width_mm == pytest.approx(QR_SIZE, abs=0.5)
    assert height_mm == pytest.approx(QR_SIZE, abs=0.5)
    assert (left + right) / 2 / px == pytest.approx(CARD_WIDTH / 2, abs=0.25)

    code = segno.make_qr(URL, error="m", boost_error=False)
    assert code.error == "M"
    expected = [[bool(v) for v in row] for row in code.matrix]
    assert [list(row) for row in qr_matrix(URL)] == expected
    count = len(expected)
    module = (right - left) / count
    drawn = [
        [
            dark.getpixel((int(left + (c + 0.5) * module), int(upper + (r + 0.5) * module))) == 255
            for c in range(count)
        ]
        for r in range(count)
    ]
    assert drawn == expected


def test_qr_quiet_zone_is_white():
    dpi = 300
    px = dpi / 25.4
    image = sample_render(0, dpi)
    x, y, size, _ = qr_box()
    module = size / len(qr_matrix(URL))
    top_mm = CARD_HEIGHT - (y + size)  # from the top edge
    # a ring 1..3 modules outside the symbol is pure white
    for offset in (1.0, 2.0, 3.0):
        d = offset * module
        for sample_x, sample_y in [
            (x - d, top_mm + size / 2),
            (x + size + d, top_mm + size / 2),
            (x + size / 2, top_mm - d),
            (x + size / 2, top_mm + size + d),
        ]:
            assert image.getpixel((int(sample_x * px), int(sample_y * px))) == (255, 255, 255)


def test_background_is_light_and_differs_per_card():
    image = sample_render(1, 150)
    grey = image.convert("L")
    # the back's lower-right corner holds only the pattern
    corner = grey.crop((int(grey.width * 0.8), int(grey.height * 0.75), grey.width, grey.height))
    pixels = list(corner.tobytes())
    assert sum(pixels) / len(pixels) > 200  # light
    assert min(pixels) < 235  # but there is a pattern
    first = guilloche("沪A2-00040", 88, 60)
    assert guilloche("沪A2-00040", 88, 60) == first
    assert guilloche("沪A2-00041", 88, 60) != first
    assert card_pdf([CARD]) == sample_pdf()  # same card, same bytes


def test_wrap_cjk_keeps_punctuation_off_the_start_of_lines():
    register_fonts()
    em = 12.0
    text = "一二三四，五六七八。九十（一二）三四"
    for width_em in range(2, 8):
        lines = wrap_cjk(text, SONGTI, em, width_em * em + 0.01)
        assert "".join(lines) == text
        for line in lines:
            assert line[0] not in NO_BREAK_BEFORE, lines
            assert line[-1] not in NO_BREAK_AFTER or line == lines[-1], lines


def test_wrap_cjk_keeps_latin_words_whole():
    register_fonts()
    lines = wrap_cjk("编号ABC123456测试", SONGTI, 12, 12 * 4)
    assert any("ABC123456" in line for line in lines)


def test_default_notice_fits_in_three_lines():
    assert [line.text for line in notice_lines(CARD.notice_text)] == [
        "此证应随机械携带，以便随时检查。",
        "限本机械使用，不得转让。此证不得涂",
        "改、伪造，否则按有关规定严肃处理。",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"short_number": ""}, "short number is empty"),
        ({"short_number": "沪A2-0004"}, "is not like 沪A2-00001"),
        ({"short_number": "工程机械沪A2-00040"}, "is not like 沪A2-00001"),
        ({"qr_payload": ""}, "QR payload is empty"),
        ({"qr_payload": "A" * 5000}, "QR payload too long"),
        ({"title": " "}, "title is empty"),
        ({"title": "非道路移动机械环保信息采集卡" * 2}, "title .* is too wide"),
        ({"notice_text": "此证应随机械携带。" * 12}, "at most 5 fit"),
        ({"issuer": ""}, "issuer is empty"),
    ],
)
def test_bad_input_is_refused(changes, message):
    fields = {"short_number": CARD.short_number, "qr_payload": URL, **changes}
    with pytest.raises(ValueError, match=message):
        card_pdf([CARD, CardData(**fields)])


def test_empty_batch_is_refused():
    with pytest.raises(ValueError, match="no cards"):
        card_pdf([])
