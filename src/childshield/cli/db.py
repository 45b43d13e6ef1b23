"""``childshield db``: database housekeeping."""

from __future__ import annotations

import typer

from childshield.cli._output import DbOption, JsonOption, emit, out_console

db_app = typer.Typer(help="Database housekeeping (migrations).", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(db: str | None = DbOption, as_json: bool = JsonOption) -> None:
    """Create or migrate the database schema to the latest version."""
    from childshield.store import open_database

    database = open_database(db)
    if as_json:
        emit({"database": database.engine.url.render_as_string(hide_password=True), "ok": True})
    else:
        out_console.print(f"database is up to date: {database.engine.url!r}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
