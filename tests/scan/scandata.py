"""Benign drawn pictures for the scan tests (gradients and coloured shapes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def drawn_picture(seed: int, size: tuple[int, int] = (240, 180)) -> Image.Image:
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    angle = rng.uniform(0, np.pi)
    base = (np.cos(angle) * x + np.sin(angle) * y) * rng.uniform(0.5, 2.0)
    rgb = np.stack([base % 256, (base * 0.7 + 80) % 256, (255 - base) % 256], axis=2)
    image = Image.fromarray(rgb.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x0, y0 = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x0 + 40, y0 + 30), fill=colour)
        else:
            draw.rectangle((x0, y0, x0 + 30, y0 + 40), fill=colour)
    return image


def make_folder(root: Path, count: int, *, bad: bool = True) -> list[Path]:
    """``count`` drawn pictures in two sub-folders (plus two bad files if ``bad``)."""
    paths = []
    for i in range(count):
        folder = root / ("a" if i % 2 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"picture-{i:03d}.{'png' if i % 3 else 'jpg'}"
        drawn_picture(i).save(path)
        paths.append(path)
    if bad:
        (root / "empty.jpg").write_bytes(b"")
        (root / "notes.txt").write_text("not an image\n")
        paths += [root / "empty.jpg", root / "notes.txt"]
    return paths
