"""Image analysis behind the robust PDQ variants: border trimming and pair frames.

Pure numpy + Pillow; no storage, no hashing. All geometry is done on a working copy whose long
side is :data:`WORK_SIDE` pixels.

Border trimming
    Letterboxing, pillarboxing and padding add rows or columns with (almost) no detail: a flat
    colour, or a blurred copy of the picture. :func:`trim_box` walks in from each edge while the
    row or column's mean gradient is far below the picture's typical detail.

Pair frames (the crop/rotation/scale-invariant part)
    PDQ does not survive cropping: a 2 % shift already moves a hash by ~60 bits. Instead of
    guessing crop offsets, both sides anchor windows on the content itself. Corners are found
    with a Shi-Tomasi detector (sub-pixel peaks); every pair of strong corners at a moderate
    distance defines a similarity frame: centre = midpoint, x-axis = the vector between them,
    side = :data:`FRAME_SCALE` times their distance. The window sampled in that frame is the
    same picture content after any crop that keeps both corners, any resize, and any rotation,
    so its PDQ matches across those edits. The frame's remaining ambiguity (which corner is first,
    and mirroring) is removed by flipping the window so that its luminance leans to the positive
    side of both axes; when the lean is too weak to decide, a query emits the alternatives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

WORK_SIDE = 384
FRAME_SCALE = 2.0
"""Window side as a multiple of the distance between the frame's two corners."""
PAIR_MIN, PAIR_MAX = 0.10, 0.35
"""Corner distance range, as a fraction of the working image's geometric-mean side."""
PATCH = 64
"""PDQ works on a 64x64 summary; windows are sampled straight to that size."""
_BORDER_DETAIL = 0.12
"""A border row/column has less than this fraction of the picture's median row detail."""
_BORDER_ABS = 1.0 / 255.0
_MAX_TRIM = 0.45
_LEAN_MARGIN = 0.05


@dataclass(frozen=True)
class Corner:
    x: float
    y: float
    strength: float


@dataclass(frozen=True)
class Work:
    """The working copy of an image: luminance and an RGB pyramid (1, 1/2, 1/4), long side WORK_SIDE."""

    lum: np.ndarray  # float32, [0, 1]
    pyramid: tuple[Image.Image, ...]


