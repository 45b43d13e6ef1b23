"""PDQ hashing speed: childshield against python-threatexchange's ``pdq_from_file``.

    python benchmarks/bench_hashing.py [--quick] [--cores N]

Same files, same run, both tools:
- photo-size JPEGs and PNGs made from scikit-image's sample photographs (benign), upscaled
  to 1920x1080 and 4000x3000 (written once to benchmarks/.cache/hashing/), and
- every image of ../shared/testdata/pdq-reference (read in place, never copied).

Single core: each tool hashes every file in this process, pinned to one CPU. All cores: the
same files on N processes for both (childshield ``hash_files``; python-threatexchange through
a multiprocessing pool, so it gets the same parallelism). childshield's figure is for its
full record (md5 + sha256 + PDQ); its PDQ alone is reported too. The hash distance between
the two tools is reported per group (upstream rule: <= 10 on quality >= 80).

Writes benchmarks/results/hashing.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

CACHE = ROOT / "benchmarks" / ".cache" / "hashing"
RESULTS = ROOT / "benchmarks" / "results"
PHOTOS = ["astronaut", "coffee", "chelsea", "rocket", "camera", "coins", "hubble_deep_field",
          "immunohistochemistry", "retina", "logo", "horse", "brick", "grass", "gravel", "cell",
          "text", "page", "moon"]
GROUPS = {  # group -> (size, format, JPEG quality)
    "jpeg-1920x1080": ((1920, 1080), "JPEG", 90),
    "jpeg-4000x3000": ((4000, 3000), "JPEG", 90),
    "png-1920x1080": ((1920, 1080), "PNG", None),
    "png-4000x3000": ((4000, 3000), "PNG", None),
}


def shared_testdata() -> Path:
    for candidate in (ROOT.parent / "shared", ROOT.parent.parent / "shared", Path("/work/shared")):
        if (candidate / "testdata" / "pdq-reference").is_dir():
            return candidate / "testdata" / "pdq-reference"
    raise SystemExit("../shared/testdata/pdq-reference not found")


def make_photos(names: list[str], groups: list[str]) -> dict[str, list[Path]]:
    import numpy as np
    import skimage.data
    from PIL import Image

    out: dict[str, list[Path]] = {g: [] for g in groups}
    for name in names:
        array = getattr(skimage.data, name)()
        if array.dtype != np.uint8:
            array = (array * 255).astype(np.uint8) if array.max() <= 1 else array.astype(np.uint8)
        base = Image.fromarray(array)
        base = base.convert("RGB") if base.mode not in ("RGB", "L") else base
        for group in groups:
            size, fmt, quality = GROUPS[group]
            path = CACHE / group / f"{name}.{'jpg' if fmt == 'JPEG' else 'png'}"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                big = base.resize(size, Image.Resampling.BICUBIC)
                if fmt == "JPEG":
                    big.save(path, format=fmt, quality=quality)
                else:
                    big.save(path, format=fmt, compress_level=6)
            out[group].append(path)
    return out


def reference_images() -> list[Path]:
    suffixes = {".jpg", ".jpeg", ".png", ".webp"}
    return sorted(p for p in shared_testdata().rglob("*") if p.suffix.lower() in suffixes)


# --- the two tools ----------------------------------------------------------------------------

def pytx_pdq(path: Path) -> tuple[str | None, int]:
    from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_file

    try:
        value, quality = pdq_from_file(path)
    except Exception:  # pytx fails on some modes (e.g. "1"); count the time, no hash
        return None, 0
    return value, int(quality)


def ours_pdq(path: Path) -> tuple[str | None, int]:
    from childshield.signals.pdq import pdq_from_file

    return pdq_from_file(path)


def ours_record(path: Path) -> tuple[str | None, int]:
    from childshield.signals import hash_file

    record = hash_file(path)
    return record.get("pdq"), int(record.get("quality") or 0)


def timed(fn: Callable[[Path], tuple[str | None, int]], paths: list[Path], repeat: int
          ) -> tuple[float, list[tuple[str | None, int]]]:
    """Best-of-``repeat`` CPU seconds of this process for hashing all ``paths`` once, and the
    hashes. CPU time, not wall time: the machine may be shared, and one process on one core
    is CPU-bound, so its CPU time is what it would take alone."""
    best = float("inf")
    results: list[tuple[str | None, int]] = []
    for _ in range(repeat):
        started = time.process_time()
        results = [fn(p) for p in paths]
        best = min(best, time.process_time() - started)
    return best, results


def pytx_parallel(paths: list[Path], cores: int) -> float:
    context = multiprocessing.get_context("forkserver")
    with context.Pool(cores) as pool:
        pool.map(pytx_pdq, paths[:cores])  # start the workers before timing
        started = time.perf_counter()
        pool.map(pytx_pdq, paths, chunksize=1)
        return time.perf_counter() - started


def ours_parallel(paths: list[Path], cores: int) -> float:
    from childshield.signals import hash_files

    list(hash_files(paths[:cores], workers=cores))  # start-up cost paid by both, excluded
    started = time.perf_counter()
    list(hash_files(paths, workers=cores))
    return time.perf_counter() - started


def distance(a: str | None, b: str | None) -> int | None:
    if a is None or b is None:
        return None
    return (int(a, 16) ^ int(b, 16)).bit_count()


# --- run ----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 photos a group, one repeat")
    parser.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)),
                        help="processes for the all-cores run (default: all)")
    args = parser.parse_args()
    names = PHOTOS[:6] if args.quick else PHOTOS
    repeat = 1 if args.quick else 2
    groups = make_photos(names, list(GROUPS))
    groups["pdq-reference"] = reference_images()
    cpu = sorted(os.sched_getaffinity(0))[-1]
    every = [p for paths in groups.values() for p in paths]
    for p in every:  # warm the page cache so both tools read from memory
        p.read_bytes()

    rows: list[dict[str, Any]] = []
    os.sched_setaffinity(0, {cpu})  # single core
    for group, paths in groups.items():
        t_pytx, pytx_hashes = timed(pytx_pdq, paths, repeat)
        t_pdq, our_hashes = timed(ours_pdq, paths, repeat)
        t_rec, _ = timed(ours_record, paths, repeat)
        dists = [d for (a, q), (b, _) in zip(our_hashes, pytx_hashes, strict=True)
                 if q >= 80 and (d := distance(a, b)) is not None]
        rows.append({
            "group": group, "files": len(paths),
            "pytx_per_s": len(paths) / t_pytx, "ours_pdq_per_s": len(paths) / t_pdq,
            "ours_record_per_s": len(paths) / t_rec, "ratio_record": t_pytx / t_rec,
            "ratio_pdq": t_pytx / t_pdq,
            "distance_mean": statistics.mean(dists) if dists else None,
            "distance_max": max(dists) if dists else None,
        })
        print(f"{group:16s} {len(paths):3d} files  pytx {len(paths) / t_pytx:7.1f}/s  "
              f"childshield {len(paths) / t_rec:7.1f}/s (pdq only {len(paths) / t_pdq:7.1f}/s)"
              f"  ratio {t_pytx / t_rec:5.1f}x  distance to pytx max {rows[-1]['distance_max']}",
              flush=True)
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))

    all_single_pytx = sum(r["files"] / r["pytx_per_s"] for r in rows)
    all_single_ours = sum(r["files"] / r["ours_record_per_s"] for r in rows)
    load = os.getloadavg()[0]
    t_pytx_par = pytx_parallel(every, args.cores)
    t_ours_par = ours_parallel(every, args.cores)
    summary = {
        "files": len(every),
        "single_core": {"pytx_per_s": len(every) / all_single_pytx,
                        "ours_per_s": len(every) / all_single_ours,
                        "ratio": all_single_pytx / all_single_ours},
        "all_cores": {"cores": args.cores, "load_average": load,
                      "pytx_per_s": len(every) / t_pytx_par,
                      "ours_per_s": len(every) / t_ours_par, "ratio": t_pytx_par / t_ours_par},
    }
    print(f"ALL {len(every)} files, single core: pytx {summary['single_core']['pytx_per_s']:.1f}/s"
          f", childshield {summary['single_core']['ours_per_s']:.1f}/s, ratio "
          f"{summary['single_core']['ratio']:.1f}x")
    par = summary["all_cores"]
    print(f"ALL {len(every)} files, {args.cores} cores (wall): pytx {par['pytx_per_s']:.1f}/s, "
          f"childshield {par['ours_per_s']:.1f}/s, ratio {par['ratio']:.1f}x")
    write_results(rows, summary, args)


def write_results(rows: list[dict[str, Any]], summary: dict[str, Any],
                  args: argparse.Namespace) -> None:
    from importlib.metadata import version

    import pdqhash
    import PIL
    import threatexchange  # noqa: F401

    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
               f"Python {platform.python_version()}, Pillow {PIL.__version__}, "
               f"pdqhash {pdqhash.__version__}, threatexchange {version('threatexchange')}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine,
               "quick": args.quick, "groups": rows, "summary": summary}
    (RESULTS / "hashing.json").write_text(json.dumps(payload, indent=2) + "\n")
    lines = [
        "# Hashing benchmark: childshield vs python-threatexchange `pdq_from_file`",
        "",
        f"Run {payload['when']} on {machine}{' (--quick)' if args.quick else ''}. "
        "Command: `python benchmarks/bench_hashing.py`. Files per second, same files, same "
        "run, page cache warm; childshield's figure is its full record (md5 + sha256 + PDQ). "
        "Per-group and 1-core figures are from CPU time of one process pinned to one core "
        "(the machine is shared, CPU time is what the work costs); the all-cores row is wall "
        "time of N processes for both tools, so it moves with the machine's load.",
        "",
        "| group | files | pytx files/s | childshield files/s | (PDQ only) | ratio | "
        "distance to pytx, mean / max (q>=80) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        dist = ("n/a" if r["distance_max"] is None
                else f"{r['distance_mean']:.1f} / {r['distance_max']}")
        lines.append(f"| {r['group']} | {r['files']} | {r['pytx_per_s']:.1f} | "
                     f"{r['ours_record_per_s']:.1f} | {r['ours_pdq_per_s']:.1f} | "
                     f"{r['ratio_record']:.1f}x | {dist} |")
    single, par = summary["single_core"], summary["all_cores"]
    lines += [
        f"| **all, 1 core** | {summary['files']} | {single['pytx_per_s']:.1f} | "
        f"{single['ours_per_s']:.1f} | | **{single['ratio']:.1f}x** | |",
        f"| **all, {par['cores']} cores (wall, load average "
        f"{par.get('load_average', float('nan')):.0f})** | {summary['files']} | "
        f"{par['pytx_per_s']:.1f} | "
        f"{par['ours_per_s']:.1f} | | **{par['ratio']:.1f}x** | |",
        "",
        "Where the speed comes from: large JPEGs are decoded by libjpeg at 1/2, 1/4 or 1/8 "
        "scale, luma only, keeping >= 1000 px a side, and JPEGs of >= 2 MP luma only; PDQ's "
        "64x64 summary is computed only at its 64x64 sample points (bit-identical to the C++ "
        "Jarosz filter, ~10x cheaper) and the rest of the C++ PDQ is called directly; batches "
        "use all cores. PNGs and small JPEGs are decoded in full like python-threatexchange "
        "(PNG decoding dominates there, hence the smaller gain).",
        "",
        "Distances: the pdq-reference maximum of 256 and most of its mean come from files "
        "python-threatexchange hashes wrongly: CMYK.jpg (channels taken as RGB: an inverted "
        "picture), P.png (palette indices as grey), I16.png (16-bit grey clipped to white). "
        "The C++ reference conformance is in tests/signals/test_pdq_reference.py.",
    ]
    (RESULTS / "hashing.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
