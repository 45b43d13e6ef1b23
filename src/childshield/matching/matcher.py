"""The Matcher: which indicators does a signal match, in all banks or one.

- md5 / sha256 / url: equality, looked up in the database.
- pdq: the exact near-duplicate index (every indicator hash within the search radius is
  found), then each hit is checked against its bank: the hit's indicator must still be
  active (a withdrawal takes effect on the next lookup), the query's quality at least the
  bank's ``quality_min`` when known, and the distance within the limit for that pair of
  variants: ``frame_threshold`` for video frame rows (``frame``, ``frame:*``; the video
  aggregation in :mod:`childshield.matching.video` pairs frame variants), otherwise the pair
  rule (default: :mod:`childshield.signals.robust`'s, which lets whole-picture variants
  match each other within the bank's threshold and ``pair:`` windows only each other, within
  a stricter one). A rule can only lower the bank's threshold.

:meth:`Matcher.search_pdq` returns the raw per-hash hits (with variant, frame and time) for
callers that aggregate themselves (video); :meth:`Matcher.match_pdq` and
:meth:`Matcher.match_values` return one :class:`Match` per matched indicator with the
smallest distance over its hashes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from childshield.errors import NotFoundError, SignalValueError
from childshield.exchange.indicator_record import normalise_value
from childshield.index import hex_to_bits
from childshield.matching.pdq_index import PdqIndex
from childshield.settings import get_settings
from childshield.store import Database
from childshield.store import banks as repo
from childshield.store.banks import BankInfo

PairRule = Callable[[str, str, int], int | None]
"""(query variant, indicator hash variant, bank threshold) -> the largest distance at which
that pair counts, or None when the pair never counts."""


_ROBUST_KINDS = ("full", "trim", "band", "value", "pair", "pairlow")


def _robust_label(label: str) -> str:
    """A label robust's rule knows: its kinds (``full``, ``trim``, ``band``, ``value``,
    ``pair``, ``pairlow``) as they are; a video frame (``frame``) and any other whole-picture
    label (e.g. from a foreign JSONL file) as ``full``."""
    return label if label.split(":", 1)[0] in _ROBUST_KINDS else "full"


def robust_pair_rule(query_variant: str, index_variant: str, threshold: int) -> int | None:
    """The default rule, from :mod:`childshield.signals.robust`: whole-picture variants
    (``full``, ``trim`` and their dihedral turns) match each other within the bank's
    threshold; ``pair:`` windows match only windows, within a stricter threshold; a window
    never matches a whole picture."""
    if query_variant == "full" and index_variant == "full":
        return threshold  # plain PDQ (robust's rule too); no need to import robust, PIL
    from childshield.signals.robust import pair_threshold  # imported on such a hit only

    return pair_threshold(_robust_label(index_variant), _robust_label(query_variant), threshold)


def same_threshold(query_variant: str, index_variant: str, threshold: int) -> int | None:
    """A rule without variant semantics: every pair uses the bank's threshold."""
    return threshold


def is_frame_row(variant: str) -> bool:
    """Video frame rows (``frame`` and its ``frame:*`` variants) use the bank's
    ``frame_threshold``; which frame variants pair up is left to the video aggregation."""
    return variant == "frame" or variant.startswith("frame:")


@dataclass(frozen=True)
class PdqQuery:
    """One PDQ hash to look up: a whole image (``full``), one of its robustness variants,
    or a video frame."""

    value: str
    variant: str = "full"
    quality: int | None = None
    frame: int | None = None
    time: float | None = None


@dataclass(frozen=True)
class PdqHit:
    """One indicator hash within its bank's threshold of one query hash."""

    query: int
    """Position of the query in the list passed to :meth:`Matcher.search_pdq`."""
    query_variant: str
    hash_id: int
    indicator: int
    bank: str
    distance: int
    variant: str
    frame: int | None
    time: float | None
    source: str | None
    signal: str = "pdq"


@dataclass(frozen=True)
class Match:
    """One matched indicator (the ``matches`` entries of ``childshield match``)."""

    KEYS: ClassVar[tuple[str, ...]] = ("bank", "indicator", "signal", "distance", "source")

    bank: str
    indicator: int
    signal: str
    distance: int
    source: str | None
    details: Mapping[str, Any] | None = field(default=None, compare=False)
    """Extra facts about the match (for a video: matched frame shares and time ranges)."""

    def to_dict(self) -> dict[str, Any]:
        out = {
            "bank": self.bank,
            "indicator": self.indicator,
            "signal": self.signal,
            "distance": self.distance,
            "source": self.source,
        }
        if self.details:
            out.update(self.details)
        return out


def best_per_indicator(candidates: Iterable[Match]) -> list[Match]:
    """One match per indicator, the smallest distance; sorted by distance, bank, id."""
    best: dict[int, Match] = {}
    for match in candidates:
        current = best.get(match.indicator)
        if current is None or match.distance < current.distance:
            best[match.indicator] = match
    return sorted(best.values(), key=lambda m: (m.distance, m.bank, m.indicator))


