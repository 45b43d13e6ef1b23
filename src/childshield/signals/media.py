"""Recognise media by its first bytes and open images safely and fast.

Safety: the pixel count is read from the header and checked against
``settings.max_image_pixels`` *before* any pixel is decoded, so a 100-byte PNG claiming
40000x40000 pixels is refused at once; zero-byte, truncated, corrupt and unrecognised files
raise the MediaError subclasses of :mod:`childshield.errors` with a message naming the problem.

Speed: decoding dominates hashing. PDQ only looks at a 64x64 summary of the luminance, so for
large JPEGs we let libjpeg decode the luma channel only, scaled down by 1/2, 1/4 or 1/8 in the
DCT (Pillow's ``draft``), and other formats are box-reduced before hashing. The conformance
tests check that this stays within the upstream rule (distance <= 10 from the C++ reference
on images of quality >= 80).

EXIF orientation is *not* applied: the reference data shows that Meta's C++ hasher (and
python-threatexchange) hash the pixels as stored. ``exif-rotn-{1,3,6,8}.jpg`` hash 0-4 bits
from the C++ values as stored and 128-132 bits away once rotated upright, so applying the
tag would break matching against indicator lists hashed with the reference tools. (Rotated
copies are the robustness layer's business: it hashes the dihedral variants.)
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from pathlib import Path
from typing import BinaryIO, Literal

from PIL import Image, UnidentifiedImageError

from childshield.errors import CorruptMediaError, MediaTooLargeError, UnsupportedMediaError
from childshield.settings import get_settings

MediaKind = Literal["image", "video", "other"]

# Pillow plug-ins we let parse untrusted input (a short, well-tested list).
IMAGE_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "WEBP", "BMP", "DIB", "TIFF", "HEIF", "AVIF",
                 "PPM", "ICO")
PDQ_MIN_SIDE = 1000
"""Large images are decoded or reduced to no less than this on each side (decode_for_pdq)."""
LUMA_ONLY_PIXELS = 2_000_000
"""JPEGs of at least this many pixels are decoded luma only (see decode_for_pdq)."""

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
                b"avif", b"avis"}
_VIDEO_BRANDS_PREFIX = (b"iso", b"mp4", b"mp7", b"avc", b"M4V", b"M4A", b"qt  ", b"3g", b"dash",
                        b"f4v", b"mmp4", b"MSNV", b"NDAS", b"XAVC", b"crx ")
_heif_registered = False


def sniff(head: bytes) -> tuple[MediaKind, str | None]:
    """Media kind and format name from a file's first bytes (at least 32 are best)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image", "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video", "avi"
    if head[:2] == b"BM":
        return "image", "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image", "tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "image", "heif"
        if brand.startswith(_VIDEO_BRANDS_PREFIX) or brand in (b"mp41", b"mp42"):
            return "video", "mp4" if brand != b"qt  " else "mov"
        return "video", "mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "video", "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "matroska"
    if head.startswith(b"FLV\x01"):
        return "video", "flv"
    if head[:4] == b"\x00\x00\x01\xba" or head[:4] == b"\x00\x00\x01\xb3":
        return "video", "mpeg"
    if len(head) >= 189 and head[0] == 0x47 and head[188] == 0x47:
        return "video", "mpegts"
    if head[:4] == b"OggS":
        return "video", "ogg"
    if head[:2] in (b"P1", b"P2", b"P3", b"P4", b"P5", b"P6") and len(head) > 2 \
            and head[2:3].isspace():
        return "image", "ppm"
    if head[:4] == b"\x00\x00\x01\x00":
        return "image", "ico"
    return "other", None


def media_kind(path: str | Path) -> MediaKind:
    """"image", "video" or "other" for a file, from its first bytes."""
    with open(path, "rb") as fh:
        return sniff(fh.read(256))[0]


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        _heif_registered = True
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:  # pragma: no cover - pillow-heif is a core dependency
            pass


