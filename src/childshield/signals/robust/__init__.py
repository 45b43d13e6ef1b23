"""Robust PDQ matching: hash variants that survive crops, padding, mirroring and rotation.

Plain PDQ compares one hash of the whole picture, so a 5 % crop, a letterbox, a mirror or a
90-degree turn gives an unrelated hash. This module computes a few extra PDQ hashes on each side
(pure, no storage) and a rule for which (query variant, indicator variant) pairs may match:

===================  ====================================  =====================================
variant              indicator side (stored, <= 37)         query side (searched, <= 83)
===================  ====================================  =====================================
``full``             plain PDQ of the image (always first)  plain PDQ and its 7 dihedral turns
``trim``             PDQ without flat-colour borders        the same, with its 7 dihedral turns
``band:top|bottom``  PDQ without the top / bottom quarter   the same (captions written over it)
``value``            PDQ of the HSV value channel           the same (hue rotations)
``pair:NN``          PDQ of a window anchored on two        the same kind of windows (<= 64);
                     corners (see ``_frames``), <= 32        an undecided orientation adds flips
``pairlow:NN``       the same, window quality 50-69         the same
===================  ====================================  =====================================

The plain pair (``full`` against ``full``) matches within the bank's threshold (31 by default),
exactly as plain PDQ does. Every other pair, a turned or trimmed whole picture, a band against
the same band, ``value`` against ``value`` or a window against a window, is held to the
stricter :data:`STRICT_THRESHOLD` (24 bits): each image pair gives up to ~40 such whole-picture
pairs and ~1,000 window pairs, so each must be less likely to collide by chance. A low-detail
window (``pairlow``) is held to :data:`LOW_WINDOW_THRESHOLD` (10 bits). Whole-picture and window
hashes are never compared with each other.

Windows with PDQ quality below :data:`LOW_WINDOW_QUALITY_MIN` (50) and other variants below
:data:`QUALITY_MIN` (50) are dropped, except ``full``, which is always
returned first so that callers see the picture's own quality; :func:`low_information` says when a
picture as a whole carries too little information to match (flat, or smaller than
:data:`MIN_SIDE` pixels), in which case only ``full`` is returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pdqhash
from PIL import Image

from childshield.signals.pdq import bits_to_hex, luma_or_rgb, pdq_from_image
from childshield.signals.robust import _frames

__all__ = [
    "MAX_INDICATOR_VARIANTS",
    "MAX_QUERY_VARIANTS",
    "MIN_SIDE",
    "QUALITY_MIN",
    "STRICT_THRESHOLD",
    "WINDOW_QUALITY_MIN",
    "PairHit",
    "RobustMatch",
    "Variant",
    "Variants",
    "best_match",
    "indicator_variants",
    "low_information",
    "pair_threshold",
    "query_variants",
    "search_radius",
]

QUALITY_MIN = 50
WINDOW_QUALITY_MIN = 70
"""Windows need more detail than whole pictures: a 64x64 window of a flat drawing (a ridge, a
disc on a plain sky) looks like many others, and there are many more window pairs to try.
Windows of quality LOW_WINDOW_QUALITY_MIN..69 are kept as ``pairlow`` and held to the much
stricter LOW_WINDOW_THRESHOLD."""
LOW_WINDOW_QUALITY_MIN = 50
MIN_SIDE = 32
STRICT_THRESHOLD = 24
LOW_WINDOW_THRESHOLD = 10
MAX_INDICATOR_WINDOWS = 32
MAX_QUERY_WINDOWS = 64
_WHOLE_INDICATOR, _WHOLE_QUERY = 5, 19  # full, trim, 2 bands, value (x 8 turns on a query)
MAX_INDICATOR_VARIANTS = _WHOLE_INDICATOR + MAX_INDICATOR_WINDOWS
MAX_QUERY_VARIANTS = _WHOLE_QUERY + MAX_QUERY_WINDOWS
_INDICATOR_CORNERS, _QUERY_CORNERS = 48, 40  # more corners stored (storage), not searched (time)
_PAIRS = 256  # corner pairs tried per picture (many windows leave the picture and are skipped)
_HASH_SIDE = 512
_TRIM_MIN = 0.01  # a trim that removes less than 1 % of a side is the full picture
_GREY_SPREAD = 8  # a picture whose channels never differ by more is grey: no value variant
BAND_CUT = 0.25
"""Share of the height that the ``band:top`` / ``band:bottom`` variants leave out."""
# order of pdqhash.compute_dihedral's hashes (checked against numpy turns in the tests)
DIHEDRAL = (
    "",
    ":rot90",
    ":rot180",
    ":rot270",
    ":flipud",
    ":fliplr",
    ":transpose",
    ":antitranspose",
)
_FLIP_INDEX = {(False, False): 0, (True, True): 2, (False, True): 4, (True, False): 5}


@dataclass(frozen=True)
class Variant:
    """One PDQ hash of an image: ``label`` says which view (``full``, ``trim``, ``pair:03`` ...)."""

    label: str
    pdq: str  # 64 hex digits
    quality: int

    @property
    def kind(self) -> str:
        """``full``, ``trim``, ``band``, ``value``, ``pair`` or ``pairlow`` (without the
        dihedral or window suffix)."""
        return self.label.split(":", 1)[0]


class Variants(list[Variant]):
    """A list of variants (first: ``full``) that also says whether the image is low-information.

    ``low_information`` is ``"tiny"`` (smaller than MIN_SIDE on a side), ``"flat"`` (no variant
    reaches QUALITY_MIN) or None. A low-information image has only its ``full`` variant.
    """

    def __init__(self, items: Iterable[Variant], low_information: str | None = None) -> None:
        super().__init__(items)
        self.low_information = low_information


def _finish(out: list[Variant], tiny: bool) -> Variants:
    if tiny:
        return Variants(out[:1], "tiny")
    if not any(v.quality >= QUALITY_MIN for v in out):
        return Variants(out[:1], "flat")
    return Variants(out)


def _rgb_array(image: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def _as_rgb(image: Image.Image) -> Image.Image:
    """RGB as PDQ sees the picture (16-bit and float grey scaled as the pdq signal does)."""
    return image if image.mode == "RGB" else Image.fromarray(luma_or_rgb(image)).convert("RGB")


def _pdq(image: Image.Image) -> tuple[str, int]:
    """Plain PDQ, exactly as the ``pdq`` signal computes it (childshield.signals.pdq)."""
    return pdq_from_image(image)


def _pdq_dihedral(image: Image.Image) -> tuple[list[str], int]:
    hashes, quality = pdqhash.compute_dihedral(_rgb_array(image))
    return [bits_to_hex(h) for h in hashes], int(quality)


def _trimmed(image: Image.Image) -> Image.Image | None:
    """The image without its border (letterbox, padding, caption bar), or None if it has none."""
    lum = _frames.trim_luminance(image)
    left, top, right, bottom = _frames.trim_box(lum)
    h, w = lum.shape
    if right - left < 8 or bottom - top < 8:
        return None
    if left + (w - right) <= _TRIM_MIN * w and top + (h - bottom) <= _TRIM_MIN * h:
        return None
    sx, sy = image.width / w, image.height / h
    out = image.crop((round(left * sx), round(top * sy), round(right * sx), round(bottom * sy)))
    if max(out.size) > _HASH_SIDE:  # PDQ only keeps a 64x64 summary; hash a smaller copy
        out.thumbnail((_HASH_SIDE, _HASH_SIDE), Image.Resampling.BOX)
    return out


def _bands(image: Image.Image) -> Iterator[tuple[str, Image.Image]]:
    """The picture without its top, then without its bottom BAND_CUT: a caption or a logo
    written over the top or bottom of the picture (meme style) leaves the rest unchanged, and a
    query cut the same way gives the same hash as the stored band."""
    w, h = image.size
    cut = round(BAND_CUT * h)
    for label, box in (("band:top", (0, cut, w, h)), ("band:bottom", (0, 0, w, h - cut))):
        out = image.crop(box)
        if max(out.size) > _HASH_SIDE:
            out.thumbnail((_HASH_SIDE, _HASH_SIDE), Image.Resampling.BOX)
        yield label, out


def _value(image: Image.Image) -> Image.Image | None:
    """The HSV value channel (max of R, G, B) as a grey picture, or None for a grey picture.

    A hue rotation changes the luminance PDQ hashes (a red and a blue of the same luminance
    trade places with darker or lighter colours), but keeps each pixel's value and saturation,
    so the value channel's PDQ matches across it."""
    rgb = _rgb_array(image)
    if int(np.ptp(rgb.astype(np.int16), axis=2).max()) <= _GREY_SPREAD:
        return None
    out = Image.fromarray(rgb.max(axis=2))
    if max(out.size) > _HASH_SIDE:
        out.thumbnail((_HASH_SIDE, _HASH_SIDE), Image.Resampling.BOX)
    return out


