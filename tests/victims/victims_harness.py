"""Shared constants and helpers for the victims' tests (imported by module name)."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
STATIC = Path(__file__).resolve().parents[2] / "src" / "childshield" / "web" / "static"


def distance(a: str, b: str) -> int:
    """Hamming distance between two hex hashes."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")
