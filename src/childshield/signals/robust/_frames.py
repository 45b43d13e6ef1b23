"""Image analysis behind the robust PDQ variants: border trimming and pair frames.

Pure numpy + Pillow; no storage, no hashing. All geometry is done on a working copy whose long
side is :data:`WORK_SIDE` pixels.

Border trimming
    Letterboxing, pillarboxing, padding and caption bars add rows or columns of one flat colour
    (bars: mostly that colour, around the caption's letters). :func:`trim_box` walks in from
    each edge while the rows keep the edge's colour.

Pair frames (the crop/rotation/scale-invariant part)
    PDQ does not survive cropping: a 2 % shift already moves a hash by ~60 bits. Instead of
    guessing crop offsets, both sides anchor windows on the content itself. Corners are found
    with a Shi-Tomasi detector (sub-pixel peaks, spread over the picture by adaptive
    non-maximal suppression); every pair of strong corners at a moderate
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
_EDGE_TOL = 10.0 / 255.0
_BAR_FLAT = 0.8
_AFTER_MAX = 0.3
TRIM_SIDE = 768
_MAX_TRIM = 0.45
SIGMA_D, SIGMA_I = 1.5, 3.0
"""Corner detector: derivative and integration scales, in working-copy pixels."""
_LEAN_MARGIN = 0.05
ANMS_ROBUST = 0.9
"""A corner suppresses weaker ones only when it is more than 1 / ANMS_ROBUST times as strong."""
_CANDIDATES = 400


@dataclass(frozen=True)
class Corner:
    x: float
    y: float
    strength: float


@dataclass(frozen=True)
class Work:
    """Working copy of an image: luminance and RGB pyramid (1, 1/2, 1/4), long side WORK_SIDE."""

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
    out: np.ndarray = (k / k.sum()).astype(np.float32)
    return out


def blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with reflected edges over the last two axes."""
    k = _kernel(sigma)
    r = len(k) // 2
    lead = [(0, 0)] * (a.ndim - 2)
    h, w = a.shape[-2:]
    p = np.pad(a, [*lead, (r, r), (0, 0)], mode="reflect")
    out: np.ndarray = k[0] * p[..., 0:h, :]
    for i in range(1, len(k)):
        out += k[i] * p[..., i : i + h, :]
    p = np.pad(out, [*lead, (0, 0), (r, r)], mode="reflect")
    out = k[0] * p[..., 0:w]
    for i in range(1, len(k)):
        out += k[i] * p[..., i : i + w]
    return out


def trim_luminance(image: Image.Image) -> np.ndarray:
    """Luminance in [0, 1] at up to TRIM_SIDE pixels on the long side (finer than WORK_SIDE)."""
    lum = image.convert("L")
    w, h = lum.size
    scale = min(1.0, TRIM_SIDE / max(w, h))
    if scale < 1.0:
        lum = lum.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX)
    return np.asarray(lum, np.float32) / 255.0


def _border_run(lum: np.ndarray) -> int:
    """How many rows, from row 0 inward, are border: a flat band, or a caption bar on one.

    Row 0 must be flat (95 % of it one grey level, the edge colour). The border ends at the
    first row ``n`` such that row ``n - 1`` is flat again (the bar's bottom margin), the rows
    up to it are on average BAR_FLAT in the edge colour (letters cover the rest), and the rows
    right after it are mostly NOT in the edge colour (the picture starts there). A plaid or a
    checkerboard fails the last test (its next rows look like the previous ones), and a smooth
    gradient such as a sky drifts away from the edge colour and never becomes flat again.
    """
    h = lum.shape[0]
    cap = int(h * _MAX_TRIM)
    look = max(3, int(0.03 * h))
    edge = float(np.median(lum[0]))
    share = (np.abs(lum[: cap + look] - edge) < _EDGE_TOL).mean(axis=1)
    if cap < 1 or share[0] < 0.95:
        return 0
    mean_to = np.cumsum(share) / np.arange(1, len(share) + 1)
    csum = np.concatenate([[0.0], np.cumsum(share)])
    for n in range(1, min(cap, len(share) - look) + 1):
        after = (csum[n + look] - csum[n]) / look
        if (
            share[n - 1] >= 0.95 > 0.5 > share[n]
            and mean_to[n - 1] >= _BAR_FLAT
            and after < _AFTER_MAX
        ):
            return n
    return 0


