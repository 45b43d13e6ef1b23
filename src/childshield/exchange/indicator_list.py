"""Signed indicator lists (centre -> provider): full lists and deltas, verified before use.

A list is one JSON document signed as a whole (``childshield.indicator-list/1``)::

    {"format": "childshield.indicator-list/1",
     "header": {"issuer", "list_id", "version", "kind": "full"|"delta", "base_version",
                "created", "scope": {"signals": [...], "media": [...], "provider"}},
     "entries": [{"indicator_id", "signal", "value", "media", "status"}, ...]}

Entries are hashes (``pdq``, ``md5``, ``sha256``, ``vpdq``; media image or video), URLs
(``url``, media url) or solicitation patterns (``pattern``, media text: a phrase of plain
text, at most :data:`MAX_PATTERN` characters). Pattern entries were added later within the
same format version: a centre only sends them to providers whose scope grants ``pattern``,
so older providers never see one.

A full list replaces what the provider holds; a delta applies on top of exactly the version
``base_version`` (active entries are added or replaced, withdrawn ones removed).

:func:`verify_list` checks everything before a single entry may be loaded, in this order,
and raises IntegrityError whose ``extra["fault"]`` names the refusal: the envelope and
signature (``malformed``, ``unknown-key``, ``bad-signature``, ``expired``...), the key
belonging to the expected issuer (``wrong-key``), the header naming that issuer
(``wrong-issuer``) and list (``wrong-list``), version continuity (``stale-version`` for a
full list not newer than the one held, ``version-gap`` for a delta that does not start at
the held version), the scope (``out-of-scope``: a list or any entry beyond what this
provider may receive) and the entries themselves (``bad-entry``: malformed hash values,
duplicate ids).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field, ValidationError, model_validator

from childshield.crypto.encoding import integrity_error
from childshield.crypto.signing import SigningKey, TrustedKey, TrustedKeys, sign_document
from childshield.crypto.signing import verify_document as _verify_document
from childshield.errors import InputError
from childshield.exchange._common import (
    SIGNAL_HEX_DIGITS,
    Identifier,
    StrictModel,
    describe,
    pydantic_problems,
    signal_value_problem,
)

LIST_TYPE = "childshield.indicator-list/1"
ListSignal = Literal["pdq", "md5", "sha256", "vpdq", "url", "pattern"]
Media = Literal["image", "video", "url", "text"]
MAX_URL = 2048
MAX_PATTERN = 500
"""Longest solicitation pattern (characters)."""
_SHOWN = 5  # how many offending entries an error message names


class Scope(StrictModel):
    """What a list may contain, and for whom (``provider`` None: any provider)."""

    signals: list[ListSignal] = Field(min_length=1)
    media: list[Media] = Field(min_length=1)
    provider: Identifier | None = None

    def allows(self, signal: str, media: str) -> bool:
        return signal in self.signals and media in self.media


class ListHeader(StrictModel):
    issuer: Identifier
    list_id: Identifier
    version: int = Field(ge=1)
    kind: Literal["full", "delta"]
    base_version: int | None = Field(default=None, ge=1)
    created: AwareDatetime
    scope: Scope

    @model_validator(mode="after")
    def _versions(self) -> ListHeader:
        if self.kind == "full" and self.base_version is not None:
            raise ValueError("a full list has no base_version")
        if self.kind == "delta":
            if self.base_version is None:
                raise ValueError("a delta needs base_version")
            if self.base_version >= self.version:
                raise ValueError("a delta's version must be above its base_version")
        return self


LIST_SIGNALS = frozenset({"pdq", "md5", "sha256", "vpdq", "url", "pattern"})
MEDIA = frozenset({"image", "video", "url", "text"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
STATUSES = frozenset({"active", "withdrawn"})
_ENTRY_FIELDS = ("indicator_id", "signal", "value", "media", "status")
_REQUIRED = frozenset(_ENTRY_FIELDS) - {"status"}
_HEX_RUN = re.compile(r"[0-9a-f]*")


@dataclass(frozen=True, slots=True)
class Entry:
    """One indicator in a list. A plain dataclass: lists carry millions of these."""

    indicator_id: str
    signal: str
    value: str
    media: str
    status: str = "active"

    def to_json(self) -> dict[str, str]:
        return {
            "indicator_id": self.indicator_id,
            "signal": self.signal,
            "value": self.value,
            "media": self.media,
            "status": self.status,
        }

    def problem(self) -> str | None:
        """What is wrong with this entry, or None."""
        if not 0 < len(self.indicator_id) <= 200:
            return "indicator_id must be 1-200 characters"
        if self.signal not in LIST_SIGNALS:
            return f"unknown signal {self.signal!r}"
        if self.media not in MEDIA:
            return f"unknown media {self.media!r}"
        if self.status not in STATUSES:
            return f"status must be active or withdrawn, not {self.status!r}"
        if self.signal == "url":
            ok = self.value.startswith(("https://", "http://")) and len(self.value) <= MAX_URL
            return None if ok and self.media == "url" else "url entries need an http(s) URL"
        if self.signal == "pattern" or self.media == "text":
            if self.signal != "pattern" or self.media != "text":
                return "pattern entries (and only they) have media text"
            return pattern_problem(self.value)
        return signal_value_problem(self.signal, self.value)

    def with_status(self, status: str) -> Entry:
        return Entry(self.indicator_id, self.signal, self.value, self.media, status)


def pattern_problem(value: str) -> str | None:
    """What is wrong with a solicitation pattern (plain text, not a regular expression)."""
    if not value.strip() or len(value) > MAX_PATTERN:
        return f"a solicitation pattern must be 1-{MAX_PATTERN} characters of text"
    if value != value.strip() or _CONTROL.search(value):
        return "a solicitation pattern has no control characters or surrounding spaces"
    return None


def entry_from_json(raw: Any) -> tuple[Entry | None, str | None]:
    """An Entry from its JSON object, or the reason it is not one."""
    if type(raw) is not dict:
        return None, "not a JSON object"
    keys = raw.keys()
    if not keys >= _REQUIRED or len(keys) > 5 or not keys <= set(_ENTRY_FIELDS):
        missing = sorted(_REQUIRED - keys)
        extra = sorted(set(keys) - set(_ENTRY_FIELDS))
        return None, f"missing {missing}, unexpected {extra}"
    values = [raw.get(name, "active") for name in _ENTRY_FIELDS]
    if not all(type(v) is str for v in values):
        return None, "every field must be a string"
    entry = Entry(*values)
    return entry, entry.problem()


@dataclass
class IndicatorList:
    """A header and its entries (the signed payload is :meth:`to_json`)."""

    header: ListHeader
    entries: list[Entry]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": LIST_TYPE,
            "header": self.header.model_dump(mode="json"),
            "entries": [e.to_json() for e in self.entries],
        }


def _entry_problems(entries: Iterable[Entry]) -> list[str]:
    problems, seen = [], set()
    for entry in entries:
        issue = entry.problem()
        if entry.indicator_id in seen:
            issue = "duplicate indicator id"
        seen.add(entry.indicator_id)
        if issue:
            problems.append(f"{entry.indicator_id}: {issue}")
    return problems


def build_list(
    *,
    issuer: str,
    list_id: str,
    version: int,
    scope: Scope,
    entries: Iterable[Entry | Mapping[str, Any]],
    created: datetime,
    base_version: int | None = None,
) -> IndicatorList:
    """A full list (``base_version`` None) or a delta on top of ``base_version``.

    An entry outside ``scope``, with a malformed value or a duplicate id is an InputError
    naming it, so a centre never signs junk.
    """
    items = []
    for raw in entries:
        if isinstance(raw, Entry):
            items.append(raw)
            continue
        entry, problem = entry_from_json(dict(raw))
        if entry is None:
            raise InputError(f"cannot build the list: entry {raw!r}: {problem}")
        items.append(entry)
    header = ListHeader(
        issuer=issuer,
        list_id=list_id,
        version=version,
        kind="full" if base_version is None else "delta",
        base_version=base_version,
        created=created,
        scope=scope,
    )
    problems = _entry_problems(items)
    problems += [
        f"{e.indicator_id}: {e.signal}/{e.media} outside the list's scope"
        for e in items
        if not scope.allows(e.signal, e.media)
    ]
    if problems:
        raise InputError(f"cannot build the list: {_names(problems)}")
    return IndicatorList(header=header, entries=items)


def build_delta_between(old: Mapping[str, Entry], new: Mapping[str, Entry]) -> list[Entry]:
    """Entries that turn ``old`` into ``new``: added or changed as active, gone as withdrawn."""
    changes = [e for key, e in new.items() if old.get(key) != e]
    changes += [e.with_status("withdrawn") for k, e in old.items() if k not in new]
    return changes


def sign_list(indicator_list: IndicatorList, key: SigningKey) -> dict[str, Any]:
    return sign_document(
        indicator_list.to_json(), key, typ=LIST_TYPE, created=indicator_list.header.created
    )


def _quick_entries(raw_entries: list[Any]) -> list[Entry] | None:
    """All entries if every one is a dict of exactly the five string fields, else None."""
    entries: list[Entry] = []
    append = entries.append
    try:
        for raw in raw_entries:
            if type(raw) is not dict or len(raw) != 5:
                return None
            item = Entry(
                raw["indicator_id"], raw["signal"], raw["value"], raw["media"], raw["status"]
            )
            append(item)
    except KeyError:
        return None
    if not all(
        type(e.indicator_id) is str and type(e.value) is str and type(e.signal) is str
        for e in entries
    ):
        return None
    return entries


def _all_valid(entries: list[Entry]) -> bool:
    """Batch check that every entry is valid (fast); False means: look at each one."""
    if len({e.indicator_id for e in entries}) != len(entries):
        return False
    if not {e.status for e in entries} <= STATUSES:
        return False
    groups: dict[tuple[str, str], list[str]] = {}
    for e in entries:
        groups.setdefault((e.signal, e.media), []).append(e.value)
    for (signal, media), values in groups.items():
        digits = SIGNAL_HEX_DIGITS.get(signal)
        if digits is None or media not in MEDIA or media == "url":
            return False
        joined = "".join(values)
        if len(joined) != digits * len(values) or {len(v) for v in values} != {digits}:
            return False
        if not _HEX_RUN.fullmatch(joined):
            return False
    return all(0 < len(e.indicator_id) <= 200 for e in entries)


def _parse(payload: Any) -> tuple[IndicatorList, list[str]]:
    """The list and the problems of its entries; IntegrityError if the frame is wrong."""
    if not isinstance(payload, dict) or set(payload) != {"format", "header", "entries"}:
        raise integrity_error("malformed", "signed list must have format, header and entries")
    if payload["format"] != LIST_TYPE:
        raise integrity_error("malformed", f"format must be {LIST_TYPE}")
    try:
        header = ListHeader.model_validate(payload["header"])
    except ValidationError as exc:
        detail = describe(pydantic_problems(exc, lambda _f: None))
        raise integrity_error("malformed", f"list header: {detail}") from exc
    raw_entries = payload["entries"]
    if not isinstance(raw_entries, list):
        raise integrity_error("malformed", "entries must be a list")
    quick = _quick_entries(raw_entries)
    try:
        if quick is not None and _all_valid(quick):
            return IndicatorList(header, quick), []
    except TypeError:  # an unhashable value where a string belongs: the slow path names it
        pass
    entries: list[Entry] = []
    problems: list[str] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_entries):
        entry, problem = entry_from_json(raw)
        if entry is None:
            problems.append(f"entry {n}: {problem}")
            continue
        if entry.indicator_id in seen:
            problem = "duplicate indicator id"
        seen.add(entry.indicator_id)
        if problem:
            problems.append(f"{entry.indicator_id}: {problem}")
        entries.append(entry)
    return IndicatorList(header, entries), problems


def _names(items: list[str]) -> str:
    more = f" (and {len(items) - _SHOWN} more)" if len(items) > _SHOWN else ""
    return "; ".join(items[:_SHOWN]) + more


def _check_continuity(header: ListHeader, held_version: int | None) -> None:
    if header.kind == "full":
        if held_version is not None and header.version <= held_version:
            raise integrity_error(
                "stale-version",
                f"full list version {header.version} is not newer than the held "
                f"version {held_version} (replayed or rolled back)",
            )
        return
    if held_version is None:
        raise integrity_error(
            "version-gap",
            f"delta {header.base_version}->{header.version} needs version "
            f"{header.base_version}, but no version is held: fetch the full list",
        )
    if header.base_version != held_version:
        raise integrity_error(
            "version-gap",
            f"delta {header.base_version}->{header.version} does not apply to the held "
            f"version {held_version}",
        )


def _check_scope(lst: IndicatorList, allowed: Scope, provider_id: str | None) -> None:
    scope = lst.header.scope
    if scope.provider is not None and scope.provider != provider_id:
        raise integrity_error(
            "out-of-scope", f"list is issued for provider {scope.provider!r}, not {provider_id!r}"
        )
    beyond = sorted(set(scope.signals) - set(allowed.signals)) + sorted(
        set(scope.media) - set(allowed.media)
    )
    if beyond:
        raise integrity_error(
            "out-of-scope", f"list scope includes {', '.join(beyond)}, which is not allowed here"
        )
    pairs = {(e.signal, e.media) for e in lst.entries}
    bad = {p for p in pairs if not (scope.allows(*p) and allowed.allows(*p))}
    outside = [
        f"{e.indicator_id} ({e.signal}/{e.media})"
        for e in lst.entries
        if (e.signal, e.media) in bad
    ]
    if outside:
        raise integrity_error(
            "out-of-scope", f"{len(outside)} entries outside the scope: {_names(outside)}"
        )


def verify_list(
    envelope: Any,
    trusted_keys: TrustedKeys | list[TrustedKey],
    *,
    issuer: str,
    list_id: str,
    held_version: int | None,
    allowed: Scope,
    provider_id: str | None = None,
    now: datetime | None = None,
) -> IndicatorList:
    """Verify a signed list completely before anything is loaded (see module docstring)."""
    verified = _verify_document(envelope, trusted_keys, typ=LIST_TYPE, owner=issuer, now=now)
    lst, problems = _parse(verified.payload)
    header = lst.header
    if header.issuer != issuer:
        raise integrity_error(
            "wrong-issuer", f"list names issuer {header.issuer!r}, not {issuer!r}"
        )
    if header.list_id != list_id:
        raise integrity_error("wrong-list", f"list is {header.list_id!r}, expected {list_id!r}")
    _check_continuity(header, held_version)
    _check_scope(lst, allowed, provider_id)
    if problems:
        raise integrity_error("bad-entry", f"{len(problems)} bad entries: {_names(problems)}")
    return lst


@dataclass
class ListState:
    """What a provider holds of one list: its version and active entries by id."""

    list_id: str
    version: int
    entries: dict[str, Entry] = field(default_factory=dict)


def apply_list(state: ListState | None, lst: IndicatorList) -> ListState:
    """The state after applying a *verified* list (full: replace; delta: upsert/withdraw)."""
    header = lst.header
    if header.kind == "full":
        active = {e.indicator_id: e for e in lst.entries if e.status == "active"}
        return ListState(header.list_id, header.version, active)
    if state is None or state.version != header.base_version:
        raise integrity_error("version-gap", "delta does not apply to the held state")
    entries = dict(state.entries)
    for entry in lst.entries:
        if entry.status == "withdrawn":
            entries.pop(entry.indicator_id, None)
        else:
            entries[entry.indicator_id] = entry
    return ListState(header.list_id, header.version, entries)


__all__ = [
    "LIST_TYPE",
    "MAX_PATTERN",
    "Entry",
    "IndicatorList",
    "ListHeader",
    "ListState",
    "Scope",
    "apply_list",
    "build_delta_between",
    "build_list",
    "entry_from_json",
    "pattern_problem",
    "sign_list",
    "verify_list",
]
