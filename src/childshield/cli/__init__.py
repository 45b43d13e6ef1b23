"""The ``childshield`` command.

Each verb lives in its own module in this package and registers itself with
``register(app)``; modules are discovered automatically, so adding a verb never means
editing this file. A plain verb named like its module (``match``, ``hash``) is run with only
that module imported; ``app`` (every verb) is built on first access. Verbs are thin: they
parse, call the domain, and format (see ``_output``). Heavy imports happen inside the
command functions so ``--help`` is fast.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import sys

import typer

from childshield import __version__


def _new_app() -> typer.Typer:
    app = typer.Typer(
        name="childshield",
        help="Detect known and new abuse material and solicitation; review, report, and run the "
        "EU Centre side. Every verb takes --json for one JSON object a line.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.callback()(_root)
    return app


def _version(value: bool) -> None:
    if value:
        typer.echo(f"childshield {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """childshield command line."""


def _register(app: typer.Typer, name: str) -> None:
    module = importlib.import_module(f"{__name__}.{name}")
    register = getattr(module, "register", None)
    if register is not None:
        register(app)


def _verb_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


@functools.cache
def _full_app() -> typer.Typer:
    """The app with every verb of every module registered."""
    app = _new_app()
    for name in _verb_modules():
        _register(app, name)
    return app


def app_for(argv: list[str]) -> typer.Typer:
    """The app to run ``argv`` with: for a plain verb (``match``, ``hash``, ``scan``) only its
    own module is imported, which keeps a short command's start-up short; anything else
    (help, groups that other modules extend, unknown verbs) gets every verb."""
    verb = argv[0] if argv else ""
    if verb in _verb_modules():
        app = _new_app()
        _register(app, verb)
        if [c.name for c in app.registered_commands] == [verb] and not app.registered_groups:
            return app
    return _full_app()


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # the full app, registered on first use (tests, the reference)
        return _full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point."""
    from childshield.cli._output import run_app

    sys.exit(run_app(app_for(sys.argv[1:])))


__all__ = ["app", "app_for", "main"]
