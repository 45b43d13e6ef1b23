"""Matching content against indicator banks: the bank service and the matcher.

``BankService(db)`` creates, fills, exports and withdraws banks; ``Matcher(db)`` finds the
indicators a signal matches (md5/sha256 exactly, PDQ through the exact near-duplicate
index). Both are what the CLI, the HTTP API and the scanner call.
"""

from childshield.matching.matcher import Match, Matcher, PdqHit, PdqQuery
from childshield.matching.service import BankService, ImportSummary, WithdrawSummary

__all__ = [
    "BankService",
    "ImportSummary",
    "Match",
    "Matcher",
    "PdqHit",
    "PdqQuery",
    "WithdrawSummary",
]
