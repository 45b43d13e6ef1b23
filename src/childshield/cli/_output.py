"""Shared CLI plumbing: --json/--db options, output, and error-to-exit-code mapping."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from childshield.errors import ChildshieldError
from childshield.exitcodes import ExitCode, exit_code_for

JsonOption = typer.Option(False, "--json", help="Print one JSON object a line.")
DbOption = typer.Option(
    None,
    "--db",
    envvar="CHILDSHIELD_DATABASE_URL",
    help="Database URL (default: SQLite file under the data dir).",
)

err_console = Console(stderr=True)
out_console = Console()

F = TypeVar("F", bound=Callable[..., Any])


def emit(obj: dict[str, Any]) -> None:
    """Write one JSON object as a line to stdout and flush (so pipes see it at once)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def fail(error: ChildshieldError, *, as_json: bool = False) -> typer.Exit:
    """Report ``error`` and return the Exit to raise (``raise fail(e)``)."""
    code = exit_code_for(error)
    if as_json:
        emit({"error": error.message, "type": error.slug})
    else:
        err_console.print(f"[bold red]error:[/] {error.message}", highlight=False)
    return typer.Exit(int(code))


def run_app(app: typer.Typer) -> int:
    """Run the Typer app, turning ChildshieldError into a clear message and exit code."""
    try:
        # standalone_mode=False: click returns typer.Exit's code instead of raising it
        result = app(standalone_mode=False)
        if isinstance(result, int) and not isinstance(result, bool):
            return result
    except ChildshieldError as error:
        err_console.print(f"[bold red]error:[/] {error.message}", highlight=False)
        return int(exit_code_for(error))
    except typer.Exit as exc:
        return int(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        return int(ExitCode.INTERRUPTED)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 1
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        # typer >= 0.29 raises its vendored click's exceptions (typer._click), not click's
        usage = getattr(exc, "show", None) is not None and hasattr(exc, "exit_code")
        if isinstance(exc, click.ClickException) or usage:
            exc.show()  # type: ignore[attr-defined]
            return int(exc.exit_code)  # type: ignore[attr-defined]
        if isinstance(exc, click.exceptions.Abort) or type(exc).__name__ == "Abort":
            return int(ExitCode.INTERRUPTED)
        raise
    return int(ExitCode.OK)


__all__ = ["DbOption", "JsonOption", "emit", "err_console", "fail", "out_console", "run_app"]
