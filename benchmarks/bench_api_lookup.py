"""Latency of an image-hash lookup through the provider HTTP API, with 1M indicators.

    python benchmarks/bench_api_lookup.py [--quick] [--indicators 1000000] [--requests 3000]
                                          [--concurrency 8] [--workers 1,2]

A bank of N random PDQ codes (benign noise) is written into a fresh SQLite database (bulk
SQL, as ``bank import`` would store them; an import through the CLI takes minutes and is
measured in bench_match_cli) and the PDQ index snapshot is built once. Then, for each
worker count, ``childshield serve --role provider --workers W`` is started; the workers
memory-map the same snapshot. An asyncio load generator (httpx, in its own process) sends
``POST /provider/v1/detection/signals`` with ``{"pdq", "quality"}`` and a fresh
Idempotency-Key, ``concurrency`` requests in flight (closed loop): 90 % random hashes
(no match), 10 % near-duplicates of an indicator (a match: the first opens a case, later
ones add to it). Latency is measured per request at the client (connection reused).
The server is ``childshield serve`` as an operator runs it (TCP_NODELAY, access log on),
with the per-API-key rate limit off (one key sends every request of the benchmark).

Reference in the same run: the same lookups in-process (``Matcher.match_values`` on one
thread, no HTTP, no idempotency record, no case), i.e. the floor the API adds to.

Writes benchmarks/results/api_lookup.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # this checkout's code, also for the served workers
RESULTS = ROOT / "benchmarks" / "results"
PY = sys.executable

LOADGEN = r"""
import asyncio, json, os, sys, time
import httpx

url, key, qfile = sys.argv[1], sys.argv[2], sys.argv[3]
total, conc = int(sys.argv[4]), int(sys.argv[5])
mode = sys.argv[6] if len(sys.argv) > 6 else "signals"
queries = [l.strip() for l in open(qfile) if l.strip()]

async def main():
    lat, statuses, matched = [], {}, 0
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        counter = iter(range(total))
        async def worker():
            nonlocal matched
            for i in counter:
                body = {"pdq": queries[i % len(queries)], "quality": 100}
                headers = {"Authorization": "Bearer " + key,
                           "Idempotency-Key": os.urandom(12).hex()}
                t = time.perf_counter()
                if mode == "lookup":
                    r = await client.get("/provider/v1/detection/lookup", params=body,
                                         headers=headers)
                else:
                    r = await client.post("/provider/v1/detection/signals", json=body,
                                          headers=headers)
                lat.append(time.perf_counter() - t)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code == 200 and r.json()["matches"]:
                    matched += 1
        # warm-up: one request per connection
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        wall = time.perf_counter() - started
    print(json.dumps({"latencies": lat, "statuses": statuses, "matched": matched, "wall": wall}))

