"""Direct calls into the C++ PDQ code that the ``pdqhash`` package ships.

``pdqhash.compute`` takes an RGB uint8 array and converts it to luminance with numpy in
float64 (three full-size temporaries) before calling Meta's C++; at photo sizes that numpy
step costs more than the hashing itself, and it holds the GIL. The extension module also
exports the C++ functions themselves, so we call them with ctypes:

- ``facebook::pdq::downscaling::fillFloatLumaFromRGB`` (the reference's own RGB -> luma), and
- ``facebook::pdq::hashing::pdqHash256FromFloatLuma`` (Jarosz downscale, DCT, median bits,
  quality),

which is exactly what Meta's C++ ``pdq-photo-hasher`` runs after decoding. ctypes releases
the GIL during the calls. If the symbols are not found (a different build of pdqhash),
:data:`AVAILABLE` is False and callers use ``pdqhash.compute``.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
import numpy.typing as npt

_HASH_SYMBOL = (
    "_ZN8facebook3pdq7hashing23pdqHash256FromFloatLumaEPfS2_iiPA64_fS4_PA16_fRNS1_7Hash256ERi"
)
_LUMA_SYMBOL = "_ZN8facebook3pdq11downscaling20fillFloatLumaFromRGBEPKhS3_S3_iiiiPf"


def _load() -> tuple[Any, Any] | None:
    try:
        from pdqhash import bindings

        lib = ctypes.CDLL(bindings.__file__)
        hash_fn = getattr(lib, _HASH_SYMBOL)
        luma_fn = getattr(lib, _LUMA_SYMBOL)
    except (ImportError, OSError, AttributeError):
        return None
    p = ctypes.c_void_p
    hash_fn.argtypes = [p, p, ctypes.c_int, ctypes.c_int, p, p, p, p, p]
    hash_fn.restype = None
    luma_fn.argtypes = [p, p, p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, p]
    luma_fn.restype = None
    return hash_fn, luma_fn


_FUNCS = _load()
AVAILABLE = _FUNCS is not None


def luma_from_rgb(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Float luminance of an HxWx3 (or HxWx4) uint8 array, computed by the C++ reference."""
    assert _FUNCS is not None
    arr = np.ascontiguousarray(rgb)
    rows, cols, channels = arr.shape
    luma = np.empty((rows, cols), dtype=np.float32)
    base = arr.ctypes.data
    _FUNCS[1](base, base + 1, base + 2, rows, cols, cols * channels, channels, luma.ctypes.data)
    return luma


def hash_luma(luma: npt.NDArray[np.float32]) -> tuple[str, int]:
    """PDQ (hex, quality) of a float32 HxW luminance matrix (values 0-255).

    The C++ filters work in place: ``luma`` is overwritten (pass a copy to keep it).
    """
    assert _FUNCS is not None
    buffer1 = np.ascontiguousarray(luma, dtype=np.float32)
    rows, cols = buffer1.shape
    buffer2 = np.empty_like(buffer1)
    b64x64 = np.empty((64, 64), dtype=np.float32)
    b16x64 = np.empty((16, 64), dtype=np.float32)
    b16x16 = np.empty((16, 16), dtype=np.float32)
    words = np.zeros(16, dtype=np.uint16)
    quality = ctypes.c_int(0)
    _FUNCS[0](buffer1.ctypes.data, buffer2.ctypes.data, rows, cols, b64x64.ctypes.data,
              b16x64.ctypes.data, b16x16.ctypes.data, words.ctypes.data,
              ctypes.addressof(quality))
    # Hash256 keeps bit k in word k // 16; the hex form starts with the highest word.
    return words[::-1].astype(">u2").tobytes().hex(), int(quality.value)


__all__ = ["AVAILABLE", "hash_luma", "luma_from_rgb"]
