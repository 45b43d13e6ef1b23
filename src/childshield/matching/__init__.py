"""Matching content against indicator banks: the bank service and the matcher.

``BankService(db)`` creates, fills, exports and withdraws banks; ``Matcher(db)`` finds the
indicators a signal matches (md5/sha256 exactly, PDQ through the exact near-duplicate
index). Both are what the CLI, the HTTP API and the scanner call.

Names are imported on first use, so ``bank`` commands do not load the index kernels.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from childshield.matching.matcher import Match, Matcher, PdqHit, PdqQuery
    from childshield.matching.service import BankService, ImportSummary, WithdrawSummary

_HOME = {
    "BankService": "service",
    "ImportSummary": "service",
    "WithdrawSummary": "service",
    "Match": "matcher",
    "Matcher": "matcher",
    "PdqHit": "matcher",
    "PdqQuery": "matcher",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


__all__ = [
    "BankService",
    "ImportSummary",
    "Match",
    "Matcher",
    "PdqHit",
    "PdqQuery",
    "WithdrawSummary",
]
