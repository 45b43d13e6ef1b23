"""Evaluation measures: precision, recall, F0.5 (PAN12) and early-detection latency.

Early detection follows Vogt, Leser and Akbik (ACL 2021, "Early Detection of Sexual
Predators in Chats"): the latency of a true positive is the number of messages read up to
and including the one that raised the alert (k >= 1); its penalty is

    penalty(k) = -1 + 2 / (1 + exp(-p (k - 1))),   p = ln 3 / 89

(0 at the first message, 0.5 at the 90th); speed = 1 - median penalty over the true
positives; F_latency = F1 x speed.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from childshield._optional import require

P = math.log(3) / 89


def penalty(k: int) -> float:
    """Latency penalty for an alert after ``k`` messages (k >= 1)."""
    return -1.0 + 2.0 / (1.0 + math.exp(-P * (k - 1)))


@dataclass(slots=True)
class Outcome:
    id: str
    label: bool
    alert: bool
    risk: float
    alert_message: int | None
    suspect: str | None
    true_suspect: str | None
    language: str | None = None

    @property
    def latency(self) -> int | None:
        return None if self.alert_message is None else self.alert_message + 1


def _f(beta: float, precision: float, recall: float) -> float:
    if precision == 0 and recall == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def evaluate(outcomes: list[Outcome]) -> dict[str, Any]:
    """All measures over the labelled outcomes."""
    tp = [o for o in outcomes if o.label and o.alert]
    fp = sum(1 for o in outcomes if not o.label and o.alert)
    fn = sum(1 for o in outcomes if o.label and not o.alert)
    tn = sum(1 for o in outcomes if not o.label and not o.alert)
    precision = len(tp) / (len(tp) + fp) if tp or fp else 0.0
    recall = len(tp) / (len(tp) + fn) if tp or fn else 0.0
    f1 = _f(1.0, precision, recall)
    latencies = [o.latency for o in tp if o.latency is not None]
    speed = 1.0 - statistics.median(penalty(k) for k in latencies) if latencies else 0.0
    with_suspect = [o for o in tp if o.true_suspect is not None]
    suspect_ok = sum(1 for o in with_suspect if o.suspect == o.true_suspect)
    return {
        "conversations": len(outcomes),
        "positives": sum(1 for o in outcomes if o.label),
        "negatives": sum(1 for o in outcomes if not o.label),
        "tp": len(tp),
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "f0_5": _f(0.5, precision, recall),
        "latency_median": statistics.median(latencies) if latencies else None,
        "latency_mean": statistics.fmean(latencies) if latencies else None,
        "speed": speed,
        "f_latency": f1 * speed,
        "suspect_accuracy": suspect_ok / len(with_suspect) if with_suspect else None,
    }


def by_language(outcomes: list[Outcome]) -> dict[str, dict[str, Any]]:
    """``evaluate`` per language tag (outcomes without one are grouped as ``?``)."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.language or "?", []).append(outcome)
    return {language: evaluate(group) for language, group in sorted(groups.items())}


def calibration(outcomes: list[Outcome], bins: int = 10) -> list[dict[str, Any]]:
    """Reliability table: per risk bin, the mean predicted risk and the positive rate."""
    table = []
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        members = [o for o in outcomes if lo <= o.risk < hi or (i == bins - 1 and o.risk == 1.0)]
        table.append({
            "low": lo,
            "high": hi,
            "count": len(members),
            "mean_risk": statistics.fmean(o.risk for o in members) if members else None,
            "positive_rate": (sum(1 for o in members if o.label) / len(members)
                              if members else None),
        })
    return table


def plot_calibration(outcomes: list[Outcome], path: Path, title: str, threshold: float) -> None:
    """Write a calibration (reliability) plot and risk histogram as PNG (needs matplotlib)."""
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    plt = require("matplotlib.pyplot")
    table = [row for row in calibration(outcomes, bins=5) if row["count"]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4))
    left.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfect calibration")
    left.plot([r["mean_risk"] for r in table], [r["positive_rate"] for r in table],
              marker="o", color="tab:blue", label="model")
    for row in table:
        left.annotate(str(row["count"]), (row["mean_risk"], row["positive_rate"]),
                      textcoords="offset points", xytext=(4, -10), fontsize=8)
    left.set_xlabel("predicted risk (bin mean)")
    left.set_ylabel("share of grooming conversations")
    left.set_xlim(0, 1)
    left.set_ylim(-0.02, 1.02)
    left.legend(loc="upper left", fontsize=8)
    left.set_title("calibration (n per bin)")
    positives = [o.risk for o in outcomes if o.label]
    negatives = [o.risk for o in outcomes if not o.label]
    edges = [i / 20 for i in range(21)]
    right.hist(negatives, bins=edges, alpha=0.6, label="benign / hard negative", color="tab:green")
    right.hist(positives, bins=edges, alpha=0.6, label="grooming", color="tab:red")
    right.axvline(threshold, color="black", linestyle="--",
                  label=f"alert threshold {threshold:.2f}")
    right.set_xlabel("peak risk per conversation")
    right.set_ylabel("conversations")
    right.legend(fontsize=8)
    right.set_title("risk distribution")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


__all__ = [
    "Outcome",
    "P",
    "by_language",
    "calibration",
    "evaluate",
    "penalty",
    "plot_calibration",
]
