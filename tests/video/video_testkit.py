"""Helpers shared by the video tests (reference samples, drawn benign frames, streams)."""

from __future__ import annotations

from pathlib import Path

from childshield.signals.vpdq import FrameHash, frame_modulus, hash_frames


class ReferenceSamples:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.videos = root / "sample-videos"
        self.hashes = root / "sample-hashes"
        self._every: dict[str, list[FrameHash]] = {}

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.videos.glob("*.mp4"))

    def video(self, name: str) -> Path:
        return self.videos / f"{name}.mp4"

    def every_frame(self, name: str) -> list[FrameHash]:
        if name not in self._every:
            self._every[name] = hash_frames(self.video(name), frame_interval=0)
        return self._every[name]

    def per_second(self, name: str) -> list[FrameHash]:
        frames = self.every_frame(name)
        fps = frames[1].frame / frames[1].time
        step = frame_modulus(1.0, fps)
        return [f for f in frames if f.frame % step == 0]

    def expected(self, name: str, suffix: str = "") -> list[tuple[int, int, str, float]]:
        out = []
        for line in (self.hashes / f"{name}{suffix}.txt").read_text().splitlines():
            frame, quality, pdq, time = line.strip().split(",")
            out.append((int(frame), int(quality), pdq, float(time)))
        return out
