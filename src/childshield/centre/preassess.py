"""Pre-assessment (Art. 48): does a known-material report match the centre's indicators?

Until the centre's indicator database exists, the centre's indicators are an ordinary
bank (``CHILDSHIELD_CENTRE_BANK``, default ``centre-indicators``) searched with the
:class:`~childshield.matching.Matcher`: md5/sha256 exactly, PDQ (and each vPDQ frame)
within the bank's threshold. New-material and solicitation reports are never
pre-assessed: they always go to an analyst.
"""

from __future__ import annotations

from typing import Any, Protocol

from childshield.errors import NotFoundError
from childshield.exchange.report import Report
from childshield.store.db import Database

MATCHES = "matches_centre_indicators"
ANALYST = "analyst_review"


class IndicatorCheck(Protocol):
    def __call__(self, report: Report) -> list[dict[str, Any]]:
        """One ``{"item_id", "indicator", "signal", "distance", "bank"}`` per match."""
        ...


class NoIndicators:
    """A centre without indicators: nothing is pre-assessed."""

    def __call__(self, report: Report) -> list[dict[str, Any]]:
        return []


class BankCheck:
    """Pre-assessment against one bank of the matching layer."""

    def __init__(self, db: Database, bank: str) -> None:
        self.db = db
        self.bank = bank
        self._matcher: Any = None

    def _get_matcher(self) -> Any:
        if self._matcher is None:
            from childshield.matching import Matcher

            self._matcher = Matcher(self.db)
        return self._matcher

    def __call__(self, report: Report) -> list[dict[str, Any]]:
        if report.abuse_type != "known":
            return []
        from childshield.matching import Match, PdqQuery

        matcher = self._get_matcher()
        try:
            matcher.check_bank(self.bank)
        except NotFoundError:
            return []
        found: list[dict[str, Any]] = []
        for item in report.content:
            matches: list[Match] = []
            exact: dict[str, str] = {}
            pdq: list[PdqQuery] = []
            for signal in item.signals:
                if signal.signal in ("md5", "sha256"):
                    exact[signal.signal] = signal.value
                else:
                    pdq.append(PdqQuery(signal.value, quality=signal.quality))
            matches.extend(matcher.match_values(exact, bank=self.bank))
            if pdq:
                matches.extend(matcher.match_image_variants(pdq, bank=self.bank))
            seen: set[int] = set()
            for m in sorted(matches, key=lambda m: m.distance):
                if m.indicator in seen:
                    continue
                seen.add(m.indicator)
                found.append({"item_id": item.item_id, "indicator": m.indicator,
                              "signal": m.signal, "distance": m.distance, "bank": m.bank})
        return found


__all__ = ["ANALYST", "MATCHES", "BankCheck", "IndicatorCheck", "NoIndicators"]
