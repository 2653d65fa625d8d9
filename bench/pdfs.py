"""Card and sign PDFs (issue #7): 1,000 of each, as they are issued, in at most 10 s.

    .venv/bin/python bench/pdfs.py [COUNT]

Each card is what the platform hands out for one credential: the QR payload signed with
Ed25519 (rules.cardsig, as registry.credentials does at issue), then a two-page card PDF of
its own (documents.card.card_pdf); each sign a one-page PDF of its own (sign_pdf). The batch
print path is timed too: A4 sheets of the same cards (card_sheet_pdf, 500 at most per
print, as the back office allows) and the signs in 500-page PDFs.

The floor is reportlab alone: as many empty PDFs of the same page sizes, with the same
fonts registered, which every one of ours costs at least. No database is needed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from functools import cache
from io import BytesIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from documents.card import CARD_HEIGHT, CARD_WIDTH, card_pdf, card_sheet_pdf
from documents.data import CardData, SignData
from documents.fonts import HEITI, binary_streams, register_fonts
from documents.sign import SIGN_HEIGHT, SIGN_WIDTH, sign_pdf
from rules.cardsig import Claim, card_url, derive_private_key, sign

TARGET_SECONDS = 10.0
DEFAULT_COUNT = 1_000
BATCH = 500  # registry.credentials.MAX_BATCH: the most cards or signs printed at once
SERIAL_SYMBOLS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BASE_URL = "https://nrmm.example.gov.cn"
ISSUER = "上海市生态环境局监制"


def short_number(i: int) -> str:
    serial = ""
    for _ in range(5):
        i, digit = divmod(i, len(SERIAL_SYMBOLS))
        serial = SERIAL_SYMBOLS[digit] + serial
    return f"沪A2-{serial}"


@cache
def _key() -> Ed25519PrivateKey:
    return derive_private_key("bench", "s1")


def _card(i: int) -> CardData:
    key = _key()
    claim = Claim(short_number(i), 1, "s1")
    return CardData(
        short_number=claim.short_number,
        qr_payload=card_url(BASE_URL, claim, sign(claim, key)),
        issuer=ISSUER,
    )


def _timed(work: object) -> tuple[float, float]:
    assert callable(work)
    started, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - started, time.process_time() - cpu


def _empty_pdfs(count: int, size: tuple[float, float], pages: int) -> None:
    for _ in range(count):
        buffer = BytesIO()
        canvas = Canvas(buffer, pagesize=(size[0] * mm, size[1] * mm), initialFontName=HEITI)
        for _page in range(pages):
            canvas.showPage()
        with binary_streams():
            canvas.save()


def run(count: int) -> dict[str, float]:
    register_fonts()
    # Warm up once, as a running server is: fonts read, font subsets made.
    card_pdf([_card(count)])
    sign_pdf([SignData("工程机械", short_number(count))])

    def cards() -> None:
        for i in range(count):
            card_pdf([_card(i)])

    def signs() -> None:
        for i in range(count):
            sign_pdf([SignData("工程机械", short_number(i))])

    def card_sheets() -> None:
        for start in range(0, count, BATCH):
            card_sheet_pdf([_card(i) for i in range(start, min(start + BATCH, count))])

    def sign_batches() -> None:
        for start in range(0, count, BATCH):
            end = min(start + BATCH, count)
            sign_pdf([SignData("工程机械", short_number(i)) for i in range(start, end)])

    def floor() -> None:
        _empty_pdfs(count, (CARD_WIDTH, CARD_HEIGHT), 2)
        _empty_pdfs(count, (SIGN_WIDTH, SIGN_HEIGHT), 1)

    result: dict[str, float] = {}
    for name, work in (
        ("cards", cards),
        ("signs", signs),
        ("card_sheets", card_sheets),
        ("sign_batches", sign_batches),
        ("floor", floor),
    ):
        result[name], result[f"{name}_cpu"] = _timed(work)
    return result


def measure(machines: int) -> list[dict[str, str]]:
    """Rows for the harness (`machines` is not used)."""
    count = int(os.environ.get("NRMM_BENCH_PDF_COUNT", DEFAULT_COUNT))
    r = run(count)
    single = r["cards"] + r["signs"]
    batch = r["card_sheets"] + r["sign_batches"]
    rows = []
    for what, seconds, cpu, detail in (
        (
            f"{count:,} card PDFs and {count:,} sign PDFs, one document each",
            single,
            r["cards_cpu"] + r["signs_cpu"],
            f"cards {r['cards']:.1f} s, signs {r['signs']:.1f} s",
        ),
        (
            f"the same {count:,} cards on A4 sheets and {count:,} signs, {BATCH} per print",
            batch,
            r["card_sheets_cpu"] + r["sign_batches_cpu"],
            f"sheets {r['card_sheets']:.1f} s, signs {r['sign_batches']:.1f} s",
        ),
    ):
        verdict = (
            "met"
            if seconds <= TARGET_SECONDS
            else f"not met: {seconds:.1f} s is over {TARGET_SECONDS:.0f} s"
            f" ({cpu:.1f} s of CPU: the rest is waiting for a CPU)"
        )
        rows.append(
            {
                "what": what,
                "ours": f"{seconds:.1f} s ({detail}; {cpu:.1f} s CPU)",
                "floor": f"{r['floor']:.1f} s (reportlab alone: {2 * count:,} empty PDFs)",
                "target": f"≤ {TARGET_SECONDS:.0f} s",
                "verdict": verdict,
            }
        )
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1:
        os.environ["NRMM_BENCH_PDF_COUNT"] = sys.argv[1]
    for row in measure(0):
        print(" | ".join(f"{key}: {value}" for key, value in row.items()))
