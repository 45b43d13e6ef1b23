"""vPDQ conformance with Meta's vpdq on the reference samples (every frame, native size).

Upstream's own check (vpdq/python/tests): same number of frames, frames compared in order,
pairs where either side has quality < 50 skipped, the rest within distance 30. We require
at least 95% of those pairs within 30 and equal frame numbers and timestamps.
"""

from __future__ import annotations

import numpy as np
import pytest
from video_testkit import ReferenceSamples

from childshield.signals.vpdq import hash_frames


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def distances(ours, expected) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.array(
        [hamming(f.pdq, e[2]) for f, e in zip(ours, expected, strict=True)
         if f.quality >= 50 and e[1] >= 50]
    )


def test_every_sample_with_an_expected_file_conforms(samples: ReferenceSamples) -> None:
    checked = 0
    report = []
    for name in samples.names():
        if not (samples.hashes / f"{name}.txt").exists():
            continue
        ours = samples.every_frame(name)
        expected = samples.expected(name)
        assert len(ours) == len(expected), name
        assert [f.frame for f in ours] == [e[0] for e in expected], name
        pairs = zip(ours, expected, strict=True)
        assert max(abs(round(f.time, 3) - e[3]) for f, e in pairs) <= 0.0011
        d = distances(ours, expected)
        assert len(d) > 0.4 * len(expected), f"{name}: too few frames of quality >= 50"
        share = float(np.mean(d <= 30))
        report.append((name, float(np.median(d)), float(np.percentile(d, 95)), int(d.max())))
        assert share >= 0.95, f"{name}: only {share:.1%} of frames within distance 30"
        checked += 1
    assert checked == 14  # every sample video present has an expected file
    print("\nname median p95 max")
    for row in report:
        print(*row)


@pytest.mark.parametrize("name", ["chair-19-sd-bar", "pattern-sd-with-small-logo-bar"])
def test_downsampled_hashing_matches_vpdq_128x128(samples: ReferenceSamples, name: str) -> None:
    ours = hash_frames(samples.video(name), frame_interval=0, downsample=(128, 128))
    expected = samples.expected(name, "-128x128")
    assert len(ours) == len(expected)
    assert np.mean(distances(ours, expected) <= 30) >= 0.95


def test_one_frame_a_second_picks_the_frames_vpdq_picks(samples: ReferenceSamples) -> None:
    name = "doorknob-hd-no-bar"
    ours = hash_frames(samples.video(name))  # default: one a second
    expected = [e for e in samples.expected(name) if e[0] % 30 == 0]
    assert [f.frame for f in ours] == [e[0] for e in expected] == [0, 30, 60, 90]
    assert [round(f.time, 3) for f in ours] == [0.0, 1.0, 2.0, 3.0]
    every = {f.frame: f.pdq for f in samples.every_frame(name)}
    assert all(every[f.frame] == f.pdq for f in ours)
