"""Numba hot loops of the Hamming index (compiled once, cached on disk).

Layout the kernels rely on (see docs/index-format.md):

* a 256-bit code is 32 bytes, viewed as 4 ``uint64`` words (full distance) or as
  16 ``uint16`` *halves*; halves ``2c`` and ``2c+1`` form the 32-bit *chunk* ``c``;
* table ``t`` (0..15) is keyed by half ``t``: ``offsets[t, key]..offsets[t, key+1]`` is the
  bucket of rows whose half ``t`` equals ``key``; ``positions[t, j]`` is the row and
  ``others[t, j]`` the *other* half of the same chunk (half ``t ^ 1``), stored inline so most
  bucket entries are rejected without touching the full code.

Exactness (two-level pigeonhole): if ``d(q, x) <= r`` then some chunk has distance
``<= cr = r // 8`` and, inside it, some half has distance ``<= hr = cr // 2``. Probing every
key within ``hr`` of the query's half in every table and keeping entries whose chunk distance
is ``<= cr`` therefore reaches every code within ``r``. A code reachable from several tables is
reported only from the first one that reaches it (``_first_table``), so results have no
duplicates and no dedup pass is needed.

Why one module of ~700 lines rather than several: numba's on-disk cache is invalidated per
source file, so a kernel cached in one file that inlines a helper from another keeps the old
helper after the helper's file changes. Keeping every compiled function in this file keeps
the cache honest. The layout constants come from ``_vectorised`` (the numpy path, which
needs no numba): they are part of the file format and never change.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from childshield.index._vectorised import N_KEYS, N_TABLES, probe_masks, ungrouped_to_grouped

BLOCK = 2048  # bucket entries filtered per vector pass
CANDIDATES = 4096  # bucket survivors collected before their full check
AHEAD = 8  # buckets prefetched ahead of the one being filtered
BATCH_MIN_PROBES = 4096  # (queries x probes) from which a batch sweeps the tables
SCAN_BLOCK = 2048  # codes (64 KiB) every query passes over while they are in cache


def _ctpop64_typer(typingctx: Any, x: Any) -> Any:  # pragma: no cover - compiled by numba
    """LLVM ``ctpop`` on a uint64 (one POPCNT instruction on x86-64)."""
    sig = types.uint64(types.uint64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
        return builder.call(fn, [args[0]])

    return sig, codegen


_ctpop64: Any = intrinsic(_ctpop64_typer)


def _ctpop16_typer(typingctx: Any, x: Any) -> Any:  # pragma: no cover - compiled by numba
    """LLVM ``ctpop`` on a uint16 (vectorises to VPOPCNTW where AVX-512 BITALG exists)."""
    sig = types.uint16(types.uint16)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(16)])
        return builder.call(fn, [args[0]])

    return sig, codegen


_ctpop16: Any = intrinsic(_ctpop16_typer)


def _prefetch_typer(typingctx: Any, arr: Any, i: Any, j: Any) -> Any:  # pragma: no cover
    """Hint the CPU to fetch ``arr[i, j]`` into cache (LLVM ``prefetch``; no fault if out)."""
    sig = types.void(arr, i, j)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        idx = [
            context.cast(builder, args[1], signature.args[1], types.intp),
            context.cast(builder, args[2], signature.args[2], types.intp),
        ]
        ptr = cgutils.get_item_pointer(  # type: ignore[no-untyped-call]
            context, builder, aryty, ary, idx, wraparound=False
        )
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [i8p], fnty)
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


prefetch: Any = intrinsic(_prefetch_typer)


@njit(cache=True, nogil=True, inline="always")
def popcount(x: Any) -> Any:  # pragma: no cover - compiled by numba
    return np.int64(_ctpop64(np.uint64(x)))


@njit(cache=True, nogil=True, inline="always")
def _distance(codes: Any, row: Any, queries: Any, i: Any) -> Any:  # pragma: no cover
    # 2-D indexing, never row views: a view costs a reference-count round trip per code.
    return (
        popcount(codes[row, 0] ^ queries[i, 0])
        + popcount(codes[row, 1] ^ queries[i, 1])
        + popcount(codes[row, 2] ^ queries[i, 2])
        + popcount(codes[row, 3] ^ queries[i, 3])
    )


@njit(cache=True, nogil=True, inline="always")
def _first_table(
    codes16: Any, row: Any, q16: Any, i: Any, t: Any, hr: Any, cr: Any
) -> Any:  # pragma: no cover
    """True when table ``t`` is the first table that reaches this code (dedup rule)."""
    for u in range(t):
        if popcount(codes16[row, u] ^ q16[i, u]) <= hr:
            c = 2 * (u >> 1)
            dc = popcount(codes16[row, c] ^ q16[i, c]) + popcount(
                codes16[row, c + 1] ^ q16[i, c + 1]
            )
            if dc <= cr:
                return False
    return True


@njit(cache=True, nogil=True)
def _verify(
    codes64: Any,
    codes16: Any,
    positions: Any,
    dead: Any,
    queries64: Any,
    queries16: Any,
    i: int,
    radius: int,
    cr: int,
    hr: int,
    cand_t: Any,
    cand_j: Any,
    nc: int,
    rows: Any,
    dists: Any,
    n_out: int,
    found: int,
) -> int:  # pragma: no cover - compiled by numba
    """Full-distance check of ``nc`` bucket survivors; returns the updated hit count."""
    n_rows = codes64.shape[0]
    cap = rows.shape[0]
    for k in range(nc):  # resolve rows first and prefetch their codes: misses overlap
        row = np.int64(positions[cand_t[k], cand_j[k]])
        cand_j[k] = row
        if row < n_rows:
            prefetch(codes64, row, 0)
    for k in range(nc):
        row = cand_j[k]
        if row >= n_rows:  # only a corrupt file gets here; never read outside
            continue
        d = _distance(codes64, row, queries64, i)
        if (
            d <= radius
            and not dead[row]
            and _first_table(codes16, row, queries16, i, cand_t[k], hr, cr)
        ):
            if n_out + found < cap:
                rows[n_out + found] = row
                dists[n_out + found] = d
            found += 1
    return found


@njit(cache=True, nogil=True, inline="always")
def _prefetch_bucket(others: Any, se: Any, k: Any, n_probes: Any) -> None:  # pragma: no cover
    t = k // n_probes
    for j in range(se[0, k], min(se[1, k], se[0, k] + 8 * 32), 32):
        prefetch(others, t, j)


@njit(cache=True, nogil=True, inline="always")
def _filter_block(
    others: Any, tu: Any, base: Any, m: Any, qo: Any, budget: Any, flags: Any
) -> None:  # pragma: no cover - compiled by numba
    """flags[j] = entry base+j of table tu is within ``budget`` of ``qo`` (j < m), then zero
    flags up to the next multiple of 8 so they can be read 8 at a time as uint64.

    Unsigned indices: numba then emits no negative-index fix-ups and LLVM vectorises the
    loop (one AVX-512 VPOPCNTW per 32 entries), about 10x faster than signed indexing.
    """
    for j in range(m):
        flags[j] = _ctpop16(others[tu, base + j] ^ qo) <= budget
    for j in range(m, (m + np.uint64(7)) & np.uint64(~7 & 0xFFFF)):
        flags[j] = 0


@njit(cache=True, nogil=True)
def _probe_one(
    codes64: Any,
    codes16: Any,
    offsets: Any,
    positions: Any,
    others: Any,
    dead: Any,
    queries64: Any,
    queries16: Any,
    i: int,
    masks: Any,
    weights: Any,
    radius: int,
    cr: int,
    hr: int,
    rows: Any,
    dists: Any,
    n_out: int,
    scratch: Any,
) -> int:  # pragma: no cover - compiled by numba
    """Hits of query ``i`` written from ``n_out`` on while room lasts; returns how many.

    Four passes, each issuing its memory accesses before it needs them (the index is far
    larger than the caches, so latency, not arithmetic, is the cost): bucket offsets, bucket
    contents, survivors' row numbers, survivors' codes.
    """
    se, flags, flags64, cand_t, cand_j = scratch
    n_probes = masks.shape[0]
    k = 0
    for t in range(N_TABLES):
        qh = queries16[i, t]
        for p in range(n_probes):
            prefetch(offsets, t, np.int64(qh ^ masks[p]))
    for t in range(N_TABLES):
        qh = queries16[i, t]
        for p in range(n_probes):
            key = np.int64(qh ^ masks[p])
            start = np.int64(offsets[t, key])
            end = np.int64(offsets[t, key + 1])
            se[0, k] = start
            se[1, k] = end
            k += 1
    n_buckets = k
    for k in range(min(AHEAD, n_buckets)):
        _prefetch_bucket(others, se, k, n_probes)
    k = 0
    nc = 0
    found = 0
    for t in range(N_TABLES):
        tu = np.uint64(t)
        qo = queries16[i, t ^ 1]
        for p in range(n_probes):
            budget = cr - weights[p]
            b0 = se[0, k]
            end = se[1, k]
            if k + AHEAD < n_buckets:  # a steady number of buckets in flight
                _prefetch_bucket(others, se, k + AHEAD, n_probes)
            k += 1
            while b0 < end:
                base = np.uint64(b0)
                m = np.uint64(min(int(end - b0), BLOCK))
                _filter_block(others, tu, base, m, qo, budget, flags)
                for w in range((m + np.uint64(7)) >> np.uint64(3)):
                    if flags64[w] != 0:
                        for bit in range(8):
                            jj = (w << np.uint64(3)) + np.uint64(bit)
                            if flags[jj]:
                                prefetch(positions, t, base + jj)
                                cand_t[nc] = t
                                cand_j[nc] = np.int64(base + jj)
                                nc += 1
                                if nc == cand_t.shape[0]:
                                    found = _verify(
                                        codes64,
                                        codes16,
                                        positions,
                                        dead,
                                        queries64,
                                        queries16,
                                        i,
                                        radius,
                                        cr,
                                        hr,
                                        cand_t,
                                        cand_j,
                                        nc,
                                        rows,
                                        dists,
                                        n_out,
                                        found,
                                    )
                                    nc = 0
                b0 += np.int64(m)
    return _verify(
        codes64,
        codes16,
        positions,
        dead,
        queries64,
        queries16,
        i,
        radius,
        cr,
        hr,
        cand_t,
        cand_j,
        nc,
        rows,
        dists,
        n_out,
        found,
    )


@njit(cache=True, nogil=True)
def _scan_blocks(
    codes64: Any,
    dead: Any,
    queries64: Any,
    radius: int,
    b_start: int,
    i_start: int,
    out_q: Any,
    out_rows: Any,
    out_d: Any,
    n_out: int,
) -> Any:  # pragma: no cover - compiled by numba
    """Scan codes block by block (a block stays in cache while every query passes over it).

    Stops early, between (block, query) pairs, when the output might not have room for
    another pair; returns (n_out, next block start, next query) so the caller can grow the
    output and resume. Returns next block start == n when done.
    """
    n = codes64.shape[0]
    nq = queries64.shape[0]
    cap = min(out_q.shape[0], out_rows.shape[0], out_d.shape[0])
    for b0 in range(b_start, n, SCAN_BLOCK):
        b1 = min(b0 + SCAN_BLOCK, n)
        for i in range(i_start if b0 == b_start else 0, nq):
            if cap - n_out < b1 - b0:
                return n_out, b0, i
            for row in range(b0, b1):
                d = _distance(codes64, row, queries64, i)
                if d <= radius and not dead[row]:
                    out_q[n_out] = i
                    out_rows[n_out] = row
                    out_d[n_out] = d
                    n_out += 1
    return n_out, n, 0


@njit(cache=True, nogil=True)
def _room(rows: Any, dists: Any, n_out: int, need: int) -> Any:  # pragma: no cover
    size = max(2 * rows.shape[0], n_out + need + 1024)
    r = np.empty(size, rows.dtype)
    d = np.empty(size, dists.dtype)
    r[:n_out] = rows[:n_out]
    d[:n_out] = dists[:n_out]
    return r, d


@njit(cache=True, nogil=True)
def probe_search(
    codes64: Any,  # (n, 4) uint64
    codes16: Any,  # (n, 16) uint16, same memory
    offsets: Any,  # (16, 65537) uint32
    positions: Any,  # (16, n) uint32
    others: Any,  # (16, n) uint16
    dead: Any,  # (n,) bool
    queries64: Any,  # (q, 4) uint64
    queries16: Any,  # (q, 16) uint16
    masks: Any,  # (p,) uint16, probe masks sorted by weight
    weights: Any,  # (p,) int64
    radius: int,
    cr: int,
    hr: int,
) -> Any:  # pragma: no cover - compiled by numba
    """Multi-index search; returns (counts per query, rows, distances)."""
    nq = queries64.shape[0]
    counts = np.zeros(nq, np.int64)
    rows = np.empty(4096, np.int64)
    dists = np.empty(4096, np.int32)
    n_out = 0
    flags = np.zeros(BLOCK + 8, np.uint8)
    scratch = (
        np.empty((2, N_TABLES * masks.shape[0]), np.int64),
        flags,
        flags.view(np.uint64),
        np.empty(CANDIDATES, np.int64),
        np.empty(CANDIDATES, np.int64),
    )
    for i in range(nq):
        args = (codes64, codes16, offsets, positions, others, dead, queries64, queries16, i)
        found = _probe_one(*args, masks, weights, radius, cr, hr, rows, dists, n_out, scratch)
        if n_out + found > rows.shape[0]:  # rare: grow, then run this query again
            rows, dists = _room(rows, dists, n_out, found)
            _probe_one(*args, masks, weights, radius, cr, hr, rows, dists, n_out, scratch)
        counts[i] = found
        n_out += found
    return counts, rows[:n_out], dists[:n_out]


@njit(cache=True, nogil=True)
def _grow3(a: Any, b: Any, c: Any, n: int) -> Any:  # pragma: no cover - compiled by numba
    size = 2 * a.shape[0]
    a2, b2, c2 = np.empty(size, a.dtype), np.empty(size, b.dtype), np.empty(size, c.dtype)
    a2[:n] = a[:n]
    b2[:n] = b[:n]
    c2[:n] = c[:n]
    return a2, b2, c2


@njit(cache=True, nogil=True)
def _scan_all(codes64: Any, dead: Any, queries64: Any, radius: int) -> Any:  # pragma: no cover
    size = 4096 + SCAN_BLOCK
    out_q = np.empty(size, np.int64)
    out_rows = np.empty(size, np.int64)
    out_d = np.empty(size, np.int32)
    n_out, b0, i = 0, 0, 0
    while True:
        n_out, b0, i = _scan_blocks(
            codes64, dead, queries64, radius, b0, i, out_q, out_rows, out_d, n_out
        )
        if b0 >= codes64.shape[0]:
            return out_q[:n_out], out_rows[:n_out], out_d[:n_out]
        out_q, out_rows, out_d = _grow3(out_q, out_rows, out_d, n_out)


def scan_search(
    codes64: np.ndarray, dead: np.ndarray, queries64: np.ndarray, radius: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exhaustive scan; returns (counts per query, rows, distances) grouped by query."""
    qidx, rows, dists = _scan_all(codes64, dead, queries64, radius)
    return ungrouped_to_grouped(qidx, rows, dists, queries64.shape[0])


