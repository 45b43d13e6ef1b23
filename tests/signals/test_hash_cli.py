"""``childshield hash FILE...`` as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sigdata import encode, skimage_photo

from childshield.exitcodes import ExitCode


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250"}  # a wide terminal: table cells on one line
    return subprocess.run([sys.executable, "-m", "childshield", "hash", *args],
                          capture_output=True, text=True, timeout=300, env=env)


def test_json_lines_in_input_order_with_per_file_errors(tmp_path: Path) -> None:
    good = tmp_path / "coffee.jpg"
    good.write_bytes(encode(skimage_photo("coffee", (640, 480)), "JPEG"))
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "readme.txt"
    text.write_text("hello\n")
    done = run("--json", "--workers", "2", str(good), str(empty), str(text), str(good))
    assert done.returncode == ExitCode.ITEM_ERRORS
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["path"] for r in records] == [str(good), str(empty), str(text), str(good)]
    assert set(records[0]) == {"path", "media", "md5", "sha256", "pdq", "quality"}
    assert records[0] == records[3]
    assert records[1]["error"] == "empty file (0 bytes)"
    assert "not an image" in records[2]["error"]
    assert "2 of 4 files could not be hashed" in done.stderr


def test_all_good_exits_zero_and_prints_a_table(tmp_path: Path) -> None:
    path = tmp_path / "rocket.png"
    path.write_bytes(encode(skimage_photo("rocket", (320, 200)), "PNG"))
    done = run(str(path))
    assert done.returncode == ExitCode.OK, done.stderr
    assert "quality" in done.stdout and "rocket.png" in done.stdout


def test_low_quality_is_flagged_in_both_outputs(tmp_path: Path) -> None:
    from PIL import Image

    flat = tmp_path / "flat.png"
    Image.new("L", (300, 300), 128).save(flat)
    record = json.loads(run("--json", str(flat)).stdout)
    assert record["low_quality"] is True and "unreliable" in record["warning"]
    assert "(low)" in run(str(flat)).stdout


def test_frame_interval_must_not_be_negative(tmp_path: Path) -> None:
    done = run("--frame-interval", "-1", str(tmp_path / "x.jpg"))
    assert done.returncode == ExitCode.USAGE
