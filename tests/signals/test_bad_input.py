"""Corrupt, truncated, zero-byte, non-image, unsupported and hostile files: a clear error for
that file, the rest of the batch completes, and memory stays bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from sigdata import encode, png_bomb, png_header_only, skimage_photo

from childshield.errors import CorruptMediaError, MediaTooLargeError, UnsupportedMediaError
from childshield.signals import hash_file, hash_files
from childshield.signals.media import open_image, sniff


@pytest.mark.parametrize(
    ("head", "kind", "fmt"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image", "png"),
        (b"GIF89a\x01\x00", "image", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image", "webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "image", "heif"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00", "video", "mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00", "video", "mov"),
        (b"\x1a\x45\xdf\xa3\x01\x00", "video", "matroska"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "video", "avi"),
        (b"%PDF-1.7\n", "other", None),
        (b"hello world\n", "other", None),
    ],
)
def test_sniff_by_magic_bytes(head: bytes, kind: str, fmt: str | None) -> None:
    assert sniff(head) == (kind, fmt)


def _bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (path, error_type expected)."""
    jpeg = encode(skimage_photo("coffee", (640, 480)), "JPEG", quality=85)
    png = encode(skimage_photo("chelsea", (320, 240)), "PNG")
    files = {
        "empty.jpg": (b"", "corrupt-media"),
        "truncated.jpg": (jpeg[: len(jpeg) // 3], "corrupt-media"),
        "truncated.png": (png[: len(png) // 2], "corrupt-media"),
        "garbage-after-magic.jpg": (b"\xff\xd8\xff\xe0" + os.urandom(2000), "corrupt-media"),
        "broken-png-header.png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "corrupt-media"),
        "notes.txt": (b"just some text, not an image\n" * 20, "unsupported-media"),
        "document.pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "unsupported-media"),
        "huge-header.png": (png_header_only(40000, 40000), "media-too-large"),
        "huge-jpeg-header.jpg": (_jpeg_claiming(60000, 60000), "media-too-large"),
    }
    out = {}
    for name, (data, kind) in files.items():
        path = folder / name
        path.write_bytes(data)
        out[name] = (path, kind)
    return out


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF0 frame header is rewritten to claim width x height."""
    data = bytearray(encode(Image.new("L", (16, 16), 128), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def test_each_bad_file_gets_a_clear_error(tmp_path: Path) -> None:
    for name, (path, kind) in _bad_files(tmp_path).items():
        record = hash_file(path)
        assert set(record) == {"path", "error", "error_type"}, name
        assert record["error_type"] == kind, (name, record)
        assert record["path"] == str(path)


def test_error_messages_name_the_problem(tmp_path: Path) -> None:
    bad = _bad_files(tmp_path)
    assert hash_file(bad["empty.jpg"][0])["error"] == "empty file (0 bytes)"
    assert "truncated" in hash_file(bad["truncated.jpg"][0])["error"]
    assert "1,600,000,000 pixels" in hash_file(bad["huge-header.png"][0])["error"]
    assert "3,600,000,000 pixels" in hash_file(bad["huge-jpeg-header.jpg"][0])["error"]
    assert "not an image" in hash_file(bad["notes.txt"][0])["error"]
    missing = hash_file(tmp_path / "nope.jpg")
    assert missing["error"] == "cannot read file: No such file or directory"
    assert hash_file(tmp_path)["error"] == "is a directory, not a file"


def test_huge_header_is_refused_before_decoding(tmp_path: Path) -> None:
    """A 100-byte PNG claiming 40000x40000 (1.6 G pixels) is refused from its header alone."""
    path = tmp_path / "claims-huge.png"
    path.write_bytes(png_header_only(40000, 40000))
    assert path.stat().st_size < 200
    with pytest.raises(MediaTooLargeError, match="over the limit"):
        open_image(path)


def test_open_image_error_classes(tmp_path: Path) -> None:
    bad = _bad_files(tmp_path)
    with pytest.raises(CorruptMediaError):
        open_image(bad["empty.jpg"][0])
    with pytest.raises(UnsupportedMediaError):
        open_image(bad["notes.txt"][0])
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00\x00\x00\x20ftypisom" + b"\x00" * 100)
    with pytest.raises(UnsupportedMediaError, match="video"):
        open_image(video)


def test_bomb_within_the_pixel_limit_but_over_the_memory_budget(tmp_path: Path) -> None:
    """A 10000x10000 RGBA PNG (a 400 kB file) would need ~760 MiB to decode: refused."""
    path = tmp_path / "bomb-rgba.png"
    path.write_bytes(png_bomb(10000, 10000, color_type=6))
    assert path.stat().st_size < 1_000_000
    record = hash_file(path)
    assert record["error_type"] == "media-too-large"
    assert "MiB" in record["error"]


def test_pixel_limit_comes_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from childshield.settings import get_settings

    path = tmp_path / "photo.png"
    path.write_bytes(encode(skimage_photo("astronaut", (600, 500)), "PNG"))
    assert "pdq" in hash_file(path)
    monkeypatch.setenv("CHILDSHIELD_MAX_IMAGE_PIXELS", "250000")
    get_settings.cache_clear()
    record = hash_file(path)
    assert record["error_type"] == "media-too-large" and "250,000" in record["error"]


def test_batch_completes_in_order_around_bad_files(tmp_path: Path) -> None:
    good = tmp_path / "good.jpg"
    good.write_bytes(encode(skimage_photo("astronaut", (640, 480)), "JPEG"))
    bad = [p for p, _ in _bad_files(tmp_path).values()]
    paths = [good, *bad, good]
    records = list(hash_files(paths, workers=2))
    assert [r["path"] for r in records] == [str(p) for p in paths]
    assert "pdq" in records[0] and "pdq" in records[-1]
    assert all("error" in r for r in records[1:-1])


_RSS_SCRIPT = """
import json, sys
from childshield.signals import hash_files
records = list(hash_files(sys.argv[1:], workers=1))
# VmHWM, not ru_maxrss: Linux carries the parent's peak across fork+exec into ru_maxrss, so
# inside a long pytest run it reported pytest's own size (1.4-1.6 GiB), not this process's.
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
print(json.dumps({"peak": peak, "records": records}))
"""


@pytest.mark.slow
def test_peak_memory_stays_well_under_1gb(tmp_path: Path) -> None:
    """The whole hostile batch, with a 100-megapixel RGB bomb that IS decoded (the largest
    image the default settings allow), in a fresh process: peak RSS under 600 MiB."""
    bombs = {
        "rgb-bomb.png": png_bomb(10000, 10000, color_type=2),  # decoded: 100 M pixels
        "grey-bomb.png": png_bomb(10000, 10000, color_type=0),
        "rgba-bomb.png": png_bomb(10000, 10000, color_type=6),  # refused: memory budget
    }
    paths = [p for p, _ in _bad_files(tmp_path).values()]
    for name, data in bombs.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    out = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, *map(str, paths)],
        capture_output=True, text=True, check=True, timeout=300,
    )
    result = json.loads(out.stdout)
    by_name = {Path(r["path"]).name: r for r in result["records"]}
    assert by_name["rgb-bomb.png"]["quality"] == 0  # decoded: a flat image
    assert by_name["rgb-bomb.png"]["low_quality"] is True
    assert by_name["rgba-bomb.png"]["error_type"] == "media-too-large"
    assert by_name["huge-header.png"]["error_type"] == "media-too-large"
    assert result["peak"] < 600 * 2**20, f"peak RSS {result['peak'] / 2**20:.0f} MiB"
