"""Fixtures for video tests: the vPDQ reference samples, hashed once per session.

The reference videos live in ../shared/testdata/vpdq-reference (never copied into the repo).
Every frame of each sample is hashed once (``frame_interval=0``, what the expected files hold);
the one-a-second hashes used by the matching tests are the same frames vpdq would pick
(``frame % int(fps) == 0``), taken from that list rather than decoding again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from video_testkit import BruteForceFrameIndex, ReferenceSamples


@pytest.fixture(scope="session")
def samples(testdata: Path) -> ReferenceSamples:
    return ReferenceSamples(testdata / "vpdq-reference")


@pytest.fixture(scope="session")
def reference_bank(samples: ReferenceSamples) -> BruteForceFrameIndex:
    """The chair and pattern originals as video indicators (every frame, with variants)."""
    index = BruteForceFrameIndex()
    index.add_video(samples.every_frame("chair-orig-22-sd-bar"), source="chair")
    index.add_video(samples.every_frame("pattern-hd-no-bar"), source="pattern")
    return index
