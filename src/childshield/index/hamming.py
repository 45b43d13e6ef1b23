"""HammingIndex: exact radius search over 256-bit codes, incremental, snapshot on disk.

The index is a short list of immutable *segments* (each with 16 multi-index hash tables,
see ``_kernels``) plus a small *buffer* of recent additions searched by brute force. When
the buffer fills it becomes a segment; a new segment at least half as large as the one
before it is merged into it, so the number of segments stays logarithmic and adding never
rebuilds the whole index (the amortised cost of an addition is O(log n)). Removals are
tombstones (one flag per entry), applied at once. ``compact()`` folds everything into one
segment without the removed entries.

A snapshot (``save``/``load``) is a directory: one immutable file per segment, one small
file per segment's tombstones, and a ``MANIFEST`` naming them, replaced atomically. Saving
after a few additions writes only the new segment and a new manifest; loading memory-maps
the segment files, so it costs milliseconds regardless of size (docs/index-format.md).

Not safe for concurrent writers: guard add/remove/save with a lock; searches may run in
parallel threads (the kernels release the GIL).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from math import comb
from pathlib import Path
from typing import Any

import numpy as np

from childshield.errors import InputError, IntegrityError, NotFoundError
from childshield.index import _vectorised as V
from childshield.index.codec import check_codes, from_words, to_words
from childshield.index.container import (
    KIND_MANIFEST,
    fsync_dir,
    map_sections,
    read_header,
    write_container,
)
from childshield.index.segment import Segment

BITS = 256
STRATEGIES = ("auto", "probe", "batch", "scan")
ENGINES = ("auto", "numba", "numpy")
BUFFER_LIMIT = 4096
MANIFEST = "MANIFEST"
_OWN_FILE = re.compile(r"^(seg-[0-9a-f]{32}\.csx|dead-[0-9a-f]{32}-\d{8}\.csx)$")

# Cost model (nanoseconds, measured on one core; see benchmarks/results/index.md) used to
# choose, per segment and radius, between probing the tables and scanning every code.
_NS_PER_PROBE = 12.0
_NS_PER_BUCKET_ENTRY = 0.8
_NS_PER_SURVIVOR = 12.0
_NS_PER_SCANNED_CODE = 1.3


@dataclass(frozen=True)
class SearchResult:
    """Hits of a batch of queries in CSR form: hits of query i are ``[offsets[i]:offsets[i+1]]``.

    Within a query, hits are sorted by distance, then id.
    """

    offsets: np.ndarray  # int64 (q + 1,)
    ids: np.ndarray  # int64 (total,)
    distances: np.ndarray  # int32 (total,)

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def for_query(self, i: int) -> list[tuple[int, int]]:
        """(id, distance) pairs of query ``i``, nearest first."""
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return list(zip(self.ids[a:b].tolist(), self.distances[a:b].tolist(), strict=True))


def _survive(budget: int) -> float:
    """Probability that a random 16-bit half is within ``budget`` of the query's."""
    return sum(comb(16, k) for k in range(max(budget, -1) + 1)) / 65536.0