asyncio.run(main())
"""


def make_bank(db_path: Path, n: int, seed: int = 7) -> np.ndarray:
    """Bank ``bench-indicators`` with n random PDQ indicators (bulk SQL)."""
    from childshield.store import banks as repo
    from childshield.store import open_database

    database = open_database(f"sqlite:///{db_path}")
    with database.session() as session:
        repo.create_bank(session, "bench-indicators")
    database.dispose()
    codes = np.random.default_rng(seed).integers(0, 256, (n, 32), dtype=np.uint8)
    now = "2026-01-01 00:00:00.000000"
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    bank_id = con.execute("SELECT id FROM banks WHERE name='bench-indicators'").fetchone()[0]
    batch = 100_000
    for start in range(0, n, batch):
        rows = [(start + i + 1, bank_id, "pdq", c.tobytes().hex(), "image", "active",
                 "benchmark", "bench", now, "random benign codes")
                for i, c in enumerate(codes[start:start + batch])]
        con.executemany("INSERT INTO indicators (id, bank_id, signal, value, media, status, "
                        "source, submitted_by, created_at, how_generated) VALUES "
                        "(?,?,?,?,?,?,?,?,?,?)", rows)
        con.executemany("INSERT INTO indicator_hashes (id, indicator_id, signal, value, "
                        "variant, quality) VALUES (?,?,?,?,?,?)",
                        [(r[0], r[0], "pdq", r[3], "full", 100) for r in rows])
    con.commit()
    con.close()
    return codes


def make_queries(codes: np.ndarray, count: int, path: Path, seed: int = 11) -> None:
    rng = np.random.default_rng(seed)
    near = count // 10
    bits = np.unpackbits(codes[rng.integers(0, len(codes), near)], axis=1)
    for i, k in enumerate(rng.integers(0, 25, near)):
        bits[i, rng.choice(256, int(k), replace=False)] ^= 1
    queries = np.concatenate([np.packbits(bits, axis=1),
                              rng.integers(0, 256, (count - near, 32), dtype=np.uint8)])
    queries = queries[rng.permutation(count)]
    path.write_text("".join(q.tobytes().hex() + "\n" for q in queries))


def percentiles(values: list[float]) -> dict[str, float]:
    ms = np.array(values) * 1000
    return {"p50": round(float(np.percentile(ms, 50)), 2),
            "p90": round(float(np.percentile(ms, 90)), 2),
            "p99": round(float(np.percentile(ms, 99)), 2),
            "max": round(float(ms.max()), 2), "mean": round(float(ms.mean()), 2)}


def in_process(db_url: str, index_dir: Path, qfile: Path, count: int) -> dict[str, Any]:
    from childshield.matching import Matcher
    from childshield.matching.matcher import PdqQuery
    from childshield.store import open_database

    database = open_database(db_url)
    matcher = Matcher(database, index_dir=index_dir)
    started = time.perf_counter()
    matcher.match_values({}, pdq_variants=[PdqQuery("0" * 64, quality=100)])
    load = time.perf_counter() - started
    queries = [line.strip() for line in qfile.read_text().splitlines()][:count]
    lat = []
    for q in queries:
        t = time.perf_counter()
        matcher.match_values({}, pdq_variants=[PdqQuery(q, quality=100)])
        lat.append(time.perf_counter() - t)
    database.dispose()
    return {"load_or_build_seconds": round(load, 2), **percentiles(lat)}


def serve(db_url: str, env: dict[str, str], workers: int, port: int) -> subprocess.Popen[bytes]:
    log = open(Path(env["CHILDSHIELD_DATA_DIR"]) / f"serve-{workers}.log", "wb")  # noqa: SIM115
    cmd = [PY, "-m", "childshield", "serve", "--role", "provider", "--port", str(port),
           "--workers", str(workers), "--db", db_url]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/provider/v1/health", timeout=1).status_code \
                    == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    if args.quick:
        args.indicators, args.requests = 50_000, 400
    from childshield.api.testing import add_tenant_with_key, free_port
    from childshield.store import open_database

    load_at_start = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    env = {**os.environ, "CHILDSHIELD_DATA_DIR": str(work / "data"), "OMP_NUM_THREADS": "1",
           "NUMBA_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "src"),
           # one key sends every request: the per-key limit (200/s) would answer 429
           "CHILDSHIELD_RATE_LIMIT_KEY_PER_SECOND": "0"}
    os.environ.update({k: env[k] for k in ("CHILDSHIELD_DATA_DIR",)})
    db_path = work / "bench.db"
    db_url = f"sqlite:///{db_path}"
    started = time.perf_counter()
    codes = make_bank(db_path, args.indicators)
    bank_seconds = time.perf_counter() - started
    qfile = work / "queries.txt"
    make_queries(codes, 5000, qfile)
    database = open_database(db_url)
    key = add_tenant_with_key(database, "bench", "provider", ["integration"])
    database.dispose()
    reference = in_process(db_url, work / "data" / "index", qfile, 2000)  # builds the snapshot
    print("in-process:", reference, flush=True)
    runs = []
    for workers in [int(w) for w in args.workers.split(",")]:
        port = free_port()
        proc = serve(db_url, env, workers, port)
        try:
            # warm every worker (first lookup maps the snapshot)
            subprocess.run([PY, "-c", LOADGEN, f"http://127.0.0.1:{port}", key, str(qfile),
                            str(20 * workers), str(workers)], env=env, capture_output=True,
                           check=True, timeout=300)
            for mode in ("signals", "lookup"):
                for conc in sorted({1, args.concurrency}):
                    out = subprocess.run([PY, "-c", LOADGEN, f"http://127.0.0.1:{port}", key,
                                          str(qfile), str(args.requests), str(conc), mode],
                                         env=env, capture_output=True, text=True,
                                         timeout=1800)
                    if out.returncode != 0:
                        raise RuntimeError(out.stderr)
                    data = json.loads(out.stdout)
                    row = {"workers": workers, "endpoint": mode, "requests": args.requests,
                           "concurrency": conc, "statuses": data["statuses"],
                           "matched": data["matched"],
                           "throughput_rps": round(args.requests / data["wall"], 1),
                           **percentiles(data["latencies"])}
                    print(row, flush=True)
                    runs.append(row)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    result = {
        "indicators": args.indicators, "bank_build_seconds": round(bank_seconds, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                   f"{platform.python_version()}, load average "
                   f"{load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        "in_process": reference, "http": runs,
        "ratio_p99_http_to_in_process": {
            f"{r['endpoint']} {r['workers']}w c{r['concurrency']}":
            round(r["p99"] / max(reference["p99"], 0.01), 1) for r in runs},
        "target_p99_ms": 100,
    }
    write_report(result)


def write_report(r: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "api_lookup.json").write_text(json.dumps(r, indent=2) + "\n")
    lines = [
        "# Image-hash lookup through the provider API",
        "",
        f"{r['indicators']:,} random PDQ indicators in one bank (SQLite), "
        "`POST /provider/v1/detection/signals` (a PDQ hash, a fresh Idempotency-Key; a match "
        "opens or adds to a case) and the read-only `GET /provider/v1/detection/lookup`; "
        "10 % near-duplicates of an indicator, 90 % random. "
        "Closed-loop asyncio load generator (httpx) in its own process on the same machine. "
        f"Machine: {r['machine']} (shared with other work).",
        "",
        "| setup | endpoint | requests | in flight | p50 ms | p90 ms | p99 ms | max ms | req/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    ref = r["in_process"]
    lines.append(f"| in-process Matcher (reference, no HTTP) | | 2000 | 1 | {ref['p50']} | "
                 f"{ref['p90']} | {ref['p99']} | {ref['max']} | |")
    for run in r["http"]:
        lines.append(f"| HTTP, {run['workers']} uvicorn worker(s) | {run['endpoint']} | "
                     f"{run['requests']} | "
                     f"{run['concurrency']} | {run['p50']} | {run['p90']} | {run['p99']} | "
                     f"{run['max']} | {run['throughput_rps']} |")
    lines += ["", f"Target: p99 < {r['target_p99_ms']} ms. p99 HTTP / in-process: "
              + ", ".join(f"{w}: {x}x" for w, x in
                          r["ratio_p99_http_to_in_process"].items()) + ".",
              "", "Workers memory-map the same index snapshot (built once, "
              f"{ref['load_or_build_seconds']} s in the reference process). Statuses: "
              + "; ".join(f"{run['endpoint']} {run['workers']}w c{run['concurrency']} "
                          f"{run['statuses']}" for run in r["http"]) + ".",
              "", "Run: `python benchmarks/bench_api_lookup.py` (`--quick`: 50k indicators)."]
    (RESULTS / "api_lookup.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
