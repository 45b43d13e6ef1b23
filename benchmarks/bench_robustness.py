"""Robustness of image matching to common re-upload edits: plain PDQ vs childshield's variants.

    python benchmarks/bench_robustness.py [--quick] [--out benchmarks/results]

Every benign corpus image (benchmarks/images.py) is an indicator; each is edited once per edit
kind at a RANDOM strength (crop, padding, watermark, caption, mirror, rotate90, small rotation,
JPEG, resize, recolour, and combinations of two), and every edited copy is a query. Recall is the
share of queries that match their own original; false matches are counted over ALL unrelated
(indicator, query) pairs. Two splits, each with its own images AND edit parameters:

- ``tune``: the images the scheme was developed on, edit parameters from seed 1;
- ``heldout``: other images (two whole drawn families never seen during development) and edit
  parameters from another seed, with wider ranges and other colours/fonts/positions.

Plain PDQ: full-image hashes, Hamming distance <= 31, quality >= 50 on both sides.
childshield: indicator_variants / query_variants / pair_threshold from childshield.signals.robust.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pdqhash
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks.images import corpus  # noqa: E402
from childshield.signals import robust  # noqa: E402

PLAIN_THRESHOLD = 31
Edit = Callable[[Image.Image, np.random.Generator, bool], Image.Image]


# ---------------------------------------------------------------- edits (random strengths)
def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def edit_crop(img: Image.Image, rng: np.random.Generator, held: bool) -> Image.Image:
    """Remove 5-25 % of the width and/or height, split at random over one or more sides."""
    w, h = img.size
    box = [0.0, 0.0, 1.0, 1.0]
    axes = [[0], [1], [0, 1]][int(rng.integers(3))]
    for ax in axes:
        total = _u(rng, 0.05, 0.25) if not held else _u(rng, 0.04, 0.28)
        share = float(rng.choice([0.0, 1.0, _u(rng, 0, 1)]))  # one side, the other, or both
        box[ax] += total * share
        box[ax + 2] -= total * (1 - share)
    return img.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))


def _fill(
    img: Image.Image, rng: np.random.Generator, held: bool, size: tuple[int, int]
) -> Image.Image:
    kinds = ["black", "white", "colour", "blur"]
    kind = kinds[int(rng.integers(len(kinds)))]
    if kind == "blur":
        bg = img.resize(size, Image.Resampling.BILINEAR)
        return bg.filter(ImageFilter.GaussianBlur(max(size) / (25 if held else 20)))
    colour = {"black": (0, 0, 0), "white": (255, 255, 255)}.get(kind)
    if colour is None:
        c = rng.integers(0, 256, 3)
        colour = (int(c[0]), int(c[1]), int(c[2]))
    if held and kind != "colour":  # off-black / off-white, as encoders leave them
        colour = tuple(int(np.clip(v + rng.integers(-12, 13), 0, 255)) for v in colour)  # type: ignore[assignment]
    return Image.new("RGB", size, colour)


def edit_pad(img: Image.Image, rng: np.random.Generator, held: bool) -> Image.Image:
    """Letterbox, pillarbox or pad all round by 10-40 % (black, white, colour or blurred copy)."""
    w, h = img.size
    frac = _u(rng, 0.10, 0.40) if not held else _u(rng, 0.08, 0.45)
    mode = int(rng.integers(3))
    W, H = (w, round(h * (1 + frac))) if mode == 0 else (round(w * (1 + frac)), h)
    if mode == 2:
        W, H = round(w * (1 + frac)), round(h * (1 + frac))
    canvas = _fill(img, rng, held, (W, H))
    off = _u(rng, 0.2, 0.8) if held else 0.5
    canvas.paste(img, (round((W - w) * off), round((H - h) * (off if mode == 2 else 0.5))))
    return canvas


def _font(size: int, held: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSerif-Bold.ttf" if held else "DejaVuSans-Bold.ttf"
    try:
        return ImageFont.truetype(f"/usr/share/fonts/truetype/dejavu/{name}", size)
    except OSError:
        return ImageFont.load_default(size=size)


def edit_watermark(img: Image.Image, rng: np.random.Generator, held: bool) -> Image.Image:
    """A semi-transparent logo or text mark, 10-30 % of the width, in a corner or the middle."""
    w, h = img.size
    over = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(over)
    size = max(8, int(w * _u(rng, 0.10, 0.30)))
    x, y = int(rng.integers(0, max(1, w - size))), int(rng.integers(0, max(1, h - size // 2)))
    alpha = int(rng.integers(90, 200))
    if rng.random() < 0.5:
        d.ellipse([x, y, x + size // 2, y + size // 2], fill=(255, 255, 255, alpha))
        d.rectangle(
            [x + size // 8, y + size // 8, x + size // 3, y + size // 3], fill=(0, 0, 0, alpha)
        )
    else:
        text = "sample.example" if not held else "© demo studio"
        d.text((x, y), text, font=_font(max(8, size // 6), held), fill=(255, 255, 255, alpha))
    return Image.alpha_composite(img.convert("RGBA"), over).convert("RGB")


def edit_caption(img: Image.Image, rng: np.random.Generator, held: bool) -> Image.Image:
    """Caption text on the picture (meme style) or on a bar added above/below it."""
    w, h = img.size
    words = ["when the coffee", "finally kicks in", "monday again", "look at this view"]
    text = words[int(rng.integers(len(words)))]
    fsize = max(10, int(h * _u(rng, 0.06, 0.12)))
    font = _font(fsize, held)
    if rng.random() < 0.5:
        out = img.copy()
        d = ImageDraw.Draw(out)
        y = int(h * (0.03 if rng.random() < 0.5 else 0.85))
        d.text(
            (int(w * 0.05), y),
            text.upper(),
            font=font,
            fill="white",
            stroke_width=2,
            stroke_fill="black",
        )
        return out
    bar = int(h * _u(rng, 0.10, 0.22))
    out = Image.new("RGB", (w, h + bar), "white" if not held else (250, 250, 235))
    top = rng.random() < 0.5
    out.paste(img, (0, bar if top else 0))
    ImageDraw.Draw(out).text(
        (int(w * 0.04), (0 if top else h) + bar // 4), text, font=font, fill="black"
    )
    return out


def edit_mirror(img: Image.Image, rng: np.random.Generator, held: bool) -> Image.Image:
    flip = Image.Transpose.FLIP_LEFT_RIGHT
    if held and rng.random() < 0.3:
        flip = Image.Transpose.FLIP_TOP_BOTTOM
    return img.transpose(flip)


def edit_rotate90(img: Image.Image, rng: np.random.Generator, held: bool) -> Image.Image:
    turns = [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270]
    return img.transpose(turns[int(rng.integers(3))])


def edit_rotate_small(img: Image.Image, rng: np.random.Generator, held: bool) -> Image.Image:
    """Rotate by 2-10 degrees either way, then crop to the largest upright inner rectangle."""
    angle = _u(rng, 2, 10) * (1 if rng.random() < 0.5 else -1)
    w, h = img.size
    out = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    a = np.radians(abs(angle))
    # largest axis-aligned rectangle inside the rotated w x h rectangle
    side_long, side_short = max(w, h), min(w, h)
    if side_short <= 2 * np.sin(a) * np.cos(a) * side_long:
        x = 0.5 * side_short
        wr, hr = (x / np.sin(a), x / np.cos(a)) if w >= h else (x / np.cos(a), x / np.sin(a))
    else:
        cos2 = np.cos(a) ** 2 - np.sin(a) ** 2
        wr, hr = (w * np.cos(a) - h * np.sin(a)) / cos2, (h * np.cos(a) - w * np.sin(a)) / cos2
    cx, cy = out.width / 2, out.height / 2
    return out.crop(
        (round(cx - wr / 2), round(cy - hr / 2), round(cx + wr / 2), round(cy + hr / 2))
    )


def edit_jpeg(img: Image.Image, rng: np.random.Generator, held: bool) -> Image.Image:
    buf = io.BytesIO()
    q = int(rng.integers(20, 71)) if not held else int(rng.integers(15, 76))
    img.save(buf, "JPEG", quality=q)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def edit_resize(img: Image.Image, rng: np.random.Generator, held: bool) -> Image.Image:
    """Scale by 0.25-2x, with up to +-15 % aspect change."""
    s = float(np.exp(rng.uniform(np.log(0.25), np.log(2.0))))
    aspect = _u(rng, -0.15, 0.15) if not held else _u(rng, -0.2, 0.2)
    w, h = img.size
    size = (max(8, round(w * s * (1 + aspect))), max(8, round(h * s)))
    return img.resize(size, Image.Resampling.BICUBIC if held else Image.Resampling.LANCZOS)


def edit_recolour(img: Image.Image, rng: np.random.Generator, held: bool) -> Image.Image:
    kind = int(rng.integers(6))
    if kind == 0:
        return ImageOps.grayscale(img).convert("RGB")
    if kind == 1:
        g = np.asarray(ImageOps.grayscale(img), np.float32)
        tone = np.array([1.07, 0.74, 0.43] if not held else [1.0, 0.8, 0.55], np.float32)
        return Image.fromarray(np.clip(g[..., None] * tone[None, None, :], 0, 255).astype(np.uint8))
    if kind == 2:
        return ImageEnhance.Contrast(img).enhance(_u(rng, 0.6, 1.6))
    if kind == 3:
        return ImageEnhance.Brightness(img).enhance(_u(rng, 0.6, 1.4))
    if kind == 4:
        return ImageEnhance.Color(img).enhance(_u(rng, 0.0, 2.0))
    hsv = np.asarray(img.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + int(rng.integers(20, 236))) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


EDITS: dict[str, Edit] = {
    "crop": edit_crop,
    "pad": edit_pad,
    "watermark": edit_watermark,
    "caption": edit_caption,
    "mirror": edit_mirror,
    "rotate90": edit_rotate90,
    "rotate_small": edit_rotate_small,
    "jpeg": edit_jpeg,
    "resize": edit_resize,
    "recolour": edit_recolour,
}


def edit_combo(img: Image.Image, rng: np.random.Generator, held: bool) -> tuple[Image.Image, str]:
    names = list(EDITS)
    a, b = rng.choice(len(names), 2, replace=False)
    first, second = names[int(a)], names[int(b)]
    out = EDITS[second](EDITS[first](img, rng, held), rng, held)
    return out, f"{first}+{second}"


# ---------------------------------------------------------------- hashing and matching
def _bits(hexes: list[str]) -> np.ndarray:
    if not hexes:
        return np.zeros((0, 256), np.float32)
    raw = np.frombuffer(bytes.fromhex("".join(hexes)), np.uint8).reshape(len(hexes), 32)
    return np.unpackbits(raw, axis=1).astype(np.float32)


class Side:
    """All hashes of one side: bit rows, owner (image or query number), variant label."""

    def __init__(self) -> None:
        self.hexes: list[str] = []
        self.owner: list[int] = []
        self.labels: list[str] = []

    def add(self, owner: int, variants: list[robust.Variant]) -> None:
        for v in variants:
            if v.quality < robust.QUALITY_MIN:
                continue
            self.hexes.append(v.pdq)
            self.owner.append(owner)
            self.labels.append(v.label)

    def arrays(self, plain_only: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Bits, owners and label numbers (into the returned label list) of the kept hashes."""
        keep = [i for i, lb in enumerate(self.labels) if not plain_only or lb == "full"]
        names = sorted({self.labels[i] for i in keep})
        number = {lb: n for n, lb in enumerate(names)}
        return (
            _bits([self.hexes[i] for i in keep]),
            np.array([self.owner[i] for i in keep], np.int64),
            np.array([number[self.labels[i]] for i in keep], np.int64),
            names,
        )


