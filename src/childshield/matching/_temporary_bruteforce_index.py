"""TEMPORARY stand-in for ``childshield.index.HammingIndex`` until helper "index" lands it.

Same interface (``add``, ``remove``, ``search(queries, radius)`` returning CSR results,
``save``/``load``, ``len``), implemented as an exact numpy brute force: correct, but slow
at millions of indicators. Deleted once the real index is on main.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

CODE_BYTES = 32


def hex_to_bits(hexes: list[str]) -> npt.NDArray[np.uint8]:
    if not hexes:
        return np.zeros((0, CODE_BYTES), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(-1, CODE_BYTES)


def bits_to_hex(bits: npt.NDArray[np.uint8]) -> list[str]:
    return [bytes(row).hex() for row in np.asarray(bits, dtype=np.uint8)]


@dataclass
class SearchResult:
    offsets: npt.NDArray[np.int64]
    ids: npt.NDArray[np.int64]
    distances: npt.NDArray[np.int32]

    def for_query(self, i: int) -> list[tuple[int, int]]:
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        pairs = zip(self.ids[lo:hi].tolist(), self.distances[lo:hi].tolist(), strict=True)
        return sorted(pairs, key=lambda p: (p[1], p[0]))


class TemporaryBruteForceIndex:
    def __init__(self) -> None:
        self._ids = np.zeros(0, dtype=np.int64)
        self._codes = np.zeros((0, 4), dtype=np.uint64)
        self._live = np.zeros(0, dtype=bool)

    def __len__(self) -> int:
        return int(self._live.sum())

    def add(self, ids: npt.NDArray[np.int64], hashes: npt.NDArray[np.uint8]) -> None:
        codes = np.ascontiguousarray(hashes, dtype=np.uint8).view(np.uint64).reshape(-1, 4)
        self._ids = np.concatenate([self._ids, np.asarray(ids, dtype=np.int64)])
        self._codes = np.concatenate([self._codes, codes])
        self._live = np.concatenate([self._live, np.ones(len(codes), dtype=bool)])

    def remove(self, ids: npt.NDArray[np.int64]) -> None:
        self._live &= ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))

    def search(self, queries: npt.NDArray[np.uint8], radius: int = 31) -> SearchResult:
        q = np.ascontiguousarray(queries, dtype=np.uint8).view(np.uint64).reshape(-1, 4)
        offsets = [0]
        out_ids: list[npt.NDArray[np.int64]] = []
        out_d: list[npt.NDArray[np.int32]] = []
        for row in q:
            dist = np.bitwise_count(self._codes ^ row).sum(axis=1)
            hit = (dist <= radius) & self._live
            out_ids.append(self._ids[hit])
            out_d.append(dist[hit].astype(np.int32))
            offsets.append(offsets[-1] + int(hit.sum()))
        return SearchResult(
            np.asarray(offsets, dtype=np.int64),
            np.concatenate(out_ids) if out_ids else np.zeros(0, dtype=np.int64),
            np.concatenate(out_d) if out_d else np.zeros(0, dtype=np.int32),
        )

    def save(self, path: Path) -> None:
        with Path(path).open("wb") as handle:
            np.savez(handle, ids=self._ids, codes=self._codes, live=self._live)

    @classmethod
    def load(cls, path: Path, mmap: bool = True) -> TemporaryBruteForceIndex:
        index = cls()
        with np.load(Path(path), allow_pickle=False) as data:
            index._ids, index._codes, index._live = data["ids"], data["codes"], data["live"]
        return index


__all__ = ["TemporaryBruteForceIndex", "bits_to_hex", "hex_to_bits"]
