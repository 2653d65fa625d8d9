"""Hostile uploads through the real endpoints (issue #8): every file of the corpus is
refused with a clear Chinese message and a stable code (a 400, never a 500), nothing is
saved; polyglots that are real images are accepted only as freshly encoded JPEGs that
carry none of the payload."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import actions as account_actions
from registry.models import DeclarationPhoto
from tests.api.test_accounts_api import call
from tests.conftest import logged_in
from tests.registry.helpers import START_DATA, jpeg

# Pillow warns as it refuses the bombs: expected here.
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


def png_claiming(width: int, height: int) -> bytes:
    """A decompression bomb's header: a tiny PNG whose IHDR claims a huge canvas."""
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def zlib_bomb_png() -> bytes:
    """A 1 MB PNG that inflates to 10,000 × 10,000 pixels (100 MP, over the limit)."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buffer, "GIF")
    return buffer.getvalue()


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)

# (file name as sent, bytes, expected code)
CORPUS = {
    "html-named-jpg": ("IMG_0001.jpg", b"<!doctype html><script>alert(1)</script>", "not_image"),
    "svg-with-script": ("photo.svg", SVG, "not_image"),
    "svg-named-png": ("photo.png", SVG, "not_image"),
    "exe-named-jpg": ("IMG_0002.jpg", b"MZ\x90\x00" + b"\0" * 200, "not_image"),
    "pdf-named-jpg": ("IMG_0003.jpg", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n", "not_image"),
    "empty": ("IMG_0004.jpg", b"", "empty"),
    "truncated-jpeg": ("IMG_0005.jpg", jpeg(size=(400, 300))[:300], "corrupt"),
    "gif-named-jpg": ("IMG_0006.jpg", gif(), "unsupported_format"),
    "header-bomb-png": ("IMG_0007.png", png_claiming(100_000, 100_000), "too_many_pixels"),
    "huge-dimensions": ("IMG_0008.png", png_claiming(9_000, 9_000), "too_many_pixels"),
    "zlib-bomb-png": ("IMG_0009.png", zlib_bomb_png(), "too_many_pixels"),
}


@pytest.fixture
def draft(owner):
    from django.test import Client

    token = account_actions.issue_api_token(acting_user=owner)
    return token, call(Client(), "post", "declarations", START_DATA, token=token).json()["id"]


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(CORPUS))
def test_the_api_refuses_each_clearly(client, draft, case):
    token, pk = draft
    name, data, code = CORPUS[case]
    response = client.post(
        f"/api/v1/declarations/{pk}/photos",
        {"kind": "front", "file": SimpleUploadedFile(name, data, "image/jpeg")},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == f"photo_{code}"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])  # said in Chinese
    assert not DeclarationPhoto.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["html-named-jpg", "svg-with-script", "zlib-bomb-png"])
def test_the_wizard_page_refuses_each_clearly(owner, draft, case):
    _token, pk = draft
    name, data, _code = CORPUS[case]
    page = logged_in(owner).post(
        f"/declarations/{pk}/photos/",
        {"kind": "front", "file": SimpleUploadedFile(name, data, "image/jpeg")},
    )
    assert page.status_code == 400
    body = page.content.decode()
    assert "图片" in body or "照片" in body
    assert not DeclarationPhoto.objects.exists()


POLYGLOTS = {
    # A real JPEG with a ZIP archive after its end (the "GIFAR" trick).
    "jpeg+zip": jpeg(size=(320, 240)) + b"PK\x03\x04" + b"evil.js" + b"\0" * 64,
    # A real JPEG carrying script in a comment segment right after SOI.
    "jpeg-comment-script": (
        lambda j: (
            j[:2]
            + b"\xff\xfe"
            + struct.pack(">H", 33)
            + b"<script>alert(1)</script>\0\0\0\0\0\0"
            + j[2:]
        )
    )(jpeg(size=(320, 240))),
    # A real JPEG with HTML appended.
    "jpeg+html": jpeg(size=(320, 240)) + b"<html><script>alert(1)</script></html>",
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(POLYGLOTS))
def test_polyglots_are_stored_as_clean_new_jpegs(client, owner, draft, case):
    token, pk = draft
    response = client.post(
        f"/api/v1/declarations/{pk}/photos",
        {"kind": "front", "file": SimpleUploadedFile("IMG.jpg", POLYGLOTS[case], "image/jpeg")},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    served = client.get(response.json()["url"], HTTP_AUTHORIZATION=f"Bearer {token}")
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    stored = b"".join(served.streaming_content) if served.streaming else served.content
    assert stored[:2] == b"\xff\xd8" and stored.endswith(b"\xff\xd9")
    for payload in (b"PK\x03\x04", b"<script", b"<html"):
        assert payload not in stored
