"""Robustness variants of a video frame: letterbox/pillarbox bars removed, and halves.

Plain vPDQ (a PDQ of the whole frame) does not survive two common edits: black bars added to
fit another aspect ratio (every pixel moves), and a large overlay (a logo or caption covering a
quarter of the frame). Besides the conformant ``frame`` hash, the indicator and query sides
both hash, per sampled frame:

* ``frame:trim``: the frame with uniform dark bars removed (rows/columns whose brightest pixel
  is at most ``BAR_LUMA``), when bars were found;
* ``frame:left``, ``frame:right``, ``frame:top``, ``frame:bottom``: halves of the trimmed
  frame, so an overlay on one side leaves the other half matching.

A query variant is only compared with the same kind of indicator variant (``frame`` and
``frame:trim`` both count as whole frames); see :func:`compatible`. Variants below PDQ quality
50 or identical to the whole-frame hash are left out.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from childshield.signals.video_pdq import pdq_hex_from_luma

BAR_LUMA = 24.0
MIN_CONTENT_SHARE = 0.5
"""Trim only when at least this share of each side remains (a dark scene is not a bar)."""
QUALITY_MIN = 50
WHOLE = frozenset({"frame", "frame:trim", "full"})
HALVES = ("left", "right", "top", "bottom")


def trim_bars(luma: npt.NDArray[np.float32]) -> npt.NDArray[np.float32] | None:
    """The frame without dark bars at its edges, or None when there are none to remove."""
    rows, cols = luma.shape
    bright_cols = np.flatnonzero(luma.max(axis=0) > BAR_LUMA)
    bright_rows = np.flatnonzero(luma.max(axis=1) > BAR_LUMA)
    if bright_cols.size == 0 or bright_rows.size == 0:
        return None
    top, bottom = int(bright_rows[0]), int(bright_rows[-1]) + 1
    left, right = int(bright_cols[0]), int(bright_cols[-1]) + 1
    if (top, bottom, left, right) == (0, rows, 0, cols):
        return None
    if bottom - top < MIN_CONTENT_SHARE * rows or right - left < MIN_CONTENT_SHARE * cols:
        return None
    return luma[top:bottom, left:right]


def frame_variants(luma: npt.NDArray[np.float32], whole: str) -> dict[str, tuple[str, int]]:
    """Variant label -> (pdq hex, quality) for one frame whose whole-frame hash is ``whole``."""
    out: dict[str, tuple[str, int]] = {}
    trimmed = trim_bars(luma)
    base = luma if trimmed is None else trimmed
    if trimmed is not None:
        out["frame:trim"] = pdq_hex_from_luma(trimmed)
    h, w = base.shape
    halves = {
        "left": base[:, : w // 2],
        "right": base[:, w // 2 :],
        "top": base[: h // 2],
        "bottom": base[h // 2 :],
    }
    for name, part in halves.items():
        out[f"frame:{name}"] = pdq_hex_from_luma(part)
    return {
        k: v for k, v in out.items() if v[1] >= QUALITY_MIN and v[0] != whole
    }


def kind(variant: str) -> str:
    """``whole`` for whole-frame (or whole-image) hashes, else the half's name."""
    if variant in WHOLE or not variant.startswith("frame:"):
        return "whole"
    return variant.split(":", 1)[1]


def compatible(query_variant: str, index_variant: str) -> bool:
    """Whether a hit between these two variants counts (same kind of picture)."""
    return kind(query_variant) == kind(index_variant)


__all__ = ["BAR_LUMA", "compatible", "frame_variants", "kind", "trim_bars"]
