"""Bad video input: a clear error per file, bounded time and memory, and the batch goes on."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from video_testkit import ReferenceSamples, background_frame, write_video

from childshield.errors import CorruptMediaError, MediaTooLargeError, UnsupportedMediaError
from childshield.signals.video_decode import VideoLimits
from childshield.signals.vpdq import hash_frames, hash_video, hash_videos


def y4m(path: Path, header: bytes, payload: bytes = b"") -> Path:
    path.write_bytes(b"YUV4MPEG2 " + header + b"\nFRAME\n" + payload)
    return path


def audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=44100)
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 44100, i * 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_zero_length_file(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(CorruptMediaError, match="zero-length"):
        hash_video(tmp_path / "empty.mp4")


def test_random_bytes_are_not_a_container(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(1).bytes(200_000))
    with pytest.raises(CorruptMediaError, match="not a readable video container"):
        hash_video(path)


@pytest.mark.parametrize("share", [0.01, 0.3, 0.9])
def test_truncated_mp4_is_reported(samples: ReferenceSamples, tmp_path: Path,
                                   share: float) -> None:
    data = samples.video("chair-19-sd-bar").read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: int(len(data) * share)])
    with pytest.raises(CorruptMediaError, match=r"truncated|not a readable"):
        hash_video(path)


def test_audio_only_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedMediaError, match=r"no video stream.*audio"):
        hash_video(audio_only(tmp_path / "sound.m4a"))


def test_absurd_dimensions_are_refused_before_decoding(tmp_path: Path) -> None:
    path = y4m(tmp_path / "huge.y4m", b"W100000 H100000 F30:1 C420jpeg", b"\0" * 1000)
    with pytest.raises((CorruptMediaError, MediaTooLargeError)):
        hash_video(path)


def test_dimension_limit_applies_to_real_frames(tmp_path: Path) -> None:
    video = write_video(tmp_path / "v.mp4", (background_frame(i / 10) for i in range(5)))
    with pytest.raises(MediaTooLargeError, match="320x240 exceed"):
        hash_frames(video, limits=VideoLimits(max_pixels=100 * 100))


@pytest.mark.parametrize("rate", [b"F1000000:1", b"F1:100000000"])
def test_absurd_frame_rates_are_refused(tmp_path: Path, rate: bytes) -> None:
    path = y4m(tmp_path / "fps.y4m", b"W64 H64 " + rate + b" C420jpeg", b"\x80" * (64 * 96))
    with pytest.raises(CorruptMediaError, match="implausible frame rate"):
        hash_video(path)


def test_decoding_time_budget_stops_a_long_video(samples: ReferenceSamples) -> None:
    with pytest.raises(MediaTooLargeError, match="longer than"):
        hash_frames(samples.video("chair-19-sd-bar"), limits=VideoLimits(max_seconds=0.0))


def test_frame_budget(samples: ReferenceSamples) -> None:
    with pytest.raises(MediaTooLargeError, match="more than 50 frames"):
        hash_frames(samples.video("chair-19-sd-bar"), limits=VideoLimits(max_frames=50))


def test_a_batch_with_bad_files_completes(samples: ReferenceSamples, tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    bad = [tmp_path / "empty.mp4", audio_only(tmp_path / "a.m4a"), tmp_path / "missing.mp4"]
    good = samples.video("doorknob-hd-no-bar")
    paths = [good, *bad, good]
    out = list(hash_videos(paths, workers=2))
    assert [r["path"] for r in out] == [str(p) for p in paths]
    assert [("error" in r) for r in out] == [False, True, True, True, False]
    assert out[2]["error_type"] == "unsupported-media"
    assert len(out[0]["vpdq"]) == 4 and out[0]["vpdq"] == out[-1]["vpdq"]
    assert out[0]["md5"] and out[0]["sha256"] and out[0]["media"] == "video"
