"""Content -> signals (pdq, md5, sha256, vpdq). Pure computation, no storage.

Public surface::

    from childshield.signals import hash_file, hash_files, get_signal, all_signals

    hash_file("photo.jpg")        # {"path", "media", "md5", "sha256", "pdq", "quality"}
    hash_files(paths, workers=4)  # the same records, in input order, on 4 processes
    get_signal("pdq").distance(a, b)

Each signal type is one module behind the small :class:`~childshield.signals.base.SignalType`
protocol; :mod:`childshield.signals.testing` is the conformance kit every type passes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from childshield.signals.base import Computed, SignalType, all_signals, get_signal, register_signal

if TYPE_CHECKING:
    from childshield.signals.hashing import hash_file, hash_files


def __getattr__(name: str) -> Any:
    # hash_file/hash_files pull in numpy, Pillow and pdqhash: import them on first use so
    # that ``import childshield.signals.base`` stays light.
    if name in ("hash_file", "hash_files"):
        from childshield.signals import hashing

        return getattr(hashing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Computed",
    "SignalType",
    "all_signals",
    "get_signal",
    "hash_file",
    "hash_files",
    "register_signal",
]