def _allowed_formats() -> list[str]:
    Image.init()
    return [f for f in IMAGE_FORMATS if f in Image.OPEN]


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise CorruptMediaError(f"image header gives impossible size {width}x{height}")
    if width * height > max_pixels:
        raise MediaTooLargeError(
            f"image is {width}x{height} = {width * height:,} pixels, over the limit of "
            f"{max_pixels:,} (possible decompression bomb; setting CHILDSHIELD_MAX_IMAGE_PIXELS)"
        )


def open_image(source: str | Path | bytes | BinaryIO, *, max_pixels: int | None = None
               ) -> Image.Image:
    """Open an image lazily (header only) after the safety checks; pixels are not decoded.

    Raises CorruptMediaError (empty, corrupt header), UnsupportedMediaError (not an image
    format we read) or MediaTooLargeError (over the pixel limit).
    """
    limit = max_pixels if max_pixels is not None else get_settings().max_image_pixels
    fp: BinaryIO
    if isinstance(source, bytes):
        fp = io.BytesIO(source)
    elif isinstance(source, (str, Path)):
        fp = open(source, "rb")  # noqa: SIM115 - handed to Pillow, closed on error below
    else:
        fp = source
    head = fp.read(256)
    fp.seek(0)
    if not head:
        _close(fp, source)
        raise CorruptMediaError("empty file (0 bytes)")
    kind, fmt = sniff(head)
    if kind == "video":
        _close(fp, source)
        raise UnsupportedMediaError(f"this is a video ({fmt}), not an image")
    if fmt == "heif":  # pillow-heif costs ~0.1 s to import: only for the files that need it
        _register_heif()
    try:
        with warnings.catch_warnings():
            # Our own limit (checked next, from the header) replaces Pillow's warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(fp, formats=_allowed_formats())
        _check_pixels(image, limit)
    except (MediaTooLargeError, CorruptMediaError):
        _close(fp, source)
        raise
    except Image.DecompressionBombError as exc:
        # Pillow refuses > 2x its own limit while parsing the header; say it our way.
        _close(fp, source)
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)):,} pixels" if found else "over Pillow's pixel limit"
        raise MediaTooLargeError(
            f"image is {size}, over the limit of {limit:,} "
            "(possible decompression bomb; setting CHILDSHIELD_MAX_IMAGE_PIXELS)"
        ) from None
    except UnidentifiedImageError:
        _close(fp, source)
        if kind == "image":
            raise CorruptMediaError(f"corrupt {fmt} file: the header cannot be read") from None
        raise UnsupportedMediaError("not an image or video format childshield reads") from None
    except _DECODE_ERRORS as exc:
        _close(fp, source)
        raise CorruptMediaError(f"corrupt {fmt or 'image'} file: {_describe(exc)}") from None
    return image


def _close(fp: BinaryIO, source: object) -> None:
    if fp is not source:
        fp.close()


_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error,
                  IndexError, KeyError, TypeError, RuntimeError, MemoryError)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "truncated" in text.lower():
        return text
    if isinstance(exc, EOFError):
        return f"truncated ({text})"
    return text