@functools.lru_cache(maxsize=4096)
def plan_for(
    radius: int, n: int, strategy: str = "auto"
) -> tuple[np.ndarray, np.ndarray, int, int] | None:
    """Probe plan (masks, weights, chunk radius, half radius), or None to scan.

    ``strategy`` is "auto" (cost model), "probe", "batch" or "scan"; all are exact.
    Cached: the arrays returned are shared and must not be modified.
    """
    cr = radius // 8
    hr = min(cr // 2, 16)
    if strategy in ("probe", "batch"):
        return (*_masks(hr), cr, hr)
    if strategy == "scan" or n == 0 or radius >= BITS or hr > 6:
        return None
    per_bucket = n / 65536.0
    probes = 0.0
    survivors = 0.0
    for w in range(hr + 1):
        c = comb(16, w)
        probes += c
        survivors += c * per_bucket * _survive(cr - w)
    probe_cost = V.N_TABLES * (
        probes * (_NS_PER_PROBE + per_bucket * _NS_PER_BUCKET_ENTRY) + survivors * _NS_PER_SURVIVOR
    )
    if probe_cost >= n * _NS_PER_SCANNED_CODE:
        return None
    masks, weights = _masks(hr)
    return masks, weights, cr, hr


_MASKS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _masks(hr: int) -> tuple[np.ndarray, np.ndarray]:
    if hr not in _MASKS:
        _MASKS[hr] = V.probe_masks(hr)
    return _MASKS[hr]


class HammingIndex:
    """Exact near-duplicate index of 256-bit codes (e.g. PDQ) under int64 ids."""

    def __init__(self, buffer_limit: int = BUFFER_LIMIT) -> None:
        """``buffer_limit``: additions searched by brute force before they get tables."""
        self.buffer_limit = max(1, int(buffer_limit))
        self._segments: list[Segment] = []
        self._buf_codes: list[np.ndarray] = []  # (m, 4) uint64 blocks
        self._buf_ids: list[np.ndarray] = []
        self._buf_len = 0
        self.meta: dict[str, Any] = {}
        self.generation = 0

    # -- size ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return sum(s.live for s in self._segments) + self._buf_len

    def stats(self) -> dict[str, int]:
        """Live entries, tombstoned entries, segments and buffered entries."""
        return {
            "live": len(self),
            "tombstoned": sum(s.n_dead for s in self._segments),
            "segments": len(self._segments),
            "buffered": self._buf_len,
        }

    # -- writes ----------------------------------------------------------------------------
    def add(self, ids: np.ndarray, hashes: np.ndarray) -> None:
        """Add ``hashes`` (n, 32) uint8 under ``ids`` (n,) int64; ids may repeat."""
        codes = check_codes(hashes, "hashes")
        ids_arr = np.asarray(ids)
        if ids_arr.ndim != 1 or ids_arr.shape[0] != codes.shape[0]:
            raise InputError(
                f"ids: expected shape ({codes.shape[0]},) to match hashes, got {ids_arr.shape}"
            )
        if ids_arr.size and not np.issubdtype(ids_arr.dtype, np.integer):
            raise InputError(f"ids: expected integers, got {ids_arr.dtype}")
        if not codes.shape[0]:
            return
        self._buf_codes.append(to_words(codes))
        self._buf_ids.append(ids_arr.astype(np.int64, copy=True))
        self._buf_len += codes.shape[0]
        if self._buf_len >= self.buffer_limit:
            self._freeze()

    def _buffer(self) -> tuple[np.ndarray, np.ndarray]:
        if len(self._buf_codes) != 1:
            codes = (
                np.concatenate(self._buf_codes) if self._buf_codes else np.zeros((0, 4), np.uint64)
            )
            ids = np.concatenate(self._buf_ids) if self._buf_ids else np.zeros(0, np.int64)
            self._buf_codes, self._buf_ids = [codes], [ids]
        return self._buf_codes[0], self._buf_ids[0]

    def _freeze(self) -> None:
        """Turn the buffer into a segment and merge segments of similar size."""
        if not self._buf_len:
            return
        codes, ids = self._buffer()
        self._segments.append(Segment.build(codes, ids))
        self._buf_codes, self._buf_ids, self._buf_len = [], [], 0
        while len(self._segments) >= 2 and 2 * self._segments[-1].live >= self._segments[-2].live:
            newer = self._segments.pop()
            older = self._segments.pop()
            c1, i1 = older.live_arrays()
            c2, i2 = newer.live_arrays()
            self._segments.append(Segment.build(np.concatenate([c1, c2]), np.concatenate([i1, i2])))
        self._segments = [s for s in self._segments if s.live]

    def remove(self, ids: np.ndarray) -> int:
        """Tombstone every entry whose id is in ``ids``; returns how many entries went."""
        target = np.unique(np.asarray(ids, dtype=np.int64).ravel())
        if not target.size:
            return 0
        removed = sum(seg.kill(target) for seg in self._segments)
        if self._buf_len:
            codes, bids = self._buffer()
            keep = ~np.isin(bids, target)
            removed += int(self._buf_len - keep.sum())
            self._buf_codes, self._buf_ids = [codes[keep]], [bids[keep]]
            self._buf_len = int(keep.sum())
        return removed

    def compact(self) -> HammingIndex:
        """Fold all segments and the buffer into one segment, dropping removed entries."""
        parts = [s.live_arrays() for s in self._segments]
        if self._buf_len:
            parts.append(self._buffer())
        self._buf_codes, self._buf_ids, self._buf_len = [], [], 0
        self._segments = []
        if parts:
            codes = np.concatenate([p[0] for p in parts])
            ids = np.concatenate([p[1] for p in parts])
            if codes.shape[0]:
                self._segments = [Segment.build(codes, ids)]
        return self

    # -- search ----------------------------------------------------------------------------
    def search(
        self,
        queries: np.ndarray,
        radius: int = 31,
        strategy: str = "auto",
        engine: str = "auto",
    ) -> SearchResult:
        """Every entry within Hamming distance ``radius`` (inclusive) of each query.

        ``strategy``: "auto" picks, per segment, probing the tables or scanning all codes by
        a cost model, and probes a large batch by sweeping each table once for all queries;
        "probe" (query by query), "batch" and "scan" force one (for tests and benchmarks).
        ``engine``: "numba" (compiled kernels), "numpy" (vectorised, no JIT to load) or
        "auto" (numpy for small work until numba's load cost is earned back; see
        ``_vectorised.engine``). All are exact.
        """
        if strategy not in STRATEGIES:
            raise InputError(f"strategy: expected one of {', '.join(STRATEGIES)}, got {strategy!r}")
        if engine not in ENGINES:
            raise InputError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
        q = check_codes(queries, "queries")
        if isinstance(radius, bool) or not isinstance(radius, int | np.integer):
            raise InputError("radius: expected an integer")
        radius = int(radius)
        if not 0 <= radius <= BITS:
            raise InputError(f"radius: expected 0..{BITS}, got {radius}")
        q64 = to_words(q)
        nq = q64.shape[0]
        plans = [(s, plan_for(radius, len(s), strategy)) for s in self._segments if s.live]
        work = float(nq * self._buf_len * V.SCAN_PAIR_COST)  # in bucket entries filtered
        work += V.CALL_COST * (len(plans) + bool(self._buf_len))
        for seg, plan in plans:
            if plan is None:
                work += nq * len(seg) * V.SCAN_PAIR_COST
            else:
                work += nq * V.N_TABLES * plan[0].shape[0] * len(seg) / V.N_KEYS
        use = V.engine(work, engine) if nq else "numpy"
        batch = {"probe": False, "batch": True}.get(strategy)
        parts = [seg.search(q64, radius, plan, batch, use) for seg, plan in plans]
        if self._buf_len:
            codes, bids = self._buffer()
            dead = np.zeros(len(bids), np.bool_)
            if use == "numpy":
                counts, rows, dists = V.scan_search(codes, dead, q64, radius)
            else:
                from childshield.index import _kernels as K

                counts, rows, dists = K.scan_search(codes, dead, q64, radius)
            parts.append((counts, bids[rows], dists))
        return _combine(nq, parts)

    # -- snapshots -------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str], meta: Mapping[str, Any] | None = None) -> None:
        """Write a snapshot directory; only segments not already there are written."""
        directory = Path(path)
        if directory.exists() and not directory.is_dir():
            raise InputError(f"{directory}: a snapshot is a directory; a file is in the way")
        if meta is not None:
            try:
                json.dumps(dict(meta))
            except (TypeError, ValueError) as exc:
                raise InputError(f"meta: must be JSON-serialisable ({exc})") from exc
            self.meta = dict(meta)
        directory.mkdir(parents=True, exist_ok=True)
        self._freeze()
        manifest = directory / MANIFEST
        generation = max(self.generation, _read_generation(manifest)) + 1
        entries = []
        for seg in self._segments:
            target = directory / seg.file_name
            if seg.path is None or not target.exists():
                if seg.path is not None:
                    _link_or_copy(seg.path, target)
                else:
                    seg.write(directory)
                seg.path = target
                seg.dead_dirty = True
            tomb = seg.tomb_file
            if seg.dead_dirty or (tomb is not None and not (directory / tomb).exists()):
                tomb = seg.write_tombstones(directory, generation)
                seg.tomb_file = tomb
                seg.dead_dirty = False
            entries.append(
                {
                    "name": seg.name,
                    "file": seg.file_name,
                    "entries": len(seg),
                    "header_crc": seg.header_crc,
                    "tombstones": tomb,
                }
            )
        doc = {
            "format": "childshield-hamming-index",
            "bits": BITS,
            "generation": generation,
            "created": datetime.now(UTC).isoformat(),
            "segments": entries,
            "meta": self.meta,
        }
        body = np.frombuffer(json.dumps(doc, sort_keys=True).encode(), np.uint8)
        write_container(manifest, KIND_MANIFEST, len(entries), {"manifest": body})
        self.generation = generation
        _collect_garbage(directory, entries)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        mmap: bool = True,
        verify: bool = False,
        buffer_limit: int = BUFFER_LIMIT,
    ) -> HammingIndex:
        """Open a snapshot directory; ``mmap`` maps the segment files instead of reading them,
        ``verify`` also checks every section's CRC-32 (reads everything)."""
        directory = Path(path)
        if not (directory / MANIFEST).is_file():
            raise NotFoundError(f"{directory}: no index snapshot here (no {MANIFEST})")
        doc = _read_manifest(directory / MANIFEST)
        idx = cls(buffer_limit)
        idx.generation = int(doc["generation"])
        idx.meta = dict(doc.get("meta") or {})
        for entry in doc["segments"]:
            name, file, tomb = entry["name"], entry["file"], entry["tombstones"]
            if not (_OWN_FILE.match(file) and (tomb is None or _OWN_FILE.match(tomb))):
                raise IntegrityError(f"{MANIFEST}: unexpected file name in the manifest")
            seg = Segment.open(
                directory / file,
                name,
                int(entry["header_crc"]),
                directory / tomb if tomb else None,
                mmap=mmap,
                verify=verify,
            )
            seg.tomb_file = tomb
            idx._segments.append(seg)
        return idx

    # -- export ----------------------------------------------------------------------------
    def entries(self) -> tuple[np.ndarray, np.ndarray]:
        """All live (ids, hashes (n, 32) uint8), in no particular order."""
        parts = [s.live_arrays() for s in self._segments]
        if self._buf_len:
            parts.append(self._buffer())
        if not parts:
            return np.zeros(0, np.int64), np.zeros((0, 32), np.uint8)
        codes = np.concatenate([p[0] for p in parts])
        return np.concatenate([p[1] for p in parts]), from_words(codes)


