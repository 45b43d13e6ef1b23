"""``childshield bank``: create, fill, list, export and withdraw indicator banks."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from childshield.cli._output import DbOption, JsonOption, emit, err_console, fail, out_console
from childshield.errors import ChildshieldError, ImportFormatError
from childshield.exitcodes import ExitCode

bank_app = typer.Typer(
    help="Indicator banks: create, add files, import, list, export, withdraw.",
    no_args_is_help=True,
)

SubmittedByOption = typer.Option(
    None, "--submitted-by", help="Who submits the indicators (default: the current user)."
)
NoteOption = typer.Option(None, "--note", help="A note stored with every new indicator.")


@contextmanager
def reported(as_json: bool) -> Iterator[None]:
    """Turn a ChildshieldError into its message (and, for an import, one JSON object per
    malformed line) and the exit code of the enum."""
    try:
        yield
    except ImportFormatError as error:
        items = error.extra.get("errors")
        if as_json and isinstance(items, list):
            for item in items:
                emit(dict(item))
        raise fail(error, as_json=as_json) from None
    except ChildshieldError as error:
        raise fail(error, as_json=as_json) from None


def _service(db: str | None) -> Any:
    from childshield.matching import BankService
    from childshield.store import open_database

    return BankService(open_database(db))


@bank_app.command("create")
def create(
    name: str = typer.Argument(..., help="Bank name, e.g. test-indicators."),
    threshold: int = typer.Option(31, "--threshold", help="PDQ match threshold (Hamming)."),
    kind: str = typer.Option(
        "known_material", "--kind", help="known_material, url or solicitation."
    ),
    quality_min: int = typer.Option(50, "--quality-min", help="Lowest PDQ quality matched."),
    description: str | None = typer.Option(None, "--description"),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a bank."""
    with reported(as_json):
        info = _service(db).create(
            name, kind=kind, threshold=threshold, quality_min=quality_min, description=description
        )
    if as_json:
        emit(info.to_dict())
    else:
        out_console.print(
            f"created bank [bold]{info.name}[/] ({info.kind}, threshold {info.threshold}, "
            f"quality >= {info.quality_min})",
            highlight=False,
        )


@bank_app.command("add")
def add(
    name: str = typer.Argument(..., help="Bank to add to."),
    files: list[Path] = typer.Argument(..., help="Images or videos to hash."),
    submitted_by: str | None = SubmittedByOption,
    note: str | None = NoteOption,
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Hash files and add their signals as indicators (no content is kept; the file path is
    recorded as the source). Prints {"path", "indicators": [ids]} a file."""
    from childshield.matching.files import add_files

    errors = 0
    with reported(as_json):
        for result in add_files(_service(db), name, files, submitted_by=submitted_by, note=note):
            errors += "error" in result
            if as_json:
                emit(result)
            elif "error" in result:
                err_console.print(f"[red]{result['path']}: {result['error']}[/]", highlight=False)
            else:
                ids = ", ".join(str(i) for i in result["indicators"])
                out_console.print(f"{result['path']}: indicators {ids}", highlight=False)
                for warning in result.get("warnings", []):
                    err_console.print(f"[yellow]  warning: {warning}[/]", highlight=False)
    if errors:
        raise typer.Exit(int(ExitCode.ITEM_ERRORS))


@bank_app.command("import")
def import_(
    name: str = typer.Argument(..., help="Bank to import into."),
    file: Path = typer.Argument(..., help="Indicator file: pytx lines or JSONL."),
    fmt: str | None = typer.Option(
        None, "--format", help="pytx or jsonl (default: detected from the first line)."
    ),
    submitted_by: str | None = SubmittedByOption,
    note: str | None = NoteOption,
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Import indicators from python-threatexchange's format (`pdq <hex>`, `video_md5 <hex>`
    lines) or JSONL. All or nothing: a malformed line imports nothing and is named."""
    with reported(as_json):
        summary = _service(db).import_file(
            name, file, fmt=fmt, submitted_by=submitted_by, note=note
        )
    if as_json:
        emit(summary.to_dict())
    else:
        out_console.print(
            f"imported {summary.lines} indicators ({summary.format}) into [bold]{name}[/]: "
            f"{summary.created} new, {summary.existing} already there"
            + (f", {summary.withdrawn_kept} stay withdrawn" if summary.withdrawn_kept else ""),
            highlight=False,
        )


@bank_app.command("list")
def list_(db: str | None = DbOption, as_json: bool = JsonOption) -> None:
    """List banks with their settings and indicator counts."""
    with reported(as_json):
        banks = _service(db).list_banks()
    if as_json:
        for info in banks:
            emit(info.to_dict())
        return
    from rich.table import Table

    table = Table()
    for header in ("bank", "kind", "threshold", "min quality", "active", "withdrawn", "created"):
        table.add_column(header, no_wrap=header in ("bank", "kind"))
    for info in banks:
        table.add_row(
            info.name,
            info.kind,
            str(info.threshold),
            str(info.quality_min),
            str(info.active),
            str(info.withdrawn),
            info.created_at.strftime("%Y-%m-%d"),
        )
    out_console.print(table if banks else "no banks yet: childshield bank create NAME")


@bank_app.command("export")
def export(
    name: str = typer.Argument(..., help="Bank to export."),
    fmt: str = typer.Option("pytx", "--format", help="pytx (active only) or jsonl (all)."),
    out: Path | None = typer.Option(None, "--out", help="Write here instead of stdout."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Export a bank: pytx lines (active indicators) or JSONL with provenance and status."""
    with reported(as_json):
        service = _service(db)
        service.get(name)
        if out is None:
            written, skipped = service.export(name, sys.stdout, fmt)
        else:
            with out.open("w", encoding="utf-8") as handle:
                written, skipped = service.export(name, handle, fmt)
    if skipped:
        err_console.print(
            f"{skipped} indicators not written (withdrawn, or not expressible in {fmt})",
            highlight=False,
        )
    if out is not None:
        if as_json:
            emit({"bank": name, "path": str(out), "written": written, "skipped": skipped})
        else:
            out_console.print(f"wrote {written} indicators to {out}", highlight=False)


@bank_app.command("withdraw")
def withdraw(
    name: str = typer.Argument(..., help="Bank the indicators belong to."),
    ids: list[int] = typer.Argument(..., help="Indicator ids."),
    reason: str | None = typer.Option(None, "--reason", help="Why (kept with the indicator)."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Withdraw indicators: they stop matching on the next lookup."""
    with reported(as_json):
        summary = _service(db).withdraw(name, ids, reason)
    if as_json:
        emit(summary.to_dict())
    else:
        done = ", ".join(map(str, summary.withdrawn)) or "none"
        out_console.print(f"withdrawn from [bold]{name}[/]: {done}", highlight=False)
        if summary.already:
            out_console.print(f"already withdrawn: {', '.join(map(str, summary.already))}")


def register(app: typer.Typer) -> None:
    app.add_typer(bank_app, name="bank")