_REDUCIBLE = frozenset({"L", "LA", "La", "RGB", "RGBA", "RGBa", "CMYK", "I", "F"})
_TO_RGB = frozenset({"RGBA", "RGBa", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV"})
HUGE_PIXELS = 25_000_000
"""Above this, palette images go to L (1 byte a pixel) rather than RGB (4) to bound memory."""


def dct_scale(width: int, height: int, min_side: int = PDQ_MIN_SIDE) -> int:
    """Largest JPEG DCT scale-down (1, 2, 4 or 8) that keeps both sides >= ``min_side``."""
    for scale in (8, 4, 2):
        if min(width, height) // scale >= min_side:
            return scale
    return 1


def decode_for_pdq(image: Image.Image, *, min_side: int = PDQ_MIN_SIDE) -> Image.Image:
    """Decode ``image`` (from :func:`open_image`) at the smallest size that keeps PDQ exact
    enough.

    JPEG with both sides >= 2 x ``min_side``: the luma channel only (JPEG's Y is PDQ's
    luminance), DCT-scaled by 1/2, 1/4 or 1/8 so both sides stay >= ``min_side``. JPEGs of
    ``LUMA_ONLY_PIXELS`` or more decode luma only at full size (no chroma upsampling and
    colour conversion: about twice as fast, 0-2 bits from the RGB route on the reference
    photos). Smaller JPEGs decode as RGB at full size, as python-threatexchange does, so their
    hashes agree bit for bit. Other formats: full decode of the first frame, then a box
    reduction by an integer factor that keeps both sides >= ``min_side``. The result is mode
    L or RGB (or a grey mode that :func:`childshield.signals.pdq.luma_or_rgb` handles).

    Why 1000: PDQ's Jarosz filter aliases differently at different input sizes. Over
    scikit-image photos upscaled to 1920x1080 ... 8000x6000, hashing at >= 1000 px kept
    every hash within 8 bits of the full-resolution hash (mean 2.7); at ~500-750 px textured
    images (brick, grass) moved up to 26 bits, outside the upstream rule of <= 10.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if image.format in ("JPEG", "MPO"):
                width, height = image.size
                scale = dct_scale(width, height, min_side)
                luma_only = image.mode == "RGB" and (
                    scale > 1 or width * height >= LUMA_ONLY_PIXELS)
                if luma_only or scale > 1:
                    image.draft("L" if luma_only else None, (width // scale, height // scale))
            _check_decode_memory(image)
            image.load()
        image = _reduce(image, min(image.size) // min_side)
    except _DECODE_ERRORS as exc:
        raise CorruptMediaError(
            f"corrupt {(image.format or 'image').lower()} file: {_describe(exc)}"
        ) from None
    return image


# Peak bytes a pixel while decoding and reducing, by mode (Pillow stores RGB as 4 bytes;
# reduce() premultiplies RGBA/LA into a second full-size copy; 16-bit grey goes via numpy).
_PEAK_BYTES_PER_PIXEL = {"1": 2, "L": 1, "P": 5, "PA": 5, "I;16": 5, "I;16B": 5, "I;16L": 5,
                         "RGBA": 8, "LA": 8, "RGBa": 8, "La": 8}


def _check_decode_memory(image: Image.Image) -> None:
    """Refuse an image whose decode would need more than 4 bytes x max_image_pixels."""
    budget = 4 * get_settings().max_image_pixels
    per_pixel = _PEAK_BYTES_PER_PIXEL.get(image.mode, 4)
    needed = image.width * image.height * per_pixel
    if needed > budget:
        raise MediaTooLargeError(
            f"image is {image.width}x{image.height} {image.mode}: decoding needs about "
            f"{needed // 2**20:,} MiB, over the budget of {budget // 2**20:,} MiB "
            "(4 bytes x CHILDSHIELD_MAX_IMAGE_PIXELS)"
        )


def _reduce(image: Image.Image, factor: int) -> Image.Image:
    """Box-reduce by ``factor`` and bring the image to L or RGB, never holding a second
    full-size copy: reduce first where Pillow can, and turn huge palette images into L."""
    if factor >= 2 and image.mode in _REDUCIBLE:
        image = image.reduce(factor)
        factor = 1
    if image.mode in _TO_RGB:
        huge = image.width * image.height > HUGE_PIXELS
        image = image.convert("L" if huge and image.mode in ("P", "PA") else "RGB")
    if factor >= 2 and image.mode in ("L", "RGB"):
        image = image.reduce(factor)
    return image


def load_image_for_pdq(source: str | Path | bytes, *, max_pixels: int | None = None
                       ) -> Image.Image:
    """Open, check and decode an image for PDQ; the returned image holds no open file."""
    if isinstance(source, bytes):
        return decode_for_pdq(open_image(io.BytesIO(source), max_pixels=max_pixels))
    with open(source, "rb") as fh:
        return decode_for_pdq(open_image(fh, max_pixels=max_pixels))


__all__ = [
    "IMAGE_FORMATS",
    "LUMA_ONLY_PIXELS",
    "PDQ_MIN_SIDE",
    "MediaKind",
    "dct_scale",
    "decode_for_pdq",
    "load_image_for_pdq",
    "media_kind",
    "open_image",
    "sniff",
]
