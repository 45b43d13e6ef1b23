"""Plain-numpy brute-force radius search: the oracle tests and benchmarks check against.

Deliberately independent of the numba kernels (byte-wise popcount table, no tables, no
pigeonhole), and slow: use it for checking, not for serving.
"""

from __future__ import annotations

import numpy as np

from childshield.index.codec import check_codes
from childshield.index.hamming import SearchResult

_POP8 = np.array([bin(i).count("1") for i in range(256)], np.int32)


def distances(codes: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Hamming distance of one (32,) uint8 query to every row of (n, 32) uint8 codes."""
    d: np.ndarray = _POP8[np.bitwise_xor(codes, query[None, :])].sum(axis=1)
    return d


def brute_force_search(
    ids: np.ndarray, codes: np.ndarray, queries: np.ndarray, radius: int
) -> SearchResult:
    """Exactly what ``HammingIndex.search`` must return, computed the obvious way."""
    codes = check_codes(codes, "codes")
    queries = check_codes(queries, "queries")
    ids = np.asarray(ids, np.int64)
    out_ids, out_d, offsets = [], [], [0]
    for q in queries:
        d = distances(codes, q) if len(codes) else np.zeros(0, np.int32)
        hit = np.flatnonzero(d <= radius)
        order = np.lexsort((ids[hit], d[hit]))
        out_ids.append(ids[hit][order])
        out_d.append(d[hit][order].astype(np.int32))
        offsets.append(offsets[-1] + hit.size)
    return SearchResult(
        np.asarray(offsets, np.int64),
        np.concatenate(out_ids) if out_ids else np.zeros(0, np.int64),
        np.concatenate(out_d) if out_d else np.zeros(0, np.int32),
    )
