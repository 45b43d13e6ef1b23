"""Benign test media for the signals tests: scikit-image samples, drawn shapes, crafted
hostile file headers (no real content of any kind)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def skimage_photo(name: str, size: tuple[int, int]) -> Image.Image:
    """A scikit-image sample picture (benign: astronaut, coffee, brick...) resized to ``size``."""
    import skimage.data

    array = getattr(skimage.data, name)()
    if array.dtype != np.uint8:
        array = (array * 255).astype(np.uint8) if array.max() <= 1 else array.astype(np.uint8)
    image = Image.fromarray(array)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    return image.resize(size, Image.Resampling.BICUBIC)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    return buf.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF
    )


def png_header_only(width: int, height: int, color_type: int = 2) -> bytes:
    """A PNG whose header claims width x height pixels, with a tiny (incomplete) IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + png_chunk(b"IEND", b""))


def png_bomb(width: int, height: int, color_type: int = 0) -> bytes:
    """A valid, highly compressible PNG (all zero) of width x height pixels; colour type 0 is
    grey, 2 RGB, 6 RGBA."""
    channels = {0: 1, 2: 3, 6: 4}[color_type]
    comp = zlib.compressobj(9)
    row = b"\x00" * (width * channels + 1)
    parts = [comp.compress(row) for _ in range(height)]
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", b"".join(parts)) + png_chunk(b"IEND", b""))
