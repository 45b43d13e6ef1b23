"""TEMPORARY stand-in for ``childshield.signals.hashing.hash_file`` (helper "signals") until
it is merged to main: the same record shape for still images, through pdqhash directly.
Deleted once the real one is on main."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np


def hash_file(path: str | Path, *, frame_interval: float = 1.0) -> dict[str, Any]:
    import pdqhash
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    try:
        data = p.read_bytes()
        if not data:
            return {
                "path": str(path),
                "error": "empty file (0 bytes)",
                "error_type": "corrupt-media",
            }
        with Image.open(p) as image:
            pixels = np.asarray(image.convert("RGB"))
    except (OSError, UnidentifiedImageError) as exc:
        return {
            "path": str(path),
            "error": f"cannot read image: {exc}",
            "error_type": "corrupt-media",
        }
    vector, quality = pdqhash.compute(pixels)
    bits = np.packbits(vector.astype(np.uint8)).tobytes()
    return {
        "path": str(path),
        "media": "image",
        "md5": hashlib.md5(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "pdq": bits.hex(),
        "quality": int(quality),
    }