_KINDS = ("whole", "pair", "pairlow")


def _kind(label: str) -> str:
    """``whole``, ``pair`` (window of quality >= 70) or ``pairlow`` (a low-detail window)."""
    kind = label.split(":", 1)[0]
    return kind if kind in ("pair", "pairlow") else "whole"


def matched_pairs(
    ind: Side, qry: Side, plain_only: bool, source: np.ndarray, margin: dict[str, int]
) -> set[tuple[int, int]]:
    """(indicator image, query) pairs with at least one accepted variant pair.

    The rule is robust.pair_threshold itself, tabulated over every (stored label, query label).
    ``source[q]`` is the image query q was made from; ``margin`` receives the closest distance
    between hashes of UNRELATED images that the rule compares, for whole-picture and for window
    variants.
    """
    ib, io_, il, inames = ind.arrays(plain_only)
    qb, qo, ql, qnames = qry.arrays(plain_only)
    table = np.full((len(inames), len(qnames)), -1, np.int64)
    for a, la in enumerate(inames):
        for b, lb in enumerate(qnames):
            t = robust.pair_threshold(la, lb, PLAIN_THRESHOLD)
            table[a, b] = -1 if t is None else t
    ikind = np.array([_KINDS.index(_kind(n)) for n in inames], np.int64)[il]
    qkind_all = np.array([_KINDS.index(_kind(n)) for n in qnames], np.int64)[ql]
    out: set[tuple[int, int]] = set()
    isum = ib.sum(1)
    for start in range(0, len(qb), 4000):
        q = qb[start : start + 4000]
        d = isum[:, None] + q.sum(1)[None, :] - 2.0 * (ib @ q.T)
        limit = table[il[:, None], ql[None, start : start + 4000]]
        ii, jj = np.nonzero(d <= limit)
        out.update(zip(io_[ii].tolist(), qo[start + jj].tolist(), strict=True))
        unrelated = (io_[:, None] != source[qo[start : start + 4000]][None, :]) & (limit >= 0)
        # the pair's class: the "largest" of its two kinds (whole < pair < pairlow)
        cls = np.maximum(ikind[:, None], qkind_all[None, start : start + 4000])
        for no, kind in enumerate(_KINDS):
            sel = d[(cls == no) & unrelated]
            if sel.size:
                margin[kind] = min(margin.get(kind, 256), int(sel.min()))
    return out