class Matcher:
    """Finds indicators matching signals. One instance per database; reuse it for many
    lookups (the index is loaded once and caught up before each lookup)."""

    def __init__(
        self,
        db: Database,
        *,
        index_dir: Path | None = None,
        pair_rule: PairRule = robust_pair_rule,
        check_every: float | None = None,
    ) -> None:
        self.db = db
        self.pair_rule = pair_rule
        directory = index_dir or get_settings().data_dir / "index"
        extra = {} if check_every is None else {"check_every": check_every}
        self.pdq_index = PdqIndex(db, directory, **extra)

    # --- banks --------------------------------------------------------------------------------

    def _banks(self, bank: str | None) -> dict[int, BankInfo]:
        with self.db.session() as session:
            banks = repo.bank_settings(session)
        if bank is None:
            return banks
        chosen = {k: b for k, b in banks.items() if b.name == bank}
        if not chosen:
            raise NotFoundError(f"no bank named {bank!r} (see: childshield bank list)")
        return chosen

    def check_bank(self, bank: str | None) -> None:
        """Raise NotFoundError if ``bank`` is given and does not exist."""
        self._banks(bank)

    # --- pdq ----------------------------------------------------------------------------------

    def search_pdq(
        self, queries: Sequence[PdqQuery | str], bank: str | None = None
    ) -> list[list[PdqHit]]:
        """Raw hits per query (in input order), each within its bank's threshold, of active
        indicators only. Raises SignalValueError naming the first malformed query."""
        items = [q if isinstance(q, PdqQuery) else PdqQuery(q) for q in queries]
        values = []
        for position, item in enumerate(items):
            try:
                values.append(normalise_value("pdq", item.value))
            except ValueError as exc:
                raise SignalValueError(f"query {position + 1}: {exc}") from None
        banks = self._banks(bank)
        results: list[list[PdqHit]] = [[] for _ in items]
        if not items or not banks:
            return results
        radius = max(max(b.threshold, b.frame_threshold) for b in banks.values())
        found = self.pdq_index.search(hex_to_bits(values), radius)
        with self.db.session() as session:
            resolved = repo.resolve_hashes(
                session,
                [int(i) for i in found.ids],
                next(iter(banks)) if bank is not None else None,
            )
        offsets = found.offsets
        for q, item in enumerate(items):
            lo, hi = int(offsets[q]), int(offsets[q + 1])
            for hash_id, distance in zip(
                found.ids[lo:hi].tolist(), found.distances[lo:hi].tolist(), strict=True
            ):
                hit = resolved.get(hash_id)
                if hit is None:  # withdrawn, or another bank
                    continue
                settings = banks[hit.bank_id]
                if item.quality is not None and item.quality < settings.quality_min:
                    continue
                if is_frame_row(hit.variant):
                    limit: int | None = settings.frame_threshold
                else:
                    limit = self.pair_rule(item.variant, hit.variant, settings.threshold)
                    limit = None if limit is None else min(limit, settings.threshold)
                if limit is None or distance > limit:
                    continue
                results[q].append(
                    PdqHit(
                        query=q,
                        query_variant=item.variant,
                        hash_id=hash_id,
                        indicator=hit.indicator_id,
                        bank=hit.bank,
                        distance=int(distance),
                        variant=hit.variant,
                        frame=hit.frame,
                        time=hit.time,
                        source=hit.source,
                    )
                )
        for hits in results:
            hits.sort(key=lambda h: (h.distance, h.bank, h.indicator, h.hash_id))
        return results

    def match_pdq(
        self, queries: Sequence[PdqQuery | str], bank: str | None = None
    ) -> list[list[Match]]:
        """Per query, one match per indicator (smallest distance over its hashes)."""
        return [
            best_per_indicator(
                Match(h.bank, h.indicator, "pdq", h.distance, h.source) for h in hits
            )
            for hits in self.search_pdq(queries, bank)
        ]

    def match_image_variants(
        self, variants: Sequence[PdqQuery], bank: str | None = None
    ) -> list[Match]:
        """All hashes of one query image (full + robustness variants) -> one match list."""
        hits = self.search_pdq(variants, bank)
        return best_per_indicator(
            Match(h.bank, h.indicator, "pdq", h.distance, h.source) for row in hits for h in row
        )

    # --- exact signals ------------------------------------------------------------------------

    def match_exact(
        self, signal: str, values: Sequence[str], bank: str | None = None
    ) -> list[list[Match]]:
        """Per value (in input order), the active indicators equal to it."""
        normalised = []
        for position, value in enumerate(values):
            try:
                normalised.append(normalise_value(signal, value))
            except ValueError as exc:
                raise SignalValueError(f"query {position + 1}: {exc}") from None
        banks = self._banks(bank)
        bank_id = next(iter(banks)) if bank is not None else None
        with self.db.session() as session:
            hits = repo.exact_hits(session, signal, normalised, bank_id)
        by_value: dict[str, list[Match]] = {}
        for hit in hits:
            by_value.setdefault(hit.value, []).append(
                Match(hit.bank, hit.indicator_id, signal, 0, hit.source)
            )
        return [best_per_indicator(by_value.get(v, [])) for v in normalised]

    def match_values(
        self,
        signals: Mapping[str, str | None],
        *,
        quality: int | None = None,
        pdq_variants: Sequence[PdqQuery] = (),
        bank: str | None = None,
    ) -> list[Match]:
        """Everything one piece of content matches, given its signals (``{"md5": ...,
        "sha256": ..., "pdq": ...}``) with the PDQ quality, and optionally its PDQ robustness
        variants (which replace ``signals["pdq"]`` when given)."""
        found: list[Match] = []
        for signal in ("md5", "sha256"):
            value = signals.get(signal)
            if value:
                found.extend(self.match_exact(signal, [value], bank)[0])
        queries = list(pdq_variants)
        if not queries and signals.get("pdq"):
            queries = [PdqQuery(str(signals["pdq"]), quality=quality)]
        if queries:
            found.extend(self.match_image_variants(queries, bank))
        return best_per_indicator(found)


__all__ = [
    "Match",
    "Matcher",
    "PairRule",
    "PdqHit",
    "PdqQuery",
    "best_per_indicator",
    "is_frame_row",
    "robust_pair_rule",
    "same_threshold",
]
