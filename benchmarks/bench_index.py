"""Exact PDQ radius search: childshield's HammingIndex against faiss and python-threatexchange.

    python benchmarks/bench_index.py [--quick] [--sizes 1000000 10000000] [--queries 10000]

Data: N random 256-bit codes (benign noise, no real indicators) and a query set that is half
*planted* near-duplicates (an indicator with 0..40 random bits flipped) and half random
codes, shuffled. Every method answers the same queries at radius 31 (PDQ's match threshold,
inclusive):

* ``childshield``: HammingIndex, snapshot saved, then loaded (memory-mapped) in a new process;
* ``faiss-flat``: IndexBinaryFlat range_search (exhaustive; its radius is strict, so 32);
  its hits are the ground truth for recall;
* ``faiss-mih``: IndexBinaryMultiHash(256, 16 maps, 16 bits) with nflip = 31 // 16 = 1,
  exactly as python-threatexchange's PDQMultiHashIndex configures it (exact by pigeonhole);
* ``threatexchange`` (smaller sizes only): python-threatexchange's PDQIndex itself, pickled
  and unpickled as HMA stores it, queried one hash at a time as its API does.

Each method runs in its own process, one after another (never two big indexes at once), on
one core (``taskset -c 0``, OMP/numba threads = 1). Reported: build time, load time in a
fresh process, lookups/s (CPU time of the process, and wall time: the machine is shared),
recall against faiss-flat and whether every planted duplicate within 31 was found, and the
resident memory the loaded index adds (RSS delta after the queries, touched mapped pages
included). The slow exhaustive methods answer a prefix of the query list (stated).
Writes benchmarks/results/index.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
RADIUS = 31
ONE_CORE = {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


# --------------------------------------------------------------------------- data
def make_data(work: Path, n: int, n_queries: int, seed: int = 20240) -> dict[str, Path]:
    """Indicators and queries as .npy files in ``work`` (made once per size)."""
    work.mkdir(parents=True, exist_ok=True)
    paths = {k: work / f"{k}-{n}-{n_queries}.npy" for k in ("codes", "queries", "planted")}
    if all(p.exists() for p in paths.values()):
        return paths
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    half = n_queries // 2
    src = rng.integers(0, n, half)
    flips = rng.integers(0, 41, half)
    bits = np.unpackbits(codes[src], axis=1)
    for i, k in enumerate(flips):
        bits[i, rng.choice(256, int(k), replace=False)] ^= 1
    near = np.packbits(bits, axis=1)
    far = rng.integers(0, 256, (n_queries - half, 32), dtype=np.uint8)
    queries = np.concatenate([near, far])
    planted = np.concatenate([np.stack([src, flips], 1), np.full((n_queries - half, 2), -1)])
    order = rng.permutation(n_queries)
    np.save(paths["codes"], codes)
    np.save(paths["queries"], queries[order])
    np.save(paths["planted"], planted[order])
    return paths


# --------------------------------------------------------------------------- children
def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _timed_search(fn: Any) -> tuple[Any, float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - w0


def child_build(method: str, codes_path: Path, out: Path) -> dict[str, Any]:
    codes = np.load(codes_path)
    ids = np.arange(len(codes), dtype=np.int64)
    t0 = time.perf_counter()
    if method == "childshield":
        from childshield.index import HammingIndex

        idx = HammingIndex()
        idx.add(ids, codes)
        built = time.perf_counter()
        idx.save(out)
    elif method in ("faiss-flat", "faiss-mih"):
        import faiss

        faiss.omp_set_num_threads(1)
        index = faiss.IndexBinaryFlat(256) if method == "faiss-flat" else _mih()
        index.add(codes)
        built = time.perf_counter()
        faiss.write_index_binary(index, str(out))
    elif method == "threatexchange":
        import faiss
        from threatexchange.signal_type.pdq.pdq_index import PDQIndex

        faiss.omp_set_num_threads(1)
        hexes = [c.tobytes().hex() for c in codes]
        index = PDQIndex(entries=zip(hexes, ids.tolist(), strict=True))
        built = time.perf_counter()
        out.write_bytes(pickle.dumps(index))  # how HMA stores it
    else:
        raise SystemExit(f"unknown method {method}")
    return {"build_s": built - t0, "save_s": time.perf_counter() - built}


def _mih() -> Any:
    import faiss

    index = faiss.IndexBinaryMultiHash(256, 16, 16)  # python-threatexchange's configuration
    index.nflip = RADIUS // 16
    return index


def child_query(method: str, index_path: Path, queries_path: Path, n_q: int) -> dict[str, Any]:
    queries = np.ascontiguousarray(np.load(queries_path)[:n_q])
    info: dict[str, Any] = {}
    if method == "childshield":
        from childshield.index import HammingIndex, warmup

        t = time.perf_counter()
        warmup()  # numba: compile, or load the compiled kernels from its cache
        info["jit_warmup_s"] = time.perf_counter() - t
    base = _rss()
    t = time.perf_counter()
    if method == "childshield":
        idx = HammingIndex.load(index_path, mmap=True)
        info["load_s"] = time.perf_counter() - t
        res, cpu, wall = _timed_search(lambda: idx.search(queries, RADIUS))
        offsets, ids = res.offsets, res.ids
        # one lookup per call, as a service answering single requests does
        k = min(n_q, 2000)
        _, cpu1, wall1 = _timed_search(lambda: [idx.search(queries[j : j + 1]) for j in range(k)])
        info["one_at_a_time"] = {
            "queries": k,
            "lookups_per_s_cpu": k / cpu1,
            "lookups_per_s_wall": k / wall1,
        }
    elif method in ("faiss-flat", "faiss-mih"):
        import faiss

        faiss.omp_set_num_threads(1)
        index = faiss.read_index_binary(str(index_path))
        if method == "faiss-mih":
            faiss.downcast_IndexBinary(index).nflip = RADIUS // 16
        info["load_s"] = time.perf_counter() - t
        (lims, _, labels), cpu, wall = _timed_search(
            lambda: index.range_search(queries, RADIUS + 1)
        )
        offsets, ids = lims.astype(np.int64), labels.astype(np.int64)
    else:
        import faiss

        faiss.omp_set_num_threads(1)
        # the reference's own format (HMA pickles its index); our own file, never untrusted input
        index = pickle.loads(index_path.read_bytes())
        info["load_s"] = time.perf_counter() - t
        hexes = [q.tobytes().hex() for q in queries]

        def run() -> tuple[np.ndarray, np.ndarray]:
            found = [[m.metadata for m in index.query(h)] for h in hexes]
            offs = np.zeros(len(found) + 1, np.int64)
            np.cumsum([len(f) for f in found], out=offs[1:])
            flat = [i for f in found for i in f]
            return offs, np.asarray(flat, np.int64)

        (offsets, ids), cpu, wall = _timed_search(run)
    info.update(
        queries=int(n_q),
        cpu_s=cpu,
        wall_s=wall,
        lookups_per_s_cpu=n_q / cpu if cpu else None,
        lookups_per_s_wall=n_q / wall if wall else None,
        rss_delta_mb=(_rss() - base) / 2**20,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        hits=int(ids.size),
    )
    np.savez(index_path.parent / f"hits-{method}.npz", offsets=offsets, ids=ids)
    return info


# --------------------------------------------------------------------------- parent
def run_child(args: list[str], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, *args]
    if os.path.exists("/usr/bin/taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    env = {**os.environ, **ONE_CORE, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def hit_sets(path: Path, n_q: int) -> list[set[int]]:
    data = np.load(path)
    off, ids = data["offsets"], data["ids"]
    return [set(ids[off[i] : off[i + 1]].tolist()) for i in range(min(n_q, len(off) - 1))]


def compare(work: Path, methods: list[str], planted: np.ndarray) -> dict[str, Any]:
    """Each method against faiss-flat over the queries both answered, and against the
    planted duplicates (source indicator within 31 must be found) over all it answered."""
    full_truth = hit_sets(work / "hits-faiss-flat.npz", len(planted))
    out: dict[str, Any] = {}
    for m in methods:
        got = hit_sets(work / f"hits-{m}.npz", len(planted))
        truth = full_truth[: len(got)]
        total = sum(len(t) for t in truth)
        found = sum(len(g & t) for g, t in zip(got, truth, strict=False))
        extra = sum(len(g - t) for g, t in zip(got, truth, strict=False))
        must = [(i, int(s)) for i, (s, k) in enumerate(planted[: len(got)]) if 0 <= k <= RADIUS]
        out[m] = {
            "compared_queries": len(truth),
            "truth_hits": total,
            "recall": found / total if total else 1.0,
            "extra_hits": extra,
            "planted_within_31": len(must),
            "planted_missed": sum(1 for i, s in must if s not in got[i]),
        }
    return out


def recompare(work: Path) -> None:
    """Recompute the accuracy columns of the last report from the saved hits."""
    report = json.loads((RESULTS / "index.json").read_text())
    for size in report["sizes"]:
        planted = np.load(work / f"planted-{size['n']}-{size['queries']}.npy")
        size["accuracy"] = compare(work / f"run-{size['n']}", list(size["methods"]), planted)
    write_report(report)


def bench_size(
    work: Path, n: int, n_queries: int, methods: list[str], budget: dict[str, int]
) -> dict[str, Any]:
    paths = make_data(work, n, n_queries)
    planted = np.load(paths["planted"])
    sub = work / f"run-{n}"
    sub.mkdir(exist_ok=True)
    result: dict[str, Any] = {"n": n, "queries": n_queries, "methods": {}}
    for m in methods:
        n_q = min(n_queries, budget.get(m, n_queries))
        target = sub / (f"{m}.snapshot" if m == "childshield" else f"{m}.index")
        print(f"[{n:,}] {m}: build", file=sys.stderr, flush=True)
        built = run_child(["--child-build", m, str(paths["codes"]), str(target)], 7200)
        print(f"[{n:,}] {m}: load + {n_q:,} queries", file=sys.stderr, flush=True)
        queried = run_child(
            ["--child-query", m, str(target), str(paths["queries"]), str(n_q)], 7200
        )
        result["methods"][m] = {**built, **queried}
        print(f"    {json.dumps(result['methods'][m])}", file=sys.stderr, flush=True)
    result["accuracy"] = compare(sub, methods, planted)
    return result


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "load_average_at_start": os.getloadavg(),
    }


def write_report(report: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "index.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Exact PDQ radius search (radius 31): childshield vs faiss and python-threatexchange",
        "",
        f"Machine: {report['machine']['cpu']}, {report['machine']['cores']} cores (shared with "
        f"other jobs; load average {report['machine']['load_average_at_start'][0]:.1f} at "
        f"start, {report['load_average_at_end'][0]:.1f} at end), "
        f"{report['machine']['memory_gib']} GiB. Every method on one core (taskset -c 0, one "
        "thread), each in its own process, one after another. Lookups/s by CPU time of the "
        "process (wall time in brackets: the second core was busy with other jobs). Data: "
        "random 256-bit codes; queries are half planted near-duplicates (0..40 bits flipped), "
        "half random. Recall is against faiss IndexBinaryFlat (exhaustive) over the queries "
        "both answered (their number in brackets); planted missed counts, over all the "
        "queries a method answered, the planted duplicates within 31 whose source indicator "
        "was not returned.",
        f"Command: `{report['command']}`",
        "",
    ]
    for size in report["sizes"]:
        acc = size["accuracy"]
        lines += [
            f"## {size['n']:,} indicators",
            "",
            "| method | queries | lookups/s (CPU) | (wall) | recall (queries compared) | "
            "planted missed | build s | load s | RSS delta MB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        ours = size["methods"].get("childshield", {}).get("lookups_per_s_cpu")
        for m, r in size["methods"].items():
            a = acc[m]
            lines.append(
                f"| {m} | {r['queries']:,} | {r['lookups_per_s_cpu']:,.0f} | "
                f"({r['lookups_per_s_wall']:,.0f}) | "
                f"{a['recall']:.4f} ({a['compared_queries']:,}) | "
                f"{a['planted_missed']}/{a['planted_within_31']} | {r['build_s']:.1f} | "
                f"{r['load_s']:.3f} | {r['rss_delta_mb']:,.0f} |"
            )
        lines.append("")
        if ours:
            ratios = [
                f"{m}: {ours / r['lookups_per_s_cpu']:,.1f}x"
                for m, r in size["methods"].items()
                if m != "childshield" and r["lookups_per_s_cpu"]
            ]
            lines.append("childshield speed-up (CPU lookups/s): " + ", ".join(ratios) + ".")
            cs = size["methods"]["childshield"]
            one = cs["one_at_a_time"]
            lines.append(
                f"childshield one lookup per call (Python call included), {one['queries']:,} "
                f"queries: {one['lookups_per_s_cpu']:,.0f} lookups/s CPU "
                f"({one['lookups_per_s_wall']:,.0f} wall); the table above is one batch call."
            )
            lines.append(
                f"childshield extra hits beyond the truth: {acc['childshield']['extra_hits']}; "
                f"numba warm-up in the query process (kernels from cache, not part of load): "
                f"{cs.get('jit_warmup_s', 0):.2f} s."
            )
            lines.append("")
    (RESULTS / "index.md").write_text("\n".join(lines))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="200k indicators, 2,000 queries")
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    p.add_argument("--queries", type=int, default=10_000)
    p.add_argument(
        "--methods",
        default="childshield,faiss-flat,faiss-mih,threatexchange",
        help="comma-separated; faiss-flat is required (ground truth)",
    )
    p.add_argument("--work", type=Path, default=Path("/tmp/childshield-bench-index"))
    p.add_argument("--recompare", action="store_true", help="redo accuracy from saved hits")
    p.add_argument("--child-build", nargs=3, metavar=("METHOD", "CODES", "OUT"))
    p.add_argument("--child-query", nargs=4, metavar=("METHOD", "INDEX", "QUERIES", "N"))
    args = p.parse_args()
    if args.child_build:
        m, codes, out = args.child_build
        print(json.dumps(child_build(m, Path(codes), Path(out))))
        return
    if args.child_query:
        m, index, queries, n_q = args.child_query
        print(json.dumps(child_query(m, Path(index), Path(queries), int(n_q))))
        return
    if args.recompare:
        recompare(args.work)
        print((RESULTS / "index.md").read_text())
        return
    sizes, n_queries = ([200_000], 2_000) if args.quick else (args.sizes, args.queries)
    methods = [m for m in args.methods.split(",") if m]
    if "faiss-flat" not in methods:
        raise SystemExit("faiss-flat is the ground truth; include it")
    report: dict[str, Any] = {
        "command": " ".join(["python", "benchmarks/bench_index.py", *sys.argv[1:]]),
        "machine": machine(),
        "radius": RADIUS,
        "sizes": [],
    }
    for n in sizes:
        # exhaustive methods get fewer queries at large n (they scan everything per query)
        budget = {
            "faiss-flat": max(500, min(n_queries, 5 * 10**9 // n)),
            "faiss-mih": max(500, min(n_queries, 2 * 10**10 // n)),
            "threatexchange": 1000,
        }
        use = [m for m in methods if not (m == "threatexchange" and n > 1_000_000)]
        report["sizes"].append(bench_size(args.work, n, n_queries, use, budget))
        report["load_average_at_end"] = os.getloadavg()
        write_report(report)
    print((RESULTS / "index.md").read_text())


if __name__ == "__main__":
    main()
