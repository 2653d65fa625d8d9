"""Smoke test of batch sizes (no timing assertion): 200 signs and 200 cards."""

import pypdfium2 as pdfium

from documents.card import card_pdf
from documents.data import CardData, SignData
from documents.sign import sign_pdf

URL = "https://nrmm.example.gov.cn/v/%E6%B2%AAA2-{n}/1.s1." + "A" * 86


def test_200_signs_and_200_cards():
    serials = [f"{i:05d}" for i in range(1, 201)]
    signs = sign_pdf([SignData("工程机械", f"沪A2-{s}") for s in serials])
    cards = card_pdf([CardData(f"沪A2-{s}", URL.format(n=s)) for s in serials])
    for pdf, pages in ((signs, 200), (cards, 400)):
        document = pdfium.PdfDocument(pdf)
        assert len(document) == pages
        document.close()
    # glyph outlines are written once per document, not once per page
    assert signs.count(b"/Subtype /Form") == len(set("工程机械沪A2-" + "".join(serials)) - {"-"})
