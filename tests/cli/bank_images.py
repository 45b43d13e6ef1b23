"""Benign images drawn for the bank and match tests (shapes on gradients; see SAFETY.md)."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw


def draw_scene(path: Path, seed: int, size: tuple[int, int] = (320, 240)) -> Path:
    """A gradient with a few random filled shapes: a distinct, high-quality PDQ image."""
    rng = random.Random(seed)
    width, height = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    tint = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    image = Image.blend(image, tint, 0.5)
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x0, y0 = rng.randrange(width - 40), rng.randrange(height - 40)
        box = (x0, y0, x0 + rng.randrange(30, width // 2), y0 + rng.randrange(30, height // 2))
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    image.save(path)
    return path


def edited(source: Path, target: Path, *, scale: float = 1.0, quality: int = 95) -> Path:
    """A resized and JPEG-recompressed copy."""
    with Image.open(source) as image:
        w, h = image.size
        copy = image.convert("RGB").resize((int(w * scale), int(h * scale)))
    copy.save(target, "JPEG", quality=quality)
    return target


def flat(path: Path) -> Path:
    """A uniform image: PDQ quality 0, so no PDQ indicator is made from it."""
    Image.new("RGB", (200, 200), (120, 120, 120)).save(path)
    return path
