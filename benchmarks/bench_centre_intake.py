"""The centre's report intake over loopback HTTP: latency and throughput, one worker.

    python benchmarks/bench_centre_intake.py [--quick] [--reports N] [--db URL]

No reference tool exists for an EU Centre intake, so the baseline in the same run is the
cheapest authenticated request the service answers (``GET /centre/v1/whoami``: HTTP, API
key check, one query); the ratio says what verification, validation, duplicate linking,
encryption and the audit record add on top. Reports are stand-in data (a few bytes of
text sealed for the centre, hashes of those bytes), signed before timing starts; a third of
them repeat earlier content so duplicate linking has work to do. Also times
``childshield centre stats`` over what was received. Writes
benchmarks/results/centre_intake.{md,json}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from childshield.api.testing import LiveServer, add_tenant_with_key, bearer  # noqa: E402
from childshield.centre import providers, stats  # noqa: E402
from childshield.crypto.keyring import EvidenceKey  # noqa: E402
from childshield.crypto.sealing import SealingKey, SealingPublicKey  # noqa: E402
from childshield.crypto.signing import SigningKey, sign_document  # noqa: E402
from childshield.exchange.report import REPORT_TYPE, seal_item  # noqa: E402
from childshield.settings import Settings  # noqa: E402


def report(centre: SealingPublicKey, n: int) -> dict[str, Any]:
    report_id = str(uuid.uuid4())
    content = b"benchmark stand-in content %d" % (n % max(1, n // 3 + 1))
    return {
        "format": "childshield.report/1", "report_id": report_id,
        "provider": {"id": "bench-host", "name": "Bench", "address": "1 Street",
                     "email": "a@bench.example", "country": "BE", "legal_representative": None},
        "created": "2026-11-28T12:00:00Z",
        "content": [{"item_id": "item-1", "kind": "image", "media_type": "image/png",
                     "signals": [{"signal": "md5", "value": hashlib.md5(content).hexdigest()},
                                 {"signal": "sha256",
                                  "value": hashlib.sha256(content).hexdigest()}],
                     "matched_indicators": [],
                     "sealed_content": seal_item(content, centre, report_id=report_id,
                                                 item_id="item-1").model_dump()}],
        "other_data": {}, "abuse_type": "known",
        "location": {"ip": "192.0.2.1", "country": "DE"},
        "users": [{"user_id": "u-1", "role": "uploader"}], "third_country_reports": [],
        "removal": {"status": "removed", "time": "2026-11-28T11:00:00Z"}, "urgent": False,
        "legal_basis": "test", "human_review": {"reviewer": "r",
                                                 "decided_at": "2026-11-28T11:30:00Z",
                                                 "decision": "confirm_known"},
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(count: int, db_url: str | None) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-centre-"))
    os.environ["CHILDSHIELD_DATA_DIR"] = str(tmp)
    url = db_url or f"sqlite:///{tmp / 'centre.db'}"
    sealing, signer = SealingKey.generate(), SigningKey.generate()
    settings = Settings(signing_key=SecretStr(SigningKey.generate().to_base64()),
                        evidence_keys=SecretStr(EvidenceKey.generate("ek").to_spec()),
                        centre_private_key=SecretStr(sealing.to_base64()),
                        centre_referral_dir=tmp / "referrals")
    server = LiveServer.start("centre", url, settings=settings)
    try:
        with server.database.session() as session:
            row = providers.register_provider(session, "bench-host", contact="x",
                                              public_keys=[signer.public_base64], actor="b")
            key = providers.issue_api_key(session, row, actor="b")
        analyst = add_tenant_with_key(server.database, "eu-centre", "centre", ["analyst"])
        bodies = [json.dumps(sign_document(report(sealing.public_key, n), signer,
                                           typ=REPORT_TYPE)).encode() for n in range(count)]
        baseline: list[float] = []
        intake: list[float] = []
        with httpx.Client(timeout=60) as http:
            for _ in range(count):
                start = time.perf_counter()
                assert http.get(server.url + "/centre/v1/whoami",
                                headers=bearer(key)).status_code == 200
                baseline.append(time.perf_counter() - start)
            wall = time.perf_counter()
            for body in bodies:
                start = time.perf_counter()
                r = http.post(server.url + "/centre/v1/reports", content=body,
                              headers={**bearer(key), "Idempotency-Key": uuid.uuid4().hex,
                                       "Content-Type": "application/json"})
                intake.append(time.perf_counter() - start)
                assert r.status_code == 201, r.text
            wall = time.perf_counter() - wall
            assert len(http.get(server.url + "/centre/v1/analysis/queue",
                                headers=bearer(analyst), params={"limit": 500}).json()) \
                == min(count, 500)
        with server.database.session() as session:
            start = time.perf_counter()
            figures = stats.compute(session)
            t_stats = time.perf_counter() - start
        assert figures["reports"]["total"] == count
        dialect = server.database.engine.dialect.name
    finally:
        server.stop()
        server.database.dispose()
    ms = 1000.0
    return {
        "reports": count, "database": dialect, "body_bytes": len(bodies[0]),
        "intake_p50_ms": round(pct(intake, 0.5) * ms, 2),
        "intake_p99_ms": round(pct(intake, 0.99) * ms, 2),
        "intake_per_s": round(count / wall, 1),
        "baseline_whoami_p50_ms": round(statistics.median(baseline) * ms, 2),
        "ratio_intake_to_baseline_p50": round(pct(intake, 0.5) / statistics.median(baseline),
                                              1),
        "duplicate_groups": figures["duplicates"]["items"],
        "stats_ms": round(t_stats * ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="50 reports")
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--db", default=None, help="database URL (default: a fresh SQLite)")
    args = parser.parse_args()
    count = 50 if args.quick else args.reports
    result = run(count, args.db)
    result.update(machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
                  python=platform.python_version(), cpus=os.cpu_count(),
                  load_average_1min=round(os.getloadavg()[0], 1),
                  when=datetime.now(UTC).isoformat(timespec="seconds"))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "centre_intake.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# Centre report intake (loopback HTTP, one uvicorn worker)", "",
             "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in result.items()]
    (out / "centre_intake.md").write_text("\n".join(lines) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
