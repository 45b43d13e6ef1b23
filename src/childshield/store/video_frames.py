"""Frame rows of video indicators, for video match aggregation (reads only)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from childshield.store.models.banks import IndicatorHash

CHUNK = 500


def frame_rows(
    session: Session, indicator_ids: Collection[int]
) -> dict[int, dict[int, tuple[str, int | None, float | None]]]:
    """indicator id -> {hash row id: (frame key, quality, time)} for indicators that have
    ``frame`` rows (video indicators). The frame key is the whole-frame hash of the row's
    frame, so a variant row (``frame:trim``...) counts toward the frame it was cut from."""
    ids = sorted(set(indicator_ids))
    out: dict[int, dict[int, tuple[str, int | None, float | None]]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = session.execute(
            select(
                IndicatorHash.id,
                IndicatorHash.indicator_id,
                IndicatorHash.value,
                IndicatorHash.variant,
                IndicatorHash.frame,
                IndicatorHash.time,
                IndicatorHash.quality,
            ).where(
                IndicatorHash.indicator_id.in_(chunk),
                IndicatorHash.variant.like("frame%"),
            )
        ).all()
        whole = {(r[1], r[4]): r[2] for r in rows if r[3] == "frame"}
        for hid, ind, value, _variant, frame, time, quality in rows:
            key = whole.get((ind, frame), value)
            out.setdefault(ind, {})[hid] = (key, quality, time)
    return out


__all__ = ["frame_rows"]
