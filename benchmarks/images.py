"""A benign image corpus for benchmarks and tests (reusable by anyone in the project).

Every image is benign (SAFETY.md): the photographs bundled with scikit-image and scikit-learn
(no download), and images drawn here from a seed: random shapes, smooth noise textures, rendered
text, procedural landscapes, Voronoi mosaics, fractal windows and geometric patterns.

    from benchmarks.images import corpus
    for item in corpus():            # ~190 unrelated images, deterministic
        item.name, item.family, item.split, item.image   # PIL RGB image

`split` is "tune" or "heldout": the held-out split holds every other image of each family plus
two whole families (``fractal`` and ``mosaic``) that the tuning split never sees, so a scheme
tuned on "tune" can be checked on images of a kind it was not tuned on.

Run ``python benchmarks/images.py OUTDIR`` to write the corpus as PNG files.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

HELDOUT_FAMILIES = frozenset({"fractal", "mosaic"})
_ASPECTS = [(1, 1), (4, 3), (3, 4), (16, 9), (9, 16), (3, 2), (2, 3)]
_WORDS = (  # noqa: SIM905
    "river garden window market yellow bicycle harbour mountain lantern coffee library orange "
    "station winter summer bridge castle forest meadow candle pencil rocket planet violin "
    "kitchen museum island compass feather thunder silver marble ticket journey weather"
).split()


@dataclass(frozen=True)
class CorpusImage:
    name: str
    family: str
    split: str  # "tune" | "heldout"
    image: Image.Image


def _size(rng: np.random.Generator, lo: int = 260, hi: int = 900) -> tuple[int, int]:
    aw, ah = _ASPECTS[int(rng.integers(len(_ASPECTS)))]
    long_side = int(rng.integers(lo, hi))
    if aw >= ah:
        return long_side, max(64, long_side * ah // aw)
    return max(64, long_side * aw // ah), long_side


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    c = rng.integers(0, 256, 3)
    return int(c[0]), int(c[1]), int(c[2])


def _font(rng: np.random.Generator, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    candidates = sorted(Path("/usr/share/fonts/truetype").glob("*/*.ttf"))
    if candidates and rng.random() < 0.8:
        path = candidates[int(rng.integers(len(candidates)))]
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def smooth_noise(rng: np.random.Generator, w: int, h: int, octaves: int = 5) -> np.ndarray:
    """Multi-octave value noise in [0, 1], shape (h, w)."""
    out = np.zeros((h, w), np.float64)
    amp, total = 1.0, 0.0
    cells = int(rng.integers(2, 5))
    for _ in range(octaves):
        grid = rng.random((cells + 1, cells + 1))
        layer = Image.fromarray((grid * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
        out += amp * np.asarray(layer, np.float64) / 255.0
        total += amp
        amp *= 0.55
        cells *= 2
    out /= total
    return (out - out.min()) / max(1e-9, float(np.ptp(out)))


def _palette(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] through a random 4-stop colour ramp -> uint8 RGB."""
    stops = np.sort(np.concatenate([[0.0, 1.0], rng.random(2)]))
    cols = rng.integers(0, 256, (4, 3)).astype(np.float64)
    rgb = np.stack([np.interp(values, stops, cols[:, k]) for k in range(3)], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _background(rng: np.random.Generator, w: int, h: int) -> Image.Image:
    kind = rng.integers(3)
    if kind == 0:
        return Image.new("RGB", (w, h), _colour(rng))
    if kind == 1:
        a, b = np.array(_colour(rng), float), np.array(_colour(rng), float)
        ang = rng.random() * np.pi
        yy, xx = np.mgrid[0:h, 0:w]
        t = xx * np.cos(ang) / w + yy * np.sin(ang) / h
        t = (t - t.min()) / max(1e-9, float(np.ptp(t)))
        return Image.fromarray((a + (b - a) * t[..., None]).astype(np.uint8))
    return Image.fromarray(_palette(rng, smooth_noise(rng, w, h, 3)))


def draw_shapes(rng: np.random.Generator) -> Image.Image:
    w, h = _size(rng)
    img = _background(rng, w, h)
    d = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(6, 30))):
        x0, y0 = rng.integers(-w // 4, w), rng.integers(-h // 4, h)
        x1, y1 = x0 + rng.integers(w // 20, w // 2), y0 + rng.integers(h // 20, h // 2)
        kind, fill = rng.integers(4), _colour(rng)
        if kind == 0:
            d.ellipse([int(x0), int(y0), int(x1), int(y1)], fill=fill)
        elif kind == 1:
            d.rectangle([int(x0), int(y0), int(x1), int(y1)], fill=fill)
        elif kind == 2:
            pts = [
                (int(rng.integers(0, w)), int(rng.integers(0, h)))
                for _ in range(3 + int(rng.integers(4)))
            ]
            d.polygon(pts, fill=fill)
        else:
            d.line([int(x0), int(y0), int(x1), int(y1)], fill=fill, width=int(rng.integers(2, 14)))
    return img


def draw_texture(rng: np.random.Generator) -> Image.Image:
    w, h = _size(rng)
    v = smooth_noise(rng, w, h, int(rng.integers(4, 8)))
    if rng.random() < 0.5:  # marble / wood style warp
        _yy, xx = np.mgrid[0:h, 0:w]
        f = rng.uniform(2, 12)
        v = 0.5 + 0.5 * np.sin(2 * np.pi * f * (xx / w + rng.uniform(1, 4) * v))
    return Image.fromarray(_palette(rng, v))


def draw_text(rng: np.random.Generator) -> Image.Image:
    w, h = _size(rng, 300, 900)
    img = _background(rng, w, h)
    d = ImageDraw.Draw(img)
    y = int(rng.integers(0, h // 8))
    while y < h:
        size = int(rng.integers(max(12, h // 30), max(16, h // 7)))
        words = " ".join(_WORDS[int(i)] for i in rng.integers(0, len(_WORDS), 6))
        d.text(
            (int(rng.integers(-w // 10, w // 5)), y),
            words,
            fill=_colour(rng),
            font=_font(rng, size),
        )
        y += int(size * rng.uniform(1.1, 1.9))
    return img


def draw_scene(rng: np.random.Generator) -> Image.Image:
    w, h = _size(rng)
    sky_a, sky_b = np.array(_colour(rng), float), np.array(_colour(rng), float)
    t = np.linspace(0, 1, h)[:, None, None]
    arr = np.broadcast_to(sky_a + (sky_b - sky_a) * t, (h, w, 3)).copy()
    img = Image.fromarray(arr.astype(np.uint8))
    d = ImageDraw.Draw(img)
    r = int(rng.integers(min(w, h) // 20, min(w, h) // 6))
    cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h // 2))
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=_colour(rng))
    for layer in range(int(rng.integers(2, 5))):
        base = h * (0.35 + 0.15 * layer + 0.1 * rng.random())
        ridge = smooth_noise(rng, w, 1, 4)[0] if w > 1 else np.zeros(w)
        ys = base - ridge * h * rng.uniform(0.1, 0.35)
        pts = [(0, h)] + [(x, int(ys[x])) for x in range(0, w, 4)] + [(w, h)]
        d.polygon(pts, fill=_colour(rng))
    for _ in range(int(rng.integers(0, 12))):  # trees
        x, y = int(rng.integers(0, w)), int(rng.integers(h // 2, h))
        s = int(rng.integers(h // 30, h // 8))
        d.polygon([(x, y - 2 * s), (x - s // 2, y), (x + s // 2, y)], fill=_colour(rng))
    return img


def draw_mosaic(rng: np.random.Generator) -> Image.Image:
    w, h = _size(rng)
    n = int(rng.integers(8, 60))
    pts = rng.random((n, 2)) * [w, h]
    cols = rng.integers(0, 256, (n, 3)).astype(np.uint8)
    yy, xx = np.mgrid[0:h:2, 0:w:2]
    best = np.full(xx.shape, np.inf)
    lab = np.zeros(xx.shape, np.int64)
    for i, (px, py) in enumerate(pts):
        dist = (xx - px) ** 2 + (yy - py) ** 2
        closer = dist < best
        best[closer], lab[closer] = dist[closer], i
    return Image.fromarray(cols[lab]).resize((w, h), Image.NEAREST)


def draw_fractal(rng: np.random.Generator) -> Image.Image:
    w, h = _size(rng, 240, 640)
    centres = [(-0.7453, 0.1127), (-0.16, 1.0405), (-1.25066, 0.02012), (-0.748, 0.1),
               (0.2925, 0.0149), (-1.7687, 0.0017), (-0.5, 0.5626)]  # fmt: skip
    cx, cy = centres[int(rng.integers(len(centres)))]
    span = float(10 ** rng.uniform(-2.5, -0.6))
    while True:  # widen the window until it shows structure (not the flat inside of the set)
        xs = np.linspace(cx - span, cx + span, w)
        ys = np.linspace(cy - span * h / w, cy + span * h / w, h)
        c = xs[None, :] + 1j * ys[:, None]
        z = np.zeros_like(c)
        it = np.zeros(c.shape, np.float64)
        for k in range(120):
            mask = np.abs(z) <= 2
            z[mask] = z[mask] ** 2 + c[mask]
            it[mask] = k
        inside = float(np.mean(it == 119))
        if (float(np.std(it / 119)) > 0.02 and inside < 0.6) or span > 1.0:
            break
        span *= 2.0
    bands = 0.5 + 0.5 * np.sin(rng.uniform(0.15, 0.5) * it + rng.uniform(0, 6.3))
    return Image.fromarray(_palette(rng, np.where(it == 119, 0.0, bands)))


def draw_pattern(rng: np.random.Generator) -> Image.Image:
    w, h = _size(rng)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    kind = rng.integers(3)
    if kind == 0:  # plaid
        f1, f2 = rng.uniform(3, 20, 2)
        v = 0.5 * (np.sin(2 * np.pi * f1 * xx / w) > 0) + 0.5 * (
            np.sin(2 * np.pi * f2 * yy / h) > 0.3
        )
    elif kind == 1:  # radial rays and rings
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        ang = np.arctan2(yy - cy, xx - cx)
        rad = np.hypot(yy - cy, xx - cx) / max(w, h)
        v = (
            0.5
            + 0.25 * np.sin(int(rng.integers(3, 16)) * ang)
            + 0.25 * np.sin(rng.uniform(10, 40) * rad)
        )
    else:  # interference
        v = np.zeros_like(xx)
        for _ in range(3):
            px, py = rng.random(2) * [w, h]
            v += np.sin(np.hypot(xx - px, yy - py) / rng.uniform(5, 40))
    v = (v - v.min()) / max(1e-9, float(np.ptp(v)))
    return Image.fromarray(_palette(rng, v))


def _as_rgb(arr: np.ndarray) -> Image.Image:
    a = np.asarray(arr)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    elif a.dtype != np.uint8:
        a = (255 * (a - a.min()) / max(1e-9, float(np.ptp(a)))).astype(np.uint8)
    img = Image.fromarray(a)
    return img.convert("RGB")


def _bundled_photos() -> Iterator[tuple[str, Image.Image]]:
    """Photographs shipped inside scikit-image and scikit-learn (no network)."""
    try:
        import skimage.data as sk
    except ImportError:  # pragma: no cover - dev extra not installed
        sk = None
    if sk is not None:
        names = [
            "astronaut", "brick", "camera", "cell", "chelsea", "coffee", "coins", "grass",
            "gravel", "horse", "immunohistochemistry", "logo", "microaneurysms", "moon", "page",
            "shepp_logan_phantom", "retina", "rocket", "text", "clock", "colorwheel",
        ]  # fmt: skip
        for name in names:
            arr = getattr(sk, name)()
            if name == "logo":
                arr = arr[..., :3]
            yield name, _as_rgb(arr)
        yield (
            "motorcycle",
            _as_rgb(sk.stereo_motorcycle()[0]),
        )  # left view (pair ~ near-dup)
        hub = _as_rgb(sk.hubble_deep_field())
        hw, hh = hub.size
        for i, (x, y) in enumerate([(0, 0), (hw // 2, 0), (0, hh // 2), (hw // 2, hh // 2)]):
            yield f"hubble-q{i}", hub.crop((x, y, x + hw // 2, y + hh // 2))  # disjoint quarters
    try:
        from sklearn.datasets import load_sample_images
    except ImportError:  # pragma: no cover
        return
    for name, arr in zip(["china", "flower"], load_sample_images().images, strict=True):
        yield name, _as_rgb(arr)


_FAMILIES: list[tuple[str, Callable[[np.random.Generator], Image.Image], int]] = [
    ("shapes", draw_shapes, 36),
    ("texture", draw_texture, 24),
    ("text", draw_text, 24),
    ("scene", draw_scene, 30),
    ("pattern", draw_pattern, 16),
    ("mosaic", draw_mosaic, 14),
    ("fractal", draw_fractal, 14),
]


def corpus(seed: int = 20240, drawn_scale: float = 1.0) -> list[CorpusImage]:
    """The whole corpus, deterministic for a seed. ``drawn_scale`` scales the drawn counts."""
    items: list[CorpusImage] = []
    for i, (name, img) in enumerate(_bundled_photos()):
        items.append(
            CorpusImage(f"photo-{name}", "photo", "tune" if i % 2 == 0 else "heldout", img)
        )
    for fam_no, (family, fn, count) in enumerate(_FAMILIES):
        for i in range(max(1, round(count * drawn_scale))):
            rng = np.random.default_rng([seed, fam_no, i])
            split = "heldout" if family in HELDOUT_FAMILIES or i % 2 == 1 else "tune"
            items.append(CorpusImage(f"{family}-{i:02d}", family, split, fn(rng).convert("RGB")))
    return items


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "corpus-out")
    out.mkdir(parents=True, exist_ok=True)
    items = corpus()
    for it in items:
        it.image.save(out / f"{it.name}.png")
    print(f"wrote {len(items)} images to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
