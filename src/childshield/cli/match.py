"""``childshield match``: which indicators do these files (or hashes) match."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import typer

from childshield.cli._output import DbOption, JsonOption, emit, err_console, out_console
from childshield.cli.bank import reported
from childshield.errors import InputError, NotFoundError
from childshield.exitcodes import ExitCode

BATCH = 20_000  # hashes looked up per index search (bounded memory for any input size)
HASH_SIGNALS = ("pdq", "md5", "sha256")


def _print_matches(label: str, matches: list[dict[str, Any]]) -> None:
    if not matches:
        out_console.print(f"{label}: no match", highlight=False)
        return
    from rich.table import Table

    table = Table("bank", "indicator", "signal", "distance", "source", title=label)
    for m in matches:
        table.add_row(
            m["bank"], str(m["indicator"]), m["signal"], str(m["distance"]), m["source"] or ""
        )
    out_console.print(table)


def _numbered_lines(handle: TextIO) -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    for number, line in enumerate(handle, start=1):
        text = line.strip()
        if not text:
            continue
        batch.append((number, text))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def match_hashes(matcher: Any, handle: TextIO, signal: str, bank: str | None, as_json: bool) -> int:
    """One result a non-blank line, in input order; a bad line gets an error object and the
    rest goes on. Returns the number of bad lines."""
    from childshield.exchange.indicator_record import normalise_value

    errors = 0
    for batch in _numbered_lines(handle):
        good: list[str] = []
        checked: list[tuple[int, str, str | None]] = []  # (line, text, error)
        for number, text in batch:
            try:
                good.append(normalise_value(signal, text))
                checked.append((number, text, None))
            except ValueError as exc:
                checked.append((number, text, str(exc)))
        if signal == "pdq":
            found = iter(matcher.match_pdq(good, bank))
        else:
            found = iter(matcher.match_exact(signal, good, bank))
        for number, text, error in checked:
            if error is not None:
                errors += 1
                result: dict[str, Any] = {"query": text[:100], "line": number, "error": error}
                if as_json:
                    emit(result)
                else:
                    err_console.print(f"[red]line {number}: {error}[/]", highlight=False)
                continue
            matches = [m.to_dict() for m in next(found)]
            if as_json:
                emit({"query": text, "matches": matches})
            else:
                _print_matches(f"line {number}", matches)
    return errors


def match(
    files: list[Path] = typer.Argument(None, help="Images or videos to match."),
    bank: str | None = typer.Option(None, "--bank", help="Only this bank (default: all)."),
    signal: str = typer.Option("pdq", "--signal", help="With --hashes: pdq, md5 or sha256."),
    hashes: Path | None = typer.Option(
        None, "--hashes", help="A file of hashes, one hex a line ('-' for stdin)."
    ),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Match files (prints {"path", "matches": [...]} a file) or a list of hashes
    (--hashes: {"query", "matches"} a line, in input order) against the banks."""
    from childshield.matching import Matcher
    from childshield.store import open_database

    if bool(files) == (hashes is not None):
        raise typer.BadParameter("give either FILE... or --hashes FILE")
    errors = 0
    with reported(as_json):
        if hashes is not None and signal not in HASH_SIGNALS:
            raise InputError(f"--signal must be one of {', '.join(HASH_SIGNALS)}")
        matcher = Matcher(open_database(db))
        matcher.check_bank(bank)
        if hashes is not None:
            if str(hashes) == "-":
                errors = match_hashes(matcher, sys.stdin, signal, bank, as_json)
            else:
                try:
                    with hashes.open("r", encoding="utf-8-sig", errors="replace") as handle:
                        errors = match_hashes(matcher, handle, signal, bank, as_json)
                except FileNotFoundError:
                    raise NotFoundError(f"{hashes}: no such file") from None
                except OSError as exc:
                    raise InputError(f"{hashes}: {exc.strerror or exc}") from None
        else:
            from childshield.matching.files import match_files

            for result in match_files(matcher, files, bank):
                if "error" in result:
                    errors += 1
                if as_json:
                    emit(result)
                elif "error" in result:
                    err_console.print(
                        f"[red]{result['path']}: {result['error']}[/]", highlight=False
                    )
                else:
                    _print_matches(result["path"], result["matches"])
                    if result.get("warning"):
                        err_console.print(f"[yellow]  {result['warning']}[/]", highlight=False)
    if errors:
        raise typer.Exit(int(ExitCode.ITEM_ERRORS))


def register(app: typer.Typer) -> None:
    app.command("match")(match)