def trim_box(lum: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of ``lum`` without its border rows and columns."""
    h, w = lum.shape
    if h < 16 or w < 16:
        return 0, 0, w, h
    top, bottom = _border_run(lum), _border_run(lum[::-1])
    left, right = _border_run(lum.T), _border_run(lum.T[::-1])
    return left, top, w - right, h - bottom


def corners(lum: np.ndarray, limit: int = 20) -> list[Corner]:
    """Up to ``limit`` Shi-Tomasi corners, sub-pixel, at least 3 % of the side apart, spread over
    the picture (see :func:`_spread`); returned strongest first."""
    h, w = lum.shape
    if h < 24 or w < 24:
        return []
    g = blur(lum, SIGMA_D)
    gy, gx = np.gradient(g)
    sxx, syy, sxy = blur(np.stack([gx * gx, gy * gy, gx * gy]), SIGMA_I)
    tr = (sxx + syy) / 2
    lam = tr - np.sqrt(np.maximum(tr * tr - (sxx * syy - sxy * sxy), 0.0))
    c = lam[1:-1, 1:-1]
    peak = np.ones_like(c, dtype=bool)
    for oy in (-1, 0, 1):
        for ox in (-1, 0, 1):
            if oy or ox:
                peak &= c > lam[1 + oy : h - 1 + oy, 1 + ox : w - 1 + ox]
    m = np.zeros_like(lam, dtype=bool)
    m[1:-1, 1:-1] = peak
    edge = 6
    m[:edge], m[-edge:], m[:, :edge], m[:, -edge:] = False, False, False, False
    ys, xs = np.nonzero(m)
    if len(ys) == 0:
        return []
    vals = lam[ys, xs]
    keep = vals >= float(vals.max()) * 0.01
    ys, xs, vals = ys[keep], xs[keep], vals[keep]
    order = np.lexsort((xs, ys, -vals))[:_CANDIDATES]  # strongest first; ties by position
    ys, xs, vals = ys[order], xs[order], vals[order]
    pick = _spread(xs, ys, vals, limit, 0.03 * max(w, h))
    out: list[Corner] = []
    for i in pick:
        yi, xi = int(ys[i]), int(xs[i])
        dx = _vertex(lam[yi, xi - 1], lam[yi, xi], lam[yi, xi + 1])
        dy = _vertex(lam[yi - 1, xi], lam[yi, xi], lam[yi + 1, xi])
        out.append(Corner(xi + dx, yi + dy, float(vals[i])))
    return out


def _spread(
    xs: np.ndarray, ys: np.ndarray, vals: np.ndarray, limit: int, spacing: float
) -> list[int]:
    """Adaptive non-maximal suppression: the ``limit`` corners farthest from a clearly stronger
    one (strength above vals / ANMS_ROBUST), so that corners spread over the whole picture
    instead of crowding on its one most contrasted feature (a caption, a logo). Candidates
    closer than ``spacing`` to a stronger one are dropped. Input is sorted strongest first."""
    n = len(vals)
    d2 = (xs[:, None] - xs[None, :]) ** 2.0 + (ys[:, None] - ys[None, :]) ** 2.0
    stronger = vals[None, :] * ANMS_ROBUST > vals[:, None]
    np.fill_diagonal(stronger, False)
    radius = np.where(stronger, d2, np.inf).min(axis=1)
    radius[0] = np.inf
    ok = radius >= spacing * spacing
    idx = np.nonzero(ok)[0]
    order = idx[np.lexsort((idx, -radius[idx]))][:limit]
    return sorted(int(i) for i in order) if n else []


def _vertex(a: float, b: float, c: float) -> float:
    den = a - 2 * b + c
    return 0.0 if den >= 0 else float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))


def frame_pairs(cs: list[Corner], size: float, limit: int) -> list[tuple[Corner, Corner]]:
    """Corner pairs at PAIR_MIN..PAIR_MAX x ``size`` apart, strongest (weaker corner) first."""
    if len(cs) < 2:
        return []
    xy = np.array([(c.x, c.y) for c in cs])
    st = np.array([c.strength for c in cs])
    i, j = np.triu_indices(len(cs), 1)
    d = np.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1])
    ok = (d >= PAIR_MIN * size) & (d <= PAIR_MAX * size)
    i, j = i[ok], j[ok]
    weak, strong = np.minimum(st[i], st[j]), np.maximum(st[i], st[j])
    order = np.lexsort((j, i, -strong, -weak))[:limit]
    return [(cs[int(i[k])], cs[int(j[k])]) for k in order]


def frame_window(work: Work, a: Corner, b: Corner) -> Image.Image | None:
    """The 64x64 window of the similarity frame of (a, b), or None if it leaves the picture."""
    cx, cy = (a.x + b.x) / 2, (a.y + b.y) / 2
    ux, uy = b.x - a.x, b.y - a.y
    side = FRAME_SCALE * float(np.hypot(ux, uy))
    h, w = work.lum.shape
    # the rotated square must lie inside the picture: a window that leaves it would be padded
    # with black and so differ from crop to crop
    ex = 0.5 * FRAME_SCALE * (abs(ux) + abs(uy))  # half extent of the rotated square along x
    if cx - ex < 0 or cy - ex < 0 or cx + ex > w - 1 or cy + ex > h - 1:
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
