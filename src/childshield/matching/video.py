"""Video match aggregation: from frame-level hits to per-indicator video matches.

The semantics are python-threatexchange's vPDQ ones (``extensions/vpdq``): frames below the
bank's ``quality_min`` are ignored on both sides, frames are deduplicated by hash value, a
query frame *matches* an indicator when some frame of that indicator is within the bank's
``frame_threshold``; a video indicator matches when the share of distinct query frames that
match it is at least ``query_match`` **and** the share of its distinct frames matched by the
query is at least ``index_match`` (defaults 31, 50, 0.80, 0.0; every bank sets its own).

An *image* indicator (an indicator hash that is not a ``frame`` row) hit by any query frame
matches the video: a known image shown for a few seconds inside an unrelated video. Its
``query_ranges`` tell where.

Everything here is pure: :func:`aggregate` takes the query frames, the hits a search gave
(any objects with the attributes of :class:`FrameHit`, e.g. the Matcher's ``PdqHit``), what
is known of each hit indicator's frames and the banks' parameters.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any, Protocol

from childshield.signals.video_variants import compatible


class HitLike(Protocol):
    """A query frame within threshold of one indicator hash."""

    @property
    def query(self) -> int: ...
    @property
    def hash_id(self) -> int: ...
    @property
    def indicator(self) -> int: ...
    @property
    def bank(self) -> str: ...
    @property
    def distance(self) -> int: ...
    @property
    def variant(self) -> str: ...
    @property
    def time(self) -> float | None: ...
    @property
    def source(self) -> str | None: ...


class QueryFrame(Protocol):
    """A hashed frame of the query video (``signals.vpdq.FrameHash`` has these)."""

    @property
    def pdq(self) -> str: ...
    @property
    def quality(self) -> int: ...
    @property
    def time(self) -> float: ...
    @property
    def variants(self) -> tuple[tuple[str, str, int], ...]: ...


@dataclass(frozen=True)
class QueryHash:
    """One hash searched for: a frame's whole-frame hash or one of its variants."""

    frame: int
    """Position of the frame in the query frame list."""
    variant: str
    pdq: str
    quality: int


def expand_queries(frames: Sequence[QueryFrame]) -> list[QueryHash]:
    """Every hash to search for, frame by frame: ``frame`` then the frame's variants."""
    out: list[QueryHash] = []
    for pos, f in enumerate(frames):
        out.append(QueryHash(pos, "frame", f.pdq, f.quality))
        out.extend(QueryHash(pos, v, h, q) for v, h, q in f.variants)
    return out


class BankParams(Protocol):
    """What a bank says about video matching (``store.banks.BankInfo`` has these)."""

    @property
    def threshold(self) -> int: ...
    @property
    def quality_min(self) -> int: ...
    @property
    def frame_threshold(self) -> int: ...
    @property
    def query_match(self) -> float: ...
    @property
    def index_match(self) -> float: ...


@dataclass(frozen=True)
class VideoParams:
    """python-threatexchange's defaults; a stand-in for a bank's row."""

    threshold: int = 31
    quality_min: int = 50
    frame_threshold: int = 31
    query_match: float = 0.80
    index_match: float = 0.0


@dataclass(frozen=True)
class FrameHit:
    """A frame-level hit (the fields of the Matcher's ``PdqHit`` that aggregation reads)."""

    query: int
    hash_id: int
    indicator: int
    bank: str
    distance: int
    variant: str = "frame"
    frame: int | None = None
    time: float | None = None
    source: str | None = None


@dataclass(frozen=True)
class IndicatorFrames:
    """The frame hashes of one video indicator: hash row id -> (frame key, quality, time).

    The frame key identifies the indicator frame a row belongs to (the whole-frame hash value
    of that frame, so identical frames count once, as in python-threatexchange); variant rows
    carry their frame's key."""

    rows: Mapping[int, tuple[str, int | None, float | None]]

    def distinct(self, quality_min: int) -> set[str]:
        return {v for v, q, _ in self.rows.values() if q is None or q >= quality_min}

    def spacing(self) -> float:
        return frame_spacing([t for _, _, t in self.rows.values() if t is not None])


@dataclass
class VideoMatch:
    """One indicator matched by a video (a ``matches`` entry of ``childshield match``)."""

    bank: str
    indicator: int
    signal: str  # "vpdq" for a video indicator, "pdq" for an image one
    distance: int
    source: str | None
    query_frames: tuple[int, int]
    """(distinct query frames matched, distinct query frames of quality >= quality_min)."""
    indicator_frames: tuple[int, int]
    """(distinct indicator frames matched, distinct indicator frames); (1, 1) for an image."""
    query_ranges: list[tuple[float, float]] = field(default_factory=list)
    indicator_ranges: list[tuple[float, float]] = field(default_factory=list)

    @property
    def query_share(self) -> float:
        matched, total = self.query_frames
        return matched / total if total else 0.0

    @property
    def indicator_share(self) -> float:
        matched, total = self.indicator_frames
        return matched / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "bank": self.bank,
            "indicator": self.indicator,
            "signal": self.signal,
            "distance": self.distance,
            "source": self.source,
            "query_match": round(self.query_share, 4),
            "indicator_match": round(self.indicator_share, 4),
            "query_frames": list(self.query_frames),
            "indicator_frames": list(self.indicator_frames),
            "query_ranges": [[round(a, 3), round(b, 3)] for a, b in self.query_ranges],
            "indicator_ranges": [[round(a, 3), round(b, 3)] for a, b in self.indicator_ranges],
        }


