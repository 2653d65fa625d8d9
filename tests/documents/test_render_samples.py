"""The render_samples management command (no database needed)."""

import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from PIL import Image


def test_render_samples_writes_the_pngs(tmp_path):
    call_command("render_samples", out=str(tmp_path), stdout=StringIO())
    sizes = {
        "sign.png": (880, 440),
        "card-front.png": (704, 480),
        "card-back.png": (704, 480),
        "card-sheet.png": (525, 743),
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(sizes)
    for name, size in sizes.items():
        with Image.open(tmp_path / name) as image:
            assert image.size == size


def test_render_samples_can_keep_the_pdfs_and_svg(tmp_path):
    call_command("render_samples", out=str(tmp_path), pdf=True, stdout=StringIO())
    for name in ("sign.pdf", "card.pdf", "card-sheet.pdf"):
        assert (tmp_path / name).read_bytes().startswith(b"%PDF-")
    assert "<svg" in (tmp_path / "sign.svg").read_text(encoding="utf-8")


def test_render_samples_without_pypdfium2(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # import now raises ImportError
    with pytest.raises(CommandError, match="pypdfium2"):
        call_command("render_samples", out=str(tmp_path))
