"""Conformance kit: the checks every registered signal type must pass.

Run it parametrised over every registered type (``tests/signals/test_conformance_kit.py``
does)::

    import pytest
    from childshield.signals import all_signals
    from childshield.signals.testing import CHECKS

    @pytest.mark.parametrize("signal", all_signals(), ids=lambda s: s.name)
    @pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
    def test_conformance(signal, check, tmp_path):
        check(signal, tmp_path)

A plug-in that adds a signal type runs the same lines in its own tests. Every check raises
AssertionError with a message naming the rule that was broken. The media the checks draw are
benign (gradients and shapes).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from childshield.errors import MediaError, SignalValueError
from childshield.signals.base import HexSignal, SignalType, get_signal

MEDIA_KINDS = frozenset({"image", "video", "other"})
Check = Callable[[SignalType, Path], None]


def _raises_signal_value_error(signal: SignalType, value: object) -> bool:
    try:
        signal.validate(value)  # type: ignore[arg-type]
    except SignalValueError:
        return True
    return False


def check_metadata(signal: SignalType, tmp: Path) -> None:
    """Name is a lower-case identifier, media are known kinds, the threshold is >= 0."""
    assert re.fullmatch(r"[a-z][a-z0-9_]*", signal.name), f"bad name {signal.name!r}"
    assert signal.media, "a signal type must apply to at least one media kind"
    assert set(signal.media) <= MEDIA_KINDS, f"unknown media kinds {set(signal.media)}"
    assert isinstance(signal.default_threshold, int) and signal.default_threshold >= 0


def check_registered(signal: SignalType, tmp: Path) -> None:
    """get_signal(name) gives this very object back."""
    assert get_signal(signal.name) is signal


def check_examples_validate(signal: SignalType, tmp: Path) -> None:
    """Examples are valid, normalisation is idempotent and ignores case and outer spaces."""
    examples = signal.examples()
    assert len(examples) >= 2, "give at least two examples"
    for example in examples:
        norm = signal.validate(example)
        assert signal.validate(norm) == norm, "validate must be idempotent"
        assert signal.validate(f"  {norm.upper()}\n") == norm, "case and spaces must not matter"


def check_rejects_malformed(signal: SignalType, tmp: Path) -> None:
    """Empty, too short, too long, wrong alphabet and non-strings raise SignalValueError."""
    example = signal.validate(signal.examples()[0])
    bad: list[object] = ["", "not a hash!", example[:-1], example + example[:1], None, 42]
    if isinstance(signal, HexSignal):
        bad.append("g" + example[1:])
        bad.append(example[:-1] + "-")
    for value in bad:
        assert _raises_signal_value_error(signal, value), f"{value!r} was accepted"


def check_distance_is_a_metric(signal: SignalType, tmp: Path) -> None:
    """distance(a, a) == 0, symmetric, non-negative, triangle inequality over the examples."""
    values = [signal.validate(v) for v in signal.examples()]
    for a in values:
        assert signal.distance(a, a) == 0
    for a, b in itertools.permutations(values, 2):
        dab = signal.distance(a, b)
        assert dab >= 0 and dab == signal.distance(b, a)
        if a != b:
            assert dab > 0, "different values must have a positive distance"
    for a, b, c in itertools.permutations(values, 3):
        assert signal.distance(a, c) <= signal.distance(a, b) + signal.distance(b, c)


def _draw_benign_image(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:240, 0:320]
    base = (x * (0.3 + seed) + y * 0.5) % 256
    rgb = np.stack([base, 255 - base, (base * 2) % 256], axis=2).astype(np.uint8)
    image = Image.fromarray(rgb)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, 280)), int(rng.integers(0, 200))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse((x0, y0, x0 + 40, y0 + 40), fill=colour)
    image.save(path, format="PNG")


def check_compute(signal: SignalType, tmp: Path) -> None:
    """compute() on a benign drawn file gives a valid, deterministic value; two different
    files give values at a positive distance."""
    if "image" not in signal.media and "other" not in signal.media:
        return  # video-only types are checked by their own kit with a drawn clip
    first, second = tmp / f"{signal.name}-a.png", tmp / f"{signal.name}-b.png"
    _draw_benign_image(first, 1)
    _draw_benign_image(second, 2)
    a = signal.compute(first)
    assert signal.validate(a.value) == a.value, "computed values must be normalised"
    assert signal.compute(first) == a, "compute must be deterministic"
    if a.quality is not None:
        assert 0 <= a.quality <= 100
    assert signal.distance(a.value, signal.compute(second).value) > 0


def check_compute_bad_file(signal: SignalType, tmp: Path) -> None:
    """compute() on an empty or non-image file raises a MediaError (or, for byte digests that
    apply to any file, returns a value)."""
    if "image" not in signal.media:
        return
    empty = tmp / f"{signal.name}-empty.jpg"
    empty.write_bytes(b"")
    text = tmp / f"{signal.name}-text.jpg"
    text.write_text("this is not an image\n")
    for path in (empty, text):
        try:
            computed = signal.compute(path)
        except MediaError:
            continue
        assert "other" in signal.media, f"{path.name}: expected a MediaError"
        assert signal.validate(computed.value) == computed.value


CHECKS: list[Check] = [
    check_metadata,
    check_registered,
    check_examples_validate,
    check_rejects_malformed,
    check_distance_is_a_metric,
    check_compute,
    check_compute_bad_file,
]


def check_signal_type(signal: SignalType, tmp: Path) -> None:
    """Run every check on one signal type (for plug-ins that do not use pytest)."""
    for check in CHECKS:
        check(signal, tmp)


__all__ = ["CHECKS", "check_signal_type"]
