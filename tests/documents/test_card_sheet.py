"""A4 card sheets: 2 × 4 cards, fronts then mirrored backs for long-edge duplex printing."""

from functools import cache

import pypdfium2 as pdfium
import pytest
from PIL import Image

from documents.card import (
    CARD_HEIGHT,
    CARD_WIDTH,
    CARDS_PER_SHEET,
    CROP_MARK_LENGTH,
    CROP_MARK_OFFSET,
    PRINTER_MARGIN,
    SHEET_COLUMNS,
    SHEET_GAP,
    SHEET_HEIGHT,
    SHEET_MIN_MARGIN,
    SHEET_ROWS,
    SHEET_WIDTH,
    TITLE_BAND_HEIGHT,
    card_sheet_pdf,
    sheet_page_count,
    sheet_slots,
)
from documents.data import CardData

MM = 72 / 25.4
URL = "https://nrmm.example.gov.cn/v/%E6%B2%AAA2-{n}/1.s1." + "A" * 86


def cards(count: int) -> list[CardData]:
    return [CardData(f"沪A2-{i:05d}", URL.format(n=f"{i:05d}")) for i in range(40, 40 + count)]


@cache
def sheet(count: int) -> bytes:
    return card_sheet_pdf(cards(count))


def grey(image: Image.Image, x: float, y: float) -> int:
    value = image.getpixel((int(x), int(y)))
    assert isinstance(value, int)
    return value


def render(pdf: bytes, index: int, px_per_mm: float) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    image = document[index].render(scale=px_per_mm / MM).to_pil().convert("RGB")
    document.close()
    return image


def test_two_columns_four_rows():
    assert (SHEET_COLUMNS, SHEET_ROWS, CARDS_PER_SHEET) == (2, 4, 8)


@pytest.mark.parametrize(("count", "pages"), [(1, 2), (8, 2), (9, 4)])
def test_page_count(count, pages):
    assert sheet_page_count(count) == pages
    document = pdfium.PdfDocument(sheet(count))
    assert len(document) == pages
    for page in document:
        width, height = page.get_size()
        assert width / MM == pytest.approx(210, abs=0.01)
        assert height / MM == pytest.approx(297, abs=0.01)
    document.close()


def test_slots_fit_the_page_with_room_for_crop_marks():
    slots = sheet_slots(9)
    assert [s.sheet for s in slots] == [0] * 8 + [1]
    assert slots[8].front == slots[0].front
    reach = CROP_MARK_OFFSET + CROP_MARK_LENGTH
    assert 2 * reach < SHEET_GAP  # neighbours' marks do not touch
    for slot in slots:
        for x, y in (slot.front, slot.back):
            assert x >= SHEET_MIN_MARGIN and y >= SHEET_MIN_MARGIN
            assert x + CARD_WIDTH <= SHEET_WIDTH - SHEET_MIN_MARGIN
            assert y + CARD_HEIGHT <= SHEET_HEIGHT - SHEET_MIN_MARGIN
            assert x - reach >= PRINTER_MARGIN and y - reach >= PRINTER_MARGIN
            assert x + CARD_WIDTH + reach <= SHEET_WIDTH - PRINTER_MARGIN
            assert y + CARD_HEIGHT + reach <= SHEET_HEIGHT - PRINTER_MARGIN
    fronts = {s.front for s in slots[:8]}
    assert len(fronts) == 8  # no two cards in one place


def test_backs_are_mirrored_left_right():
    for slot in sheet_slots(8):
        (fx, fy), (bx, by) = slot.front, slot.back
        assert by == fy
        assert bx == pytest.approx(SHEET_WIDTH - fx - CARD_WIDTH)
        assert slot.column in (0, 1)
    first, second = sheet_slots(2)
    assert first.front[0] < second.front[0]  # fronts: left to right
    assert first.back[0] > second.back[0]  # backs: right to left


def test_rendered_backs_land_behind_their_fronts():
    px = 2.0
    pdf = sheet(1)
    front, back = render(pdf, 0, px), render(pdf, 1, px)
    (slot,) = sheet_slots(1)

    def region(image: Image.Image, x: float, y: float) -> Image.Image:
        top = SHEET_HEIGHT - y - CARD_HEIGHT  # from the top edge
        return image.crop(
            (
                int((x + 1) * px),
                int((top + 1) * px),
                int((x + CARD_WIDTH - 1) * px),
                int((top + CARD_HEIGHT - 1) * px),
            )
        )

    def blank(image: Image.Image) -> bool:
        return image.convert("L").point(lambda v: 255 if v < 250 else 0).getbbox() is None

    mirror = (SHEET_WIDTH - slot.front[0] - CARD_WIDTH, slot.front[1])
    assert mirror == slot.back
    assert not blank(region(front, *slot.front))
    assert blank(region(front, *slot.back))  # the other column is empty on the front
    assert not blank(region(back, *slot.back))
    assert blank(region(back, *slot.front))
    # the front's title band (PB09-ish blue) is at the top of the front slot only
    band_y = SHEET_HEIGHT - slot.front[1] - CARD_HEIGHT + TITLE_BAND_HEIGHT / 2
    band_x = slot.front[0] + 3  # left of the white title
    colour = front.getpixel((int(band_x * px), int(band_y * px)))
    assert isinstance(colour, tuple)
    r, _g, b = colour
    assert b > 150 and r < 60


def test_crop_marks_at_every_corner_outside_the_card():
    px = 10.0
    image = render(sheet(8), 0, px).convert("L")
    for slot in sheet_slots(8):
        x, y = slot.front
        top = SHEET_HEIGHT - y - CARD_HEIGHT
        for cx in (x, x + CARD_WIDTH):
            for cy in (top, top + CARD_HEIGHT):
                outward_x = -1 if cx == x else 1
                outward_y = -1 if cy == top else 1
                middle = CROP_MARK_OFFSET + CROP_MARK_LENGTH / 2
                # the horizontal mark continues the horizontal edge, the vertical the vertical
                horizontal = grey(image, (cx + outward_x * middle) * px, cy * px)
                vertical = grey(image, cx * px, (cy + outward_y * middle) * px)
                assert horizontal < 128 and vertical < 128, (slot.index, cx, cy)
                # and nothing inside the gap next to the corner
                gap = grey(image, (cx + outward_x * 0.5) * px, (cy + outward_y * 0.5) * px)
                assert gap > 200


def test_footer_says_page_and_side():
    document = pdfium.PdfDocument(sheet(9))
    texts = [page.get_textpage().get_text_range() for page in document]
    document.close()
    assert "第 1 页 / 共 4 页" in texts[0] and "正面" in texts[0]
    assert "第 2 页 / 共 4 页" in texts[1] and "背面" in texts[1]
    assert "正面" in texts[2] and "背面" in texts[3]
    for card in cards(8):
        assert card.short_number in texts[0]
    assert "沪A2-00048" in texts[2]
    assert texts[1].count("上海市生态环境局监制") == 8
    assert texts[3].count("上海市生态环境局监制") == 1


def test_empty_and_bad_batches_are_refused():
    with pytest.raises(ValueError, match="no cards"):
        card_sheet_pdf([])
    with pytest.raises(ValueError, match="is not like"):
        card_sheet_pdf([*cards(2), CardData("沪A2-1", URL)])