def _windows(
    image: Image.Image, corners: int, query: bool
) -> Iterator[tuple[int, Image.Image, list[tuple[bool, bool]]]]:
    """Pair-frame windows of ``image``, strongest corners first, with their orientation(s)."""
    work = _frames.working_copy(image)
    h, w = work.lum.shape
    found = _frames.corners(work.lum, corners)
    for no, (a, b) in enumerate(_frames.frame_pairs(found, float(np.sqrt(w * h)), _PAIRS)):
        win = _frames.frame_window(work, a, b)
        if win is not None:
            yield no, win, _frames.orientations(win, ambiguous_both=query)


def _value_variant(image: Image.Image) -> list[Variant]:
    value = _value(image)
    return [] if value is None else [Variant("value", *_pdq(value))]


def _too_small(image: Image.Image) -> bool:
    return min(image.size) < MIN_SIDE


def _window_label(no: int, quality: int) -> str:
    return f"{'pair' if quality >= WINDOW_QUALITY_MIN else 'pairlow'}:{no:02d}"


def _whole_extras(image: Image.Image) -> list[Variant]:
    """The band and value variants (both sides compute them the same way)."""
    out = [Variant(label, *_pdq(band)) for label, band in _bands(image)]
    return out + _value_variant(image)


def indicator_variants(image: Image.Image) -> Variants:
    """The PDQ variants to store for an indicator image (first: ``full``; at most
    MAX_INDICATOR_VARIANTS)."""
    full = Variant("full", *_pdq(image))
    image = _as_rgb(image)
    if _too_small(image):
        return _finish([full], tiny=True)
    out = [full]
    base = image
    trimmed = _trimmed(image)
    if trimmed is not None:
        base = trimmed
        out.append(Variant("trim", *_pdq(trimmed)))
    out += _whole_extras(image)
    out = [out[0], *(v for v in out[1:] if v.quality >= QUALITY_MIN)]
    windows = 0
    for no, win, orient in _windows(base, _INDICATOR_CORNERS, query=False):
        if windows >= MAX_INDICATOR_WINDOWS:
            break
        hashes, quality = _pdq_dihedral(win)
        if quality >= LOW_WINDOW_QUALITY_MIN:
            out.append(Variant(_window_label(no, quality), hashes[_FLIP_INDEX[orient[0]]], quality))
            windows += 1
    return _finish(out, tiny=False)


