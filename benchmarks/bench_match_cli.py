"""End to end: ``childshield match --signal pdq --hashes FILE`` against faiss's flat index.

    python benchmarks/bench_match_cli.py [--quick] [--indicators 1000000] [--queries 5000]

A bank of N random PDQ codes (benign noise) is imported into a fresh SQLite database with
``childshield bank import``; Q query hashes (half planted near-duplicates with 0..40 bits
flipped, half random) are matched with the real CLI at radius 31, one JSON line a query.

* ``childshield (first run)``: no snapshot yet; the index is built from the database and saved.
* ``childshield``: later runs; the snapshot is memory-mapped (what every run after the first
  pays). Median of three.
* ``faiss-flat``: a Python process that loads a faiss IndexBinaryFlat of the same codes
  (prebuilt with write_index_binary, so it pays no build), parses the same query file and
  range-searches it at radius 31 (faiss: strict < 32), printing one JSON line a query with
  the matched indicator ids and distances. Median of three.

Every process runs on one core (taskset -c 0, or $BENCH_CPU; one thread). Times are wall
clock of the whole process (interpreter start included), and CPU time (user + sys of the
child), since the machine is shared. The two outputs are checked to hold the same matches
(same distances per query). Writes benchmarks/results/match_cli.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PY = sys.executable
ONE_CORE = {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

FAISS_SCRIPT = r"""
import json, sys
import numpy as np
import faiss
faiss.omp_set_num_threads(1)
index = faiss.read_index_binary(sys.argv[1])
lines = [l.strip() for l in open(sys.argv[2]) if l.strip()]
q = np.frombuffer(bytes.fromhex("".join(lines)), np.uint8).reshape(-1, 32)
lims, dist, labels = index.range_search(q, 32)
out = sys.stdout
for i, text in enumerate(lines):
    a, b = int(lims[i]), int(lims[i + 1])
    order = np.lexsort((labels[a:b], dist[a:b]))
    m = [{"indicator": int(labels[a + k]), "distance": int(dist[a + k])} for k in order.tolist()]
    out.write(json.dumps({"query": text, "matches": m}) + "\n")
