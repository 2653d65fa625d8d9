"""Turn an uploaded phone photo into a small, upright, metadata-free JPEG.

Owners photograph their machines (nameplate, engine label, the whole machine) with a
phone and upload the file as it is.  Those files are large, often HEIC, stored sideways
with an EXIF orientation flag, and they carry GPS coordinates and device details that
the registry must not keep.  :func:`process_photo` checks the upload, decodes it
defensively and re-encodes it as a bounded JPEG; re-encoding from pixels is what
guarantees that no metadata survives.

Framework-free on purpose (Pillow and pillow-heif only) so it can be tested and reused
outside Django.  User-facing messages are Simplified Chinese; everything else is English.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Final, Literal

from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError, features


def _register_heif() -> bool:
    """Teach Pillow to open HEIC; report whether that worked."""
    try:
        import pillow_heif
    except ImportError:  # pragma: no cover - pinned in requirements; this is the fallback
        # Without it HEIC is simply not accepted and the messages stop offering it.
        return False
    pillow_heif.register_heif_opener()
    return True


# Registration is a global side effect on Pillow; doing it once, at import, keeps it in
# one predictable place.
HEIF_SUPPORTED: Final = _register_heif()

__all__ = [
    "ACCEPTED_FORMATS",
    "HEIF_SUPPORTED",
    "JPEG_QUALITY",
    "LONG_EDGE",
    "MAX_PIXELS",
    "MAX_UPLOAD_BYTES",
    "PhotoError",
    "PhotoErrorCode",
    "ProcessedPhoto",
    "process_photo",
]

_MB: Final = 1024 * 1024

MAX_UPLOAD_BYTES: Final = 15 * _MB
LONG_EDGE: Final = 2048
JPEG_QUALITY: Final = 85
# 60 MP leaves room for today's 48-50 MP phone sensors while capping the decoded bitmap
# (about 180 MB as RGB) that a single request may allocate.
MAX_PIXELS: Final = 60_000_000

# Pillow format names.  HEIC files are reported as "HEIF" by pillow-heif.  Without
# pillow-heif Pillow cannot read HEIC at all, so it is not offered.
ACCEPTED_FORMATS: Final[frozenset[str]] = frozenset(
    {"JPEG", "PNG", "WEBP", "HEIF"} if HEIF_SUPPORTED else {"JPEG", "PNG", "WEBP"}
)

# Pillow's own bomb guard warns above MAX_IMAGE_PIXELS and raises above twice that, in
# every code path that opens an image, not only ours.  Tighten it to our limit but never
# loosen a stricter value set elsewhere in the process.  Our explicit header check below
# stays the primary guard because this global can be changed by any other module.
if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# Formats we recognise only to refuse them with a precise message.  Restricting
# Image.open to these plus ACCEPTED_FORMATS keeps the header parsers of Pillow's ~40 other,
# rarely exercised plugins away from untrusted uploads, and stops formats without a magic
# number (TGA, ...) from "recognising" arbitrary bytes.  Refused formats are never decoded.
_REFUSED_FORMATS: Final[tuple[str, ...]] = ("GIF", "BMP", "TIFF") + (
    ("AVIF",) if features.check("avif") else ()
)
_OPEN_FORMATS: Final[tuple[str, ...]] = (*sorted(ACCEPTED_FORMATS), *_REFUSED_FORMATS)

# Pillow's JPEG plugin reports JPEGs that carry a Multi-Picture index (iPhone "Most
# Compatible" shots with a depth or gain map, Android Ultra HDR) as "MPO".  To the owner
# they are ordinary JPEGs.
_FORMAT_ALIASES: Final = {"MPO": "JPEG"}

_ACCEPTED_LABEL: Final = "JPEG、PNG、WebP或HEIC" if HEIF_SUPPORTED else "JPEG、PNG或WebP"
_DISPLAY_NAMES: Final = {"HEIF": "HEIC", "WEBP": "WebP"}

# ISO BMFF brands of HEIF still images and sequences (ISO/IEC 23008-12).
_HEIF_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)

# Without LittleCMS (Pillow built without it) colours are passed through unconverted.
_COLOUR_MANAGED: Final = features.check("littlecms2")

_HIGH_BIT_DEPTH_MODES: Final = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
_ALPHA_MODES: Final = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_WHITE: Final = (255, 255, 255, 255)

PhotoErrorCode = Literal[
    "too_large", "empty", "not_image", "unsupported_format", "too_many_pixels", "corrupt"
]


class PhotoError(ValueError):
    """An upload that cannot become a photo.

    ``code`` is a stable slug for programs (forms, APIs, logs); ``message`` (also
    ``str(error)``) is the Chinese sentence to show the owner.
    """

    def __init__(self, code: PhotoErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: PhotoErrorCode = code
        self.message = message

    def __reduce__(self) -> tuple[type[PhotoError], tuple[PhotoErrorCode, str]]:
        # The default pickling replays only ``args`` (the message) and would fail; errors
        # may cross process boundaries (task queues, multiprocessing).
        return (type(self), (self.code, self.message))


@dataclass(frozen=True)
class ProcessedPhoto:
    """The re-encoded photo, ready to store.

    ``sha256`` (hex) is of ``data``, so identical outputs can be deduplicated;
    ``original_format`` is the accepted Pillow format name of the upload ("JPEG", "PNG",
    "WEBP" or "HEIF") and ``original_size`` its length in bytes.
    """

    data: bytes
    width: int
    height: int
    sha256: str
    original_format: str
    original_size: int


def process_photo(data: bytes) -> ProcessedPhoto:
    """Check an uploaded file and re-encode it as an upright sRGB JPEG without metadata.

    The long edge is reduced to at most :data:`LONG_EDGE` pixels (never enlarged),
    transparency is flattened onto white, only the first frame of an animation is kept.
    Raises :class:`PhotoError` for anything that is not an acceptable, readable photo.
    """
    original_size = len(data)
    if original_size == 0:
        raise PhotoError("empty", "上传的文件为空，请重新选择照片")
    if original_size > MAX_UPLOAD_BYTES:
        # Ordinary rounding, except that a file just over the limit must not read as
        # "15.0MB" in a message saying 15MB is too much.
        shown = max(round(original_size / _MB, 1), MAX_UPLOAD_BYTES // _MB + 0.1)
        raise PhotoError(
            "too_large",
            f"照片不能超过{MAX_UPLOAD_BYTES // _MB}MB，您上传的文件为{shown:.1f}MB",
        )

    plugin_format = _inspect(data)
    image, icc_profile = _decode(data, plugin_format)

    turn = _orientation(image)
    image = _flatten_to_rgb(image)
    # thumbnail() keeps the aspect ratio and never enlarges.  Downscaling before the
    # colour conversion keeps that conversion cheap; before turning the photo upright too
    # (the bound is square, so the size is the same), which turns a quarter of the pixels.
    image.thumbnail((LONG_EDGE, LONG_EDGE), Image.Resampling.LANCZOS)
    if turn is not None:
        image = image.transpose(turn)
    image = _to_srgb(image, icc_profile)

    # Pillow's JPEG writer copies the "comment" entry of image.info by default, and info
    # travels through convert() and friends; start from nothing so only pixels are written.
    image.info = {}
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    jpeg = out.getvalue()
    return ProcessedPhoto(
        data=jpeg,
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(jpeg).hexdigest(),
        original_format=_FORMAT_ALIASES.get(plugin_format, plugin_format),
        original_size=original_size,
    )


def _inspect(data: bytes) -> str:
    """Identify the upload from its header and return the Pillow plugin that reads it.

    Nothing is decoded here: format and pixel count come from the header, then
    ``verify()`` checks the container structure (chunk CRCs for PNG).
    """
    try:
        with Image.open(io.BytesIO(data), formats=_OPEN_FORMATS) as probe:
            plugin_format = probe.format
            if plugin_format is None:  # pragma: no cover - Image.open always sets it
                raise _not_image()
            original_format = _FORMAT_ALIASES.get(plugin_format, plugin_format)
            if original_format not in ACCEPTED_FORMATS:
                raise _unsupported(original_format)
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise _too_many_pixels()
            probe.verify()
    except PhotoError:
        raise
    except UnidentifiedImageError as exc:
        raise _unidentified(data) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Raised by Pillow itself inside Image.open (the warning only when the process
        # turns warnings into errors), before any pixel data is read.
        raise _too_many_pixels() from exc
    except MemoryError:
        # Running out of memory is a server problem, not a broken upload.
        raise
    except Exception as exc:
        # Header parsers raise a zoo of types (SyntaxError, struct.error, OSError, ...);
        # all of them mean the same thing to the owner.
        raise _corrupt() from exc
    # The JPEG plugin, not "MPO", is what Image.open must be asked for.
    return "JPEG" if plugin_format == "MPO" else plugin_format


def _decode(data: bytes, plugin_format: str) -> tuple[Image.Image, bytes | None]:
    """Decode the first (primary) frame; return it with its ICC profile, if any.

    Truncated files are refused only while ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES`` keeps
    its default (False); it is process-wide, so this module does not touch it.
    """
    try:
        # verify() leaves the probe unusable, hence a second open; pinning the plugin
        # guarantees it reads the file the way _inspect() checked it.
        with Image.open(io.BytesIO(data), formats=(plugin_format,)) as opened:
            # Multi-frame files (animated WebP/PNG, MPO, HEIF collections) open on their
            # first frame - for HEIF the primary image, which need not be frame 0 - and we
            # never seek, so only that frame is decoded.
            #
            # For JPEG, let libjpeg decode at 1/2, 1/4 or 1/8 scale when the result still
            # covers LONG_EDGE on both sides: a 48 MP photo then never exists at full size
            # in memory.  Other formats ignore the hint or honour it the same way.
            opened.draft(None, (LONG_EDGE, LONG_EDGE))
            opened.load()
            # Leaving the with block only drops the file object; the loaded pixels stay.
            image: Image.Image = opened
            icc_profile = opened.info.get("icc_profile")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except MemoryError:
        raise
    except Exception as exc:
        # Truncated data ("image file is truncated"), bad Huffman tables, libheif errors...
        raise _corrupt() from exc
    return image, icc_profile if isinstance(icc_profile, bytes) else None


# EXIF orientation -> the transposition that shows the photo upright (as ImageOps.exif_transpose).
_TURNS: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(image: Image.Image) -> Image.Transpose | None:
    """How to turn the photo upright from its EXIF orientation, so photos taken with the
    phone turned are upright; None when it is upright already.

    pillow-heif already applies HEIF's own rotation and resets the EXIF flag to 1, so
    HEIC photos are not rotated twice.
    """
    try:
        return _TURNS.get(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:
        # The pixels are already decoded and valid; unreadable metadata (edited photos
        # often carry malformed EXIF) is not a reason to refuse the photo.
        return None


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    """Convert any decoded mode to 8-bit RGB, putting transparent areas on white."""
    if image.mode in _HIGH_BIT_DEPTH_MODES:
        # convert() clips 16-bit samples to 255, which would turn a 16-bit greyscale PNG
        # white; scale them down instead.  The transparency key is a 16-bit sample value
        # that no longer applies once scaled, so it is dropped.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
        image.info.pop("transparency", None)
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        # Palette and colour-key transparency (PNG tRNS) become alpha here too.  JPEG has
        # no alpha; dropping it would show whatever colour hides under transparent pixels
        # (often black), so composite onto white as a browser would on a white page.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, _WHITE)
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert from the embedded colour profile to sRGB.

    The profile is not written to the output (no metadata at all), and browsers assume
    sRGB for untagged JPEGs, so wide-gamut photos (iPhones shoot Display P3) would
    otherwise look washed out.
    """
    if not icc_profile or not _COLOUR_MANAGED:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A broken profile, or one that does not describe RGB (a greyscale profile on an
        # image we already turned into RGB): the pixels without conversion are the best
        # available rendering.
        return image
    return converted if converted is not None else image


def _unidentified(data: bytes) -> PhotoError:
    """Explain a file that no allowed Pillow plugin could open."""
    sniffed = _sniff_format(data)
    if sniffed is None:
        return _not_image()
    if sniffed in ACCEPTED_FORMATS:
        # The signature is right but the header is not: a damaged photo, not a wrong file.
        return _corrupt()
    # HEIC when pillow-heif is unavailable, or a format Pillow lacks a plugin for.
    return _unsupported(sniffed)


def _sniff_format(data: bytes) -> str | None:
    """Name the image format from its signature alone, as Pillow would, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand in _HEIF_BRANDS:
            return "HEIF"
    return None


def _not_image() -> PhotoError:
    return PhotoError("not_image", f"文件不是图片，请上传{_ACCEPTED_LABEL}格式的照片")


def _unsupported(pillow_format: str) -> PhotoError:
    name = _DISPLAY_NAMES.get(pillow_format, pillow_format)
    return PhotoError(
        "unsupported_format",
        f"不支持{name}格式的图片，请上传{_ACCEPTED_LABEL}格式的照片",
    )


def _too_many_pixels() -> PhotoError:
    return PhotoError(
        "too_many_pixels",
        f"图片尺寸过大（超过{MAX_PIXELS // 10_000}万像素），请缩小后再上传",
    )


def _corrupt() -> PhotoError:
    return PhotoError("corrupt", "图片已损坏，无法读取")