def query_variants(image: Image.Image) -> Variants:
    """The PDQ variants to search for a query image (first: ``full``; at most
    MAX_QUERY_VARIANTS)."""
    plain = Variant("full", *_pdq(image))
    image = _as_rgb(image)
    hashes, quality = _pdq_dihedral(image)
    out = [plain] + [
        Variant("full" + sfx, h, quality) for sfx, h in zip(DIHEDRAL[1:], hashes[1:], strict=True)
    ]
    if _too_small(image):
        return _finish(out, tiny=True)
    base = image
    trimmed = _trimmed(image)
    if trimmed is not None:
        base = trimmed
        hashes, quality = _pdq_dihedral(trimmed)
        out += [Variant("trim" + sfx, h, quality) for sfx, h in zip(DIHEDRAL, hashes, strict=True)]
    out += _whole_extras(image)
    kept = [out[0], *(v for v in out[1:] if v.quality >= QUALITY_MIN)]
    windows = 0
    for no, win, orients in _windows(base, _QUERY_CORNERS, query=True):
        if windows >= MAX_QUERY_WINDOWS:
            break
        hashes, quality = _pdq_dihedral(win)
        if quality < LOW_WINDOW_QUALITY_MIN or windows + len(orients) > MAX_QUERY_WINDOWS:
            continue  # an undecided window needs more room than is left; a later one may fit
        label = _window_label(no, quality)
        for fx, fy in orients:
            suffix = ("/fx" if fx else "") + ("/fy" if fy else "")
            kept.append(Variant(label + suffix, hashes[_FLIP_INDEX[(fx, fy)]], quality))
        windows += len(orients)
    return _finish(kept, tiny=False)


