"""Video matching with vPDQ semantics on the reference samples, clips and images in videos.

A brute-force exact search (tests/video/video_testkit.py) stands in for the index here; the
aggregation under test is the production code (childshield.matching.video).
"""

from __future__ import annotations

import pytest
from video_testkit import BruteForceFrameIndex, ReferenceSamples

from childshield.matching.video import (
    FrameHit,
    IndicatorFrames,
    QueryHash,
    VideoParams,
    aggregate,
    time_ranges,
)
from childshield.signals.vpdq import FrameHash

CHAIR_VARIANTS = [
    "chair-19-sd-bar",
    "chair-20-sd-bar",
    "chair-22-sd-grey-bar",
    "chair-22-sd-sepia-bar",
    "chair-22-with-large-logo-bar",
    "chair-22-with-small-logo-bar",
]
PATTERN_VARIANTS = [
    "pattern-longer-no-bar",
    "pattern-sd-grey-bar",
    "pattern-sd-with-large-logo-bar",
    "pattern-sd-with-small-logo-bar",
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [(n, "chair") for n in CHAIR_VARIANTS]
    + [(n, "pattern") for n in PATTERN_VARIANTS]
    + [("doorknob-hd-no-bar", None), ("test-padded-dimensions", None)],
)
def test_reference_variants_match_their_original_only(
    samples: ReferenceSamples, reference_bank: BruteForceFrameIndex, name: str, expected: str
) -> None:
    matches = reference_bank.match(samples.per_second(name))
    assert [m.source for m in matches] == ([expected] if expected else [])
    for m in matches:
        assert m.signal == "vpdq"
        assert m.query_share >= 0.8
        assert 0 < m.indicator_share < 1  # a one-a-second query against an every-frame indicator
        duration = samples.per_second(name)[-1].time
        assert m.query_ranges[0][0] <= 1.0 and m.query_ranges[-1][1] >= duration - 2.0


def test_without_robust_variants_bars_and_large_logos_defeat_plain_vpdq(
    samples: ReferenceSamples,
) -> None:
    """Why the variants exist: plain whole-frame hashes miss these two edits."""
    plain = BruteForceFrameIndex()
    strip = [FrameHash(f.frame, f.time, f.pdq, f.quality) for f in samples.every_frame(
        "pattern-hd-no-bar")]
    plain.add_video(strip)
    query = [FrameHash(f.frame, f.time, f.pdq, f.quality) for f in samples.per_second(
        "pattern-sd-grey-bar")]
    assert plain.match(query) == []


def test_index_match_threshold_is_honoured(
    samples: ReferenceSamples, reference_bank: BruteForceFrameIndex
) -> None:
    strict = BruteForceFrameIndex({"test-indicators": VideoParams(index_match=0.9)})
    strict.add_video(samples.every_frame("pattern-hd-no-bar"))
    # one frame a second covers far less than 90% of an every-frame indicator
    assert strict.match(samples.per_second("pattern-sd-grey-bar")) == []
    assert strict.match(samples.every_frame("pattern-hd-no-bar"))[0].indicator_share == 1.0


def hit(query: int, hash_id: int, indicator: int, distance: int = 0,
        variant: str = "frame", time: float | None = None) -> FrameHit:
    return FrameHit(query, hash_id, indicator, "b", distance, variant, None, time)


def frames(n: int, pdq: str | None = None, quality: int = 100) -> list[FrameHash]:
    return [FrameHash(i, float(i), pdq or f"{i:064x}", quality) for i in range(n)]


def test_shares_count_distinct_good_frames_like_threatexchange() -> None:
    query = frames(10)
    queries = [QueryHash(i, "frame", f.pdq, f.quality) for i, f in enumerate(query)]
    indicator = IndicatorFrames({100 + i: (f"{i % 4:064x}", 100, float(i)) for i in range(8)})
    hits = [hit(i, 100 + i, 7, time=float(i)) for i in range(8)]
    banks = {"b": VideoParams()}
    [m] = aggregate(query, queries, hits, {7: indicator}, banks)
    assert m.query_frames == (8, 10)
    assert m.indicator_frames == (4, 4)  # 8 rows but 4 distinct frame hashes
    assert m.query_ranges == [(0.0, 7.0)]
    # 7 of 10 is below the 80% query-match threshold
    assert aggregate(query, queries, hits[:7], {7: indicator}, banks) == []


def test_low_quality_query_frames_neither_match_nor_count() -> None:
    query = frames(5) + frames(5, pdq="f" * 64, quality=10)
    queries = [QueryHash(i, "frame", f.pdq, f.quality) for i, f in enumerate(query)]
    indicator = IndicatorFrames({1: ("a" * 64, 100, 0.0)})
    hits = [hit(i, 1, 7) for i in range(10)]
    [m] = aggregate(query, queries, hits, {7: indicator}, {"b": VideoParams()})
    assert m.query_frames == (5, 5)


def test_half_frame_hits_only_count_against_the_same_half() -> None:
    query = frames(2)
    queries = [QueryHash(0, "frame:left", "1" * 64, 100), QueryHash(1, "frame:top", "2" * 64, 90)]
    indicator = IndicatorFrames({1: ("a" * 64, 100, 0.0), 2: ("a" * 64, 100, 0.0)})
    hits = [hit(0, 1, 7, variant="frame:left"), hit(1, 2, 7, variant="frame:bottom")]
    [m] = aggregate(query, queries, hits, {7: indicator}, {"b": VideoParams(query_match=0.5)})
    assert m.query_frames == (1, 2)


def test_image_indicator_inside_a_video_reports_where() -> None:
    query = frames(30)
    queries = [QueryHash(i, "frame", f.pdq, f.quality) for i, f in enumerate(query)]
    hits = [hit(i, 1, 3, distance=5 + i % 3, variant="full") for i in (10, 11, 12, 13, 20)]
    hits.append(hit(25, 1, 3, distance=40, variant="full"))  # beyond the bank's threshold
    [m] = aggregate(query, queries, hits, {}, {"b": VideoParams()})
    assert m.signal == "pdq" and m.distance == 5
    assert m.query_ranges == [(10.0, 13.0), (20.0, 20.0)]
    assert m.to_dict()["query_ranges"] == [[10.0, 13.0], [20.0, 20.0]]


def test_time_ranges_split_on_gaps() -> None:
    assert time_ranges([3.0, 1.0, 2.0, 7.0], max_gap=1.5) == [(1.0, 3.0), (7.0, 7.0)]
    assert time_ranges([], max_gap=1.0) == []