def warmup() -> None:
    """Compile (or load from numba's on-disk cache) every kernel on tiny inputs."""
    codes = np.zeros((2, 4), np.uint64)
    dead = np.zeros(2, np.bool_)
    offsets = np.zeros((N_TABLES, N_KEYS + 1), np.uint32)
    offsets[:, 1:] = 2
    positions = np.zeros((N_TABLES, 2), np.uint32)
    positions[:, 1] = 1
    others = np.zeros((N_TABLES, 2), np.uint16)
    masks, weights = probe_masks(1)
    probe_search(
        codes,
        codes.view(np.uint16),
        offsets,
        positions,
        others,
        dead,
        codes[:1],
        codes[:1].view(np.uint16),
        masks,
        weights,
        31,
        3,
        1,
    )
    scan_search(codes, dead, codes[:1], 31)


# ---------------------------------------------------------------------------------------
# Batch mode: many queries at once. For each table, the (query, probe) keys of the whole
# batch are sorted (counting sort on 16 bits) and the table is swept in key order: buckets
# are read in address order (the hardware streams them) and a bucket probed by several
# queries is filtered while it is in cache. Results come grouped by table, not by query.


@njit(cache=True, nogil=True)
def _sweep(
    t: int,
    order: Any,
    keys: Any,
    n_probes: int,
    offsets: Any,
    others: Any,
    queries16: Any,
    weights: Any,
    cr: int,
    start: int,
    b_start: int,
    cand_i: Any,
    cand_j: Any,
    flags: Any,
    flags64: Any,
) -> Any:  # pragma: no cover - compiled by numba
    """Filter buckets for probes ``order[start:]`` of table ``t`` into the candidate buffer.

    Returns (next probe, next block start within its bucket, candidates written); stops
    early when the buffer might not hold another block.
    """
    cap = cand_i.shape[0]
    nc = 0
    tu = np.uint64(t)
    for o in range(start, order.shape[0]):
        idx = order[o]
        i = idx // n_probes
        key = np.int64(keys[idx])
        qo = queries16[i, t ^ 1]
        budget = cr - weights[idx - i * n_probes]
        end = np.int64(offsets[t, key + 1])
        b0 = b_start if o == start and b_start > 0 else np.int64(offsets[t, key])
        while b0 < end:
            if cap - nc < BLOCK:
                return o, b0, nc
            base = np.uint64(b0)
            m = np.uint64(min(int(end - b0), BLOCK))
            _filter_block(others, tu, base, m, qo, budget, flags)
            for w in range((m + np.uint64(7)) >> np.uint64(3)):
                if flags64[w] != 0:
                    for bit in range(8):
                        jj = (w << np.uint64(3)) + np.uint64(bit)
                        if flags[jj]:
                            cand_i[nc] = i
                            cand_j[nc] = np.int64(base + jj)
                            nc += 1
            b0 += np.int64(m)
    return order.shape[0], 0, nc


