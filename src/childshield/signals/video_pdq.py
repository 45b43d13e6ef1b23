"""PDQ of one video frame from its luma plane, compiled with numba.

Video hashing calls PDQ hundreds of times a minute of footage, so this module runs Meta's PDQ
algorithm (the steps of ``pdq/cpp/hashing/pdqhashing.cpp``, re-implemented from the published
description, not copied) directly on a float luma plane:

1. two passes of Jarosz box filters along rows and columns, window ``ceil(dim / 128)``;
2. decimation to 64x64 by sampling the centres of a 64x64 grid;
3. quality: the sum of truncated absolute neighbour gradients (in percent of 255) / 90, <= 100;
4. the 16x16 low-frequency block of the 64x64 DCT-II (DC row and column excluded);
5. one bit per coefficient: above the median (the 128th smallest of 256) or not.

The luma of a frame comes straight from the decoder's Y plane (see :mod:`.vpdq`), which avoids
the YUV -> RGB -> luma round trip: for the BT.601 matrix FFmpeg's scaler uses by default, the
luma PDQ computes from converted RGB is ``(Y - 16) * 255 / 219`` up to clipping, so the hashes
agree with Meta's vpdq (see tests/video/test_conformance.py).

Bits are returned in the order ``pdqhash`` and the hex strings use (most significant first).
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

DIM = 64
MIN_HASHABLE_DIM = 5


def _dct_matrix() -> npt.NDArray[np.float32]:
    i = np.arange(1, 17, dtype=np.float64)[:, None]
    j = np.arange(DIM, dtype=np.float64)[None, :]
    return np.asarray(
        math.sqrt(2.0 / DIM) * np.cos((math.pi / 2.0 / DIM) * i * (2.0 * j + 1.0)),
        dtype=np.float32,
    )


_DCT = _dct_matrix()


@numba.njit(cache=True, nogil=True)
def _box1d(
    src: npt.NDArray[np.float32],
    dst: npt.NDArray[np.float32],
    start: int,
    length: int,
    stride: int,
    window: int,
) -> None:
    half = (window + 2) // 2
    p1 = half - 1
    p2 = window - half + 1
    p3 = length - window
    p4 = half - 1
    li = start
    ri = start
    oi = start
    acc = np.float32(0.0)
    count = 0
    for _ in range(p1):
        acc += src[ri]
        count += 1
        ri += stride
    for _ in range(p2):
        acc += src[ri]
        count += 1
        dst[oi] = acc / np.float32(count)
        ri += stride
        oi += stride
    for _ in range(p3):
        acc += src[ri]
        acc -= src[li]
        dst[oi] = acc / np.float32(count)
        li += stride
        ri += stride
        oi += stride
    for _ in range(p4):
        acc -= src[li]
        count -= 1
        dst[oi] = acc / np.float32(count)
        li += stride
        oi += stride


@numba.njit(cache=True, nogil=True)
def _box_cols(
    src: npt.NDArray[np.float32], dst: npt.NDArray[np.float32], rows: int, cols: int, window: int
) -> None:
    """_box1d down every column at once, walking rows (cache friendly; same arithmetic)."""
    half = (window + 2) // 2
    acc = np.zeros(cols, dtype=np.float32)
    count = 0
    ri = 0
    li = 0
    oi = 0
    for _ in range(half - 1):
        for j in range(cols):
            acc[j] += src[ri * cols + j]
        count += 1
        ri += 1
    for _ in range(window - half + 1):
        count += 1
        for j in range(cols):
            acc[j] += src[ri * cols + j]
            dst[oi * cols + j] = acc[j] / np.float32(count)
        ri += 1
        oi += 1
    for _ in range(rows - window):
        for j in range(cols):
            acc[j] += src[ri * cols + j]
            acc[j] -= src[li * cols + j]
            dst[oi * cols + j] = acc[j] / np.float32(count)
        li += 1
        ri += 1
        oi += 1
    for _ in range(half - 1):
        count -= 1
        for j in range(cols):
            acc[j] -= src[li * cols + j]
            dst[oi * cols + j] = acc[j] / np.float32(count)
        li += 1
        oi += 1


@numba.njit(cache=True, nogil=True)
def _box_rows4(
    src: npt.NDArray[np.float32], dst: npt.NDArray[np.float32], r0: int, cols: int, window: int
) -> None:
    """_box1d along rows r0..r0+3 at once: four independent running sums interleaved, so the
    CPU overlaps their latency (same arithmetic per row as _box1d)."""
    half = (window + 2) // 2
    a = r0 * cols
    b = a + cols
    c = b + cols
    d = c + cols
    s0 = s1 = s2 = s3 = np.float32(0.0)
    count = 0
    ri = 0
    li = 0
    oi = 0
    for _ in range(half - 1):
        s0 += src[a + ri]
        s1 += src[b + ri]
        s2 += src[c + ri]
        s3 += src[d + ri]
        count += 1
        ri += 1
    for _ in range(window - half + 1):
        s0 += src[a + ri]
        s1 += src[b + ri]
        s2 += src[c + ri]
        s3 += src[d + ri]
        count += 1
        n = np.float32(count)
        dst[a + oi] = s0 / n
        dst[b + oi] = s1 / n
        dst[c + oi] = s2 / n
        dst[d + oi] = s3 / n
        ri += 1
        oi += 1
    n = np.float32(count)
    for _ in range(cols - window):
        s0 += src[a + ri]
        s1 += src[b + ri]
        s2 += src[c + ri]
        s3 += src[d + ri]
        s0 -= src[a + li]
        s1 -= src[b + li]
        s2 -= src[c + li]
        s3 -= src[d + li]
        dst[a + oi] = s0 / n
        dst[b + oi] = s1 / n
        dst[c + oi] = s2 / n
        dst[d + oi] = s3 / n
        li += 1
        ri += 1
        oi += 1
    for _ in range(half - 1):
        s0 -= src[a + li]
        s1 -= src[b + li]
        s2 -= src[c + li]
        s3 -= src[d + li]
        count -= 1
        n = np.float32(count)
        dst[a + oi] = s0 / n
        dst[b + oi] = s1 / n
        dst[c + oi] = s2 / n
        dst[d + oi] = s3 / n
        li += 1
        oi += 1


@numba.njit(cache=True, nogil=True)
def _box_rows(
    src: npt.NDArray[np.float32], dst: npt.NDArray[np.float32], rows: int, cols: int, window: int
) -> None:
    i = 0
    while i + 4 <= rows:
        _box_rows4(src, dst, i, cols, window)
        i += 4
    while i < rows:
        _box1d(src, dst, i * cols, cols, 1, window)
        i += 1


@numba.njit(cache=True, nogil=True)
def _box_cols_sampled(
    src: npt.NDArray[np.float32],
    rows: int,
    cols: int,
    window: int,
    col_idx: npt.NDArray[np.int64],
    row_idx: npt.NDArray[np.int64],
) -> npt.NDArray[np.float32]:
    """The last column pass, only for the 64 sampled columns, kept at the 64 sampled rows."""
    m = col_idx.size
    gathered = np.empty(rows * m, dtype=np.float32)
    for i in range(rows):
        for j in range(m):
            gathered[i * m + j] = src[i * cols + col_idx[j]]
    filtered = np.empty(rows * m, dtype=np.float32)
    _box_cols(gathered, filtered, rows, m, window)
    small = np.empty((row_idx.size, m), dtype=np.float32)
    for i in range(row_idx.size):
        for j in range(m):
            small[i, j] = filtered[row_idx[i] * m + j]
    return small


@numba.njit(cache=True, nogil=True)
def _pdq_from_luma(
    luma: npt.NDArray[np.float32], dct: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.uint8], int]:
    rows, cols = luma.shape
    buf1 = luma.ravel().copy()
    buf2 = np.empty_like(buf1)
    win_rows = (cols + 2 * DIM - 1) // (2 * DIM)  # window along each row
    win_cols = (rows + 2 * DIM - 1) // (2 * DIM)  # window along each column
    row_idx = np.empty(DIM, dtype=np.int64)
    col_idx = np.empty(DIM, dtype=np.int64)
    for i in range(DIM):
        row_idx[i] = int(((i + 0.5) * rows) / DIM)
        col_idx[i] = int(((i + 0.5) * cols) / DIM)
    _box_rows(buf1, buf2, rows, cols, win_rows)
    _box_cols(buf2, buf1, rows, cols, win_cols)
    _box_rows(buf1, buf2, rows, cols, win_rows)
    small = _box_cols_sampled(buf2, rows, cols, win_cols, col_idx, row_idx)
    gradient = 0
    for i in range(DIM - 1):
        for j in range(DIM):
            gradient += int(abs(((small[i, j] - small[i + 1, j]) * np.float32(100.0)) / 255.0))
    for i in range(DIM):
        for j in range(DIM - 1):
            gradient += int(abs(((small[i, j] - small[i, j + 1]) * np.float32(100.0)) / 255.0))
    quality = min(gradient // 90, 100)
    coeffs = (dct @ small @ dct.T).ravel()
    median = np.sort(coeffs)[127]
    bits = np.zeros(256, dtype=np.uint8)
    for k in range(256):
        if coeffs[k] > median:
            bits[255 - k] = 1
    return bits, quality


def pdq_bits_from_luma(luma: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.uint8], int]:
    """PDQ (256 bits MSB first, quality) of a float32 luma plane (rows x cols, 0..255)."""
    if luma.ndim != 2 or min(luma.shape) < MIN_HASHABLE_DIM:
        return np.zeros(256, dtype=np.uint8), 0
    return _pdq_from_luma(np.ascontiguousarray(luma, dtype=np.float32), _DCT)


def pdq_hex_from_luma(luma: npt.NDArray[np.float32]) -> tuple[str, int]:
    """PDQ (64 hex digits, quality) of a float32 luma plane."""
    bits, quality = pdq_bits_from_luma(luma)
    return np.packbits(bits).tobytes().hex(), int(quality)


@numba.njit(cache=True, nogil=True)
def _luma_from_y(raw: npt.NDArray[np.uint8], limited: bool) -> npt.NDArray[np.float32]:
    rows, cols = raw.shape
    out = np.empty((rows, cols), dtype=np.float32)
    scale = np.float32(255.0 / 219.0)
    for i in range(rows):
        for j in range(cols):
            v = np.float32(raw[i, j])
            if limited:
                v = (v - np.float32(16.0)) * scale
                v = min(max(v, np.float32(0.0)), np.float32(255.0))
            out[i, j] = v
    return out


def luma_from_y(raw: npt.NDArray[np.uint8], *, limited: bool) -> npt.NDArray[np.float32]:
    """PDQ's luma from an 8-bit Y plane (a strided 2-D view is fine).

    ``limited``: the plane uses the 16-235 video range, mapped to 0-255 as FFmpeg's BT.601
    YUV -> RGB conversion (whose PDQ luma is exactly this, up to clipping) would.
    """
    return _luma_from_y(raw, limited)


def luma_from_rgb(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """PDQ's luma (0.299 R + 0.587 G + 0.114 B) of an HxWx3 uint8 array."""
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    out: npt.NDArray[np.float32] = (
        np.float32(0.299) * r + np.float32(0.587) * g + np.float32(0.114) * b
    )
    return out


__all__ = [
    "MIN_HASHABLE_DIM",
    "luma_from_rgb",
    "luma_from_y",
    "pdq_bits_from_luma",
    "pdq_hex_from_luma",
]
