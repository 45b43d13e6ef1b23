"""``childshield hash FILE...``: signals of files (pdq, md5, sha256; vpdq for videos)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from childshield.cli._output import JsonOption, emit, err_console, out_console
from childshield.exitcodes import ExitCode

FrameIntervalOption = typer.Option(
    1.0, "--frame-interval", min=0.0,
    help="Seconds between hashed video frames; 0 hashes every frame.",
)
WorkersOption = typer.Option(
    None, "--workers", min=1, help="Processes to hash on (default: all cores)."
)


def hash_command(
    files: list[Path] = typer.Argument(..., help="Image or video files to hash."),
    as_json: bool = JsonOption,
    frame_interval: float = FrameIntervalOption,
    workers: int | None = WorkersOption,
) -> None:
    """Print the signals of each file: path, media, md5, sha256, pdq and its quality (videos
    add vpdq, one frame a second by default). A file that cannot be read gets an error and
    the rest go on; the exit status is 1 if any file failed."""
    from childshield.signals import hash_files

    records = hash_files(files, workers=workers, frame_interval=frame_interval)
    failed = 0
    if as_json:
        for record in records:
            failed += "error" in record
            emit(record)
    else:
        failed = _print_table(records, total=len(files))
    if failed:
        err_console.print(f"[yellow]{failed} of {len(files)} files could not be hashed[/]")
        raise typer.Exit(int(ExitCode.ITEM_ERRORS))


def _print_table(records: Any, total: int) -> int:
    from rich.progress import Progress
    from rich.table import Table

    table = Table(show_lines=False)
    for column in ("path", "media", "quality", "pdq", "md5"):
        table.add_column(column, overflow="fold")
    failed = 0
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("hashing", total=total)
        for record in records:
            progress.advance(task)
            if "error" in record:
                failed += 1
                table.add_row(record["path"], "[red]error[/]", "", f"[red]{record['error']}[/]",
                              "")
                continue
            quality = str(record.get("quality", ""))
            if record.get("low_quality"):
                quality = f"[yellow]{quality} (low)[/]"
            pdq = record.get("pdq") or ""
            if record.get("vpdq") is not None:
                pdq = f"{len(record['vpdq'])} frames (vpdq)"
            table.add_row(record["path"], record["media"], quality, pdq, record["md5"])
    out_console.print(table)
    return failed


def register(app: typer.Typer) -> None:
    app.command("hash")(hash_command)


__all__ = ["hash_command", "register"]
