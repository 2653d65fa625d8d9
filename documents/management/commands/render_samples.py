"""Render the sample sign, card and card sheet to PNGs (docs/*.png) with pypdfium2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from PIL import Image

from documents.card import card_pdf, card_sheet_pdf
from documents.data import CardData, SignData
from documents.sign import sign_pdf, sign_svg

SAMPLE_CATEGORY = "工程机械"
SAMPLE_NUMBER = "沪A2-00040"
SAMPLE_URL = "https://nrmm.example.gov.cn/v/%E6%B2%AAA2-00040/1.s1." + "A" * 86
SHEET_SAMPLES = 8  # a full sheet: 沪A2-00040 … 沪A2-00047
SIGN_PX_PER_MM = 2.0
CARD_PX_PER_MM = 8.0
SHEET_PX_PER_MM = 2.5
POINTS_PER_MM = 72 / 25.4


def sample_card(number: str = SAMPLE_NUMBER) -> CardData:
    url = SAMPLE_URL.replace("%E6%B2%AAA2-00040", "%E6%B2%AA" + number[1:])
    return CardData(short_number=number, qr_payload=url)


class Command(BaseCommand):
    help = "Render sample sign/card PDFs to PNGs (docs/sign.png, card-front/back, card-sheet)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default="docs", help="output folder (default: docs)")
        parser.add_argument(
            "--pdf",
            action="store_true",
            help="also write the PDFs and the sign's SVG (sign.pdf, sign.svg, card.pdf,"
            " card-sheet.pdf) next to the PNGs",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            import pypdfium2 as pdfium
        except ImportError as error:  # a dev dependency (requirements-dev.txt)
            raise CommandError(
                "render_samples needs pypdfium2 (a dev dependency):"
                " pip install -r requirements-dev.txt"
            ) from error

        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        sign = SignData(SAMPLE_CATEGORY, SAMPLE_NUMBER)
        card = sample_card()
        series = [sample_card(f"{SAMPLE_NUMBER[:-2]}{40 + i:02d}") for i in range(SHEET_SAMPLES)]
        pdfs = {
            "sign.pdf": sign_pdf([sign]),
            "card.pdf": card_pdf([card]),
            "card-sheet.pdf": card_sheet_pdf(series),
        }
        renders = [
            ("sign.pdf", 0, "sign.png", SIGN_PX_PER_MM),
            ("card.pdf", 0, "card-front.png", CARD_PX_PER_MM),
            ("card.pdf", 1, "card-back.png", CARD_PX_PER_MM),
            ("card-sheet.pdf", 0, "card-sheet.png", SHEET_PX_PER_MM),
        ]
        for source, page_index, name, px_per_mm in renders:
            document = pdfium.PdfDocument(pdfs[source])
            try:
                page = document[page_index]
                image = page.render(scale=px_per_mm / POINTS_PER_MM).to_pil().convert("RGB")
                # 256 colours look the same here and keep docs/ small (a third of RGB).
                palette = image.quantize(256, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
                palette.save(out / name, optimize=True)
            finally:
                document.close()
            self.stdout.write(f"wrote {out / name} ({image.width}×{image.height})")
        if options["pdf"]:
            for name, data in pdfs.items():
                (out / name).write_bytes(data)
                self.stdout.write(f"wrote {out / name}")
            (out / "sign.svg").write_text(sign_svg(sign), encoding="utf-8")
            self.stdout.write(f"wrote {out / 'sign.svg'}")
