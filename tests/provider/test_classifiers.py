"""Classifier plug-ins: the conformance kit, calibration on labelled data, cases from scores.

The only plug-in here is the stand-in that scores mean brightness (SAFETY.md: no real
classifier is shipped); the images are flat grey levels and drawn shapes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from tests.provider.conftest import Provider

from childshield.api.testing import bearer
from childshield.provider.calibration import threshold_for_precision
from childshield.provider.classifiers import (
    STANDIN_ENV,
    Classifier,
    all_classifiers,
    loaded_classifiers,
    plugin_manager,
)


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STANDIN_ENV, "1")


def _grey(path: Path, level: int) -> Path:
    Image.new("RGB", (64, 64), (level, level, level)).save(path)
    return path


def test_no_classifier_is_registered_unless_the_standin_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(STANDIN_ENV, raising=False)
    assert "standin-mean-brightness" not in all_classifiers(plugin_manager())


@pytest.mark.usefixtures("standin")
def test_every_registered_classifier_conforms(tmp_path: Path) -> None:
    found = all_classifiers()
    assert found
    for name, classifier in found.items():
        assert isinstance(classifier, Classifier) and classifier.info.name == name
        assert classifier.info.model_card and classifier.info.thresholds
        for level in (0, 128, 255):
            score = classifier.score(Image.open(_grey(tmp_path / f"{level}.png", level)))
            assert 0.0 <= score <= 1.0


def test_threshold_search_reaches_the_target_precision() -> None:
    scores = [0.1, 0.2, 0.3, 0.55, 0.6, 0.65, 0.7, 0.8, 0.85, 0.9, 0.95]
    labels = [0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1]
    threshold, precision, recall = threshold_for_precision(scores, labels, 0.99)
    assert threshold == 0.65 and precision == 1.0 and recall == pytest.approx(6 / 7)
    threshold, precision, _ = threshold_for_precision(scores, labels, 0.8)
    assert threshold == 0.55 and precision >= 0.8


@pytest.mark.usefixtures("standin")
def test_calibrate_command_stores_the_threshold_detection_uses(tmp_path: Path) -> None:
    rows = ["path,label"]
    for level in range(0, 256, 16):
        label = "positive" if level >= 160 or level == 96 else "benign"
        rows.append(f"{_grey(tmp_path / f'g{level}.png', level).name},{label}")
    (tmp_path / "junk.png").write_bytes(b"not an image")
    rows += ["junk.png,benign", "missing.png,maybe"]
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(rows) + "\n")
    run = subprocess.run(
        [sys.executable, "-m", "childshield", "classifier", "calibrate",
         "standin-mean-brightness", str(labels), "--precision", "0.99", "--json"],
        capture_output=True, text=True, env=os.environ, timeout=120)
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.returncode == 1  # two rows could not be used; they are named
    assert {e["line"] for e in lines if "error" in e} == {len(rows) - 1, len(rows)}
    result = lines[-1]
    assert result["precision"] == 1.0 and result["threshold"] == pytest.approx(160 / 255, 1e-3)
    from childshield.settings import Settings

    loaded = {c.classifier.info.name: c for c in loaded_classifiers(Settings().data_dir)}
    assert loaded["standin-mean-brightness"].calibrated
    assert loaded["standin-mean-brightness"].threshold == result["threshold"]


@pytest.mark.usefixtures("standin")
def test_a_classifier_score_opens_a_new_case(provider: Provider) -> None:
    bright = _grey(provider.tmp / "bright.png", 250)
    dark = _grey(provider.tmp / "dark.png", 20)
    answer = provider.upload(bright).json()
    assert answer["matches"] == []
    assert answer["classifications"][0]["raised"] is True
    assert answer["case"]["abuse_type"] == "new"
    assert provider.upload(dark).json()["case"] is None
    case = provider.http.get(provider.url + f"/provider/v1/cases/{answer['case']['id']}",
                             headers=bearer(provider.key)).json()
    assert case["hits"][0]["kind"] == "classifier"
    assert case["hits"][0]["detector"] == "standin-mean-brightness"
