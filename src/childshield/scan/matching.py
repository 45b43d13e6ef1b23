"""The scan's matcher: a hashed record -> its matches in a bank (``childshield.matching``).

Workers already computed the robustness query variants (``record["variants"]``), so unlike
:func:`childshield.matching.files.match_record` nothing is decoded again here: md5, sha256
and vpdq frames go through ``match_record`` with the PDQ left out, and the PDQ with its
variants through :meth:`Matcher.match_image_variants`. The same rules apply as for
``childshield match`` (bank thresholds, quality floor, withdrawn indicators ignored).
"""

from __future__ import annotations

from typing import Any

from childshield.signals.pdq import LOW_QUALITY


class BankRecordMatcher:
    """Callable ``record -> [match dict]`` over one bank (or all banks if ``bank`` is None)."""

    def __init__(self, db_url: str | None, bank: str | None) -> None:
        from childshield.matching import Matcher
        from childshield.store import open_database

        self.bank = bank
        self.matcher = Matcher(open_database(db_url))
        self.matcher.check_bank(bank)  # a wrong bank name fails before any file is read

    def __call__(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        from childshield.matching.files import match_record
        from childshield.matching.matcher import PdqQuery, best_per_indicator

        variants = record.get("variants")
        if variants is None or not record.get("pdq"):
            return [m.to_dict() for m in match_record(self.matcher, record, self.bank)]
        found = match_record(self.matcher, {**record, "pdq": None}, self.bank)
        quality = record.get("quality")
        queries = [PdqQuery(record["pdq"], "full", quality)]
        if quality is None or quality >= LOW_QUALITY:
            queries += [PdqQuery(value, label, q) for label, value, q in variants
                        if label != "full"]  # the same hash as record["pdq"]
        found += self.matcher.match_image_variants(queries, self.bank)
        return [m.to_dict() for m in best_per_indicator(found)]


__all__ = ["BankRecordMatcher"]
