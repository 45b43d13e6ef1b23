"""Calibrating a classifier plug-in to a target precision on the operator's own data.

The operator labels a sample of their own content (``positive`` = a reviewer confirmed it,
``benign`` = not abuse), scores it with the plug-in, and picks the **lowest threshold
whose precision on the sample reaches the target** (so recall is as high as that precision
allows): a threshold search over the precision-recall curve (scikit-learn's
``precision_recall_curve``). The chosen threshold, the precision and recall reached and the
sample size are stored (``<data_dir>/classifiers/<name>.json``) and used by detection from
the next start. A sample without enough positives, or on which no threshold reaches the
target, is refused with a message saying so.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from childshield._optional import require
from childshield.errors import ChildshieldError, InputError, NotFoundError
from childshield.provider.classifiers import (
    Calibration,
    Classifier,
    all_classifiers,
    calibration_path,
)

MIN_POSITIVES = 5
LABELS = {"1": 1, "positive": 1, "pos": 1, "true": 1, "0": 0, "benign": 0, "negative": 0,
          "neg": 0, "false": 0}


def threshold_for_precision(
    scores: Sequence[float], labels: Sequence[int], target: float
) -> tuple[float, float, float]:
    """(threshold, precision, recall): the lowest threshold with precision >= target."""
    if not 0 < target <= 1:
        raise InputError("the target precision must be in (0, 1]")
    positives = sum(labels)
    if positives < MIN_POSITIVES or positives == len(labels):
        raise InputError(f"the sample needs at least {MIN_POSITIVES} positive and one benign "
                         f"item (it has {positives} positive of {len(labels)})")
    require("sklearn")
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(labels, scores)
    for p, r, t in zip(precision[:-1], recall[:-1], thresholds, strict=True):
        if p >= target:
            return float(t), float(p), float(r)
    raise InputError(f"no threshold reaches precision {target} on this sample (best: "
                     f"{float(max(precision[:-1])):.3f}); label more data or lower the target")


def read_labels(path: Path) -> Iterator[tuple[int, str, int | None, str | None]]:
    """(line, file path, label or None, error) per row of ``path,label`` CSV (relative paths
    are relative to the CSV's folder; a header row is skipped)."""
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or row[0].startswith("#"):
                continue
            if number == 1 and row[0].strip().lower() in ("path", "file"):
                continue
            if len(row) < 2:
                yield number, row[0], None, "expected: path,label"
                continue
            label = LABELS.get(row[1].strip().lower())
            target = Path(row[0].strip())
            target = target if target.is_absolute() else path.parent / target
            yield number, str(target), label, None if label is not None else \
                f"unknown label {row[1]!r} (use positive/benign or 1/0)"


def score_file(classifier: Classifier, path: str) -> float:
    from childshield.signals.media import load_image_for_pdq

    return float(classifier.score(load_image_for_pdq(path)))


def calibrate(
    name: str, labels_csv: Path, target: float, data_dir: Path
) -> tuple[Calibration, list[dict[str, Any]]]:
    """Score the labelled sample, choose the threshold, store it; returns it and the
    per-item errors (unreadable files, bad labels are skipped, never fatal)."""
    classifiers = all_classifiers()
    classifier = classifiers.get(name)
    if classifier is None:
        raise NotFoundError(f"no classifier plug-in named {name!r} (installed: "
                            f"{', '.join(sorted(classifiers)) or 'none'})")
    scores: list[float] = []
    labels: list[int] = []
    errors: list[dict[str, Any]] = []
    for line, path, label, error in read_labels(labels_csv):
        if label is None:
            errors.append({"line": line, "path": path, "error": error})
            continue
        try:
            scores.append(score_file(classifier, path))
        except (ChildshieldError, OSError) as exc:
            message = exc.message if isinstance(exc, ChildshieldError) else str(exc)
            errors.append({"line": line, "path": path, "error": message})
            continue
        labels.append(label)
    threshold, precision, recall = threshold_for_precision(scores, labels, target)
    result = Calibration(name, threshold, target, round(precision, 4), round(recall, 4),
                         len(labels), sum(labels), "precision-recall threshold search",
                         datetime.now(UTC).isoformat(timespec="seconds"))
    out = calibration_path(data_dir, name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    return result, errors


__all__ = ["MIN_POSITIVES", "calibrate", "read_labels", "threshold_for_precision"]