@njit(cache=True, nogil=True)
def _verify_batch(
    t: int,
    codes64: Any,
    codes16: Any,
    positions: Any,
    dead: Any,
    queries64: Any,
    queries16: Any,
    radius: int,
    cr: int,
    hr: int,
    cand_i: Any,
    cand_j: Any,
    nc: int,
    k_start: int,
    out_q: Any,
    out_rows: Any,
    out_d: Any,
    n_out: int,
) -> Any:  # pragma: no cover - compiled by numba
    """Full check of candidates ``k_start..nc`` of table ``t`` (``cand_j`` holds rows, see
    ``_resolve``); returns (n_out, next k), stopping early when the output is full."""
    n_rows = codes64.shape[0]
    cap = min(out_q.shape[0], out_rows.shape[0], out_d.shape[0])
    for k in range(k_start, nc):
        if k + 8 < nc and cand_j[k + 8] < n_rows:
            prefetch(codes64, cand_j[k + 8], 0)
        row = cand_j[k]
        if row >= n_rows:  # only a corrupt file gets here; never read outside
            continue
        i = cand_i[k]
        d = _distance(codes64, row, queries64, i)
        if d <= radius and not dead[row] and _first_table(codes16, row, queries16, i, t, hr, cr):
            if n_out == cap:
                return n_out, k
            out_q[n_out] = i
            out_rows[n_out] = row
            out_d[n_out] = d
            n_out += 1
    return n_out, nc


