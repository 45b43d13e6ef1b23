"""The ``childshield`` command.

Each verb lives in its own module in this package and registers itself with
``register(app)``; modules are discovered automatically, so adding a verb never means
editing this file. Verbs are thin: they parse, call the domain, and format (see
``_output``). Heavy imports happen inside the command functions so ``--help`` is fast.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from childshield import __version__

app = typer.Typer(
    name="childshield",
    help="Detect known and new abuse material and solicitation; review, report, and run the "
    "EU Centre side. Every verb takes --json for one JSON object a line.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"childshield {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """childshield command line."""


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    from childshield.cli._output import run_app

    sys.exit(run_app(app))


__all__ = ["app", "main"]
