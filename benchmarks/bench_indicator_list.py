"""Signed indicator lists at scale: canonicalisation against the reference, sign, verify, apply.

    python benchmarks/bench_indicator_list.py [--quick] [--entries N]

The reference is the ``rfc8785`` package (pure-Python RFC 8785); childshield's canonical
path must give the same bytes (checked here) and is timed against it in the same run. The
list holds random 256-bit PDQ values (benign noise, no real indicators). Runs on one core.
Writes benchmarks/results/indicator_list.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import rfc8785  # noqa: E402

from childshield.crypto.canonical import canonicalize  # noqa: E402
from childshield.crypto.signing import SigningKey  # noqa: E402
from childshield.exchange.indicator_list import (  # noqa: E402
    Entry,
    Scope,
    apply_list,
    build_list,
    sign_list,
    verify_list,
)


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def run(entries: int) -> dict[str, Any]:
    scope = Scope(signals=["pdq"], media=["image"])
    items = [Entry(f"ind-{i}", "pdq", secrets.token_hex(32), "image") for i in range(entries)]
    lst = build_list(
        issuer="centre",
        list_id="bench",
        version=1,
        scope=scope,
        entries=items,
        created=datetime.now(UTC),
    )
    payload = lst.to_json()
    reference, t_ref = timed(rfc8785.dumps, payload)
    ours, t_ours = timed(canonicalize, payload)
    assert reference == ours, "canonical bytes differ from the rfc8785 reference"
    key = SigningKey.generate()
    envelope, t_sign = timed(sign_list, lst, key)
    text, t_dump = timed(json.dumps, envelope)
    received, t_load = timed(json.loads, text)
    verified, t_verify = timed(
        verify_list,
        received,
        [key.trusted("centre")],
        issuer="centre",
        list_id="bench",
        held_version=None,
        allowed=scope,
    )
    state, t_apply = timed(apply_list, None, verified)
    assert len(state.entries) == entries
    return {
        "entries": entries,
        "bytes": len(text),
        "canonical_reference_s": t_ref,
        "canonical_childshield_s": t_ours,
        "canonical_speedup": t_ref / t_ours,
        "sign_s": t_sign,
        "json_dump_s": t_dump,
        "json_load_s": t_load,
        "verify_s": t_verify,
        "apply_s": t_apply,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 entries")
    parser.add_argument("--entries", type=int, default=None)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    n = args.entries or (100_000 if args.quick else 1_000_000)
    result = run(n)
    result["machine"] = (
        f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, 1 core of {os.cpu_count()} (shared), load "
        f"{os.getloadavg()[0]:.1f}"
    )
    rows = [
        ("canonical JSON, rfc8785 reference", result["canonical_reference_s"]),
        ("canonical JSON, childshield", result["canonical_childshield_s"]),
        ("sign (canonicalise + Ed25519)", result["sign_s"]),
        ("verify (signature, header, scope, every entry)", result["verify_s"]),
        ("apply to held state", result["apply_s"]),
    ]
    lines = [
        "# Signed indicator lists",
        "",
        f"{n:,} PDQ entries, {result['bytes'] / 1e6:.1f} MB of JSON; {result['machine']}.",
        "",
        "| step | seconds |",
        "|---|---|",
        *[f"| {name} | {seconds:.2f} |" for name, seconds in rows],
        "",
        f"childshield's canonical path is {result['canonical_speedup']:.1f}x the rfc8785 "
        "reference, with identical bytes (asserted).",
        "",
    ]
    print("\n".join(lines))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "indicator_list.md").write_text("\n".join(lines))
    (out / "indicator_list.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
