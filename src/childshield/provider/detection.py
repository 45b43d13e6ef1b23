"""Detection: content or signals in, matches out, and a case for anything that matched.

Banks are **per deployment**: every tenant of a deployment is matched against the same
banks (the indicator lists come from the centre and exchanges, not from tenants), through
one shared :class:`~childshield.matching.Matcher` and its memory-mapped index snapshot.
Cases, content and decisions are per tenant.

* :meth:`Detector.check_upload`: bytes of an image or video; hashed like ``childshield
  match`` (images with robustness variants, videos a frame a second aggregated with vPDQ
  semantics); registered classifiers (``childshield.provider.classifiers``) score images.
* :meth:`Detector.check_signals`: precomputed ``md5``/``sha256``/``pdq`` (+ quality) and
  ``vpdq`` frames.

A bank match opens (or adds to) a ``known`` case, a classifier score at or above its
threshold a ``new`` case. The content of an upload is kept encrypted as evidence when the
evidence keyring is configured. A lookup that matches nothing stores nothing and writes no
audit entry (it touched no case, content or indicator record).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.crypto.keyring import EvidenceKeyring
from childshield.errors import ChildshieldError, CorruptMediaError, InputError, SignalValueError
from childshield.matching.files import hash_for_query, match_record
from childshield.matching.matcher import Match, Matcher, PdqQuery, best_per_indicator
from childshield.provider import evidence
from childshield.provider.cases import Hit, NewItem, case_summary, open_case
from childshield.provider.classifiers import Loaded
from childshield.signals.media import sniff

MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
               "webp": "image/webp", "bmp": "image/bmp", "tiff": "image/tiff",
               "heif": "image/heif", "ppm": "image/x-portable-pixmap", "ico": "image/x-icon",
               "mp4": "video/mp4", "mov": "video/quicktime", "matroska": "video/x-matroska",
               "avi": "video/x-msvideo", "flv": "video/x-flv", "mpeg": "video/mpeg",
               "mpegts": "video/mp2t", "ogg": "video/ogg"}
MAX_VPDQ_FRAMES = 100_000


@dataclass(frozen=True)
class ItemMeta:
    """What the integration says about the item (all optional)."""

    external_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    urgent: bool = False
    keep_content: bool = True


def _error_from_record(record: dict[str, Any]) -> ChildshieldError:
    slug = record.get("error_type", "")
    message = str(record.get("error", "unreadable media"))
    for cls in _all_errors():
        if cls.slug == slug and cls.safe:
            return cls(message)
    return CorruptMediaError(message)


def _all_errors() -> list[type[ChildshieldError]]:
    out: list[type[ChildshieldError]] = []
    todo: list[type[ChildshieldError]] = [ChildshieldError]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return out


def _bank_hit(match: Match) -> Hit:
    details = {"bank": match.bank, "indicator": match.indicator}
    details.update({k: v for k, v in (match.details or {}).items()
                    if k in ("query_ranges", "indicator_ranges", "query_match",
                             "indicator_match", "stream_time", "frame")})
    return Hit("bank", match.bank, f"bank:{match.bank}:{match.indicator}",
               indicator_id=match.indicator, signal=match.signal, distance=match.distance,
               details=details)


class Detector:
    """Detection for one deployment: the shared matcher, classifiers and keyring."""

    def __init__(self, matcher: Matcher, classifiers: Sequence[Loaded] = (),
                 keyring: EvidenceKeyring | None = None) -> None:
        self.matcher = matcher
        self.classifiers = list(classifiers)
        self.keyring = keyring

    # --- uploads ------------------------------------------------------------------------------

    def check_upload(self, session: Session, principal: Principal, data: bytes, *,
                     filename: str | None = None, meta: ItemMeta | None = None) -> dict[str, Any]:
        meta = meta or ItemMeta()
        if not data:
            raise CorruptMediaError("the upload is empty (0 bytes)")
        kind, fmt = sniff(data[:512])
        if kind == "other" or fmt is None:
            from childshield.errors import UnsupportedMediaError

            raise UnsupportedMediaError("not an image or video format childshield reads "
                                        "(JPEG, PNG, GIF, WebP, BMP, TIFF, HEIF; MP4, MOV, "
                                        "MKV, WebM, AVI...)")
        media_type = MEDIA_TYPES.get(fmt, "application/octet-stream")
        with tempfile.TemporaryDirectory(prefix="childshield-upload-") as tmp:
            path = Path(tmp) / f"upload.{fmt if kind == 'video' else 'img'}"
            if kind == "video" and fmt not in ("mp4", "mov", "avi", "flv", "mpeg", "ogg"):
                path = path.with_suffix(".mkv" if fmt == "matroska" else ".ts")
            path.write_bytes(data)
            record = hash_for_query(path)
            if "error" in record:
                raise _error_from_record(record)
            matches = match_record(self.matcher, record, None)
            scores = self._classify(path) if kind == "image" else []
        signals = {k: record[k] for k in ("md5", "sha256", "pdq", "quality") if record.get(k)}
        if record.get("vpdq"):
            signals["vpdq_frames"] = len(record["vpdq"])
        sha256 = record.get("sha256") or hashlib.sha256(data).hexdigest()
        key = f"item:{meta.external_id}" if meta.external_id else f"sha256:{sha256}"
        answer = self._answer(session, principal, key, "upload", kind, media_type, signals,
                              matches, scores, meta)
        case = answer.get("_case")
        if case is not None and meta.keep_content and answer["case"]["created"]:
            evidence.keep_content(session, self.keyring, case, kind=kind,
                                  media_type=media_type, data=data, name=filename)
        answer.pop("_case", None)
        return answer

    def _classify(self, path: Path) -> list[dict[str, Any]]:
        if not self.classifiers:
            return []
        from childshield.signals.media import load_image_for_pdq

        image = load_image_for_pdq(path)
        out = []
        for loaded in self.classifiers:
            if "image" not in loaded.classifier.info.media:
                continue
            score = float(loaded.classifier.score(image))
            out.append({"classifier": loaded.classifier.info.name,
                        "version": loaded.classifier.info.version,
                        "score": round(score, 4), "threshold": loaded.threshold,
                        "calibrated": loaded.calibrated,
                        "raised": score >= loaded.threshold})
        return out

    # --- signals ------------------------------------------------------------------------------

    def check_signals(self, session: Session, principal: Principal, signals: dict[str, Any], *,
                      meta: ItemMeta | None = None) -> dict[str, Any]:
        meta = meta or ItemMeta()
        vpdq = signals.get("vpdq") or []
        if not any(signals.get(k) for k in ("md5", "sha256", "pdq")) and not vpdq:
            raise InputError("send at least one signal: md5, sha256, pdq or vpdq")
        if len(vpdq) > MAX_VPDQ_FRAMES:
            raise InputError(f"vpdq: at most {MAX_VPDQ_FRAMES} frames")
        quality = signals.get("quality")
        found: list[Match] = []
        if vpdq:
            found += self._match_vpdq(vpdq)
        pdq = [PdqQuery(signals["pdq"], quality=quality)] if signals.get("pdq") else []
        found += self.matcher.match_values(
            {"md5": signals.get("md5"), "sha256": signals.get("sha256")}, pdq_variants=pdq)
        matches = best_per_indicator(found)
        kept = {k: signals[k] for k in ("md5", "sha256", "pdq", "quality")
                if signals.get(k) is not None}
        if vpdq:
            kept["vpdq_frames"] = len(vpdq)
        strongest = next((f"{k}:{str(signals[k]).lower()}" for k in ("sha256", "md5", "pdq")
                          if signals.get(k)), None)
        if strongest is None:
            digest = hashlib.sha256("".join(str(f.get("pdq", "")) for f in vpdq).encode())
            strongest = f"vpdq:{digest.hexdigest()}"
        key = f"item:{meta.external_id}" if meta.external_id else strongest
        kind = "video" if vpdq else "unknown"
        answer = self._answer(session, principal, key, "signals", kind, None, kept, matches,
                              [], meta)
        answer.pop("_case", None)
        return answer

    def lookup(self, session: Session, principal: Principal, signals: dict[str, str | None],
               *, quality: int | None = None) -> dict[str, Any]:
        """Matches of the given hashes, opening no case (audited only when something
        matched: which indicators a tenant learned about)."""
        if not any(signals.values()):
            raise InputError("send at least one of pdq, md5, sha256")
        value = signals.get("pdq")
        pdq = [PdqQuery(value, quality=quality)] if value else []
        matches = self.matcher.match_values(
            {"md5": signals.get("md5"), "sha256": signals.get("sha256")}, pdq_variants=pdq)
        if matches:
            audit.record(session, principal, "indicator.lookup", "indicator",
                         ",".join(str(m.indicator) for m in matches[:20]),
                         details={"matches": len(matches)})
        return {"matches": [m.to_dict() for m in matches]}

    def _match_vpdq(self, frames: list[dict[str, Any]]) -> list[Match]:
        from childshield.matching.video_search import VideoMatcher
        from childshield.signals.vpdq import FrameHash

        parsed = []
        for position, frame in enumerate(frames):
            try:
                parsed.append(FrameHash(int(frame.get("frame", position)),
                                        float(frame.get("time", position)),
                                        str(frame["pdq"]), int(frame.get("quality", 100))))
            except (KeyError, TypeError, ValueError):
                raise SignalValueError(f"vpdq frame {position}: needs pdq (64 hex digits), "
                                       "and numeric frame, time, quality") from None
        out = []
        for video_match in VideoMatcher(self.matcher).match(parsed):
            details = video_match.to_dict()
            out.append(Match(video_match.bank, video_match.indicator, video_match.signal,
                             video_match.distance, video_match.source,
                             details={k: v for k, v in details.items() if k not in Match.KEYS}))
        return out

    # --- the answer ---------------------------------------------------------------------------

    def _answer(self, session: Session, principal: Principal, key: str, source: str,
                kind: str, media_type: str | None, signals: dict[str, Any],
                matches: list[Match], scores: list[dict[str, Any]],
                meta: ItemMeta) -> dict[str, Any]:
        hits = [_bank_hit(m) for m in matches]
        hits += [Hit("classifier", s["classifier"], f"classifier:{s['classifier']}",
                     score=s["score"], details={k: s[k] for k in ("version", "threshold",
                                                                   "calibrated")})
                 for s in scores if s["raised"]]
        answer: dict[str, Any] = {
            "media": kind,
            "media_type": media_type,
            "signals": signals,
            "matches": [m.to_dict() for m in matches],
            "classifications": scores,
            "case": None,
        }
        if hits:
            abuse_type = "known" if matches else "new"
            opened = open_case(session, principal.tenant_id, NewItem(
                content_key=key[:200], abuse_type=abuse_type, source=source, kind=kind,
                media_type=media_type, external_id=meta.external_id, context=meta.context,
                signals=signals, urgent=meta.urgent), hits, actor=principal)
            answer["case"] = {**case_summary(opened.case), "created": opened.created}
            answer["_case"] = opened.case
        return answer


__all__ = ["MEDIA_TYPES", "Detector", "ItemMeta"]
