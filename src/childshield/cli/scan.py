"""``childshield scan DIR --bank NAME``: hash a folder in parallel and match it against a bank."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from childshield.cli._output import DbOption, JsonOption, emit, err_console, out_console
from childshield.exitcodes import ExitCode


def scan_command(
    folder: Path = typer.Argument(..., help="Folder to scan (recursively)."),
    bank: str = typer.Option(..., "--bank", help="Bank to match against."),
    out: Path | None = typer.Option(
        None, "--out",
        help="Write JSONL results here; run again with the same file to resume. "
        "Without it, results go to standard output.",
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Local hashing processes (default: all cores)."
    ),
    dask: str | None = typer.Option(
        None, "--dask",
        help="Hash on a dask.distributed cluster at this scheduler address "
        "(e.g. tcp://10.0.0.5:8786); workers need childshield and the same paths.",
    ),
    frame_interval: float = typer.Option(
        1.0, "--frame-interval", min=0.0, help="Seconds between hashed video frames."
    ),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Hash every file under FOLDER (in parallel), match each against the bank, and write
    one JSON line a file (hashes and matches, or the error), then a summary. Interrupted
    scans resume where they stopped when run again with the same --out. Exit status 1 if any
    file could not be hashed."""
    from childshield.scan import scan
    from childshield.scan.matching import BankRecordMatcher

    matcher = BankRecordMatcher(db, bank)
    sink = None if out is not None else sys.stdout
    try:
        with _progress(enabled=out is not None or not sys.stdout.isatty()) as hook:
            summary = scan(folder, matcher, bank=bank, out=out, sink=sink, workers=workers,
                           dask=dask, frame_interval=frame_interval, progress=hook)
    except KeyboardInterrupt:
        where = f" with --out {out}" if out is not None else " with --out FILE"
        err_console.print(f"[yellow]interrupted: run the same command again{where} to resume[/]")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    result = summary.to_dict()
    if as_json and out is not None:
        emit({"summary": result})
    elif as_json:  # standard output holds the result lines: the summary goes to stderr
        err_console.print(json.dumps({"summary": result}), highlight=False, soft_wrap=True)
    else:
        _print_summary(result)
    if summary.errors:
        raise typer.Exit(int(ExitCode.ITEM_ERRORS))


class _progress:
    """A rich progress bar on standard error, as a ``progress(done, total, line)`` hook."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[matched]} matched, {task.fields[errors]} "
                                       "errors"), TimeRemainingColumn(), console=err_console)
        self.bar.__enter__()
        self.task = self.bar.add_task("scan", total=None, matched=0, errors=0)
        self.matched = 0
        self.errors = 0
        return self.update

    def update(self, done: int, total: int, line: dict[str, Any]) -> None:
        self.matched += bool(line.get("matches"))
        self.errors += "error" in line
        self.bar.update(self.task, completed=done, total=total, matched=self.matched,
                        errors=self.errors)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _print_summary(result: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table("files", "scanned", "skipped (resumed)", "matched", "errors", "files/s",
                  title="scan summary")
    table.add_row(*(str(result[k]) for k in ("files", "scanned", "skipped", "matched",
                                              "errors", "files_per_second")))
    (out_console if result["out"] else err_console).print(table)


def register(app: typer.Typer) -> None:
    app.command("scan")(scan_command)


__all__ = ["register", "scan_command"]