def working_copy(image: Image.Image) -> Work:
    rgb = image.convert("RGB")
    w, h = rgb.size
    scale = WORK_SIDE / max(w, h)  # up or down: corner scales are then comparable
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size != rgb.size:
        rgb = rgb.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    lum = np.asarray(rgb.convert("L"), np.float32) / 255.0
    levels = [rgb]
    for _ in range(2):
        w, h = levels[-1].size
        levels.append(levels[-1].resize((max(1, w // 2), max(1, h // 2)), Image.Resampling.BOX))
    return Work(lum, tuple(levels))


def _kernel(sigma: float) -> np.ndarray:
    r = max(1, int(3 * sigma))
    x = np.arange(-r, r + 1, dtype=np.float32)
    k = np.exp(-x * x / (2 * sigma * sigma))
    return (k / k.sum()).astype(np.float32)


def blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with reflected edges."""
    k = _kernel(sigma)
    r = len(k) // 2
    p = np.pad(a, ((r, r), (0, 0)), mode="reflect")
    out = np.zeros_like(a)
    for i, w in enumerate(k):
        out += w * p[i : i + a.shape[0]]
    p = np.pad(out, ((0, 0), (r, r)), mode="reflect")
    out = np.zeros_like(a)
    for i, w in enumerate(k):
        out += w * p[:, i : i + a.shape[1]]
    return out


def trim_box(lum: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the detailed part of ``lum``, excluding low-detail borders."""
    h, w = lum.shape
    if h < 16 or w < 16:
        return 0, 0, w, h
    gy, gx = np.gradient(lum)
    g = np.abs(gx) + np.abs(gy)
    rows, cols = g.mean(axis=1), g.mean(axis=0)
    limit_r = max(_BORDER_ABS, _BORDER_DETAIL * float(np.median(rows)))
    limit_c = max(_BORDER_ABS, _BORDER_DETAIL * float(np.median(cols)))

    def inward(profile: np.ndarray, limit: float) -> int:
        n, cap = 0, int(len(profile) * _MAX_TRIM)
        while n < cap and profile[n] < limit:
            n += 1
        return n

    top, bottom = inward(rows, limit_r), inward(rows[::-1], limit_r)
    left, right = inward(cols, limit_c), inward(cols[::-1], limit_c)
    # the row/column at the content edge carries the step; keep a 1-pixel margin off it
    return left, top, w - right, h - bottom


def corners(lum: np.ndarray, limit: int = 20) -> list[Corner]:
    """Up to ``limit`` strongest Shi-Tomasi corners, sub-pixel, at least 3 % of the side apart."""
    h, w = lum.shape
    if h < 24 or w < 24:
        return []
    g = blur(lum, 1.5)
    gy, gx = np.gradient(g)
    sxx, syy, sxy = blur(gx * gx, 3.0), blur(gy * gy, 3.0), blur(gx * gy, 3.0)
    tr = (sxx + syy) / 2
    lam = tr - np.sqrt(np.maximum(tr * tr - (sxx * syy - sxy * sxy), 0.0))
    c = lam[1:-1, 1:-1]
    peak = np.ones_like(c, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                peak &= c > lam[1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx]
    m = np.zeros_like(lam, dtype=bool)
    m[1:-1, 1:-1] = peak
    edge = 6
    m[:edge], m[-edge:], m[:, :edge], m[:, -edge:] = False, False, False, False
    ys, xs = np.nonzero(m)
    if len(ys) == 0:
        return []
    vals = lam[ys, xs]
    order = np.lexsort((xs, ys, -vals))  # strongest first; ties broken by position
    floor = float(vals.max()) * 0.01
    spacing2 = (0.03 * max(w, h)) ** 2
    out: list[Corner] = []
    for i in order:
        v = float(vals[i])
        if v < floor:
            break
        y, x = int(ys[i]), int(xs[i])
        if any((x - k.x) ** 2 + (y - k.y) ** 2 < spacing2 for k in out):
            continue
        dx = _vertex(lam[y, x - 1], lam[y, x], lam[y, x + 1])
        dy = _vertex(lam[y - 1, x], lam[y, x], lam[y + 1, x])
        out.append(Corner(x + dx, y + dy, v))
        if len(out) >= limit:
            break
    return out


def _vertex(a: float, b: float, c: float) -> float:
    den = a - 2 * b + c
    return 0.0 if den >= 0 else float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))


def frame_pairs(cs: list[Corner], size: float, limit: int) -> list[tuple[Corner, Corner]]:
    """Corner pairs at PAIR_MIN..PAIR_MAX x ``size`` apart, strongest (weaker corner) first."""
    cand: list[tuple[float, float, float, int, int]] = []
    for i, a in enumerate(cs):
        for j in range(i + 1, len(cs)):
            b = cs[j]
            d = float(np.hypot(a.x - b.x, a.y - b.y))
            if PAIR_MIN * size <= d <= PAIR_MAX * size:
                cand.append((-min(a.strength, b.strength), -max(a.strength, b.strength), d, i, j))
    cand.sort()
    return [(cs[i], cs[j]) for *_, i, j in cand[:limit]]


def frame_window(work: Work, a: Corner, b: Corner) -> Image.Image | None:
    """The 64x64 window of the similarity frame of (a, b), or None if it leaves the picture."""
    cx, cy = (a.x + b.x) / 2, (a.y + b.y) / 2
    ux, uy = b.x - a.x, b.y - a.y
    side = FRAME_SCALE * float(np.hypot(ux, uy))
    h, w = work.lum.shape
    half_diag = side / np.sqrt(2)
    if cx - half_diag < -0.5 or cy - half_diag < -0.5 or cx + half_diag > w or cy + half_diag > h:
        # a window that leaves the picture would be padded with black and differ per crop
        # (only test the rotated square's bounding circle: cheap and conservative)
        return None
    level = 0
    while side / 2 ** (level + 1) >= PATCH and level + 1 < len(work.pyramid):
        level += 1  # sample from the level that shrinks the window by a factor in [1, 2)
    src, k = work.pyramid[level], 0.5**level
    s = FRAME_SCALE * k / PATCH
    a11, a12 = s * ux, -s * uy
    a21, a22 = s * uy, s * ux
    # continuous coordinates: pixel i covers [i, i + 1); the frame centre maps to output (32, 32)
    ccx, ccy = (cx + 0.5) * k, (cy + 0.5) * k
    c0 = ccx - (PATCH / 2) * (a11 + a12)
    f0 = ccy - (PATCH / 2) * (a21 + a22)
    return src.transform(
        (PATCH, PATCH),
        Image.Transform.AFFINE,
        (a11, a12, c0, a21, a22, f0),
        resample=Image.Resampling.BILINEAR,
    )


_AXIS = (np.arange(PATCH, dtype=np.float32) - (PATCH - 1) / 2) / (PATCH / 2)


def lean(window: Image.Image) -> tuple[float, float]:
    """Luminance moments of a window along its x and y axes, in units of its contrast."""
    lum = np.asarray(window.convert("L"), np.float32)
    lum = lum - lum.mean()
    sd = float(lum.std()) + 1e-6
    return float((lum * _AXIS[None, :]).mean() / sd), float((lum * _AXIS[:, None]).mean() / sd)


def orientations(window: Image.Image, ambiguous_both: bool) -> list[tuple[bool, bool]]:
    """(flip_x, flip_y) choices that put the window's lean on the positive side of both axes."""
    mx, my = lean(window)
    xs = [mx < 0] if abs(mx) > _LEAN_MARGIN or not ambiguous_both else [False, True]
    ys = [my < 0] if abs(my) > _LEAN_MARGIN or not ambiguous_both else [False, True]
    return [(fx, fy) for fx in xs for fy in ys]
