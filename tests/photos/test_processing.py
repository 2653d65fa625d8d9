"""Photo upload processing: what is accepted, what comes out, and every refusal.

Every image is generated in memory with Pillow, so no binary fixtures are committed.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import struct
import time
import zlib
from contextlib import nullcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, ImageFile, JpegImagePlugin

from photos import processing
from photos.processing import (
    ACCEPTED_FORMATS,
    JPEG_QUALITY,
    LONG_EDGE,
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    PhotoError,
    ProcessedPhoto,
    process_photo,
)

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)


# --- helpers -------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def noise(size: tuple[int, int]) -> Image.Image:
    # Random pixels compress badly, which makes truncation land inside the scan data.
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))


def output_image(photo: ProcessedPhoto) -> Image.Image:
    image = Image.open(io.BytesIO(photo.data))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (photo.width, photo.height)
    image.load()
    return image


def close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    """JPEG is lossy: compare colours channel by channel within a tolerance."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def centre(image: Image.Image) -> tuple[int, ...]:
    return pixel(image, (image.width // 2, image.height // 2))


def jpeg_markers(data: bytes) -> list[int]:
    """The segment markers of a JPEG stream, in order (SOI and EOI excluded)."""
    assert data[:2] == b"\xff\xd8"
    markers: list[int] = []
    position = 2
    while True:
        assert data[position] == 0xFF
        marker = data[position + 1]
        if marker == 0xD9:  # EOI
            return markers
        markers.append(marker)
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        position += 2 + length
        if marker == 0xDA:  # SOS: entropy-coded data runs until the next real marker
            while True:
                position = data.index(b"\xff", position)
                following = data[position + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:  # stuffed byte, RSTn
                    position += 2
                    continue
                break


def png_with_header_size(width: int, height: int) -> bytes:
    """A real 1x1 PNG whose IHDR is patched to claim another size (CRC fixed up)."""
    data = bytearray(encode(Image.new("RGB", (1, 1), RED), "PNG"))
    # Signature (8) + chunk length (4) + b"IHDR" (4), then width and height.
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def rgb_matrix_profile(red: tuple[float, float, float], green: tuple[float, float, float]) -> bytes:
    """A minimal ICC v2 RGB display profile with the given red/green primaries (PCS XYZ).

    Blue is sRGB's, the tone curves are linear.  Hand-built because Pillow can only create
    sRGB, and no wide-gamut profile file is available to the tests.
    """

    def s15f16(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(values: tuple[float, float, float]) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(s15f16(v) for v in values)

    description = b"test profile\0"
    tags = {
        b"desc": b"desc\0\0\0\0"
        + struct.pack(">I", len(description))
        + description
        + b"\0" * 8  # no Unicode description
        + b"\0" * 3  # no ScriptCode description
        + b"\0" * 67,
        b"wtpt": xyz((0.9642, 1.0, 0.8249)),
        b"rXYZ": xyz(red),
        b"gXYZ": xyz(green),
        b"bXYZ": xyz((0.1431, 0.0606, 0.7141)),
        b"rTRC": b"curv\0\0\0\0" + struct.pack(">I", 0),  # no entries: identity curve
    }
    tags[b"gTRC"] = tags[b"bTRC"] = tags[b"rTRC"]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries, body = b"", b""
    for signature, content in tags.items():
        padded = content + b"\0" * (-len(content) % 4)
        entries += signature + struct.pack(">II", offset + len(body), len(content))
        body += padded
    size = 128 + table_size + len(body)
    header = (
        struct.pack(">I", size)
        + b"\0" * 4
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + s15f16(0.9642)
        + s15f16(1.0)
        + s15f16(0.8249)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + entries + body


def heif_writable() -> bool:
    if "HEIF" not in ACCEPTED_FORMATS:
        return False
    try:
        encode(Image.new("RGB", (16, 16)), "HEIF")
    except (KeyError, OSError, ValueError, RuntimeError):
        return False
    return True


needs_heif = pytest.mark.skipif(not heif_writable(), reason="this libheif cannot write HEIF")


def assert_error(data: bytes, code: str) -> PhotoError:
    with pytest.raises(PhotoError) as caught:
        process_photo(data)
    assert caught.value.code == code
    assert str(caught.value) == caught.value.message
    return caught.value


# --- accepted formats ----------------------------------------------------------------


def test_jpeg_comes_out_as_a_jpeg_with_a_matching_hash() -> None:
    data = encode(Image.new("RGB", (640, 480), RED), "JPEG", quality=95)
    photo = process_photo(data)
    assert (photo.width, photo.height) == (640, 480)
    assert photo.original_format == "JPEG"
    assert photo.original_size == len(data)
    assert photo.sha256 == hashlib.sha256(photo.data).hexdigest()
    assert close(centre(output_image(photo)), RED)


def test_output_is_progressive_and_stable() -> None:
    data = encode(noise((300, 200)), "PNG")
    first, second = process_photo(data), process_photo(data)
    assert first == second  # deterministic, so sha256 can deduplicate
    assert 0xC2 in jpeg_markers(first.data)  # SOF2: progressive DCT


def test_quality_is_85() -> None:
    image = noise((256, 256))
    photo = process_photo(encode(image, "PNG"))
    expected = encode(image, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    assert photo.data == expected


def test_png_alpha_is_flattened_onto_white() -> None:
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))  # transparent *black*
    image.paste((255, 0, 0, 255), (0, 0, 100, 100))  # left half opaque red
    image.paste((0, 0, 255, 128), (100, 0, 200, 50))  # half-transparent blue patch
    photo = process_photo(encode(image, "PNG"))
    assert photo.original_format == "PNG"
    output = output_image(photo)
    assert close(pixel(output, (50, 50)), RED)
    assert close(pixel(output, (150, 75)), WHITE)
    assert close(pixel(output, (150, 25)), (127, 127, 255))


def test_palette_png_transparency_is_flattened_onto_white() -> None:
    image = Image.new("P", (100, 100), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * (256 - 2) * 3)
    image.paste(1, (0, 0, 50, 100))
    output = output_image(process_photo(encode(image, "PNG", transparency=0)))
    assert close(pixel(output, (25, 50)), RED)
    assert close(pixel(output, (75, 50)), WHITE)


def test_sixteen_bit_greyscale_png_keeps_its_tones() -> None:
    # Pillow's plain convert() would clip every 16-bit sample to white.
    image = Image.new("I;16", (64, 64), 0x8000)
    assert Image.open(io.BytesIO(encode(image, "PNG"))).mode.startswith("I")
    output = output_image(process_photo(encode(image, "PNG")))
    assert close(centre(output), (128, 128, 128), tolerance=3)


def test_webp() -> None:
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 150, 200))
    photo = process_photo(encode(image, "WEBP", lossless=True))
    assert photo.original_format == "WEBP"
    output = output_image(photo)
    assert close(pixel(output, (75, 100)), BLUE)
    assert close(pixel(output, (225, 100)), WHITE)


@needs_heif
def test_heic() -> None:
    photo = process_photo(encode(Image.new("RGB", (400, 300), GREEN), "HEIF", quality=90))
    assert photo.original_format == "HEIF"
    assert (photo.width, photo.height) == (400, 300)
    assert close(centre(output_image(photo)), GREEN, tolerance=20)


@needs_heif
def test_heic_orientation_is_applied_exactly_once() -> None:
    # pillow-heif writes the orientation as HEIF rotation and, on reading, applies it
    # and resets EXIF to 1; a second rotation by exif_transpose would undo nothing good.
    image = Image.new("RGB", (300, 200), RED)
    image.paste(BLUE, (0, 100, 300, 200))  # bottom band blue
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    photo = process_photo(encode(image, "HEIF", exif=exif.tobytes(), quality=90))
    output = output_image(photo)
    assert output.size == (200, 300)
    # Orientation 6 is "rotate 90° clockwise to view": the top band ends up on the right.
    assert close(pixel(output, (150, 150)), RED, tolerance=30)
    assert close(pixel(output, (50, 150)), BLUE, tolerance=30)


def test_multi_picture_jpeg_is_a_jpeg() -> None:
    # iPhone and Android Ultra HDR JPEGs carry a second image; Pillow calls them MPO.
    data = encode(
        Image.new("RGB", (320, 240), RED),
        "MPO",
        save_all=True,
        append_images=[Image.new("RGB", (160, 120), BLUE)],
    )
    assert Image.open(io.BytesIO(data)).format == "MPO"
    photo = process_photo(data)
    assert photo.original_format == "JPEG"
    assert (photo.width, photo.height) == (320, 240)
    assert close(centre(output_image(photo)), RED)


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_animation_keeps_the_first_frame(fmt: str) -> None:
    frames = [Image.new("RGB", (120, 80), colour) for colour in (RED, GREEN, BLUE)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 3
    photo = process_photo(data)
    assert photo.original_format == fmt
    assert close(centre(output_image(photo)), RED)


# --- size ----------------------------------------------------------------------------


def test_large_image_is_downscaled_keeping_the_aspect_ratio() -> None:
    photo = process_photo(encode(Image.new("RGB", (5000, 3000), BLUE), "JPEG"))
    assert photo.width == LONG_EDGE
    assert abs(photo.height - LONG_EDGE * 3000 / 5000) <= 1


def test_portrait_image_is_downscaled_on_its_long_edge() -> None:
    photo = process_photo(encode(Image.new("RGB", (1500, 4000), BLUE), "PNG"))
    assert photo.height == LONG_EDGE
    assert abs(photo.width - LONG_EDGE * 1500 / 4000) <= 1


def test_very_large_jpeg_is_decoded_at_reduced_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    # 8200x4100: libjpeg can decode at 1/2 scale (4100x2050) and still cover LONG_EDGE,
    # so the full-size bitmap is never allocated.
    drafted: list[tuple[int, int]] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(
        self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None
    ) -> tuple[str, tuple[int, int, float, float]] | None:
        result = original_draft(self, mode, size)
        drafted.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    image = Image.linear_gradient("L").resize((8200, 4100)).convert("RGB")
    photo = process_photo(encode(image, "JPEG"))
    assert drafted[0] == (4100, 2050)
    assert (photo.width, photo.height) == (2048, 1024)


def test_small_image_is_not_upscaled() -> None:
    photo = process_photo(encode(Image.new("RGB", (320, 200), RED), "PNG"))
    assert (photo.width, photo.height) == (320, 200)


@settings(max_examples=25, deadline=None)
@given(
    width=st.integers(min_value=1, max_value=3000),
    height=st.integers(min_value=1, max_value=3000),
    fmt=st.sampled_from(["JPEG", "PNG"]),
)
def test_any_size_comes_out_bounded_with_its_aspect_ratio(
    width: int, height: int, fmt: str
) -> None:
    photo = process_photo(encode(Image.new("RGB", (width, height), (30, 120, 200)), fmt))
    output_image(photo)
    scale = min(1.0, LONG_EDGE / max(width, height))  # never enlarged
    assert max(photo.width, photo.height) == min(LONG_EDGE, max(width, height))
    assert abs(photo.width - width * scale) <= 1
    assert abs(photo.height - height * scale) <= 1


# --- orientation and metadata --------------------------------------------------------


def phone_jpeg(*, with_profile: bool = True) -> bytes:
    """A sideways phone photo: orientation 6, GPS position, device, comment, XMP, ICC."""
    image = Image.new("RGB", (300, 200), RED)
    image.paste(BLUE, (0, 100, 300, 200))  # bottom band blue
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "PhoneModel X"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 10.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 30.0)
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(
        image,
        "JPEG",
        exif=exif,
        comment="机主 张三 13800000001".encode(),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp</x:xmpmeta>',
        **({"icc_profile": profile} if with_profile else {}),
    )


def test_exif_orientation_is_applied() -> None:
    output = output_image(process_photo(phone_jpeg()))
    assert output.size == (200, 300)
    # Orientation 6 is "rotate 90° clockwise to view": the top band ends up on the right.
    assert close(pixel(output, (150, 150)), RED)
    assert close(pixel(output, (50, 150)), BLUE)


# Without a profile the pixels never pass through the colour conversion, which happens
# to build a fresh image; the metadata must be gone on both paths.
@pytest.mark.parametrize("with_profile", [True, False], ids=["icc", "no-icc"])
def test_all_metadata_is_stripped(with_profile: bool) -> None:
    data = phone_jpeg(with_profile=with_profile)
    original = Image.open(io.BytesIO(data))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input really has GPS
    assert {"comment", "xmp"} <= set(original.info)
    assert ("icc_profile" in original.info) == with_profile

    photo = process_photo(data)
    output = output_image(photo)
    assert not output.getexif()
    assert not {"exif", "comment", "xmp", "icc_profile"} & set(output.info)
    # Only the JFIF header, tables, frame and scans: no APP1-APP15 (EXIF, XMP, ICC, ...)
    # and no COM segment.
    markers = jpeg_markers(photo.data)
    assert markers[0] == 0xE0
    assert set(markers) <= {0xE0, 0xDB, 0xC4, 0xC2, 0xDA, 0xDD}
    for secret in (b"Exif", b"PhoneMaker", b"secret-xmp", "张三".encode(), b"acsp"):
        assert secret not in photo.data


def test_colours_are_converted_from_the_embedded_profile() -> None:
    # A profile whose "red" channel is sRGB's green primary: honouring it turns pure red
    # pixels green.  Proves the conversion happens even though the profile is dropped.
    swapped = rgb_matrix_profile(red=(0.3851, 0.7169, 0.0971), green=(0.4361, 0.2225, 0.0139))
    data = encode(Image.new("RGB", (64, 64), RED), "PNG", icc_profile=swapped)
    output = output_image(process_photo(data))
    assert "icc_profile" not in output.info
    assert close(centre(output), GREEN, tolerance=25)


def test_an_unusable_profile_is_ignored() -> None:
    data = encode(Image.new("RGB", (64, 64), RED), "PNG", icc_profile=b"not a profile" * 10)
    assert close(centre(output_image(process_photo(data))), RED)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_broken_exif_does_not_reject_the_photo() -> None:
    data = encode(Image.new("RGB", (64, 64), RED), "JPEG", exif=b"Exif\x00\x00MM\x00*garbage")
    assert close(centre(output_image(process_photo(data))), RED)


# --- refusals ------------------------------------------------------------------------


def test_empty() -> None:
    error = assert_error(b"", "empty")
    assert error.message == "上传的文件为空，请重新选择照片"


def test_too_large_is_checked_before_anything_else() -> None:
    error = assert_error(b"\0" * (MAX_UPLOAD_BYTES + 1), "too_large")
    # Rounded up, so a file just over the limit never reads as "15.0MB".
    assert error.message == "照片不能超过15MB，您上传的文件为15.1MB"


def test_too_large_message_gives_the_size() -> None:
    error = assert_error(b"\0" * round(17.34 * 1024 * 1024), "too_large")
    assert error.message == "照片不能超过15MB，您上传的文件为17.3MB"


def test_exactly_the_limit_is_not_too_large() -> None:
    assert_error(b"\0" * MAX_UPLOAD_BYTES, "not_image")


@pytest.mark.parametrize(
    "data",
    [
        b"Hello, this is a text file.\n" * 20,
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        b"<!DOCTYPE html><html><body>not a photo</body></html>",
        b"PK\x03\x04" + b"\0" * 100,
        b"\0",
    ],
    ids=["text", "pdf", "html", "zip", "one-byte"],
)
def test_not_an_image(data: bytes) -> None:
    error = assert_error(data, "not_image")
    assert error.message == "文件不是图片，请上传JPEG、PNG、WebP或HEIC格式的照片"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_unsupported_image_format(fmt: str) -> None:
    error = assert_error(encode(Image.new("RGB", (32, 32), RED), fmt), "unsupported_format")
    assert error.message == f"不支持{fmt}格式的图片，请上传JPEG、PNG、WebP或HEIC格式的照片"


@pytest.mark.parametrize("size", [(20_000, 20_000), (10_000, 7_000)], ids=["400MP", "70MP"])
@pytest.mark.parametrize("pillow_guard", [True, False], ids=["pillow-guard", "no-pillow-guard"])
def test_too_many_pixels_is_refused_from_the_header(
    size: tuple[int, int], pillow_guard: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Our own check must hold even if someone disables Pillow's global guard.
    if not pillow_guard:
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)

    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("the image must not be decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    data = png_with_header_size(*size)
    assert size[0] * size[1] > MAX_PIXELS
    started = time.perf_counter()
    with (
        pytest.warns(Image.DecompressionBombWarning)
        if pillow_guard and size[0] * size[1] <= 2 * MAX_PIXELS
        else nullcontext()
    ):
        error = assert_error(data, "too_many_pixels")
    assert time.perf_counter() - started < 1
    assert error.message == "图片尺寸过大（超过6000万像素），请缩小后再上传"


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_pillow_bomb_warning_is_an_error_when_warnings_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 40x40 = 1600: warning, no error
    assert_error(encode(Image.new("RGB", (40, 40), RED), "PNG"), "too_many_pixels")


def test_pixel_limit_allows_a_48_megapixel_header() -> None:
    # A phone's 8064x6048 sensor is within the limit: the tiny fake body then fails to
    # decode, which proves the header check let it through.
    assert_error(png_with_header_size(8064, 6048), "corrupt")


def test_truncated_jpeg() -> None:
    data = encode(noise((256, 256)), "JPEG", quality=95)
    assert_error(data[: len(data) // 2], "corrupt")


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_truncated(fmt: str) -> None:
    data = encode(noise((256, 256)), fmt)
    assert_error(data[: len(data) // 2], "corrupt")


def test_png_with_a_bad_checksum() -> None:
    data = bytearray(encode(noise((64, 64)), "PNG"))
    data[len(data) // 2] ^= 0xFF  # inside IDAT: its CRC no longer matches
    assert_error(bytes(data), "corrupt")


def test_right_signature_broken_header() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\x0dIHDR" + b"\xff" * 30
    error = assert_error(data, "corrupt")
    assert error.message == "图片已损坏，无法读取"


@needs_heif
def test_truncated_heic() -> None:
    data = encode(noise((256, 256)), "HEIF", quality=90)
    assert_error(data[: len(data) // 2], "corrupt")


def test_heic_signature_without_pillow_heif(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend pillow-heif is missing: HEIC is then an unsupported format, and the message
    # only offers what can actually be read.
    monkeypatch.setattr(processing, "ACCEPTED_FORMATS", frozenset({"JPEG", "PNG", "WEBP"}))
    monkeypatch.setattr(processing, "_OPEN_FORMATS", ("JPEG", "PNG", "WEBP", "GIF"))
    monkeypatch.setattr(processing, "_ACCEPTED_LABEL", "JPEG、PNG或WebP")
    data = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64
    error = assert_error(data, "unsupported_format")
    assert error.message == "不支持HEIC格式的图片，请上传JPEG、PNG或WebP格式的照片"


def test_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="文件不是图片"):
        process_photo(b"plain text")


def test_error_survives_pickling() -> None:
    error = assert_error(b"", "empty")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.message, str(copy)) == (error.code, error.message, str(error))
