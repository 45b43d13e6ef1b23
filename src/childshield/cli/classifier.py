"""``childshield classifier``: list classifier plug-ins, calibrate one on your own data."""

from __future__ import annotations

from pathlib import Path

import typer

from childshield.cli._output import JsonOption, emit, fail, out_console
from childshield.errors import ChildshieldError
from childshield.exitcodes import ExitCode

classifier_app = typer.Typer(
    help="Classifier plug-ins for unknown material (none is shipped): list, calibrate.",
    no_args_is_help=True,
)


@classifier_app.command("list")
def list_classifiers(as_json: bool = JsonOption) -> None:
    """Installed classifier plug-ins with the threshold in use."""
    from childshield.provider.classifiers import loaded_classifiers
    from childshield.settings import get_settings

    for loaded in loaded_classifiers(get_settings().data_dir):
        info = loaded.classifier.info
        row = {"name": info.name, "version": info.version, "media": list(info.media),
               "threshold": loaded.threshold, "calibrated": loaded.calibrated,
               "recommended": info.thresholds, "model_card": info.model_card}
        if as_json:
            emit(row)
        else:
            out_console.print(f"{info.name} {info.version}: threshold {loaded.threshold} "
                              f"({'calibrated' if loaded.calibrated else 'recommended'})",
                              highlight=False)


@classifier_app.command("calibrate")
def calibrate(
    name: str = typer.Argument(..., help="The plug-in's name (see: classifier list)."),
    labels: Path = typer.Argument(..., help="CSV of path,label (positive/benign or 1/0)."),
    precision: float = typer.Option(0.95, "--precision", min=0.01, max=1.0,
                                    help="Target precision on your sample."),
    as_json: bool = JsonOption,
) -> None:
    """Choose the threshold reaching --precision on your own labelled sample and store it
    (used by detection from the next start). Unreadable files are reported and skipped."""
    from childshield.provider.calibration import calibrate as run
    from childshield.settings import get_settings

    try:
        result, errors = run(name, labels, precision, get_settings().data_dir)
    except ChildshieldError as exc:
        raise fail(exc, as_json=as_json) from None
    for error in errors:
        if as_json:
            emit(error)
        else:
            out_console.print(f"line {error['line']}: {error['path']}: {error['error']}",
                              highlight=False)
    if as_json:
        emit(result.to_dict())
    else:
        out_console.print(f"{name}: threshold {result.threshold:.4f} gives precision "
                          f"{result.precision} and recall {result.recall} on "
                          f"{result.samples} items ({result.positives} positive)",
                          highlight=False)
    if errors:
        raise typer.Exit(int(ExitCode.ITEM_ERRORS))


def register(app: typer.Typer) -> None:
    app.add_typer(classifier_app, name="classifier")