"""


CPU = os.environ.get("BENCH_CPU", "0")  # which core to pin to (BENCH_CPU=1 for the other)


def one_core(cmd: list[str]) -> list[str]:
    return ["taskset", "-c", CPU, *cmd] if os.path.exists("/usr/bin/taskset") else cmd


def timed_run(cmd: list[str], env: dict[str, str], stdout: Path | None = None) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    with open(stdout or os.devnull, "w") as out:
        proc = subprocess.run(one_core(cmd), env=env, stdout=out, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise RuntimeError(f"{cmd[:4]} failed: {proc.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": after.ru_maxrss / 1024}


def make_data(work: Path, n: int, n_q: int, seed: int = 7) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    bank = work / "indicators.txt"
    bank.write_text("".join(f"pdq {c.tobytes().hex()}\n" for c in codes))
    half = n_q // 2
    bits = np.unpackbits(codes[rng.integers(0, n, half)], axis=1)
    for i, k in enumerate(rng.integers(0, 41, half)):
        bits[i, rng.choice(256, int(k), replace=False)] ^= 1
    queries = np.concatenate(
        [np.packbits(bits, axis=1), rng.integers(0, 256, (n_q - half, 32), dtype=np.uint8)]
    )[rng.permutation(n_q)]
    qfile = work / "queries.txt"
    qfile.write_text("".join(q.tobytes().hex() + "\n" for q in queries))
    import faiss

    index = faiss.IndexBinaryFlat(256)
    index.add(codes)
    fidx = work / "flat.faissindex"
    faiss.write_index_binary(index, str(fidx))
    return bank, qfile, fidx


def distances_per_query(path: Path) -> list[list[int]]:
    out = []
    for line in path.read_text().splitlines():
        doc = json.loads(line)
        out.append(sorted(int(m["distance"]) for m in doc["matches"]))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="50,000 indicators, 1,000 queries")
    p.add_argument("--indicators", type=int, default=1_000_000)
    p.add_argument("--queries", type=int, default=5_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--work", type=Path, default=Path("/tmp/childshield-bench-match"))
    args = p.parse_args()
    n, n_q = (50_000, 1_000) if args.quick else (args.indicators, args.queries)
    work = args.work / f"{n}-{n_q}"
    if work.exists():
        subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    bank, qfile, fidx = make_data(work, n, n_q)
    env = {
        **os.environ,
        **ONE_CORE,
        "PYTHONPATH": str(ROOT / "src"),
        "CHILDSHIELD_DATA_DIR": str(work / "data"),
        "CHILDSHIELD_DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
    }
    cli = [PY, "-m", "childshield"]
    report: dict[str, Any] = {
        "command": " ".join(["python", "benchmarks/bench_match_cli.py", *sys.argv[1:]]),
        "indicators": n,
        "queries": n_q,
        "load_average_at_start": os.getloadavg(),
    }
    print(f"importing {n:,} indicators", file=sys.stderr, flush=True)
    subprocess.run(
        one_core([*cli, "bank", "create", "bench-indicators"]),
        env=env,
        check=True,
        capture_output=True,
    )
    report["bank_import"] = timed_run([*cli, "bank", "import", "bench-indicators", str(bank)], env)
    match = [*cli, "match", "--signal", "pdq", "--hashes", str(qfile), "--json"]
    ours_out, faiss_out = work / "childshield.jsonl", work / "faiss.jsonl"
    print("childshield first run (builds the snapshot)", file=sys.stderr, flush=True)
    report["childshield_first_run"] = timed_run(match, env, ours_out)
    runs: dict[str, list[dict[str, Any]]] = {"childshield": [], "faiss-flat": []}
    script = work / "faiss_match.py"
    script.write_text(FAISS_SCRIPT)
    for r in range(args.repeat):
        print(f"round {r + 1}/{args.repeat}", file=sys.stderr, flush=True)
        runs["childshield"].append(timed_run(match, env, ours_out))
        runs["faiss-flat"].append(
            timed_run([PY, str(script), str(fidx), str(qfile)], env, faiss_out)
        )
    for name, rs in runs.items():
        report[name] = {
            "wall_s": statistics.median(x["wall_s"] for x in rs),
            "cpu_s": statistics.median(x["cpu_s"] for x in rs),
            "runs": rs,
        }
    ours, theirs = distances_per_query(ours_out), distances_per_query(faiss_out)
    report["same_matches"] = ours == theirs
    report["queries_with_matches"] = sum(1 for d in ours if d)
    report["total_matches"] = sum(len(d) for d in ours)
    report["speedup_wall"] = report["faiss-flat"]["wall_s"] / report["childshield"]["wall_s"]
    report["speedup_cpu"] = report["faiss-flat"]["cpu_s"] / report["childshield"]["cpu_s"]
    report["load_average_at_end"] = os.getloadavg()
    write_report(report)
    print((RESULTS / "match_cli.md").read_text())


def write_report(r: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "match_cli.json").write_text(json.dumps(r, indent=2) + "\n")
    rows = [
        ("childshield match (snapshot mapped)", r["childshield"]),
        ("faiss IndexBinaryFlat script (prebuilt index)", r["faiss-flat"]),
        ("childshield match, first run (builds snapshot)", r["childshield_first_run"]),
        ("childshield bank import", r["bank_import"]),
    ]
    lines = [
        f"# End to end: `childshield match --signal pdq --hashes FILE`, "
        f"{r['queries']:,} queries, {r['indicators']:,} indicators",
        "",
        f"One core each (taskset -c {CPU}, one thread); whole process timed, interpreter start "
        "included; median of the repeated runs. The machine is shared (load average "
        f"{r['load_average_at_start'][0]:.1f} at start, {r['load_average_at_end'][0]:.1f} at "
        "end), so CPU time is given beside wall time.",
        f"Command: `{r['command']}`",
        "",
        "| what | wall s | CPU s |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {x['wall_s']:.2f} | {x['cpu_s']:.2f} |" for name, x in rows]
    lines += [
        "",
        f"Speed-up over faiss flat: {r['speedup_wall']:.1f}x wall, {r['speedup_cpu']:.1f}x CPU. "
        f"Same matches in both outputs: {r['same_matches']} "
        f"({r['total_matches']:,} matches over {r['queries_with_matches']:,} queries).",
        "",
    ]
    (RESULTS / "match_cli.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
