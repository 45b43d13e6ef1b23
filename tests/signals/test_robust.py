"""Robust PDQ variants: edited copies of benign images match their original, unrelated ones don't.

All images are benign (SAFETY.md): scikit-image sample photographs and shapes drawn here.
"""

from __future__ import annotations

import io

import numpy as np
import pdqhash
import pytest
from PIL import Image, ImageDraw, ImageFont

from childshield.signals import robust
from childshield.signals.robust import (
    MAX_INDICATOR_VARIANTS,
    MAX_QUERY_VARIANTS,
    STRICT_THRESHOLD,
    PairHit,
    Variant,
    best_match,
    indicator_variants,
    low_information,
    pair_threshold,
    query_variants,
)

skdata = pytest.importorskip("skimage.data")

BANK_THRESHOLD = 31


def _photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(skdata, name)()).convert("RGB")


def _drawn(seed: int) -> Image.Image:
    """Random filled shapes on a gradient: a benign stand-in with plenty of corners."""
    rng = np.random.default_rng(seed)
    w, h = int(rng.integers(320, 640)), int(rng.integers(320, 640))
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = np.linspace(0, 1, w)[None, :, None]
    img = Image.fromarray(np.broadcast_to(a + (b - a) * t, (h, w, 3)).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for _ in range(25):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(20, w // 3)), y0 + int(rng.integers(20, h // 3))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            d.rectangle([x0, y0, x1, y1], fill=fill)
        else:
            d.polygon([(x0, y0), (x1, y0 + 10), (x0 + 15, y1)], fill=fill)
    return img


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _matches(indicator: list[Variant], query: list[Variant]) -> list[robust.RobustMatch]:
    """What the matcher does: every query variant against every stored variant, then the rule."""
    hits = [
        PairHit(0, iv.label, qv.label, _distance(iv.pdq, qv.pdq))
        for iv in indicator
        for qv in query
        if iv.quality >= robust.QUALITY_MIN and qv.quality >= robust.QUALITY_MIN
    ]
    return best_match(hits, BANK_THRESHOLD)


def _crop(img: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = img.size
    return img.crop(
        (round(left * w), round(top * h), round(w * (1 - right)), round(h * (1 - bottom)))
    )


def _pad(
    img: Image.Image, frac: float, colour: tuple[int, int, int], vertical: bool
) -> Image.Image:
    w, h = img.size
    size = (w, round(h * (1 + frac))) if vertical else (round(w * (1 + frac)), h)
    canvas = Image.new("RGB", size, colour)
    canvas.paste(img, ((size[0] - w) // 2, (size[1] - h) // 2))
    return canvas


@pytest.fixture(scope="module")
def originals() -> dict[str, Image.Image]:
    return {
        "astronaut": _photo("astronaut"),
        "coffee": _photo("coffee"),
        "chelsea": _photo("chelsea"),
        "drawn-1": _drawn(1),
        "drawn-2": _drawn(2),
    }


@pytest.fixture(scope="module")
def stored(originals: dict[str, Image.Image]) -> dict[str, list[Variant]]:
    return {name: indicator_variants(img) for name, img in originals.items()}


def test_full_variant_is_plain_pdq_and_counts_are_bounded(
    originals: dict[str, Image.Image], stored: dict[str, list[Variant]]
) -> None:
    for name, img in originals.items():
        bits, quality = pdqhash.compute(np.asarray(img))
        plain = np.packbits(bits.astype(np.uint8)).tobytes().hex()
        ind, qry = stored[name], query_variants(img)
        assert (ind[0].label, ind[0].pdq, ind[0].quality) == ("full", plain, quality)
        assert (qry[0].label, qry[0].pdq) == ("full", plain)
        assert 1 < len(ind) <= MAX_INDICATOR_VARIANTS
        assert len(qry) <= MAX_QUERY_VARIANTS
        assert all(len(v.pdq) == 64 and int(v.pdq, 16) >= 0 for v in ind + qry)
        assert all(v.quality >= robust.QUALITY_MIN for v in ind[1:] + qry[1:])
        windows = [v for v in ind + qry if v.kind == "pair"]
        assert windows and all(v.quality >= robust.WINDOW_QUALITY_MIN for v in windows)
        low = [v for v in ind + qry if v.kind == "pairlow"]
        assert all(
            robust.LOW_WINDOW_QUALITY_MIN <= v.quality < robust.WINDOW_QUALITY_MIN for v in low
        )
        assert len({v.label for v in ind}) == len(ind)


def test_dihedral_labels_name_the_turn_of_the_query(originals: dict[str, Image.Image]) -> None:
    arr = np.asarray(originals["coffee"])
    by_label = {v.label: v.pdq for v in query_variants(originals["coffee"])}
    turns = {
        "full:rot90": np.rot90(arr, 1),
        "full:rot180": np.rot90(arr, 2),
        "full:rot270": np.rot90(arr, 3),
        "full:fliplr": arr[:, ::-1],
        "full:flipud": arr[::-1],
    }
    for label, turned in turns.items():
        bits, _ = pdqhash.compute(np.ascontiguousarray(turned))
        direct = np.packbits(bits.astype(np.uint8)).tobytes().hex()
        # pdqhash turns the 64x64 summary, not the pixels: close to, not equal to, hashing the
        # turned picture; the labelled variant must be the nearest one
        nearest = min(by_label, key=lambda lab: _distance(by_label[lab], direct))
        assert nearest == label
        assert _distance(by_label[label], direct) <= BANK_THRESHOLD


EDITS = {
    "mirror": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "flip-vertical": lambda im: im.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
    "rotate90": lambda im: im.transpose(Image.Transpose.ROTATE_90),
    "rotate180": lambda im: im.transpose(Image.Transpose.ROTATE_180),
    "rotate270": lambda im: im.transpose(Image.Transpose.ROTATE_270),
    "letterbox-black-25%": lambda im: _pad(im, 0.25, (0, 0, 0), vertical=True),
    "pillarbox-white-40%": lambda im: _pad(im, 0.40, (255, 255, 255), vertical=False),
    "mirror+letterbox": lambda im: _pad(
        im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 0.3, (20, 90, 200), True
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_turned_mirrored_and_padded_copies_match_their_original(
    edit: str, originals: dict[str, Image.Image], stored: dict[str, list[Variant]]
) -> None:
    for name, img in originals.items():
        found = _matches(stored[name], query_variants(EDITS[edit](img)))
        assert found, f"{edit} copy of {name} not matched"
        assert found[0].distance <= BANK_THRESHOLD


def test_plain_pdq_alone_misses_these_edits(
    originals: dict[str, Image.Image], stored: dict[str, list[Variant]]
) -> None:
    """Guards the benchmark's premise: without the variants a mirror/turn/crop is lost."""
    img = originals["astronaut"]
    for edited in (EDITS["mirror"](img), EDITS["rotate90"](img), _crop(img, 0.12, 0.08, 0, 0)):
        full = query_variants(edited)[0]
        assert _distance(full.pdq, stored["astronaut"][0].pdq) > BANK_THRESHOLD


def test_cropped_copies_match_through_corner_pair_windows(
    originals: dict[str, Image.Image], stored: dict[str, list[Variant]]
) -> None:
    crops = [(0.10, 0.0, 0.0, 0.0), (0.0, 0.06, 0.08, 0.04), (0.05, 0.05, 0.05, 0.05)]
    matched = 0
    for name, img in originals.items():
        for box in crops:
            found = _matches(stored[name], query_variants(_crop(img, *box)))
            if found:
                assert found[0].indicator_label.startswith(("pair", "full", "trim"))
                matched += 1
    # windows need repeatable corners on both sides: most, not necessarily all, crops match
    assert matched >= 0.8 * len(originals) * len(crops)


def test_unrelated_images_never_match(originals: dict[str, Image.Image]) -> None:
    pictures = dict(originals)
    pictures.update({f"drawn-{k}": _drawn(k) for k in range(3, 9)})
    pictures.update({n: _photo(n) for n in ("camera", "rocket", "coins", "brick")})
    ind = {n: indicator_variants(im) for n, im in pictures.items()}
    qry = {
        n: query_variants(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
        for n, im in pictures.items()
    }
    for a, stored_a in ind.items():
        for b, query_b in qry.items():
            found = _matches(stored_a, query_b)
            assert bool(found) == (a == b), (a, b, found)


def test_jpeg_recompressed_copy_matches_on_the_full_hash(
    originals: dict[str, Image.Image], stored: dict[str, list[Variant]]
) -> None:
    buf = io.BytesIO()
    originals["chelsea"].save(buf, "JPEG", quality=30)
    found = _matches(stored["chelsea"], query_variants(Image.open(io.BytesIO(buf.getvalue()))))
    assert found and found[0].indicator_label == "full"


def test_flat_and_tiny_images_are_low_information() -> None:
    flat = Image.new("RGB", (400, 300), (120, 130, 140))
    for variants in (indicator_variants(flat), query_variants(flat)):
        assert low_information(variants) == "flat"
        assert [v.label for v in variants] == ["full"]
        assert variants[0].quality < robust.QUALITY_MIN
    tiny = _drawn(3).resize((20, 16))
    for variants in (indicator_variants(tiny), query_variants(tiny)):
        assert low_information(variants) == "tiny"
        assert [v.label for v in variants] == ["full"]
    assert low_information(indicator_variants(_drawn(4))) is None


def test_variants_are_deterministic(originals: dict[str, Image.Image]) -> None:
    img = originals["drawn-1"]
    again = Image.open(io.BytesIO(_png(img)))
    assert indicator_variants(img) == indicator_variants(again)
    assert query_variants(img) == query_variants(again)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_pair_threshold_holds_windows_to_a_stricter_distance() -> None:
    assert pair_threshold("full", "full", 31) == 31  # plain PDQ keeps the bank's threshold
    assert pair_threshold("full", "full", 20) == 20
    assert pair_threshold("full", "full:rot90", 31) == STRICT_THRESHOLD < 31
    assert pair_threshold("trim", "full", 40) == STRICT_THRESHOLD
    assert pair_threshold("pair:03", "pair:11/fx", 31) == STRICT_THRESHOLD < 31
    assert pair_threshold("pair:03", "pair:11", 10) == 10
    assert pair_threshold("full", "pair:00", 31) is None
    assert pair_threshold("pair:00", "trim:fliplr", 31) is None
    low = robust.LOW_WINDOW_THRESHOLD
    assert low < STRICT_THRESHOLD
    assert pair_threshold("pairlow:03", "pair:11/fx", 31) == low  # a low-quality window
    assert pair_threshold("pair:03", "pairlow:11", 31) == low
    assert pair_threshold("pairlow:03", "full", 31) is None
    assert pair_threshold("band:top", "band:top", 31) == STRICT_THRESHOLD
    assert pair_threshold("band:top", "band:bottom", 31) is None  # a band only meets itself
    assert pair_threshold("band:top", "full", 31) is None
    assert pair_threshold("value", "value", 31) == STRICT_THRESHOLD
    assert pair_threshold("value", "full:rot90", 31) is None
    assert robust.search_radius(31) == 31


def test_best_match_keeps_the_closest_accepted_pair_per_indicator() -> None:
    hits = [
        PairHit(7, "pair:01", "pair:02", STRICT_THRESHOLD + 1),  # window too far: rejected
        PairHit(7, "full", "pair:02", 3),  # whole vs window: never compared
        PairHit(8, "pair:05", "pair:02/fy", STRICT_THRESHOLD),
        PairHit(8, "full", "full:rot90", STRICT_THRESHOLD + 1),  # a turn: held to the strict limit
        PairHit(10, "full", "full", 31),  # plain PDQ at the bank threshold: accepted
        PairHit(9, "trim", "full", 12),
    ]
    found = best_match(hits, 31)
    assert [(m.indicator, m.distance, m.indicator_label) for m in found] == [
        (9, 12, "trim"),
        (8, STRICT_THRESHOLD, "pair:05"),
        (10, 31, "full"),
    ]


@pytest.mark.parametrize("mode", ["P", "LA", "RGBA", "CMYK", "L", "1"])
def test_any_pillow_mode_is_hashed_like_its_rgb_conversion(mode: str) -> None:
    img = _drawn(5).convert(mode)
    variants = indicator_variants(img)
    assert variants[0].label == "full"
    assert variants == indicator_variants(img.convert("RGB"))


def test_extreme_aspect_ratios_do_not_fail() -> None:
    for size in ((3000, 40), (40, 3000)):
        img = _drawn(6).resize(size)
        assert query_variants(img)[0].label == "full"
        assert indicator_variants(img)[0].label == "full"


def _caption_bar(img: Image.Image, text: str) -> Image.Image:
    bar = img.height // 5
    out = Image.new("RGB", (img.width, img.height + bar), "white")
    ImageDraw.Draw(out).text((img.width // 10, bar // 3), text, fill="black")
    out.paste(img, (0, bar))
    return out


def test_caption_bar_is_trimmed_but_a_plaid_is_not(
    originals: dict[str, Image.Image], stored: dict[str, list[Variant]]
) -> None:
    captioned = query_variants(_caption_bar(originals["coffee"], "look at this view"))
    trim = next(v for v in captioned if v.label == "trim")
    assert _distance(trim.pdq, stored["coffee"][0].pdq) <= STRICT_THRESHOLD
    assert _matches(stored["coffee"], captioned)
    # a plaid's rows are half one colour, like a bar with letters, but it never ends in a picture
    yy, xx = np.mgrid[0:300, 0:400]
    plaid = ((xx // 20 + yy // 20) % 2 * 200 + 30).astype(np.uint8)
    assert all(v.kind != "trim" for v in indicator_variants(Image.fromarray(plaid)))


def _hue_rotated(img: Image.Image, shift: int) -> Image.Image:
    hsv = np.asarray(img.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + shift) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


def _caption_over(img: Image.Image, text: str, top: bool) -> Image.Image:
    """Meme-style caption written over the top or bottom of the picture itself."""
    out = img.copy()
    font = ImageFont.load_default(size=max(12, img.height // 10))
    y = round(img.height * (0.04 if top else 0.84))
    ImageDraw.Draw(out).text(
        (img.width // 20, y), text, font=font, fill="white", stroke_width=2, stroke_fill="black"
    )
    return out


def test_caption_over_the_picture_matches_through_the_untouched_band(
    originals: dict[str, Image.Image], stored: dict[str, list[Variant]]
) -> None:
    for name in ("astronaut", "drawn-1"):
        for top in (True, False):
            query = query_variants(_caption_over(originals[name], "MONDAY AGAIN", top))
            found = _matches(stored[name], query)
            assert found, (name, top)
            band = "band:top" if top else "band:bottom"
            by_label = {v.label: v.pdq for v in query}
            stored_band = next(v.pdq for v in stored[name] if v.label == band)
            assert _distance(by_label[band], stored_band) <= STRICT_THRESHOLD


def test_hue_rotation_matches_through_the_value_channel(
    originals: dict[str, Image.Image], stored: dict[str, list[Variant]]
) -> None:
    img = originals["drawn-2"]
    rotated = query_variants(_hue_rotated(img, 110))
    plain = _distance(rotated[0].pdq, stored["drawn-2"][0].pdq)
    value = {v.label: v.pdq for v in rotated}["value"]
    stored_value = next(v.pdq for v in stored["drawn-2"] if v.label == "value")
    assert _distance(value, stored_value) <= 4 < BANK_THRESHOLD < plain
    assert _matches(stored["drawn-2"], rotated)
    grey = img.convert("L").convert("RGB")  # a grey picture has no separate value variant
    assert all(v.label != "value" for v in indicator_variants(grey) + query_variants(grey))


def test_corners_spread_over_the_picture_not_only_its_busiest_part() -> None:
    """A dense block of text in one corner must not take every corner (ANMS)."""
    img = _drawn(7).resize((480, 360))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, 150, 110], fill="white")
    for row in range(6):
        d.text((4, 4 + 17 * row), "KLMNWXYZ" * 2, fill="black")
    work = robust._frames.working_copy(img)
    found = robust._frames.corners(work.lum, 32)
    scale = work.lum.shape[1] / img.width
    outside = [c for c in found if c.x > 160 * scale or c.y > 120 * scale]
    assert len(found) == 32 and len(outside) >= 20


def _rotated_inner(img: Image.Image, angle: float) -> Image.Image:
    """Rotate by ``angle`` degrees and keep a centred upright rectangle inside the picture."""
    out = img.rotate(angle, resample=Image.Resampling.BICUBIC)
    w, h = img.size
    keep = 1 - 2.2 * abs(np.sin(np.radians(angle)))
    dx, dy = w * (1 - keep) / 2, h * (1 - keep) / 2
    return out.crop((round(dx), round(dy), round(w - dx), round(h - dy)))


def _resized_jpeg(img: Image.Image) -> Image.Image:
    buf = io.BytesIO()
    img.resize((img.width // 2, img.height // 2), Image.Resampling.BILINEAR).save(
        buf, "JPEG", quality=40
    )
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


MIXED_EDITS = {
    "crop-left-top": lambda im: _crop(im, 0.14, 0.09, 0.0, 0.0),
    "crop-right-bottom": lambda im: _crop(im, 0.0, 0.0, 0.11, 0.16),
    "caption-over": lambda im: _caption_over(im, "LOOK AT THIS", top=False),
    "caption-bar": lambda im: _caption_bar(im, "look at this view"),
    "hue": lambda im: _hue_rotated(im, 70),
    "rotate-6": lambda im: _rotated_inner(im, 6.0),
    "rotate-minus-4": lambda im: _rotated_inner(im, -4.0),
    "pad-grey-30%": lambda im: _pad(im, 0.30, (128, 128, 128), vertical=False),
    "mirror+crop": lambda im: _crop(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 0.1, 0, 0, 0),
    "resize+jpeg": _resized_jpeg,
}


def test_recall_on_mixed_edits_with_no_false_match(
    originals: dict[str, Image.Image], stored: dict[str, list[Variant]]
) -> None:
    """Each original edited ten ways: most copies match their own original and none matches
    another picture (the pinned share is below what the robustness benchmark measures)."""
    queries = {
        (name, edit): query_variants(fn(img))
        for name, img in originals.items()
        for edit, fn in MIXED_EDITS.items()
    }
    missed = []
    for (name, edit), query in queries.items():
        for other, variants in stored.items():
            found = bool(_matches(variants, query))
            if other == name and not found:
                missed.append((name, edit))
            assert other == name or not found, ("false match", other, name, edit)
    assert len(missed) <= 0.1 * len(queries), missed