@njit(cache=True, nogil=True)
def _resolve(t: int, positions: Any, cand_j: Any, nc: int) -> None:  # pragma: no cover
    """Table entry numbers -> row numbers, in place (prefetching ahead)."""
    for k in range(nc):
        if k + 16 < nc:
            prefetch(positions, t, cand_j[k + 16])
        cand_j[k] = np.int64(positions[t, cand_j[k]])


@njit(cache=True, nogil=True)
def _probe_keys(queries16: Any, t: int, masks: Any, keys: Any, order: Any) -> None:
    """Every (query, probe) key of table ``t``, and their order by key (counting sort)."""
    n_probes = masks.shape[0]
    counts = np.zeros(N_KEYS + 1, np.int64)
    for i in range(queries16.shape[0]):
        qh = queries16[i, t]
        for p in range(n_probes):
            key = qh ^ masks[p]
            keys[i * n_probes + p] = key
            counts[np.int64(key) + 1] += 1
    for k in range(N_KEYS):
        counts[k + 1] += counts[k]
    for idx in range(keys.shape[0]):
        key = np.int64(keys[idx])
        order[counts[key]] = idx
        counts[key] += 1


@njit(cache=True, nogil=True)
def batch_probe_search(
    codes64: Any,
    codes16: Any,
    offsets: Any,
    positions: Any,
    others: Any,
    dead: Any,
    queries64: Any,
    queries16: Any,
    masks: Any,
    weights: Any,
    radius: int,
    cr: int,
    hr: int,
) -> Any:  # pragma: no cover - compiled by numba
    """Same answer as ``probe_search``; returns (query index, rows, distances) ungrouped."""
    n_probes = masks.shape[0]
    m = queries16.shape[0] * n_probes
    keys = np.empty(m, np.uint16)
    order = np.empty(m, np.int64)
    cand_i = np.empty(1 << 16, np.int64)
    cand_j = np.empty(1 << 16, np.int64)
    flags = np.zeros(BLOCK + 8, np.uint8)
    flags64 = flags.view(np.uint64)
    out_q = np.empty(4096, np.int64)
    out_rows = np.empty(4096, np.int64)
    out_d = np.empty(4096, np.int32)
    n_out = 0
    for t in range(N_TABLES):
        _probe_keys(queries16, t, masks, keys, order)
        o, b0 = 0, 0
        while o < m:
            o, b0, nc = _sweep(
                t,
                order,
                keys,
                n_probes,
                offsets,
                others,
                queries16,
                weights,
                cr,
                o,
                b0,
                cand_i,
                cand_j,
                flags,
                flags64,
            )
            _resolve(t, positions, cand_j, nc)
            k = 0
            while True:
                n_out, k = _verify_batch(
                    t,
                    codes64,
                    codes16,
                    positions,
                    dead,
                    queries64,
                    queries16,
                    radius,
                    cr,
                    hr,
                    cand_i,
                    cand_j,
                    nc,
                    k,
                    out_q,
                    out_rows,
                    out_d,
                    n_out,
                )
                if k >= nc:
                    break
                out_q, out_rows, out_d = _grow3(out_q, out_rows, out_d, n_out)
    return out_q[:n_out], out_rows[:n_out], out_d[:n_out]
