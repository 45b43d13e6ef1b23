"""The aggregation agrees with python-threatexchange's own vPDQ matcher (whole frames).

Inputs are Meta's expected hash files for the reference samples (no decoding), sampled one
frame a second as queries against every-frame indicators.
"""

from __future__ import annotations

import os

import pytest
from video_testkit import BruteForceFrameIndex, ReferenceSamples

from childshield.matching.video import VideoParams
from childshield.signals.vpdq import FrameHash

# threatexchange's vpdq extension imports Meta's vpdq, which `make test` builds (it needs the
# FFmpeg development packages). In CI a missing build fails here instead of skipping quietly.
if os.environ.get("CI") == "true":
    import vpdq  # noqa: F401
else:
    pytest.importorskip("vpdq")
brute = pytest.importorskip("threatexchange.extensions.vpdq.vpdq_brute_matcher")
util = pytest.importorskip("threatexchange.extensions.vpdq.vpdq_util")

PAIRS = [
    ("chair-19-sd-bar", "chair-orig-22-sd-bar"),
    ("chair-22-with-small-logo-bar", "chair-orig-22-sd-bar"),
    ("pattern-longer-no-bar", "pattern-hd-no-bar"),
    ("chair-22-with-large-logo-bar", "chair-orig-22-sd-bar"),
    ("doorknob-hd-no-bar", "chair-orig-22-sd-bar"),
]


def meta_frames(samples: ReferenceSamples, name: str, every: int) -> list[FrameHash]:
    return [FrameHash(f, t, h, q) for f, q, h, t in samples.expected(name) if f % every == 0]


@pytest.mark.parametrize(("query", "indicator"), PAIRS)
def test_shares_equal_threatexchange(samples: ReferenceSamples, query: str,
                                     indicator: str) -> None:
    q = meta_frames(samples, query, 30)
    ind = meta_frames(samples, indicator, 1)
    index = BruteForceFrameIndex({"test-indicators": VideoParams(query_match=0.0)})
    index.add_video(ind)
    ours = index.match(q)

    def compact(frames: list[FrameHash]) -> list:  # type: ignore[type-arg]
        return [util.VpdqCompactFeature(f.pdq, f.quality, f.time) for f in frames]

    theirs = brute.match_VPDQ_hash_brute(compact(q), compact(ind), 50, 31)
    if theirs.query_match_percent == 0:
        assert ours == []
        return
    [m] = ours
    assert m.query_share * 100 == pytest.approx(theirs.query_match_percent)
    assert m.indicator_share * 100 == pytest.approx(theirs.compared_match_percent)
