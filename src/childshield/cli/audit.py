"""``childshield audit verify``: check the hash chain of the audit log."""

from __future__ import annotations

import typer

from childshield.cli._output import DbOption, JsonOption, emit, out_console
from childshield.errors import IntegrityError
from childshield.exitcodes import ExitCode

audit_app = typer.Typer(help="The append-only, hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify(db: str | None = DbOption, as_json: bool = JsonOption) -> None:
    """Recompute the chain; name the first edited, deleted or moved entry (exit 6)."""
    from childshield import audit
    from childshield.store import open_database

    with open_database(db).session() as session:
        result = audit.verify(session)
    if as_json:
        emit(result.as_dict())
    elif result.ok:
        out_console.print(f"audit log intact: {result.entries} entries, head "
                          f"{result.head_hash}", highlight=False)
    if not result.ok:
        if as_json:
            raise typer.Exit(int(ExitCode.INTEGRITY))
        raise IntegrityError(f"audit log broken: {result.problem}")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
