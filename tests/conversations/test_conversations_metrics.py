"""Evaluation measures (PAN12 F0.5; Vogt, Leser and Akbik 2021 latency, speed, F_latency)."""

from __future__ import annotations

import math

import pytest

from childshield.conversations.metrics import Outcome, calibration, evaluate, penalty


def test_penalty_is_zero_at_the_first_message_and_half_at_the_ninetieth():
    assert penalty(1) == 0.0
    assert penalty(90) == pytest.approx(0.5)
    assert penalty(10_000) == pytest.approx(1.0, abs=1e-6)
    assert all(penalty(k) < penalty(k + 1) for k in range(1, 300))


def outcome(label: bool, alert: bool, message: int | None = None, suspect: str | None = None,
            truth: str | None = None, risk: float = 0.5) -> Outcome:
    return Outcome("x", label, alert, risk, message, suspect, truth)


def test_precision_recall_f05_latency_and_speed():
    outcomes = [
        outcome(True, True, 0, "a", "a"),      # latency 1
        outcome(True, True, 89, "a", "a"),     # latency 90
        outcome(True, True, 199, "b", "a"),    # latency 200, wrong suspect
        outcome(True, False),
        outcome(True, False),
        outcome(False, True, 3),
        outcome(False, False),
    ]
    m = evaluate(outcomes)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (3, 1, 2, 1)
    assert m["precision"] == pytest.approx(0.75)
    assert m["recall"] == pytest.approx(0.6)
    p, r = 0.75, 0.6
    assert m["f0_5"] == pytest.approx(1.25 * p * r / (0.25 * p + r))
    assert m["f1"] == pytest.approx(2 * p * r / (p + r))
    assert m["latency_median"] == 90
    assert m["speed"] == pytest.approx(0.5)
    assert m["f_latency"] == pytest.approx(m["f1"] * 0.5)
    assert m["suspect_accuracy"] == pytest.approx(2 / 3)


def test_no_alerts_at_all_gives_zero_not_a_division_error():
    m = evaluate([outcome(True, False), outcome(False, False)])
    assert m["precision"] == 0.0 and m["recall"] == 0.0 and m["f0_5"] == 0.0
    assert m["speed"] == 0.0 and m["latency_median"] is None


def test_calibration_bins_hold_every_outcome_once():
    outcomes = [outcome(i % 3 == 0, False, risk=i / 20) for i in range(21)]
    table = calibration(outcomes, bins=4)
    assert sum(row["count"] for row in table) == 21
    top = table[-1]
    assert math.isclose(top["high"], 1.0) and top["count"] == 6