def time_ranges(times: Iterable[float], max_gap: float) -> list[tuple[float, float]]:
    """Merge sorted-or-not timestamps into [start, end] ranges; a gap > ``max_gap`` splits."""
    ranges: list[tuple[float, float]] = []
    for t in sorted(set(times)):
        if ranges and t - ranges[-1][1] <= max_gap:
            ranges[-1] = (ranges[-1][0], t)
        else:
            ranges.append((t, t))
    return ranges


def frame_spacing(times: Sequence[float]) -> float:
    """Typical time between consecutive sampled frames (median; 1 s when unknown)."""
    ordered = sorted(set(times))
    gaps = [b - a for a, b in itertools.pairwise(ordered) if b > a]
    return float(median(gaps)) if gaps else 1.0


def aggregate(
    frames: Sequence[QueryFrame],
    queries: Sequence[QueryHash],
    hits: Iterable[HitLike],
    indicators: Mapping[int, IndicatorFrames],
    banks: Mapping[str, BankParams],
    *,
    max_gap: float | None = None,
) -> list[VideoMatch]:
    """Per-indicator video matches from frame-level hits.

    ``frames``: the query video's frames; ``queries``: the hashes searched (see
    :func:`expand_queries`), which the hits' ``query`` positions refer to. ``indicators``: the
    frame rows of every *video* indicator hit (one missing here counts as an image
    indicator). ``banks``: parameters by bank name. ``max_gap``: gap that splits time ranges
    (default 1.5 x the query's frame spacing).
    """
    gap = max_gap if max_gap is not None else 1.5 * frame_spacing([f.time for f in frames])
    by_indicator: dict[int, list[HitLike]] = defaultdict(list)
    for hit in hits:
        if compatible(queries[hit.query].variant, hit.variant):
            by_indicator[hit.indicator].append(hit)
    out: list[VideoMatch] = []
    for indicator, group in by_indicator.items():
        match = _one_indicator(frames, queries, indicator, group, indicators, banks, gap)
        if match is not None:
            out.append(match)
    out.sort(key=lambda m: (-m.query_share, m.distance, m.bank, m.indicator))
    return out


def _one_indicator(
    frames: Sequence[QueryFrame],
    queries: Sequence[QueryHash],
    indicator: int,
    group: Sequence[HitLike],
    indicators: Mapping[int, IndicatorFrames],
    banks: Mapping[str, BankParams],
    gap: float,
) -> VideoMatch | None:
    bank = group[0].bank
    params = banks[bank]
    is_video = indicator in indicators
    limit = params.frame_threshold if is_video else params.threshold
    good = [
        h for h in group if h.distance <= limit and queries[h.query].quality >= params.quality_min
    ]
    if not good:
        return None
    usable = {f.pdq for f in frames if f.quality >= params.quality_min}
    matched_frames = {queries[h.query].frame for h in good}
    matched_keys = {frames[pos].pdq for pos in matched_frames} & usable
    q_pair = (len(matched_keys), len(usable))
    best = min(good, key=lambda h: h.distance)
    q_ranges = time_ranges([frames[pos].time for pos in matched_frames], gap)
    if not is_video:
        return VideoMatch(
            bank, indicator, "pdq", best.distance, best.source, q_pair, (1, 1), q_ranges
        )
    rows = indicators[indicator]
    distinct = rows.distinct(params.quality_min)
    matched_ind = {rows.rows[h.hash_id][0] for h in good if h.hash_id in rows.rows} & distinct
    i_pair = (len(matched_ind), len(distinct))
    q_share = q_pair[0] / q_pair[1] if q_pair[1] else 0.0
    i_share = i_pair[0] / i_pair[1] if i_pair[1] else 0.0
    if q_share < params.query_match or i_share < params.index_match or not matched_ind:
        return None
    i_times = [rows.rows[h.hash_id][2] for h in good if h.hash_id in rows.rows]
    return VideoMatch(
        bank,
        indicator,
        "vpdq",
        best.distance,
        best.source,
        q_pair,
        i_pair,
        q_ranges,
        time_ranges([t for t in i_times if t is not None], max(gap, 1.5 * rows.spacing())),
    )


__all__ = [
    "BankParams",
    "FrameHit",
    "HitLike",
    "IndicatorFrames",
    "QueryFrame",
    "QueryHash",
    "VideoMatch",
    "VideoParams",
    "aggregate",
    "expand_queries",
    "frame_spacing",
    "time_ranges",
]
