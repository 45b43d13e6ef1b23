"""``childshield demo``: provider and centre together on the default SQLite database,
with demo tenants, users and keys printed on the console (what ``make run`` starts)."""

from __future__ import annotations

import typer

from childshield.cli._output import DbOption


def demo(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    db: str | None = DbOption,
) -> None:
    """Run `serve --role all --demo`: log in within a minute (demo credentials only)."""
    from childshield.cli.serve import serve

    serve(role="all", host=host, port=port, workers=1, demo=True, db=db)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
