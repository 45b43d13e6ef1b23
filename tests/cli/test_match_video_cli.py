"""``bank add`` and ``match`` with videos: frames stored as indicator hashes, clips found."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from bank_images import draw_scene
from PIL import Image
from typer.testing import CliRunner

from childshield.cli import app

av = pytest.importorskip("av")


def write_video(path: Path, frames: Iterable[np.ndarray], fps: int = 10) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for number, rgb in enumerate(frames):
            if number == 0:
                stream.width, stream.height = rgb.shape[1], rgb.shape[0]
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def panned(wide: Path, start: int, stop: int) -> Iterable[np.ndarray]:
    """Frames of a slow pan over a wide drawing (a benign stand-in for an indicator video)."""
    with Image.open(wide) as image:
        pixels = np.asarray(image.convert("RGB"))
    for i in range(start, stop):
        yield np.ascontiguousarray(pixels[:, 2 * i : 2 * i + 320])


def run(*args: str, db: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(app, [*args, "--db", db, "--json"])
    return result.exit_code, [json.loads(x) for x in result.stdout.splitlines()]


def test_video_indicator_and_clip(sqlite_url: str, tmp_path: Path) -> None:
    wide = draw_scene(tmp_path / "wide.png", 21, size=(640, 240))
    other = draw_scene(tmp_path / "other.png", 22, size=(640, 240))
    source = write_video(tmp_path / "source.mp4", panned(wide, 0, 100))
    run("bank", "create", "test-indicators", db=sqlite_url)
    code, (added,) = run("bank", "add", "test-indicators", str(source), db=sqlite_url)
    assert code == 0 and len(added["indicators"]) == 3  # type: ignore[arg-type]
    code, _ = run(
        "bank",
        "export",
        "test-indicators",
        "--format",
        "jsonl",
        "--out",
        str(tmp_path / "x.jsonl"),
        db=sqlite_url,
    )
    records = [json.loads(x) for x in (tmp_path / "x.jsonl").read_text().splitlines()]
    (video,) = [r for r in records if r["signal"] == "vpdq"]
    assert video["media"] == "video" and video["source"] == str(source)
    frames = [h["frame"] for h in video["hashes"] if h["variant"] == "frame"]
    assert len(set(frames)) >= 50  # every frame of quality >= 50, not one a second

    clip = write_video(tmp_path / "clip.mp4", panned(wide, 30, 70))
    unrelated = write_video(tmp_path / "unrelated.mp4", panned(other, 0, 40))
    code, results = run("match", str(clip), str(unrelated), db=sqlite_url)
    assert code == 0
    (hit,) = results[0]["matches"]  # type: ignore[misc]
    assert (hit["signal"], hit["indicator"], hit["source"]) == (
        "vpdq",
        added["indicators"][0],
        str(source),
    )  # type: ignore[index]
    assert hit["query_match"] >= 0.8 and 0 < hit["indicator_match"] < 1
    assert results[1]["matches"] == []
