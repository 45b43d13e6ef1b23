"""Video hashing speed: childshield's vPDQ against Meta's ``vpdq`` package, in the same run.

Data: the vPDQ reference sample videos in ../shared/testdata/vpdq-reference (read in place,
never copied). For each mode both implementations hash the same videos on the same core(s),
interleaved, decode included; figures are frames hashed per second and ms per frame, with the
ratio childshield / vpdq (> 1: childshield is faster).

Modes: every frame at native size (vpdq's conformance setting), every frame downsampled to
128x128 (vpdq's ``downsample_width/height``), one frame a second (the default). Plus a batch
over all videos on all cores (childshield: a process a core; vpdq: its own hashing threads).

``vpdq`` does not ship wheels; it builds against FFmpeg's development packages
(Debian: libavcodec-dev libavformat-dev libavdevice-dev libavfilter-dev libswscale-dev
libswresample-dev pkg-config, then ``pip install vpdq``). Without it only childshield's
figures are printed and the ratios are left out.

Run: ``python benchmarks/bench_video.py [--quick] [--cores N]``. Results go to
benchmarks/results/video.md and .json.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
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

from childshield.signals.vpdq import hash_frames, hash_videos  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
QUICK = ["chair-19-sd-bar", "pattern-hd-no-bar", "doorknob-hd-no-bar"]


def testdata() -> Path:
    for base in (ROOT.parent / "shared", ROOT.parent.parent / "shared", Path("/work/shared")):
        if (base / "testdata" / "vpdq-reference").is_dir():
            return base / "testdata" / "vpdq-reference"
    raise SystemExit("../shared/testdata/vpdq-reference not found")


def load_vpdq() -> Any:
    try:
        import vpdq
    except ImportError:
        return None
    return vpdq


def timed(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    """Best of ``repeat`` runs: (seconds, frames hashed)."""
    best, frames = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        frames = fn()
        best = min(best, time.perf_counter() - start)
    return best, frames


def mode_functions(vpdq: Any, mode: str, video: Path) -> dict[str, Callable[[], int]]:
    interval, size = {"native-every-frame": (0.0, None), "128x128-every-frame": (0.0, (128, 128)),
                      "native-1-per-second": (1.0, None)}[mode]
    out: dict[str, Callable[[], int]] = {
        "childshield": lambda: len(hash_frames(video, frame_interval=interval, downsample=size))
    }
    if vpdq is not None:
        w, h = size or (0, 0)
        out["vpdq"] = lambda: len(
            vpdq.computeHash(str(video), seconds_per_hash=interval, downsample_width=w,
                             downsample_height=h, thread_count=1)
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="3 videos, one repetition")
    parser.add_argument("--cores", type=int, default=1, help="cores for the per-video modes")
    args = parser.parse_args()
    data = testdata()
    names = QUICK if args.quick else sorted(p.stem for p in (data / "sample-videos").glob("*.mp4"))
    videos = [data / "sample-videos" / f"{n}.mp4" for n in names]
    repeat = 1
    available = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, available[: args.cores])
    vpdq = load_vpdq()
    hash_frames(videos[0], frame_interval=5.0)  # numba compilation / cache load

    results: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, {platform.python_version()}",
        "load_average_at_start": os.getloadavg(),
        "cores_per_video": args.cores,
        "videos": names,
        "vpdq": importlib.metadata.version("vpdq") if vpdq else None,
        "modes": {},
    }
    for mode in ("native-every-frame", "128x128-every-frame", "native-1-per-second"):
        totals: dict[str, list[float]] = {}
        per_video = []
        for video in videos:
            row: dict[str, Any] = {"video": video.stem}
            for impl, fn in mode_functions(vpdq, mode, video).items():
                seconds, frames = timed(fn, repeat)
                row[impl] = {"seconds": seconds, "frames": frames}
                totals.setdefault(impl, [0.0, 0])  # type: ignore[list-item]
                totals[impl][0] += seconds
                totals[impl][1] += frames
            per_video.append(row)
        summary = {
            impl: {"frames_per_s": t[1] / t[0], "ms_per_frame": 1000 * t[0] / t[1],
                   "frames": int(t[1])}
            for impl, t in totals.items()
        }
        if "vpdq" in summary:
            summary["ratio"] = summary["childshield"]["frames_per_s"] / summary["vpdq"][
                "frames_per_s"]
            ratios = [r["vpdq"]["seconds"] / r["childshield"]["seconds"] for r in per_video]
            summary["ratio_median_per_video"] = statistics.median(ratios)
        results["modes"][mode] = {"summary": summary, "per_video": per_video}
        print(mode, json.dumps(summary))

    # a batch on all cores
    os.sched_setaffinity(0, available)
    start = time.perf_counter()
    frames = sum(len(r.get("vpdq", [])) for r in hash_videos(videos, frame_interval=0,
                                                            workers=len(available)))
    batch = {"childshield": {"frames_per_s": frames / (time.perf_counter() - start)}}
    if vpdq is not None:
        start = time.perf_counter()
        frames = sum(len(vpdq.computeHash(str(v), seconds_per_hash=0, thread_count=0))
                     for v in videos)
        batch["vpdq"] = {"frames_per_s": frames / (time.perf_counter() - start)}
        batch["ratio"] = batch["childshield"]["frames_per_s"] / batch["vpdq"]["frames_per_s"]
    results["batch_all_cores"] = {"cores": len(available), **batch}
    print("batch", json.dumps(batch))
    write(results)


def write(results: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "video.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Video hashing: childshield vPDQ vs Meta's vpdq (same run)",
        "",
        f"Machine: {results['machine']}; vpdq: {results['vpdq'] or 'not installed'}; "
        f"videos: {len(results['videos'])} reference samples; per-video modes on "
        f"{results['cores_per_video']} core(s), decode included, best of runs.",
        "",
        "| mode | childshield frames/s (ms/frame) | vpdq frames/s (ms/frame) | ratio |",
        "|---|---|---|---|",
    ]
    for mode, body in results["modes"].items():
        s = body["summary"]
        ours = s["childshield"]
        theirs = s.get("vpdq")
        cell = f"{theirs['frames_per_s']:.0f} ({theirs['ms_per_frame']:.2f})" if theirs else "-"
        ratio = f"{s['ratio']:.2f}x" if "ratio" in s else "-"
        lines.append(f"| {mode} | {ours['frames_per_s']:.0f} ({ours['ms_per_frame']:.2f}) | "
                     f"{cell} | {ratio} |")
    b = results["batch_all_cores"]
    theirs_b = f"{b['vpdq']['frames_per_s']:.0f}" if "vpdq" in b else "-"
    ratio_b = f"{b['ratio']:.2f}x" if "ratio" in b else "-"
    lines.append(f"| batch, every frame, {b['cores']} cores | "
                 f"{b['childshield']['frames_per_s']:.0f} | {theirs_b} | {ratio_b} |")
    lines += ["", "1-per-second modes count hashed frames only (every frame is still decoded).",
              "The machine was shared with other jobs (load average "
              f"{results['load_average_at_start'][0]:.1f} at the start): compare ratios, "
              "not absolute figures."]
    (RESULTS / "video.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
