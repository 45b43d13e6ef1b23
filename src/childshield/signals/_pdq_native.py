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
_QUALITY_SYMBOL = "_ZN8facebook3pdq7hashing27pdqImageDomainQualityMetricEPA64_f"
_DCT_SYMBOL = "_ZN8facebook3pdq7hashing9dct64To16EPA64_fS3_PA16_f"
_BITS_SYMBOL = "_ZN8facebook3pdq7hashing20pdqBuffer16x16ToBitsEPA16_fPNS1_7Hash256E"
MIN_HASHABLE_DIM = 5


def _load() -> tuple[Any, ...] | None:
    try:
        from pdqhash import bindings

        lib = ctypes.CDLL(bindings.__file__)
        funcs = tuple(getattr(lib, name) for name in (
            _HASH_SYMBOL, _LUMA_SYMBOL, _QUALITY_SYMBOL, _DCT_SYMBOL, _BITS_SYMBOL))
    except (ImportError, OSError, AttributeError):
        return None
    p = ctypes.c_void_p
    hash_fn, luma_fn, quality_fn, dct_fn, bits_fn = funcs
    hash_fn.argtypes = [p, p, ctypes.c_int, ctypes.c_int, p, p, p, p, p]
    hash_fn.restype = None
    luma_fn.argtypes = [p, p, p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, p]
    luma_fn.restype = None
    quality_fn.argtypes = [p]
    quality_fn.restype = ctypes.c_int
    dct_fn.argtypes = [p, p, p]
    dct_fn.restype = None
    bits_fn.argtypes = [p, p]
    bits_fn.restype = None
    return funcs


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


def _axis_weights(n: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """PDQ's downscale along one axis of length ``n`` as 64 weight rows: two passes of the
    C++ ``box1DFloat`` (window ``(n + 127) // 128``, averaging over the part of the window
    inside the image) followed by ``decimateFloat``'s choice of sample
    ``int((i + 0.5) * n / 64)``. Returns (start index a row, weights (64, span))."""
    full = (n + 127) // 128
    half = (full + 2) // 2
    lo_of = np.maximum(0, np.arange(n) - (full - half))
    hi_of = np.minimum(n - 1, np.arange(n) + half - 1)
    span = min(n, 2 * full + 2)
    starts = np.empty(64, dtype=np.intp)
    weights = np.zeros((64, span), dtype=np.float64)
    for i in range(64):
        centre = int(((i + 0.5) * n) / 64)
        first = np.arange(lo_of[centre], hi_of[centre] + 1)
        share = 1.0 / len(first)
        diff = np.zeros(n + 1)
        np.add.at(diff, lo_of[first], share / (hi_of[first] - lo_of[first] + 1))
        np.add.at(diff, hi_of[first] + 1, -share / (hi_of[first] - lo_of[first] + 1))
        row = np.cumsum(diff[:n])
        start = min(max(0, int(lo_of[lo_of[centre]])), n - span)
        starts[i] = start
        weights[i] = row[start:start + span]
    return starts, weights.astype(np.float32)


_WEIGHTS: dict[int, tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]] = {}


def _weights(n: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    if n not in _WEIGHTS:
        if len(_WEIGHTS) > 256:
            _WEIGHTS.clear()
        _WEIGHTS[n] = _axis_weights(n)
    return _WEIGHTS[n]


def downscale_64(luma: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """PDQ's 64x64 summary of a luminance matrix (what the C++ Jarosz filter + decimation
    give), computing only the 64x64 filtered samples instead of filtering every pixel."""
    rows, cols = luma.shape
    row_starts, row_weights = _weights(rows)
    col_starts, col_weights = _weights(cols)
    span_r, span_c = row_weights.shape[1], col_weights.shape[1]
    tall = np.empty((64, cols), dtype=np.float32)
    for i in range(64):
        start = row_starts[i]
        tall[i] = row_weights[i] @ luma[start:start + span_r]
    out = np.empty((64, 64), dtype=np.float32)
    for j in range(64):
        start = col_starts[j]
        out[:, j] = tall[:, start:start + span_c] @ col_weights[j]
    return out


def hash_luma_fast(luma: npt.NDArray[np.float32]) -> tuple[str, int]:
    """PDQ (hex, quality) of a luminance matrix: our separable 64x64 downscale, then the C++
    quality metric, 64->16 DCT and median bits. Equal to :func:`hash_luma` up to float
    rounding (a bit can flip only where a DCT value sits within ~1e-5 of the median)."""
    assert _FUNCS is not None
    rows, cols = luma.shape
    if rows < MIN_HASHABLE_DIM or cols < MIN_HASHABLE_DIM:
        return "0" * 64, 0
    b64x64 = np.ascontiguousarray(downscale_64(np.asarray(luma, dtype=np.float32)))
    b16x64 = np.empty((16, 64), dtype=np.float32)
    b16x16 = np.empty((16, 16), dtype=np.float32)
    words = np.zeros(16, dtype=np.uint16)
    quality = int(_FUNCS[2](b64x64.ctypes.data))
    _FUNCS[3](b64x64.ctypes.data, b16x64.ctypes.data, b16x16.ctypes.data)
    _FUNCS[4](b16x16.ctypes.data, words.ctypes.data)
    return words[::-1].astype(">u2").tobytes().hex(), quality


__all__ = ["AVAILABLE", "downscale_64", "hash_luma", "hash_luma_fast", "luma_from_rgb"]