def low_information(variants: Sequence[Variant]) -> str | None:
    """``"tiny"``, ``"flat"`` or None: why a picture as a whole cannot be matched."""
    if isinstance(variants, Variants) and variants.low_information:
        return variants.low_information
    return None if any(v.quality >= QUALITY_MIN for v in variants) else "flat"


def pair_threshold(indicator_label: str, query_label: str, bank_threshold: int) -> int | None:
    """Largest distance at which this (indicator variant, query variant) pair counts, or None.

    ``full`` against ``full`` is plain PDQ and keeps the bank's threshold. Every other pair is
    one of many tried per image pair (up to ~40 whole-picture and ~1,000 window pairs), so it
    is held to the stricter STRICT_THRESHOLD; a band or value variant only matches the same
    variant; a low-quality window (``pairlow``) only within LOW_WINDOW_THRESHOLD; windows are
    never compared with whole pictures.
    """
    ind, qry = indicator_label.split(":", 1)[0], query_label.split(":", 1)[0]
    strict = min(bank_threshold, STRICT_THRESHOLD)
    if indicator_label == "full" and query_label == "full":
        return bank_threshold
    windows = {"pair", "pairlow"}
    if ind in windows and qry in windows:
        return min(bank_threshold, LOW_WINDOW_THRESHOLD) if "pairlow" in (ind, qry) else strict
    if ind in windows or qry in windows:
        return None
    if {ind, qry} & {"band", "value"}:  # a band or value variant only matches its like
        return strict if indicator_label == query_label else None
    return strict


def search_radius(bank_threshold: int) -> int:
    """The radius to search the index with for every query variant (the largest pair threshold)."""
    return bank_threshold


@dataclass(frozen=True)
class PairHit:
    """One index hit: a query variant within the search radius of an indicator variant."""

    indicator: int
    indicator_label: str
    query_label: str
    distance: int


@dataclass(frozen=True)
class RobustMatch:
    indicator: int
    distance: int
    indicator_label: str
    query_label: str


def best_match(hits: Iterable[PairHit], bank_threshold: int) -> list[RobustMatch]:
    """Accepted matches, one per indicator (its closest accepted pair), closest first."""
    best: dict[int, RobustMatch] = {}
    for hit in hits:
        limit = pair_threshold(hit.indicator_label, hit.query_label, bank_threshold)
        if limit is None or hit.distance > limit:
            continue
        seen = best.get(hit.indicator)
        if seen is None or hit.distance < seen.distance:
            best[hit.indicator] = RobustMatch(
                hit.indicator, hit.distance, hit.indicator_label, hit.query_label
            )
    return sorted(best.values(), key=lambda m: (m.distance, m.indicator))
