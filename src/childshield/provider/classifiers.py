"""Classifier plug-ins for unknown material: the hook specification and the loader.

No classifier of abuse material is shipped (SAFETY.md). A deploying organisation supplies
one as a Python package that registers an entry point in the group
``childshield.classifiers``, pointing at a module or object implementing these hooks::

    # pyproject.toml of the plug-in
    [project.entry-points."childshield.classifiers"]
    acme = "acme_classifier.plugin"

    # acme_classifier/plugin.py
    from childshield.provider.classifiers import hookimpl, ClassifierInfo

    @hookimpl
    def childshield_classifiers():
        return [AcmeClassifier()]      # objects with .info and .score(image) -> float

A classifier object has ``info`` (:class:`ClassifierInfo`: name, version, media kinds, model
card, recommended thresholds for high precision and high recall) and ``score(image)``
returning a float in [0, 1] for a PIL image. Scores at or above the threshold in use open a
case of abuse type ``new`` for human review; a score is never a decision.

The threshold in use is the operator's own: ``childshield classifier calibrate NAME
LABELS.csv --precision 0.95`` scores their labelled benign/positive sample and picks the
lowest threshold reaching that precision (:mod:`childshield.provider.calibration`); it is
stored in ``<data_dir>/classifiers/<name>.json`` and read by :func:`loaded_classifiers`.

The stand-in for tests, :class:`MeanBrightnessStandIn`, scores the mean brightness of an
image. It knows nothing about abuse material and is registered only when
``CHILDSHIELD_CLASSIFIER_STANDIN=1`` (tests, the demo).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pluggy

from childshield.errors import ConfigurationError

GROUP = "childshield.classifiers"
hookspec = pluggy.HookspecMarker("childshield")
hookimpl = pluggy.HookimplMarker("childshield")
STANDIN_ENV = "CHILDSHIELD_CLASSIFIER_STANDIN"


@dataclass(frozen=True)
class ClassifierInfo:
    name: str
    version: str
    media: tuple[str, ...] = ("image",)
    model_card: str = ""
    """What the model was trained on, by whom, known limits (ROOST Coop's manifest)."""
    thresholds: dict[str, float] = field(default_factory=dict)
    """Recommended thresholds, e.g. ``{"high_precision": 0.9, "high_recall": 0.5}``."""


@runtime_checkable
class Classifier(Protocol):
    info: ClassifierInfo

    def score(self, image: Any) -> float: ...


class HookSpecs:
    @hookspec
    def childshield_classifiers(self) -> list[Classifier]:  # type: ignore[empty-body]
        """Return the classifier objects this plug-in provides."""


class MeanBrightnessStandIn:
    """STAND-IN FOR TESTS: scores the mean brightness (0 black .. 1 white) of an image.

    It detects nothing but brightness and exists so that tests and the demo can exercise
    the classifier path (threshold, case, review, calibration) without any real model."""

    info = ClassifierInfo(
        name="standin-mean-brightness",
        version="1",
        media=("image",),
        model_card="Stand-in for tests: the score is the mean brightness of the image. It "
        "detects nothing; never deploy it.",
        thresholds={"high_precision": 0.9, "high_recall": 0.7},
    )

    def score(self, image: Any) -> float:
        from PIL import ImageStat

        grey = image.convert("L")
        return float(ImageStat.Stat(grey).mean[0]) / 255.0


class _StandInPlugin:
    @hookimpl
    def childshield_classifiers(self) -> list[Classifier]:
        return [MeanBrightnessStandIn()]


def plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("childshield")
    pm.add_hookspecs(HookSpecs)
    if os.environ.get(STANDIN_ENV) == "1":
        pm.register(_StandInPlugin(), name="standin")
    if load_entry_points:
        pm.load_setuptools_entrypoints(GROUP)
    return pm


@dataclass(frozen=True)
class Calibration:
    classifier: str
    threshold: float
    target_precision: float
    precision: float | None
    recall: float | None
    samples: int
    positives: int
    method: str
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def calibration_path(data_dir: Path, name: str) -> Path:
    return data_dir / "classifiers" / f"{name}.json"


def load_calibration(data_dir: Path, name: str) -> Calibration | None:
    path = calibration_path(data_dir, name)
    if not path.exists():
        return None
    try:
        return Calibration(**json.loads(path.read_text("utf-8")))
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{path}: not a calibration file ({exc})") from exc


@dataclass(frozen=True)
class Loaded:
    classifier: Classifier
    threshold: float
    calibrated: bool


def all_classifiers(pm: pluggy.PluginManager | None = None) -> dict[str, Classifier]:
    pm = pm or plugin_manager()
    found: dict[str, Classifier] = {}
    for batch in pm.hook.childshield_classifiers():
        for classifier in batch:
            if not isinstance(classifier, Classifier):
                raise ConfigurationError(f"classifier plug-in returned {classifier!r}, which "
                                         "has no info/score")
            found[classifier.info.name] = classifier
    return found


def loaded_classifiers(data_dir: Path, pm: pluggy.PluginManager | None = None) -> list[Loaded]:
    """Every registered classifier with the threshold in use: the operator's calibration
    if there is one, else the plug-in's recommended high-precision threshold, else 1.0
    (nothing opens a case until it is calibrated)."""
    out = []
    for name, classifier in sorted(all_classifiers(pm).items()):
        calibration = load_calibration(data_dir, name)
        if calibration is not None:
            out.append(Loaded(classifier, calibration.threshold, True))
        else:
            out.append(Loaded(classifier, classifier.info.thresholds.get("high_precision", 1.0),
                              False))
    return out


__all__ = [
    "GROUP",
    "STANDIN_ENV",
    "Calibration",
    "Classifier",
    "ClassifierInfo",
    "HookSpecs",
    "Loaded",
    "MeanBrightnessStandIn",
    "all_classifiers",
    "calibration_path",
    "hookimpl",
    "hookspec",
    "load_calibration",
    "loaded_classifiers",
    "plugin_manager",
]
