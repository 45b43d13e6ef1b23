"""``childshield conversations``: solicitation risk in chats (score, train, evaluate)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from childshield.cli._output import JsonOption, emit, err_console, out_console

conv_app = typer.Typer(
    help="Solicitation (grooming) risk in conversations. Every alert goes to human review: "
    "the score is evidence, never a verdict.",
    no_args_is_help=True,
)

FormatOption = typer.Option("jsonl", "--format", help="Input format: jsonl or pan12.")
ModelOption = typer.Option(None, "--model", help="Model JSON (default: the shipped model).")
EncodingOption = typer.Option(
    None, "--encoding", help="Text encoding of a JSONL file (default UTF-8)."
)
PredatorsOption = typer.Option(
    None, "--predators", help="PAN12 ground truth: predator author ids, one a line."
)


def _existing(path: Path) -> Path:
    from childshield.errors import NotFoundError

    if not path.is_file():
        raise NotFoundError(f"no such file: {path}")
    return path


def _items(file: Path, fmt: str, predators: Path | None, encoding: str | None) -> Any:
    from childshield.conversations.io import read_conversations, read_labels

    labels = read_labels(_existing(predators)) if predators is not None else None
    return read_conversations(_existing(file), fmt, labels=labels, encoding=encoding)


def _summary(result: dict[str, Any]) -> str:
    categories = sorted({i["category"] for i in result["indicators"]})
    alert = (f"[bold red]ALERT[/] at message {result['alert_message']}" if result["alert"]
             else "no alert")
    suspect = f" suspect {result['suspect']}" if result["suspect"] else ""
    cats = f" ({', '.join(categories)})" if categories else ""
    return f"{result['id']}: risk {result['risk']:.2f} {alert}{suspect}{cats}"


@conv_app.command("score")
def score(
    file: Path = typer.Argument(..., help="Conversations (JSONL or PAN12 XML)."),
    fmt: str = FormatOption,
    model: Path | None = ModelOption,
    encoding: str | None = EncodingOption,
    as_json: bool = JsonOption,
) -> None:
    """Score each conversation: risk, alert message, suspect and evidence."""
    from childshield.conversations.batch import score_items
    from childshield.conversations.model import load_model
    from childshield.conversations.monitor import ConversationMonitor
    from childshield.exitcodes import ExitCode

    monitor = ConversationMonitor(load_model(_existing(model) if model else None))
    errors = 0
    for item, result in score_items(monitor, _items(file, fmt, None, encoding)):
        if result is None:
            errors += 1
            error = item.to_dict()  # type: ignore[union-attr]
            if as_json:
                emit(error)
            else:
                err_console.print(f"[bold red]error:[/] {error['error']}", highlight=False)
            continue
        data = result.to_dict()
        if as_json:
            emit(data)
        else:
            out_console.print(_summary(data), highlight=False)
            for warning in data.get("warnings", []):
                err_console.print(f"  [yellow]warning:[/] {warning}", highlight=False)
    if errors:
        raise typer.Exit(int(ExitCode.ITEM_ERRORS))


def _labelled(files: list[Path], fmt: str, predators: Path | None,
              encoding: str | None) -> tuple[list[Any], int]:
    from childshield.conversations.io import ItemError

    conversations, errors = [], 0
    for file in files:
        for item in _items(file, fmt, predators, encoding):
            if isinstance(item, ItemError):
                errors += 1
                err_console.print(f"[bold red]error:[/] {file.name}: {item.error}",
                                  highlight=False)
            else:
                conversations.append(item)
    return conversations, errors


def _round(data: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in data.items()}


@conv_app.command("train")
def train_command(
    files: list[Path] = typer.Argument(..., help="Labelled conversations (JSONL or PAN12)."),
    out: Path = typer.Option(..., "--out", help="Where to write the model JSON (and .md card)."),
    fmt: str = FormatOption,
    predators: Path | None = PredatorsOption,
    base: Path | None = typer.Option(None, "--base", help="Model to start from and shrink to."),
    version: str | None = typer.Option(None, "--version", help="Version name of the model."),
    strength: float = typer.Option(1.0, "--strength", help="Pull towards the base weights."),
    text: bool = typer.Option(True, "--text/--no-text",
                              help="Also fit the learned text component (needs the ml extra)."),
    encoding: str | None = EncodingOption,
    as_json: bool = JsonOption,
) -> None:
    """Fit weights and threshold from labelled data; save a versioned model and card."""
    from childshield.conversations.model import load_model
    from childshield.conversations.train import train
    from childshield.errors import InputError

    if fmt == "pan12" and predators is None:
        raise InputError("PAN12 training needs --predators (the ground-truth author list)")
    conversations, _errors = _labelled(files, fmt, predators, encoding)
    model, measures = train(
        conversations, version=version, strength=strength,
        base=load_model(_existing(base) if base else None),
        source=", ".join(f.name for f in files), text=text,
    )
    model.save(out)
    summary = {"model": str(out), "version": model.version, "threshold": model.threshold,
               "training": _round(measures)}
    if as_json:
        emit(summary)
    else:
        out_console.print(f"wrote {out} (version {model.version}, threshold "
                          f"{model.threshold:.2f}) and its card {out.with_suffix('.md')}")


@conv_app.command("evaluate")
def evaluate_command(
    file: Path = typer.Argument(..., help="Labelled conversations (JSONL or PAN12)."),
    fmt: str = FormatOption,
    predators: Path | None = PredatorsOption,
    model: Path | None = ModelOption,
    plot: Path | None = typer.Option(None, "--plot", help="Write a calibration plot (PNG)."),
    encoding: str | None = EncodingOption,
    as_json: bool = JsonOption,
) -> None:
    """Precision, recall, F0.5, latency, speed and F_latency on labelled conversations."""
    from childshield.conversations.metrics import by_language, evaluate, plot_calibration
    from childshield.conversations.model import load_model
    from childshield.conversations.train import peak_outcomes
    from childshield.errors import InputError

    if fmt == "pan12" and predators is None:
        raise InputError("PAN12 evaluation needs --predators (the ground-truth author list)")
    conversations, errors = _labelled([file], fmt, predators, encoding)
    labelled = [c for c in conversations if c.label is not None]
    if not labelled:
        raise InputError(f"{file}: no labelled conversations")
    loaded = load_model(_existing(model) if model else None)
    outcomes = peak_outcomes(loaded, labelled)
    measures = _round(evaluate(outcomes))
    report: dict[str, Any] = {"file": str(file), "model": loaded.version,
                              "threshold": loaded.threshold, **measures}
    languages = by_language(outcomes)
    if len(languages) > 1 or "?" not in languages:
        report["by_language"] = {k: _round(v) for k, v in languages.items()}
    report["skipped_items"] = errors
    if plot is not None:
        plot_calibration(outcomes, plot,
                         f"{file.name}: {len(outcomes)} conversations, model {loaded.version}",
                         loaded.threshold)
        report["plot"] = str(plot)
    if as_json:
        emit(report)
        return
    for key in ("conversations", "positives", "negatives", "precision", "recall", "f1",
                "f0_5", "latency_median", "speed", "f_latency", "suspect_accuracy"):
        out_console.print(f"{key:>17}: {report[key]}", highlight=False)
    if plot is not None:
        out_console.print(f"calibration plot: {plot}")


def register(app: typer.Typer) -> None:
    app.add_typer(conv_app, name="conversations")