def run(quick: bool) -> dict[str, object]:
    items = corpus(drawn_scale=0.3 if quick else 1.0)
    ind = Side()
    t_ind = 0.0
    for k, it in enumerate(items):
        t0 = time.process_time()
        ind.add(k, robust.indicator_variants(it.image))
        t_ind += time.process_time() - t0
    queries: list[tuple[int, str, str]] = []  # (source image, edit, split)
    qry = Side()
    t_plain = t_robust = 0.0
    n_hashes: list[int] = []
    for k, it in enumerate(items):
        held = it.split == "heldout"
        rng = np.random.default_rng([2 if held else 1, k])
        jobs: list[tuple[str, Image.Image]] = [
            (n, f(it.image, rng, held)) for n, f in EDITS.items()
        ]
        for _ in range(1 if quick else 3):
            img, name = edit_combo(it.image, rng, held)
            jobs.append(("combo:" + name, img))
        for name, img in jobs:
            qno = len(queries)
            queries.append((k, name, it.split))
            arr = np.ascontiguousarray(np.asarray(img.convert("RGB")))
            t0 = time.process_time()
            pdqhash.compute(arr)
            t1 = time.process_time()
            variants = robust.query_variants(img)
            t2 = time.process_time()
            t_plain += t1 - t0
            t_robust += t2 - t1
            n_hashes.append(len(variants))
            qry.add(qno, variants)
    n_ind = np.bincount(ind.owner, minlength=len(items))
    good = {k for k, it in enumerate(items) if robust.indicator_variants(it.image)[0].quality >= 50}
    result: dict[str, object] = {
        "images": len(items),
        "indicators_usable": len(good),
        "queries": len(queries),
        "indicator_variants_mean": round(float(n_ind.mean()), 2),
        "indicator_variants_max": int(n_ind.max()),
        "query_variants_mean": round(float(np.mean(n_hashes)), 2),
        "query_variants_max": int(np.max(n_hashes)),
        "ms_per_query_plain_pdq": round(1000 * t_plain / len(queries), 2),
        "ms_per_query_childshield": round(1000 * t_robust / len(queries), 2),
        "ms_per_indicator_childshield": round(1000 * t_ind / len(items), 2),
    }
    source = np.array([q[0] for q in queries], np.int64)
    for scheme, plain in (("plain_pdq", True), ("childshield", False)):
        margin: dict[str, int] = {}
        pairs = matched_pairs(ind, qry, plain, source, margin)
        result[f"{scheme}/closest_unrelated"] = margin
        for split in ("tune", "heldout"):
            per: dict[str, list[int]] = {}
            false = 0
            for qno, (src, name, qsplit) in enumerate(queries):
                if qsplit != split or src not in good:
                    continue
                kind = "combo" if name.startswith("combo:") else name
                per.setdefault(kind, []).append(int((src, qno) in pairs))
            for i, qno in pairs:
                if i != queries[qno][0] and queries[qno][2] == split:
                    false += 1
            total = [x for v in per.values() for x in v]
            result[f"{scheme}/{split}"] = {
                "recall": round(float(np.mean(total)), 4),
                "queries": len(total),
                "false_matches": false,
                "unrelated_pairs": len(items) * sum(1 for q in queries if q[2] == split)
                - sum(1 for q in queries if q[2] == split),
                "per_edit": {k: round(float(np.mean(v)), 4) for k, v in per.items()},
            }
    return result


