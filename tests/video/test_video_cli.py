"""``childshield live`` on the command line, against a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from video_testkit import background_frame, drawn_indicator, write_video

from childshield.exchange.indicator_record import IndicatorRecord
from childshield.matching import BankService
from childshield.signals.video_pdq import luma_from_rgb, pdq_hex_from_luma
from childshield.store import open_database
from childshield.store.banks import Provenance


def cli(*args: str, stdin: Path | None = None) -> subprocess.CompletedProcess[str]:
    with (stdin or Path(os.devnull)).open("rb") as fh:
        return subprocess.run(
            [sys.executable, "-m", "childshield", *args],
            stdin=fh, capture_output=True, text=True, timeout=120, check=False,
        )


def test_live_from_stdin_prints_an_alert_line(sqlite_url: str, tmp_path: Path) -> None:
    image = drawn_indicator()
    service = BankService(open_database(sqlite_url))
    service.create("test-indicators")
    service.add_records(
        "test-indicators",
        [IndicatorRecord("pdq", pdq_hex_from_luma(luma_from_rgb(image))[0], "image")],
        Provenance(source="drawn.png"),
    )
    frames = (image if 40 <= i < 60 else background_frame(i / 10) for i in range(90))
    recording = write_video(tmp_path / "rec.ts", frames, fps=10, container_format="mpegts")

    done = cli("live", "-", "--format", "mpegts", "--bank", "test-indicators", "--json",
               "--db", sqlite_url, stdin=recording)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["event"] for e in events] == ["started", "alert", "ended"]
    assert events[1]["stream_time"] == 4.0
    assert events[1]["matches"][0]["bank"] == "test-indicators"
    assert events[-1]["reason"] == "end-of-stream"


def test_live_with_an_unknown_bank_fails_clearly(sqlite_url: str) -> None:
    done = cli("live", "-", "--bank", "nope", "--db", sqlite_url)
    assert done.returncode == 4
    assert "no bank named 'nope'" in done.stderr


def test_live_on_a_missing_file_ends_with_an_error_status(sqlite_url: str, tmp_path: Path) -> None:
    done = cli("live", str(tmp_path / "absent.ts"), "--json", "--db", sqlite_url,
               "--reconnects", "0")
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1
    assert events[-1]["event"] == "ended" and events[-1]["reason"] == "error"
