"""The one small interface every signal type implements, and the registry of signal types.

A *signal type* (``pdq``, ``md5``, ``sha256``, ``vpdq``...) knows its name, which media it
applies to, how to check and normalise a value (:meth:`SignalType.validate`), how far apart
two values are (:meth:`SignalType.distance`), the default match threshold, and a few example
values for the conformance kit (:mod:`childshield.signals.testing`).

Built-in types register themselves when their module is imported; :func:`all_signals` and
:func:`get_signal` import the built-ins lazily, so ``import childshield.signals.base`` stays
cheap. Other packages can call :func:`register_signal`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from childshield.errors import SignalValueError

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Computed:
    """One computed signal value, with PDQ's quality (0-100) where the type has one."""

    value: str
    quality: int | None = None


@runtime_checkable
class SignalType(Protocol):
    """What every signal type provides (python-threatexchange's SignalType, made smaller)."""

    name: str
    """Stable identifier, e.g. ``"pdq"``; used in banks, exports and the CLI."""
    media: frozenset[str]
    """Media kinds it applies to: ``"image"``, ``"video"``, ``"other"`` (any bytes)."""
    default_threshold: int
    """Largest :meth:`distance` that counts as a match unless a bank says otherwise."""

    def validate(self, value: str) -> str:
        """Return ``value`` normalised (lower case, stripped); raise SignalValueError if wrong."""
        ...

    def distance(self, a: str, b: str) -> int:
        """Distance between two valid values (0 = identical)."""
        ...

    def compute(self, path: Path) -> Computed:
        """Compute this signal from a file (raises a MediaError subclass for bad files)."""
        ...

    def examples(self) -> list[str]:
        """A few valid values (used by the conformance kit)."""
        ...


class HexSignal:
    """Shared behaviour of fixed-length hex signals: validation and bitwise Hamming distance.

    For exact hashes (md5, sha256) the threshold is 0, so "distance 0" means "equal"; using
    the Hamming distance for them too keeps one rule for every hex signal.
    """

    name: str = ""
    media: frozenset[str] = frozenset()
    default_threshold: int = 0
    hex_digits: int = 0

    def validate(self, value: str) -> str:
        if not isinstance(value, str):
            kind = type(value).__name__
            raise SignalValueError(f"{self.name} value must be a string, got {kind}")
        norm = value.strip().lower()
        if len(norm) != self.hex_digits:
            raise SignalValueError(
                f"{self.name} value must be {self.hex_digits} hex digits, got {len(norm)}"
            )
        if not _HEX.issuperset(norm):
            bad = next(c for c in norm if c not in _HEX)
            raise SignalValueError(f"{self.name} value has a non-hex character {bad!r}")
        return norm

    def distance(self, a: str, b: str) -> int:
        return (int(self.validate(a), 16) ^ int(self.validate(b), 16)).bit_count()

    def __repr__(self) -> str:
        return f"<signal {self.name}>"


_REGISTRY: dict[str, SignalType] = {}
_BUILTIN_MODULES = (
    "childshield.signals.pdq",
    "childshield.signals.crypto_hashes",
)
# Modules other helpers own; registered when present (they define SIGNAL_TYPES).
_OPTIONAL_MODULES = ("childshield.signals.vpdq",)
_loaded = False


def register_signal(signal: SignalType) -> SignalType:
    """Add a signal type to the registry (replacing one of the same name) and return it."""
    if not isinstance(signal, SignalType):
        raise TypeError(f"{signal!r} does not implement the SignalType protocol")
    _REGISTRY[signal.name] = signal
    return signal


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)
    for module in _OPTIONAL_MODULES:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        for signal in getattr(mod, "SIGNAL_TYPES", ()):
            register_signal(signal)


def get_signal(name: str) -> SignalType:
    """The registered signal type called ``name``; SignalValueError naming the known ones."""
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise SignalValueError(f"unknown signal type {name!r} (known: {known})") from None


def all_signals() -> list[SignalType]:
    """Every registered signal type, sorted by name."""
    _load_builtins()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


__all__ = [
    "Computed",
    "HexSignal",
    "SignalType",
    "all_signals",
    "get_signal",
    "register_signal",
]
