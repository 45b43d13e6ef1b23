"""hash_file / hash_files: DESIGN.md's record shape, digests, the low-quality flag, parallel
batches in input order, a crashing worker, and video dispatch."""

from __future__ import annotations

import hashlib
import sys
import types
from pathlib import Path

import pytest
from PIL import Image
from sigdata import encode, skimage_photo

from childshield.signals import hash_file, hash_files
from childshield.signals.pool import parallel_map

KEYS = {"path", "media", "md5", "sha256", "pdq", "quality"}


def test_image_record_has_exactly_the_design_keys(photo_jpeg: Path) -> None:
    record = hash_file(photo_jpeg)
    assert set(record) == KEYS
    data = photo_jpeg.read_bytes()
    assert record["md5"] == hashlib.md5(data).hexdigest()
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    assert record["media"] == "image" and record["path"] == str(photo_jpeg)
    assert record["quality"] == 100 and len(record["pdq"]) == 64


def test_flat_and_tiny_images_are_flagged_low_quality(tmp_path: Path) -> None:
    flat = tmp_path / "flat.png"
    Image.new("RGB", (400, 300), (120, 130, 140)).save(flat)
    tiny = tmp_path / "tiny.png"
    Image.new("L", (3, 3), 10).save(tiny)
    for path in (flat, tiny):
        record = hash_file(path)
        assert record["quality"] < 50
        assert record["low_quality"] is True
        assert "unreliable" in record["warning"]


def test_same_picture_in_two_formats_is_a_near_duplicate(tmp_path: Path) -> None:
    image = skimage_photo("rocket", (900, 600))
    (tmp_path / "a.png").write_bytes(encode(image, "PNG"))
    (tmp_path / "b.jpg").write_bytes(encode(image, "JPEG", quality=70))
    (tmp_path / "c.webp").write_bytes(encode(image, "WEBP", quality=70))
    a, b, c = (hash_file(tmp_path / n) for n in ("a.png", "b.jpg", "c.webp"))
    assert a["md5"] != b["md5"]
    for other in (b, c):
        assert (int(a["pdq"], 16) ^ int(other["pdq"], 16)).bit_count() <= 16


def test_heif_is_read(tmp_path: Path) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    image = skimage_photo("chelsea", (640, 480))
    path = tmp_path / "cat.heic"
    image.save(path, format="HEIF", quality=90)
    png = tmp_path / "cat.png"
    image.save(png)
    record = hash_file(path)
    assert record["media"] == "image"
    assert (int(record["pdq"], 16) ^ int(hash_file(png)["pdq"], 16)).bit_count() <= 16


def test_batch_in_parallel_equals_serial_and_keeps_order(tmp_path: Path) -> None:
    names = ["astronaut", "coffee", "chelsea", "camera", "coins", "rocket"]
    paths = []
    for i, name in enumerate(names * 2):
        path = tmp_path / f"{i:02d}-{name}.jpg"
        path.write_bytes(encode(skimage_photo(name, (300 + 10 * i, 240)), "JPEG"))
        paths.append(path)
    serial = list(hash_files(paths, workers=1))
    parallel = list(hash_files(paths, workers=2))
    assert parallel == serial
    assert [r["path"] for r in parallel] == [str(p) for p in paths]


def test_a_crashing_worker_only_fails_its_own_item() -> None:
    """A decoder that kills its process (segfault, abort) must not end the batch: the
    pool restarts and only the culprit gets the crash result. ``eval`` stands in for the
    per-item function (picklable, and can exit its process on demand)."""
    items = ["1 + 1", "__import__('os')._exit(3)", "2 + 2", "3 + 3", "4 + 4"]
    results = list(parallel_map(eval, items, workers=2, on_crash=lambda item: "crashed"))
    assert results == [("1 + 1", 2), (items[1], "crashed"), ("2 + 2", 4), ("3 + 3", 6),
                       ("4 + 4", 8)]


def test_items_submitted_after_a_crash_still_complete() -> None:
    """Guards a CI failure: a worker died while items were still being submitted, and
    ``submit`` on the broken pool raised BrokenProcessPool out of the batch. The generator
    pauses after the crasher so that the later items are submitted to a pool already broken."""
    import time

    def items():  # type: ignore[no-untyped-def]
        yield "__import__('os')._exit(3)"
        time.sleep(1.5)  # the crash has happened by now
        yield from (f"{i} + 1" for i in range(5))

    results = list(parallel_map(eval, items(), workers=2, window=20,
                                on_crash=lambda item: "crashed"))
    assert results == [("__import__('os')._exit(3)", "crashed"),
                       *((f"{i} + 1", i + 1) for i in range(5))]


def test_unordered_parallel_map_returns_everything() -> None:
    items = [f"{i} * 2" for i in range(30)]
    results = dict(parallel_map(eval, items, workers=2, ordered=False, on_crash=str))
    assert results == {f"{i} * 2": i * 2 for i in range(30)}


def _fake_video(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x20ftypisom" + b"\x00" * 200)
    return path


def test_video_without_vpdq_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    monkeypatch.setitem(sys.modules, "childshield.signals.vpdq", None)  # import fails
    record = hash_file(_fake_video(tmp_path))
    assert record["error_type"] == "unsupported-media"
    assert "video hashing (vpdq) is not available" in record["error"]


def test_video_is_dispatched_to_vpdq(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def hash_video(path: Path, frame_interval: float) -> dict[str, object]:
        calls.append((Path(path), frame_interval))
        return {"path": str(path), "media": "video", "md5": "m", "sha256": "s", "pdq": None,
                "quality": None, "vpdq": [{"frame": 0, "time": 0.0, "pdq": "0" * 64,
                                           "quality": 90}]}

    fake = types.ModuleType("childshield.signals.vpdq")
    fake.hash_video = hash_video  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "childshield.signals.vpdq", fake)
    video = _fake_video(tmp_path)
    record = hash_file(video, frame_interval=0.0)
    assert calls == [(video, 0.0)]
    assert record["media"] == "video" and record["vpdq"][0]["frame"] == 0
