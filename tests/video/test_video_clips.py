"""A clip cut from an indicator video, and a known image shown inside an unrelated video."""

from __future__ import annotations

from pathlib import Path

from video_testkit import (
    BruteForceFrameIndex,
    ReferenceSamples,
    background_frame,
    cut_clip,
    drawn_indicator,
    write_video,
)

from childshield.signals.video_pdq import luma_from_rgb, pdq_hex_from_luma
from childshield.signals.vpdq import hash_frames


def test_a_short_clip_cut_from_an_indicator_video_matches_it(
    samples: ReferenceSamples, reference_bank: BruteForceFrameIndex, tmp_path: Path
) -> None:
    clip = cut_clip(samples.video("chair-orig-22-sd-bar"), tmp_path / "clip.mp4", 150, 450)
    frames = hash_frames(clip, robust=True)
    assert len(frames) == 10  # 10 s at 30 fps, one a second
    [match] = reference_bank.match(frames)
    assert match.source == "chair" and match.signal == "vpdq"
    assert match.query_share == 1.0
    assert match.indicator_share < 0.5  # 10 s of a 22 s indicator
    # where in the indicator the clip comes from: 5 s to 15 s
    [(start, end)] = match.indicator_ranges
    assert 4.5 <= start <= 5.5 and 13.5 <= end <= 15.5


def test_known_image_inside_an_unrelated_video_is_found_with_its_time(tmp_path: Path) -> None:
    fps = 10
    image = drawn_indicator()

    def frame(i: int):  # type: ignore[no-untyped-def]
        t = i / fps
        return image if 5.0 <= t < 8.0 else background_frame(t)

    video = write_video(tmp_path / "holiday.mp4", (frame(i) for i in range(12 * fps)), fps=fps)
    bank = BruteForceFrameIndex()
    pdq, quality = pdq_hex_from_luma(luma_from_rgb(image))
    assert quality >= 50
    bank.add_image(pdq, source="drawn.png")
    frames = hash_frames(video, robust=True)
    [match] = bank.match(frames)
    assert match.signal == "pdq" and match.source == "drawn.png"
    assert match.query_ranges == [(5.0, 7.0)]
    # frames count once per distinct hash (as in python-threatexchange)
    shown = {f.pdq for f in frames if 5.0 <= f.time < 8.0}
    assert match.query_frames == (len(shown), len({f.pdq for f in frames if f.quality >= 50}))


def test_the_unrelated_video_alone_matches_nothing(tmp_path: Path) -> None:
    video = write_video(tmp_path / "v.mp4", (background_frame(i / 10) for i in range(100)))
    bank = BruteForceFrameIndex()
    bank.add_image(pdq_hex_from_luma(luma_from_rgb(drawn_indicator()))[0])
    assert bank.match(hash_frames(video, robust=True)) == []