def write(result: dict[str, object], out: Path, quick: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stem = "robustness-quick" if quick else "robustness"
    meta = {"machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
            "python": platform.python_version(), "cores_used": 1, "quick": quick}  # fmt: skip
    (out / f"{stem}.json").write_text(json.dumps({**meta, **result}, indent=2) + "\n")
    lines = [
        "# Robustness of matching to re-upload edits",
        "",
        "Generated by `python benchmarks/bench_robustness.py"
        + (" --quick" if quick else "")
        + "`.",
        f"Corpus: {result['images']} benign images ({result['indicators_usable']} with PDQ quality"
        f" >= 50 serve as indicators), {result['queries']} edited queries at random strengths.",
        "Plain PDQ: whole-image hash, distance <= 31. childshield: `signals.robust` variants"
        f" ({result['indicator_variants_mean']} stored per indicator on average, max"
        f" {result['indicator_variants_max']}; {result['query_variants_mean']} searched per query,"
        f" max {result['query_variants_max']}).",
        "",
        "| edit | tune: PDQ | tune: childshield | held-out: PDQ | held-out: childshield |",
        "|---|---|---|---|---|",
    ]
    sp = {k: result[k] for k in ("plain_pdq/tune", "childshield/tune", "plain_pdq/heldout",
                                  "childshield/heldout")}  # fmt: skip
    edits = list(sp["childshield/tune"]["per_edit"])  # type: ignore[index]
    for e in edits:
        cells = [f"{100 * sp[k]['per_edit'].get(e, float('nan')):.1f}%" for k in sp]  # type: ignore[index]
        lines.append(f"| {e} | " + " | ".join(cells) + " |")
    lines.append(
        "| **overall** | " + " | ".join(f"**{100 * sp[k]['recall']:.1f}%**" for k in sp) + " |"
    )  # type: ignore[index]
    lines.append(
        "| false matches | "
        + " | ".join(f"{sp[k]['false_matches']} / {sp[k]['unrelated_pairs']}" for k in sp)
        + " |"
    )  # type: ignore[index]
    ratio = float(result["ms_per_query_childshield"]) / max(  # type: ignore[arg-type]
        1e-9,
        float(result["ms_per_query_plain_pdq"]),  # type: ignore[arg-type]
    )
    lines += [
        "",
        "Closest distance between hashes of unrelated images that the rule compares (all"
        f" splits; thresholds: `full` vs `full` {PLAIN_THRESHOLD}, pairs involving a low-detail"
        f" window (`pairlow`) {robust.LOW_WINDOW_THRESHOLD}, any other pair"
        f" {robust.STRICT_THRESHOLD}): plain PDQ"
        f" {result['plain_pdq/closest_unrelated']}, childshield"
        f" {result['childshield/closest_unrelated']}.",
        "",
        "CPU time per query image (hashing only, decoded image in memory, one core; process"
        " time, so other load on the machine does not count): plain PDQ"
        f" {result['ms_per_query_plain_pdq']} ms, childshield {result['ms_per_query_childshield']}"
        f" ms ({ratio:.1f}x);"
        f" per indicator {result['ms_per_indicator_childshield']} ms.",
        f"Machine: {meta['machine']}, Python {meta['python']}.",
        "",
    ]
    (out / f"{stem}.md").write_text("\n".join(lines))


def plot(result: dict[str, object], out: Path, quick: bool) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    keys = ["plain_pdq/tune", "childshield/tune", "plain_pdq/heldout", "childshield/heldout"]
    edits = list(result["childshield/tune"]["per_edit"])  # type: ignore[index]
    fig, ax = plt.subplots(figsize=(11, 4))
    width = 0.2
    for n, k in enumerate(keys):
        vals = [100 * result[k]["per_edit"].get(e, 0) for e in edits]  # type: ignore[index]
        ax.bar(np.arange(len(edits)) + (n - 1.5) * width, vals, width, label=k)
    ax.set_xticks(np.arange(len(edits)), edits, rotation=30)
    ax.set_ylabel("recall %")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8)
    ax.set_title("Recall per edit (zero false matches required)")
    fig.tight_layout()
    fig.savefig(out / ("robustness-quick.png" if quick else "robustness.png"), dpi=100)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="a third of the drawn images, 1 combo each"
    )
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args(argv)
    result = run(args.quick)
    write(result, args.out, args.quick)
    plot(result, args.out, args.quick)
    print((args.out / ("robustness-quick.md" if args.quick else "robustness.md")).read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
