"""The `childshield conversations` command end to end (subprocess, as a user runs it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_conversations_train import pan12_file

DESIGN_KEYS = ["id", "risk", "alert", "alert_message", "suspect", "indicators"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "childshield", "conversations", *args],
                          capture_output=True, text=True, timeout=120)


def conversation(conv_id: str, lines: list[tuple[str, str]], **extra: object) -> str:
    messages = [{"author": a, "time": f"2024-05-01T10:{i:02d}:00Z", "text": t}
                for i, (a, t) in enumerate(lines)]
    return json.dumps({"id": conv_id, "messages": messages, **extra})


GROOM = [("sam", "how old r u"), ("jo", "12"), ("sam", "ur so mature for ur age"),
         ("sam", "our secret ok? dont tell ur parents"), ("sam", "add me on snap"),
         ("sam", "send me a selfie")]
BENIGN = [("mum", "send me a photo of your homework please"), ("kid", "ok"),
          ("mum", "thanks, see you at 5")]


def test_score_jsonl_prints_the_design_shape_and_reports_bad_lines(tmp_path):
    path = tmp_path / "chats.jsonl"
    path.write_text("\n".join([conversation("g", GROOM), "{oops",
                               conversation("b", BENIGN)]) + "\n", encoding="utf-8")
    done = cli("score", str(path), "--json")
    assert done.returncode == 1, done.stderr  # ITEM_ERRORS: the batch went on
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r.get("id") for r in rows] == ["g", None, "b"]
    groom, error, benign = rows
    assert list(groom) == DESIGN_KEYS
    assert groom["alert"] is True and groom["suspect"] == "sam"
    assert isinstance(groom["alert_message"], int) and 0 <= groom["risk"] <= 1
    assert all(set(i) == {"category", "message", "text"} for i in groom["indicators"])
    assert error["error"].startswith("line 2: not JSON")
    assert list(benign) == DESIGN_KEYS and benign["alert"] is False
    assert benign["alert_message"] is None


def test_score_pan12_and_human_output(tmp_path):
    xml, _ = pan12_file(tmp_path, n=4)
    done = cli("score", str(xml), "--format", "pan12")
    assert done.returncode == 0, done.stderr
    assert "conv0: risk" in done.stdout and "ALERT" in done.stdout


def test_missing_file_and_unknown_format_are_clear_errors(tmp_path):
    missing = cli("score", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 4 and "no such file" in missing.stderr
    path = tmp_path / "x.jsonl"
    path.write_text(conversation("a", BENIGN) + "\n")
    wrong = cli("score", str(path), "--format", "csv")
    assert wrong.returncode == 3 and "unknown format" in wrong.stderr


def test_train_then_evaluate_with_the_trained_model_and_a_plot(tmp_path):
    xml, labels = pan12_file(tmp_path)
    model = tmp_path / "model.json"
    trained = cli("train", str(xml), "--format", "pan12", "--predators", str(labels),
                  "--out", str(model), "--version", "cli-test", "--json")
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout)
    assert summary["version"] == "cli-test" and model.exists()
    assert Path(str(model).replace(".json", ".md")).exists()
    plot = tmp_path / "calibration.png"
    done = cli("evaluate", str(xml), "--format", "pan12", "--predators", str(labels),
               "--model", str(model), "--plot", str(plot), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["model"] == "cli-test" and report["conversations"] == 30
    for key in ("precision", "recall", "f0_5", "latency_median", "speed", "f_latency"):
        assert key in report
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pan12_training_without_labels_is_refused(tmp_path):
    xml, _ = pan12_file(tmp_path, n=2)
    done = cli("train", str(xml), "--format", "pan12", "--out", str(tmp_path / "m.json"))
    assert done.returncode == 3 and "--predators" in done.stderr
