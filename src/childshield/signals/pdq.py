"""PDQ: Meta's 256-bit perceptual image hash, through the ``pdqhash`` package (the C++ code).

PDQ works on luminance (Y = 0.299 R + 0.587 G + 0.114 B) reduced to a 64x64 summary, so
the colour channels only matter through Y. Images already in a one-channel mode are hashed
from that channel without a conversion to RGB. The C++ functions are called directly
(:mod:`childshield.signals._pdq_native`), bypassing ``pdqhash.compute``'s float64 numpy
conversion; the result is bit-identical (a test checks it).

Quality is 0-100 (a measure of gradient energy): below 50 the hash of a flat or tiny image
is unreliable and should not be matched (the upstream recommendation).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image

from childshield.errors import SignalValueError
from childshield.signals import _pdq_native
from childshield.signals.base import Computed, HexSignal, register_signal

LOW_QUALITY = 50
"""Hashes with quality below this are flagged: PDQ is unreliable on flat or tiny images."""
BITS = 256


def bits_to_hex(bits: npt.NDArray[np.integer]) -> str:
    """256 hash bits (most significant first, as pdqhash returns them) -> 64 hex digits."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def pdq_from_array(array: npt.NDArray[np.uint8]) -> tuple[str, int]:
    """PDQ (hex, quality) of an HxWx3 (RGB) or HxW (luma) uint8 array."""
    arr = np.asarray(array)
    if arr.dtype != np.uint8:
        raise SignalValueError(f"PDQ needs a uint8 array, got {arr.dtype}")
    if arr.ndim == 2:
        arr = np.broadcast_to(arr[..., np.newaxis], (*arr.shape, 3))
    elif arr.ndim != 3 or arr.shape[2] < 3:
        raise SignalValueError(f"PDQ needs an HxWx3 or HxW array, got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise SignalValueError("PDQ needs an image of at least 1x1 pixels")
    if _pdq_native.AVAILABLE:
        if arr.strides[2] == 0:  # a grey image seen as three equal channels
            return _pdq_native.hash_luma_fast(arr[:, :, 0].astype(np.float32))
        return _pdq_native.hash_luma_fast(_pdq_native.luma_from_rgb(arr[:, :, :3]))
    if not arr.flags.c_contiguous and arr.strides[2] != 0:
        arr = np.ascontiguousarray(arr)
    vector, quality = pdqhash.compute(arr)
    return bits_to_hex(vector), int(quality)


def _sixteen_bit_to_8(image: Image.Image) -> npt.NDArray[np.uint8]:
    """Scale a 16/32-bit grey image to 0-255 (what ImageMagick does for the C++ reference)."""
    arr = np.asarray(image)
    out = np.empty(arr.shape, dtype=np.uint8)
    for start in range(0, arr.shape[0], 256):  # row blocks: no full-size float copies
        block = arr[start:start + 256]
        if image.mode == "F":
            scaled = np.clip(block, 0.0, 255.0)
        elif image.mode.startswith("I;16"):
            scaled = block.astype(np.float32) / 257.0
        else:  # "I": 32-bit signed; Pillow treats its useful range as 0-255 when saving
            scaled = np.clip(block, 0, 255)
        out[start:start + 256] = np.rint(scaled)
    return out


def luma_or_rgb(image: Image.Image) -> npt.NDArray[np.uint8]:
    """The array PDQ should see for ``image``: HxW luma for grey modes, else HxWx3 RGB."""
    mode = image.mode
    if mode in ("L", "RGB"):
        return np.asarray(image)
    if mode in ("LA", "La"):
        return np.asarray(image.getchannel("L"))
    if mode == "1":
        return np.asarray(image.convert("L"))
    if mode.startswith("I") or mode == "F":
        return _sixteen_bit_to_8(image)
    return np.asarray(image.convert("RGB"))


def pdq_from_image(image: Image.Image) -> tuple[str, int]:
    """PDQ (hex, quality) of a decoded Pillow image, any mode."""
    return pdq_from_array(luma_or_rgb(image))


def pdq_from_file(path: str | Path) -> tuple[str, int]:
    """PDQ (hex, quality) of an image file, with safe and fast decoding (see signals.media)."""
    from childshield.signals.media import load_image_for_pdq

    return pdq_from_image(load_image_for_pdq(path))


class PdqSignal(HexSignal):
    name = "pdq"
    media = frozenset({"image"})
    default_threshold = 31
    hex_digits = 64

    def compute(self, path: Path) -> Computed:
        value, quality = pdq_from_file(path)
        return Computed(value, quality)

    def examples(self) -> list[str]:
        # Hashes of benign reference photos (the ThreatExchange bridge and pen-and-coaster).
        return [
            "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22",
            "1f811b9d2e7fbc6613c0c3f30e041f9df69b836303e10f067fcdfc12c02d01f9",
            "0" * 64,
        ]


PDQ = register_signal(PdqSignal())

__all__ = [
    "LOW_QUALITY",
    "PDQ",
    "PdqSignal",
    "bits_to_hex",
    "luma_or_rgb",
    "pdq_from_array",
    "pdq_from_file",
    "pdq_from_image",
]
