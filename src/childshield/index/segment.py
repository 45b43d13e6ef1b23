"""An immutable block of indexed codes: codes, ids, 16 hash tables, and a tombstone mask.

A segment is built once (``Segment.build``) or memory-mapped from a file
(``Segment.open``); afterwards only its tombstones change. The tables follow the layout in
``_kernels`` and docs/index-format.md.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from childshield.errors import IntegrityError
from childshield.index import _vectorised as V
from childshield.index.container import (
    KIND_SEGMENT,
    KIND_TOMBSTONES,
    map_sections,
    read_header,
    write_container,
)

_SECTIONS = {
    "codes": np.dtype("<u8"),
    "ids": np.dtype("<i8"),
    "offsets": np.dtype("<u4"),
    "positions": np.dtype("<u4"),
    "others": np.dtype("<u2"),
}
MAX_ROWS = (1 << 32) - 1


@dataclass
class Segment:
    """Codes (n, 4) uint64, ids (n,), tables, and ``dead`` (n,) bool tombstones."""

    name: str
    codes: np.ndarray
    ids: np.ndarray
    offsets: np.ndarray
    positions: np.ndarray
    others: np.ndarray
    dead: np.ndarray
    path: Path | None = None  # the file this segment is mapped from, if any
    header_crc: int = 0
    dead_dirty: bool = True  # tombstones changed since the last save
    n_dead: int = field(default=0)
    tomb_file: str | None = None  # the tombstone file last written or read for it

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @property
    def live(self) -> int:
        return len(self) - self.n_dead

    @classmethod
    def build(cls, codes64: np.ndarray, ids: np.ndarray) -> Segment:
        """Index ``codes64`` (n, 4) uint64 under ``ids``; O(n) per table (radix sort)."""
        n = codes64.shape[0]
        if n > MAX_ROWS:
            raise ValueError("a segment holds at most 2**32 - 1 codes")
        codes64 = np.ascontiguousarray(codes64, dtype=np.uint64)
        halves = codes64.view(np.uint16)
        offsets = np.empty((V.N_TABLES, V.N_KEYS + 1), np.uint32)
        positions = np.empty((V.N_TABLES, n), np.uint32)
        others = np.empty((V.N_TABLES, n), np.uint16)
        offsets[:, 0] = 0
        for t in range(V.N_TABLES):
            keys = halves[:, t]
            order = np.argsort(keys, kind="stable")  # radix sort for 16-bit keys
            np.cumsum(np.bincount(keys, minlength=V.N_KEYS), out=offsets[t, 1:])
            positions[t] = order
            others[t] = halves[order, t ^ 1]
        return cls(
            name=uuid.uuid4().hex,
            codes=codes64,
            ids=np.ascontiguousarray(ids, dtype=np.int64),
            offsets=offsets,
            positions=positions,
            others=others,
            dead=np.zeros(n, np.bool_),
        )

    def search(
        self,
        q64: np.ndarray,
        radius: int,
        plan: tuple[np.ndarray, np.ndarray, int, int] | None,
        batch: bool | None = None,
        engine: str = "numba",
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hits per query, ids, distances), grouped by query in order.

        ``plan`` None scans; otherwise the tables are probed, query by query or (``batch``,
        by default when the batch is large) by sweeping each table once for all queries.
        ``engine`` "numpy" runs the vectorised numpy path instead of the numba kernels.
        """
        if engine == "numpy":
            if plan is None:
                counts, rows, dists = V.scan_search(self.codes, self.dead, q64, radius)
            else:
                counts, rows, dists = V.probe_search(*self._probe_args(q64, radius, plan))
            return counts, self.ids[rows], dists
        from childshield.index import _kernels as K

        if plan is None:
            counts, rows, dists = K.scan_search(self.codes, self.dead, q64, radius)
        else:
            args = self._probe_args(q64, radius, plan)
            if batch is None:
                batch = q64.shape[0] * plan[0].shape[0] >= K.BATCH_MIN_PROBES
            if batch:
                qidx, rows, dists = K.batch_probe_search(*args)
                counts, rows, dists = V.ungrouped_to_grouped(qidx, rows, dists, q64.shape[0])
            else:
                counts, rows, dists = K.probe_search(*args)
        return counts, self.ids[rows], dists

    def _probe_args(
        self, q64: np.ndarray, radius: int, plan: tuple[np.ndarray, np.ndarray, int, int]
    ) -> tuple[Any, ...]:
        masks, weights, cr, hr = plan
        return (
            self.codes,
            self.codes.view(np.uint16),
            self.offsets,
            self.positions,
            self.others,
            self.dead,
            q64,
            q64.view(np.uint16),
            masks,
            weights,
            radius,
            cr,
            hr,
        )

    def kill(self, ids: np.ndarray) -> int:
        """Tombstone every live row whose id is in ``ids`` (sorted); returns how many."""
        hit = np.isin(self.ids, ids, assume_unique=False, kind="sort") & ~self.dead
        k = int(hit.sum())
        if k:
            if not self.dead.flags.writeable:
                self.dead = self.dead.copy()
            self.dead |= hit
            self.n_dead += k
            self.dead_dirty = True
        return k

    def live_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        keep = ~self.dead
        return self.codes[keep], self.ids[keep]

    # -- files ---------------------------------------------------------------------------
    @property
    def file_name(self) -> str:
        return f"seg-{self.name}.csx"

    def write(self, directory: Path) -> None:
        """Write the segment's file into ``directory`` (tombstones are written separately)."""
        target = directory / self.file_name
        crc = write_container(
            target,
            KIND_SEGMENT,
            len(self),
            {
                "codes": self.codes,
                "ids": self.ids,
                "offsets": self.offsets,
                "positions": self.positions,
                "others": self.others,
            },
        )
        self.header_crc = crc

    def write_tombstones(self, directory: Path, generation: int) -> str | None:
        """Write the dead rows (sorted uint32) to a new file; returns its name or None."""
        if not self.n_dead:
            return None
        name = f"dead-{self.name}-{generation:08d}.csx"
        rows = np.flatnonzero(self.dead).astype(np.uint32)
        write_container(directory / name, KIND_TOMBSTONES, rows.size, {"rows": rows})
        return name

    @classmethod
    def open(
        cls,
        path: Path,
        name: str,
        header_crc: int,
        tombstones: Path | None,
        mmap: bool = True,
        verify: bool = False,
    ) -> Segment:
        """Map a segment file (checking its header, shapes and identity)."""
        head = read_header(path, KIND_SEGMENT)
        if head.header_crc != header_crc:
            raise IntegrityError(f"{path.name}: not the segment the manifest names")
        arrays = map_sections(head, mmap, verify)
        for sec, dt in _SECTIONS.items():
            if sec not in arrays or arrays[sec].dtype != dt:
                raise IntegrityError(f"{path.name}: missing or mistyped section {sec}")
        n = head.count
        shapes = {
            "codes": (n, 4),
            "ids": (n,),
            "offsets": (V.N_TABLES, V.N_KEYS + 1),
            "positions": (V.N_TABLES, n),
            "others": (V.N_TABLES, n),
        }
        for sec, shape in shapes.items():
            if arrays[sec].shape != shape:
                raise IntegrityError(f"{path.name}: section {sec} has shape {arrays[sec].shape}")
        # The kernels trust offsets and positions: a hostile file must not steer them
        # outside the arrays. Offsets are checked here (cheap: 1M numbers); positions are
        # bounded by the offsets' last value == n and checked lazily below.
        off = arrays["offsets"]
        if n and (off[:, 0].any() or (off[:, -1] != n).any() or (np.diff(off, axis=1) > n).any()):
            raise IntegrityError(f"{path.name}: bucket offsets are inconsistent")
        dead = np.zeros(n, np.bool_)
        if tombstones is not None:
            t = read_header(tombstones, KIND_TOMBSTONES)
            rows = map_sections(t, False, True).get("rows")
            if rows is None or rows.ndim != 1 or (rows.size and int(rows.max()) >= n):
                raise IntegrityError(f"{tombstones.name}: tombstone rows out of range")
            dead[rows] = True
        seg = cls(
            name=name,
            codes=arrays["codes"],
            ids=arrays["ids"],
            offsets=off,
            positions=arrays["positions"],
            others=arrays["others"],
            dead=dead,
            path=path,
            header_crc=header_crc,
            dead_dirty=False,
            n_dead=int(dead.sum()),
        )
        if verify:
            seg.check_positions()
        return seg

    def check_positions(self) -> None:
        """Full structural check (reads every table): positions in range."""
        n = len(self)
        if n and int(self.positions.max()) >= n:
            raise IntegrityError(f"segment {self.name}: row positions out of range")