def _combine(nq: int, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> SearchResult:
    """Hits of every source (grouped by query) -> one CSR result, each query's hits sorted
    by distance then id."""
    offsets = np.zeros(nq + 1, np.int64)
    if not parts:
        return SearchResult(offsets, np.zeros(0, np.int64), np.zeros(0, np.int32))
    if len(parts) == 1:
        counts, ids, dists = parts[0]
    else:
        counts = np.sum([p[0] for p in parts], axis=0)
        ids = np.concatenate([p[1] for p in parts])
        dists = np.concatenate([p[2] for p in parts])
    np.cumsum(counts, out=offsets[1:])
    ids = ids.astype(np.int64, copy=False)
    dists = dists.astype(np.int32, copy=False)
    if ids.size <= 1:
        return SearchResult(offsets, ids, dists)
    if nq == 1:
        order = np.lexsort((ids, dists))
    else:
        qidx = np.concatenate([np.repeat(np.arange(nq), p[0]) for p in parts])
        order = np.lexsort((ids, dists, qidx))
    return SearchResult(offsets, ids[order], dists[order])


def _read_manifest(path: Path) -> dict[str, Any]:
    head = read_header(path, KIND_MANIFEST)
    body = map_sections(head, mmap=False, verify=True).get("manifest")
    if body is None:
        raise IntegrityError(f"{path.name}: no manifest section")
    try:
        doc = json.loads(body.tobytes().decode())
        if doc.get("format") != "childshield-hamming-index" or doc.get("bits") != BITS:
            raise IntegrityError(f"{path.name}: not a 256-bit childshield index manifest")
        for e in doc["segments"]:
            _ = (e["name"], e["file"], int(e["header_crc"]), e["tombstones"])
        int(doc["generation"])
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"{path.name}: malformed manifest") from exc
    return dict(doc)


def _read_generation(manifest: Path) -> int:
    if not manifest.exists():
        return 0
    try:
        return int(_read_manifest(manifest)["generation"])
    except IntegrityError:
        return 0


def _link_or_copy(src: Path, dst: Path) -> None:
    import shutil

    tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}")
    try:
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(dst.parent)


def _collect_garbage(directory: Path, entries: list[dict[str, Any]]) -> None:
    """Delete segment and tombstone files the new manifest no longer names."""
    keep = {e["file"] for e in entries} | {e["tombstones"] for e in entries if e["tombstones"]}
    for p in directory.iterdir():
        if _OWN_FILE.match(p.name) and p.name not in keep:
            with contextlib.suppress(OSError):
                p.unlink()
